"""The register's and the proactive services' JSON API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope
from civitas.register.models import AccessLogEntry
from tests.factories import bearer
from tests.proactive.helpers import family, with_rules

API = "/api/v1/cities/musterstadt"
MOVE_IN: dict[str, Any] = {
    "event_id": "reg-2026-0001",
    "type": "move_in",
    "date": "2026-11-02",
    "person": {
        "register_number": "M-1",
        "given_names": "Otto",
        "family_name": "Alt",
        "birth_date": "1955-03-01",
        "sex": "male",
    },
    "address": {"street": "Weg", "number": "2", "postcode": "04109"},
}


def test_a_registrar_records_an_event_and_the_rules_run_at_once(client, engine, two_cities):
    with_rules(engine, "musterstadt")
    auth = bearer(client, "musterstadt", "b-registrar")
    r = client.post(f"{API}/register/events", json=MOVE_IN, headers=auth)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["person"] == "M-1"
    assert body["created"] is True
    assert {d["rule"] for d in body["decisions"]} == {"senior-culture-pass", "welcome-package"}
    again = client.post(f"{API}/register/events", json=MOVE_IN, headers=auth)
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["decisions"] == []
    changed = {**MOVE_IN, "date": "2026-11-03"}
    conflict = client.post(f"{API}/register/events", json=changed, headers=auth)
    assert conflict.status_code == 409


def test_bad_events_name_the_field_in_the_readers_language(client, engine, two_cities):
    auth = bearer(client, "musterstadt", "b-registrar")
    bad = {**MOVE_IN, "person": {**MOVE_IN["person"], "birth_date": "1955-02-30"}}
    r = client.post(f"{API}/register/events", json=bad, headers={**auth, "Accept-Language": "de"})
    assert r.status_code in (400, 422)
    assert "birth_date" in r.text
    unknown = {"event_id": "x1", "type": "death", "date": "2026-11-02", "person": "nobody"}
    r = client.post(
        f"{API}/register/events", json=unknown, headers={**auth, "Accept-Language": "de"}
    )
    assert r.status_code == 400
    assert "Keine Person mit der Registernummer nobody." in r.text


def test_reading_a_person_needs_a_purpose_and_is_logged(client, engine, two_cities):
    with_rules(engine, "musterstadt")
    family(engine)
    auth = bearer(client, "musterstadt", "b-caseworker")
    assert client.get(f"{API}/register/persons/MUS-DEMO-1", headers=auth).status_code == 422
    r = client.get(
        f"{API}/register/persons/MUS-DEMO-1",
        params={"purpose": "Call about the parking permit", "on": "2026-11-20"},
        headers=auth,
    )
    assert r.status_code == 200, r.text
    person = r.json()
    assert person["address"]["parking_zone"] == "Z1"
    assert len(person["household"]) == 3
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "musterstadt"))
        purposes = set(db.scalars(select(AccessLogEntry.purpose)))
        assert "Call about the parking permit" in purposes
    log = client.get(
        f"{API}/register/persons/MUS-DEMO-1/access-log",
        params={"purpose": "Resident asked who read her data"},
        headers=auth,
    )
    assert log.status_code == 200
    assert {e["actor_kind"] for e in log.json()} >= {"staff", "rule"}
    # a field worker has no business with the register
    field = bearer(client, "musterstadt", "b-fieldworker")
    r = client.get(
        f"{API}/register/persons/MUS-DEMO-1", params={"purpose": "curious"}, headers=field
    )
    assert r.status_code == 403


def test_rules_are_checked_with_positions_and_saved_as_versions(client, engine, two_cities):
    with_rules(engine, "musterstadt")
    auth = bearer(client, "musterstadt", "b-administrator")
    rule = client.get(f"{API}/proactive/rules/senior-culture-pass", headers=auth).json()
    definition = rule["definition"]
    broken = {**definition, "eligible": "age >= senior_pass.min_age and\n  distrct == 'Mitte'"}
    r = client.post(f"{API}/proactive/rules/check", json=broken, headers=auth)
    assert r.status_code == 400
    (problem,) = r.json()["error"]["problems"]
    assert problem["location"] == "eligible, line 2, column 3"
    assert "distrct" in problem["message"]
    changed = {**definition, "eligible": "age >= senior_pass.min_age - 1"}
    checked = client.post(f"{API}/proactive/rules/check", json=changed, headers=auth)
    assert checked.json() == {"ok": True, "fields": ["age"], "parameters": ["senior_pass.min_age"]}
    saved = client.put(f"{API}/proactive/rules/senior-culture-pass", json=changed, headers=auth)
    assert saved.status_code == 200
    assert saved.json()["version"] == rule["version"] + 1
    # a case worker may read rules but not change them
    worker = bearer(client, "musterstadt", "b-caseworker")
    r = client.put(f"{API}/proactive/rules/senior-culture-pass", json=changed, headers=worker)
    assert r.status_code == 403
    text = client.get(f"{API}/proactive/rules.yaml", headers=auth).text
    assert "senior_pass.min_age - 1" in text


def test_decisions_are_listed_and_reviewed_with_a_reason(client, engine, two_cities):
    with_rules(engine, "musterstadt")
    family(engine)
    auth = bearer(client, "musterstadt", "b-manager")
    listed = client.get(f"{API}/proactive/decisions", headers=auth).json()
    birth = next(d for d in listed if d["rule"] == "birth-grant")
    assert birth["status"] == "granted"
    assert birth["payment_status"] == "ready"
    assert birth["explanation"]["clauses"] == ["age_days <= birth_grant.claim_days"]
    r = client.post(
        f"{API}/proactive/decisions/{birth['id']}/review",
        json={"outcome": "withdraw", "reason": "Duplicate registration."},
        headers=auth,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "withdrawn"
    assert r.json()["payment_status"] == "cancelled"
    run = client.post(f"{API}/proactive/runs", json={"on": "2026-11-20"}, headers=auth)
    assert run.status_code == 202
