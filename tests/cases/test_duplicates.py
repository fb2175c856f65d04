"""Duplicates: nearby open requests of the same service are offered to a reporter before
they submit (Open311 lat/long/radius) and to staff for merging; the merged reporter keeps
being informed about the original."""

from __future__ import annotations

from civitas.core.db import session_factory
from civitas.notifications.service import deliver_due
from tests.factories import bearer
from tests.mailserver import mail_settings

PLAZA = {"lat": "-8.1116", "long": "-79.0287"}


def file(client, world, **fields):
    data = {
        "api_key": world.a.api_key,
        "jurisdiction_id": "trujillo.example",
        "service_code": "a-light",
        "attribute[fault]": "out",
        **PLAZA,
        **fields,
    }
    r = client.post("/open311/v2/requests.json", data=data)
    assert r.status_code == 200, r.text
    return int(r.json()[0]["service_request_id"])


def test_a_reporter_sees_nearby_open_reports_before_submitting(client, two_cities):
    first = file(client, two_cities, description="Dark since Monday")
    r = client.get(
        "/open311/v2/requests.json",
        params={
            "jurisdiction_id": "trujillo.example",
            "service_code": "a-light",
            "status": "open",
            **PLAZA,
            "radius": "100",
        },
    )
    assert [e["service_request_id"] for e in r.json()] == [str(first)]


def test_staff_see_candidates_and_merge(client, two_cities, smtp):
    original = file(
        client,
        two_cities,
        description="Dark since Monday",
        email="ana@example.org",
        first_name="Ana",
    )
    duplicate = file(
        client, two_cities, description="Lamp out", email="luis@example.org", first_name="Luis"
    )
    far = file(client, two_cities, lat="-8.13", long="-79.05", description="Elsewhere")
    worker = bearer(client, "trujillo", "a-caseworker")
    base = "/api/v1/cities/trujillo/requests"
    candidates = client.get(f"{base}/{duplicate}/duplicates", headers=worker).json()
    assert [c["number"] for c in candidates] == [original]
    assert far not in [c["number"] for c in candidates]

    merged = client.post(f"{base}/{duplicate}/merge", json={"into": original}, headers=worker)
    assert merged.status_code == 200, merged.text
    assert merged.json()["status"] == "duplicate"
    assert merged.json()["duplicate_of"] == original
    # Open311 shows the duplicate closed, with the note why
    entry = client.get(
        f"/open311/v2/requests/{duplicate}.json?jurisdiction_id=trujillo.example"
    ).json()[0]
    assert entry["status"] == "closed"
    assert str(original) in entry["status_notes"]

    # the original moves on: both reporters hear of it, each about their own report
    client.post(
        f"{base}/{original}/status",
        json={"status": "resolved", "note": "Repaired."},
        headers=worker,
    )
    deliver_due(session_factory(), mail_settings(smtp.controller.port))
    # the status mails (the original's reporter is also invited to a satisfaction survey)
    status_mails = [m for m in smtp.messages if m["Subject"].startswith("Su solicitud")]
    luis = [m for m in status_mails if m["To"] == "luis@example.org"]
    ana = [m for m in status_mails if m["To"] == "ana@example.org"]
    assert luis[-1]["Subject"] == f"Su solicitud {original}: Resuelta"
    assert f"como la solicitud {duplicate}" in luis[-1].get_payload(decode=True).decode()
    assert ana[-1]["Subject"] == f"Su solicitud {original}: Resuelta"
    audit = client.get(f"{base}/{original}/audit", headers=worker).json()
    assert "request.duplicate_received" in [a["action"] for a in audit]


def test_merge_rules(client, two_cities):
    one = file(client, two_cities, description="a")
    two = file(client, two_cities, description="b")
    three = file(client, two_cities, description="c")
    worker = {**bearer(client, "trujillo", "a-caseworker"), "Accept-Language": "en"}
    base = "/api/v1/cities/trujillo/requests"
    assert client.post(f"{base}/{one}/merge", json={"into": one}, headers=worker).status_code == 400
    assert client.post(f"{base}/{one}/merge", json={"into": 999}, headers=worker).status_code == 404
    assert client.post(f"{base}/{two}/merge", json={"into": one}, headers=worker).status_code == 200
    chained = client.post(f"{base}/{three}/merge", json={"into": two}, headers=worker)
    assert chained.status_code == 400
    assert "itself a duplicate" in chained.json()["error"]["message"]
