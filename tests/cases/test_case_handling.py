"""Case handling over the staff API: queue, filing for callers, statuses, notes, audit."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from civitas.cases.models import ServiceRequest
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope, utcnow
from tests.factories import bearer

CALL = {
    "service_code": "a-light",
    "channel": "phone",
    "address_string": "Jr. Bolívar 450",
    "attributes": {"fault": "out"},
    "description": "Caller says the lamp flickers all night.",
    "first_name": "Rosa",
    "phone": "+51 44 555 123",
}


def test_agent_files_a_request_for_a_caller(client, two_cities):
    agent = bearer(client, "trujillo", "a-agent")
    r = client.post("/api/v1/cities/trujillo/requests", json=CALL, headers=agent)
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["number"] == 2  # the world already holds request 1
    assert case["channel"] == "phone"
    assert case["department"] == "roads"
    assert case["filed_by"] == "user:a-agent"
    assert case["reporter"]["phone"] == "+51 44 555 123"
    assert case["expected_at"] is not None
    # ... and it is the same case an Open311 client sees
    open311 = client.get("/open311/v2/requests/2.json?jurisdiction_id=trujillo.example").json()
    assert open311[0]["description"] == CALL["description"]


def test_staff_cannot_file_as_an_open311_client(client, two_cities):
    agent = bearer(client, "trujillo", "a-agent")
    r = client.post(
        "/api/v1/cities/trujillo/requests", json={**CALL, "channel": "open311"}, headers=agent
    )
    assert r.status_code == 400


def test_filing_validates_everything(client, two_cities):
    agent = {**bearer(client, "trujillo", "a-agent"), "Accept-Language": "en"}
    bad = {**CALL, "attributes": {}, "address_string": None, "description": "<i>x</i>"}
    r = client.post("/api/v1/cities/trujillo/requests", json=bad, headers=agent)
    assert r.status_code in (400, 422)
    fields = {p["location"] for p in r.json()["error"]["problems"]}
    assert "description" in fields


def test_status_flow_with_public_and_internal_notes(client, two_cities):
    worker = bearer(client, "trujillo", "a-caseworker")
    base = "/api/v1/cities/trujillo/requests/1"
    r = client.post(
        f"{base}/status", json={"status": "in_progress", "note": "Crew sent."}, headers=worker
    )
    assert r.status_code == 200
    assert r.json()["status"] == "in_progress"
    r = client.post(
        f"{base}/notes", json={"text": "Needs a lift truck.", "public": False}, headers=worker
    )
    assert r.status_code == 201
    r = client.post(
        f"{base}/status", json={"status": "resolved", "note": "Lamp replaced."}, headers=worker
    )
    case = r.json()
    assert case["closed_at"] is not None
    assert [n["text"] for n in case["notes"]] == [
        "Crew sent.",
        "Needs a lift truck.",
        "Lamp replaced.",
    ]
    assert [n["public"] for n in case["notes"]] == [True, False, True]
    # reopen
    r = client.post(
        f"{base}/status", json={"status": "in_progress", "note": "Out again."}, headers=worker
    )
    assert r.json()["closed_at"] is None
    audit = client.get(f"{base}/audit", headers=worker).json()
    assert [a["action"] for a in audit] == [
        "request.created",
        "request.photos_added",
        "request.status_changed",
        "request.note_added",
        "request.status_changed",
        "request.status_changed",
    ]
    assert audit[4]["changes"] == {"from": "in_progress", "to": "resolved", "public": True}
    assert audit[4]["reason"] == "Lamp replaced."
    assert audit[4]["actor"] == "user:a-caseworker"


def test_impossible_transitions_are_refused(client, two_cities):
    worker = {**bearer(client, "trujillo", "a-caseworker"), "Accept-Language": "en"}
    r = client.post(
        "/api/v1/cities/trujillo/requests/1/status", json={"status": "closed"}, headers=worker
    )
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "A request that is received cannot become closed."


def test_assignment_and_queue_filters(client, two_cities):
    manager = bearer(client, "trujillo", "a-manager")
    agent = bearer(client, "trujillo", "a-agent")
    client.post("/api/v1/cities/trujillo/requests", json=CALL, headers=agent)
    r = client.post(
        "/api/v1/cities/trujillo/requests/2/assign",
        json={"username": "a-caseworker"},
        headers=manager,
    )
    assert r.json()["assignee"] == "a-caseworker"
    queue = client.get(
        "/api/v1/cities/trujillo/requests?assignee=a-caseworker", headers=manager
    ).json()
    assert [c["number"] for c in queue["items"]] == [2]
    assert queue["total"] == 1
    found = client.get("/api/v1/cities/trujillo/requests?q=bol%C3%ADvar", headers=manager).json()
    assert [c["number"] for c in found["items"]] == [2]
    by_number = client.get("/api/v1/cities/trujillo/requests?q=1", headers=manager).json()
    assert 1 in [c["number"] for c in by_number["items"]]
    page = client.get("/api/v1/cities/trujillo/requests?page_size=1&page=2", headers=manager).json()
    assert page["total"] == 2
    assert [c["number"] for c in page["items"]] == [1]
    unknown = client.post(
        "/api/v1/cities/trujillo/requests/2/assign",
        json={"username": "b-caseworker"},
        headers=manager,
    )
    assert unknown.status_code == 404  # a user of another city is nobody here


def test_overdue_cases(client, two_cities):
    manager = bearer(client, "trujillo", "a-manager")
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        request = db.scalar(select(ServiceRequest).where(ServiceRequest.number == 1))
        request.expected_at = utcnow() - timedelta(hours=1)
    queue = client.get("/api/v1/cities/trujillo/requests?overdue=true", headers=manager).json()
    assert [(c["number"], c["overdue"]) for c in queue["items"]] == [(1, True)]


def test_roles(client, two_cities):
    field = bearer(client, "trujillo", "a-fieldworker")
    agent = bearer(client, "trujillo", "a-agent")
    assert client.get("/api/v1/cities/trujillo/requests", headers=field).status_code == 200
    assert (
        client.post("/api/v1/cities/trujillo/requests", json=CALL, headers=field).status_code == 403
    )
    r = client.post(
        "/api/v1/cities/trujillo/requests/1/status", json={"status": "acknowledged"}, headers=agent
    )
    assert r.status_code == 403
    assert client.get("/api/v1/cities/trujillo/requests").status_code == 401
