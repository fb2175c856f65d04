"""The rule editor in the browser: check names mistakes by line and column; save makes a
new version; only an administrator may change rules."""

from __future__ import annotations

import re

from civitas.cities.service import get_city_by_slug
from civitas.core.db import session_scope
from civitas.proactive.rules import get_rule
from tests.factories import form_token, session_cookie
from tests.proactive.helpers import with_rules

EDIT = "/musterstadt/staff/rules/senior-culture-pass"


def _version(code: str = "senior-culture-pass") -> int:
    with session_scope() as db:
        rule, _ = get_rule(db, get_city_by_slug(db, "musterstadt"), code)
        return rule.version


def test_an_administrator_checks_and_saves_a_rule(client, engine, two_cities):
    with_rules(engine, "musterstadt")
    client.cookies.update(session_cookie(client, "musterstadt", "b-administrator"))
    listing = client.get("/musterstadt/staff/rules?lang=en")
    assert listing.status_code == 200
    assert "Senior culture pass" in listing.text
    page = client.get(f"{EDIT}?lang=en")
    assert "eligible: age &gt;= senior_pass.min_age" in page.text
    assert "Satzung Kulturpass der Stadt Musterstadt, § 1" in page.text  # the parameters
    text = page.text.split('name="text"')[1].split(">", 1)[1].split("</textarea>")[0]
    text = text.replace("&gt;", ">").replace("&#39;", "'").replace("&amp;", "&")
    csrf = form_token(client, f"{EDIT}?lang=en")
    broken = text.replace(
        "eligible: age >= senior_pass.min_age",
        "eligible: age >= senior_pass.min_age and distrct == 'Mitte'",
    )
    r = client.post(f"{EDIT}?lang=en", data={"csrf": csrf, "text": broken, "action": "check"})
    assert r.status_code == 400
    assert re.search(r"line \d+: eligible, line 1, column 32", r.text)
    assert "Unknown name «distrct»" in r.text
    assert _version() == 1
    bad_yaml = text.replace("mode: offer", "mode: sometimes")
    r = client.post(f"{EDIT}?lang=en", data={"csrf": csrf, "text": bad_yaml, "action": "save"})
    assert r.status_code == 400
    assert "line " in r.text
    assert "mode" in r.text
    changed = text.replace(
        "eligible: age >= senior_pass.min_age", "eligible: age >= senior_pass.min_age - 5"
    )
    r = client.post(f"{EDIT}?lang=en", data={"csrf": csrf, "text": changed, "action": "check"})
    assert r.status_code == 200
    assert "The rule is correct" in r.text
    assert _version() == 1
    r = client.post(
        f"{EDIT}?lang=en",
        data={"csrf": csrf, "text": changed, "action": "save"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert _version() == 2
    assert "Saved as version 2" in client.get(r.headers["location"]).text


def test_a_case_worker_may_not_edit_rules(client, engine, two_cities):
    with_rules(engine, "musterstadt")
    client.cookies.update(session_cookie(client, "musterstadt", "b-caseworker"))
    assert client.get(f"{EDIT}?lang=en").status_code == 403
