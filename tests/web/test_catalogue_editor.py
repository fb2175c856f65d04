"""Administrators edit the catalogue in the browser: the plain parts as fields, the
structured parts as YAML; everything is checked as one service and nothing half-saved."""

from __future__ import annotations

import re

from civitas.catalogue.service import get_service
from civitas.cities.service import get_city_by_slug
from civitas.core.db import session_scope
from tests.factories import form_token, session_cookie

EDIT = "/trujillo/staff/catalogue/a-light"


def _form(client, path: str) -> dict[str, str]:
    """The form's current values, as a browser would send them back unchanged."""
    text = client.get(path).text
    values = dict(
        re.findall(r'<input id="[^"]*" name="([^"]+)" type="text"[^>]*value="([^"]*)"', text)
    )
    values.update(
        dict(re.findall(r'<textarea id="[^"]*" name="([^"]+)"[^>]*>([^<]*)</textarea>', text))
    )
    values["csrf"] = form_token(client, path)
    for name, value in re.findall(r'<select id="[^"]*" name="([^"]+)">(.*?)</select>', text, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', value)
        values[name] = chosen.group(1) if chosen else ""
    return {
        k: v.replace("&#39;", "'").replace("&quot;", '"').replace("&amp;", "&")
        for k, v in values.items()
    }


def test_an_administrator_edits_a_service(client, two_cities):
    client.cookies.update(session_cookie(client, "trujillo", "a-administrator"))
    data = _form(client, f"{EDIT}?lang=en")
    assert data["name-es"] == "Servicio a-light"
    assert "fees:" in data["structured"]
    data["name-en"] = "Street light out"
    data["eligibility-en"] = "Anyone who sees it."
    data["structured"] = data["structured"].replace("1250", "1500")
    r = client.post(
        f"{EDIT}?lang=en",
        data={**data, "channels": ["online", "open311"], "published": "1"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    with session_scope() as db:
        found = get_service(db, get_city_by_slug(db, "trujillo"), code="a-light")
        assert found.name["en"] == "Street light out"
        assert found.eligibility["en"] == "Anyone who sees it."
        assert found.fees[0]["amount_minor"] == 1500
        assert found.attributes[0]["code"] == "fault"  # the Open311 part kept as it was


def test_problems_are_named_and_nothing_is_saved(client, two_cities):
    client.cookies.update(session_cookie(client, "trujillo", "a-administrator"))
    data = _form(client, f"{EDIT}?lang=en")
    data["name-es"] = ""
    data["name-en"] = ""
    data["structured"] = data["structured"].replace("currency: PEN", "currency: EUR")
    r = client.post(f"{EDIT}?lang=en", data={**data, "channels": []})
    assert r.status_code == 400
    assert 'href="#channels"' in r.text
    assert 'href="#name-es"' in r.text
    # a fee in another currency is found once the fields themselves are right
    fields_right = {**data, "name-es": "Luz", "channels": ["online", "open311"]}
    r = client.post(f"{EDIT}?lang=en", data=fields_right)
    assert r.status_code == 400
    assert 'href="#structured"' in r.text
    assert "PEN" in r.text
    # a rule across fields points at the form itself
    r = client.post(f"{EDIT}?lang=en", data={**fields_right, "channels": ["online"]})
    assert 'href="#form"' in r.text
    assert "need the channel" in r.text
    r = client.post(
        f"{EDIT}?lang=en", data={**data, "structured": "fees: [", "channels": ["online"]}
    )
    assert r.status_code == 400
    assert "Write the structured parts as YAML" in r.text
    with session_scope() as db:
        found = get_service(db, get_city_by_slug(db, "trujillo"), code="a-light")
        assert found.name["es"] == "Servicio a-light"


def test_an_administrator_adds_a_service_and_others_cannot(client, two_cities):
    client.cookies.update(session_cookie(client, "trujillo", "a-administrator"))
    data = _form(client, "/trujillo/staff/catalogue/new?lang=en")
    r = client.post(
        "/trujillo/staff/catalogue/new?lang=en",
        data={
            "csrf": data["csrf"],
            "code": "tree-planting",
            "name-es": "Plantar un árbol",
            "name-en": "Plant a tree",
            "description-es": "Pida un árbol para su calle.",
            "description-en": "Ask for a tree in your street.",
            "category": "environment",
            "channels": ["office"],
            "department": "roads",
            "target_hours": "240",
            "structured": "",
            "published": "1",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert "Plant a tree" in client.get("/trujillo/?lang=en").text
    client.cookies.clear()
    client.cookies.update(session_cookie(client, "trujillo", "a-caseworker"))
    assert client.get("/trujillo/staff/catalogue").status_code == 403
