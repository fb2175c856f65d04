"""FixMyStreet-style service request updates (mySociety's Open311 extension): GET lists
public updates; POST takes a resident's update from an app."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from civitas.cases.schemas import Status
from civitas.cases.service import add_note, change_status
from civitas.cities.service import get_city_by_slug
from civitas.core.db import session_scope
from tests.factories import bearer

Q = {"jurisdiction_id": "trujillo.example"}


def test_get_updates_lists_public_notes_with_fms_statuses(client, two_cities):
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        change_status(db, city, number=1, status=Status.IN_PROGRESS, actor="t", note="Crew sent.")
        add_note(db, city, number=1, text="internal only", public=False, actor="t")
        change_status(db, city, number=1, status=Status.RESOLVED, actor="t", note="Fixed today.")
    r = client.get("/open311/v2/servicerequestupdates.json", params=Q)
    updates = r.json()
    assert [(u["status"], u["description"]) for u in updates] == [
        ("in_progress", "Crew sent."),
        ("fixed", "Fixed today."),
    ]
    assert set(updates[0]) == {
        "update_id",
        "service_request_id",
        "status",
        "updated_datetime",
        "description",
        "media_url",
    }
    assert updates[0]["service_request_id"] == "1"
    root = ET.fromstring(client.get("/open311/v2/servicerequestupdates.xml", params=Q).content)
    assert root.tag == "service_request_updates"
    assert root.find("request_update/status").text == "in_progress"


def update(client, world, **fields):
    data = {
        "api_key": world.a.api_key,
        "jurisdiction_id": "trujillo.example",
        "service_request_id": "1",
        "updated_datetime": "2026-11-20T20:00:00-05:00",
        "status": "open",
        "description": "Still dark.",
        **fields,
    }
    return client.post("/open311/v2/servicerequestupdates.json", data=data)


def test_a_resident_comment_becomes_a_public_note(client, two_cities):
    r = update(client, two_cities, first_name="Rosa", update_id="fms-1")
    assert r.status_code == 200, r.text
    update_id = r.json()[0]["update_id"]
    case = client.get(
        "/api/v1/cities/trujillo/requests/1", headers=bearer(client, "trujillo", "a-caseworker")
    ).json()
    assert case["status"] == "received"
    note = case["notes"][-1]
    assert note["text"] == "Still dark."
    assert note["public"] is True
    assert "Rosa" in note["author"]
    # the app's retry with the same update_id is the same update
    again = update(client, two_cities, first_name="Rosa", update_id="fms-1")
    assert again.json()[0]["update_id"] == update_id


def test_fixed_resolves_and_open_reopens(client, two_cities):
    assert update(client, two_cities, status="FIXED", description="Works now.").status_code == 200
    worker = bearer(client, "trujillo", "a-caseworker")
    assert (
        client.get("/api/v1/cities/trujillo/requests/1", headers=worker).json()["status"]
        == "resolved"
    )
    assert update(client, two_cities, status="OPEN", description="Broken again.").status_code == 200
    assert (
        client.get("/api/v1/cities/trujillo/requests/1", headers=worker).json()["status"]
        == "in_progress"
    )


def test_bad_updates_are_refused_naming_each_field(client, two_cities):
    r = update(
        client,
        two_cities,
        service_request_id="x",
        status="maybe",
        description="<b>no</b>",
        updated_datetime="",
    )
    assert r.status_code == 400
    fields = sorted(e["description"].split(":")[0] for e in r.json())
    assert fields == ["description", "service_request_id", "status", "updated_datetime"]
    assert update(client, two_cities, service_request_id="999").status_code == 404
    assert update(client, two_cities, api_key="nope").status_code == 403
