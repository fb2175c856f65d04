"""The JSON API over HTTP: offices, free times, booking (201 with the link and the
invitation), a retry answered as the first time, a taken time answered with the next
ones, bad input named by field, reading and cancelling with the link's token."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from icalendar import Calendar

from tests.appointments.helpers import office_yaml, with_office

BASE = "/api/v1/cities/trujillo/appointments"


def _first_free(client) -> dict:
    answer = client.get(f"{BASE}/slots", params={"service": "id-card", "office": "main"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["minutes"] == 20
    assert body["slots"], "the office has free times in its window"
    first: dict = body["slots"][0]
    return first


def _booking(start: str, **extra: str) -> dict:
    return {
        "service": "id-card",
        "office": "main",
        "start": start,
        "name": "Api Person",
        "email": "api@example.org",
        "language": "es",
        **extra,
    }


def test_book_read_and_cancel_through_the_api(client, engine, two_cities):
    with_office(text=office_yaml(counters=1))
    offices = client.get(f"{BASE}/offices").json()
    assert [o["code"] for o in offices] == ["main"]
    assert {s["code"] for s in offices[0]["services"]} == {"id-card", "certificate"}
    slot = _first_free(client)
    assert datetime.fromisoformat(slot["start"]).utcoffset() is not None  # ISO 8601 with offset
    assert slot["remaining"] == 1
    made = client.post(BASE, json=_booking(slot["start"]))
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["status"] == "booked"
    cal = Calendar.from_ical(body["ics"])
    assert str(cal["method"]) == "REQUEST"
    # a retry of the same request is answered as the first time: one booking
    again = client.post(BASE, json=_booking(slot["start"]))
    assert again.status_code == 201
    assert again.json()["id"] == body["id"]
    assert again.headers.get("idempotent-replayed") == "true"
    # someone else, the same time: taken, with the next free times
    taken = client.post(BASE, json=_booking(slot["start"], email="b@example.org", name="Bee"))
    assert taken.status_code == 409
    assert taken.json()["alternatives"]
    assert all(a["start"] != slot["start"] for a in taken.json()["alternatives"])
    token = parse_qs(urlsplit(body["cancel_url"]).query).get("token") or [
        body["cancel_url"].rsplit("/", 1)[-1]
    ]
    read = client.get(f"{BASE}/{body['id']}", params={"token": token[0]})
    assert read.status_code == 200
    assert read.json()["start"] == body["start"]
    forged = client.delete(f"{BASE}/{body['id']}", params={"token": "f" * 40})
    assert forged.status_code == 404
    gone = client.delete(f"{BASE}/{body['id']}", params={"token": token[0]})
    assert gone.status_code == 200
    assert gone.json()["status"] == "cancelled"
    assert client.delete(f"{BASE}/{body['id']}", params={"token": token[0]}).status_code == 200
    assert _first_free(client)["start"] == slot["start"]  # free again


def test_bad_input_is_named_and_nothing_is_booked(client, engine, two_cities):
    with_office()
    slot = _first_free(client)
    for body, field in (
        (_booking(slot["start"], email="nope"), "email"),
        (_booking(slot["start"], name=""), "name"),
        (_booking(slot["start"], language="fr"), "language"),
        (_booking("2020-01-06T09:00:00-05:00"), "start"),
        (_booking(slot["start"], service="marriage"), "service"),
    ):
        answer = client.post(BASE, json=body)
        assert answer.status_code == 400, (field, answer.text)
        fields = [p["location"] for p in answer.json()["error"]["problems"]]
        assert field in fields, (field, fields)
    assert (
        client.get(
            f"{BASE}/slots", params={"service": "id-card", "office": "main", "from": "2026-13-01"}
        ).status_code
        == 400
    )
    assert (
        client.get(f"{BASE}/slots", params={"service": "id-card", "office": "nowhere"}).status_code
        == 404
    )
    too_long = client.get(
        f"{BASE}/slots",
        params={"service": "id-card", "office": "main", "from": "2027-01-01", "to": "2027-12-31"},
    )
    assert too_long.status_code == 400
    assert _first_free(client)["remaining"] == 2
