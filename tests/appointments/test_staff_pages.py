"""The office's pages over HTTP: the hotline books for a caller, the front desk gives a
ticket and checks an appointment in, a counter calls, calls again, marks a visit missed,
serves and transfers it; the kiosk checks in by reference; the display's data; changing
an appointment's time through the resident's link. Each refusal is named and changes
nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from civitas.appointments import booking, calendar
from civitas.appointments.models import Appointment, Counter, Ticket
from civitas.appointments.offices import office_by_code
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope, utcnow
from civitas.notifications.models import OutboxMessage
from tests.appointments.helpers import office_yaml, with_office
from tests.factories import form_token, session_cookie

CITY = "trujillo"
ALL_DAY = '{days: [mo, tu, we, th, fr, sa, su], opens: "00:00", closes: "23:50"}'


@pytest.fixture(autouse=True)
def _in_daytime(daytime: Any, two_cities: Any) -> None:
    """Today's office hours are these tests' subject: never run them in a day's last
    minutes (see the ``daytime`` fixture)."""
    daytime(CITY)


def _open_office() -> None:
    with session_scope() as db:
        city = get_city_by_slug(db, CITY)
        today = calendar.local_now(city, utcnow()).date()
    exceptions = "\n".join(
        f'  - {{date: {today + timedelta(days=n)}, opens: "00:00", closes: "23:50"}}'
        for n in range(2)
    )
    with_office(
        CITY,
        office_yaml(
            counters=2,
            hours=ALL_DAY,
            booking="  min_notice_minutes: 0",
            exceptions=exceptions,
        ),
    )


def _staff(client: Any, user: str) -> None:
    client.cookies.clear()
    client.cookies.update(session_cookie(client, CITY, user))


def _post(client: Any, path: str, data: dict[str, Any] | None = None) -> Any:
    csrf = form_token(client, f"/{CITY}/staff/offices?lang=en")
    return client.post(path, data={"csrf": csrf, **(data or {})}, follow_redirects=False)


def test_the_hotline_books_for_a_caller(client, engine, two_cities):
    _open_office()
    _staff(client, "a-agent")
    page = client.get(f"/{CITY}/staff/offices/main/book?service=certificate&lang=en")
    assert page.status_code == 200
    start = re.search(r'name="start" value="([^"]+)"', page.text)
    assert start is not None
    refused = _post(
        client,
        f"/{CITY}/staff/offices/main/book?lang=en",
        {"service": "certificate", "start": start.group(1), "name": "", "email": "caller"},
    )
    assert refused.status_code == 400
    assert "Enter an e-mail address like name@example.org." in refused.text
    made = _post(
        client,
        f"/{CITY}/staff/offices/main/book?lang=en",
        {
            "service": "certificate",
            "start": start.group(1),
            "name": "Carla Caller",
            "email": "carla@example.org",
            "language": "es",
        },
    )
    assert made.status_code == 303, made.text
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, CITY))
        found = db.scalars(select(Appointment)).all()
        assert [(a.channel, a.booked_by, a.status) for a in found] == [
            ("hotline", "user:a-agent", "booked")
        ]
        assert db.scalar(
            select(OutboxMessage).where(OutboxMessage.recipient == "carla@example.org")
        )


def test_desk_counter_kiosk_and_display(client, engine, two_cities):
    _open_office()
    with session_scope() as db:
        city = get_city_by_slug(db, CITY)
        enter_city(db, city)
        office = office_by_code(db, city, "main")
        now = utcnow()
        today = calendar.local_now(city, now).date()
        slots = calendar.free_slots(db, city, office, "id-card", 20, today, today, now=now)
        made = booking.book(
            db,
            city,
            office=office,
            services=["id-card"],
            start=slots[-1].start,
            name="Kiko Kiosk",
            email="kiko@example.org",
            language="es",
            channel="staff",
            now=now,
        )
        reference = made.reference
        counters = {c.code: c.id for c in db.scalars(select(Counter))}
    _staff(client, "a-caseworker")
    desk = f"/{CITY}/staff/offices/main"
    # a ticket for a service the office does not offer: named, nothing written
    refused = _post(client, f"{desk}/tickets?lang=en", {"service": "marriage"})
    assert refused.status_code == 400
    assert "does not offer" in refused.text
    walk_in = _post(client, f"{desk}/tickets?lang=en", {"service": "certificate"})
    assert walk_in.status_code == 303
    assert "ticket=" in walk_in.headers["location"]
    # the kiosk checks the appointment in by its reference (a wrong one is named)
    client.cookies.clear()
    csrf = form_token(client, f"/{CITY}/offices/main/kiosk?lang=en")
    wrong = client.post(
        f"/{CITY}/offices/main/kiosk/check-in?lang=en",
        data={"csrf": csrf, "reference": "NOPE1234"},
        follow_redirects=False,
    )
    assert wrong.status_code == 400
    assert "confirmation e-mail" in wrong.text
    checked = client.post(
        f"/{CITY}/offices/main/kiosk/check-in?lang=en",
        data={"csrf": csrf, "reference": reference.lower()},
        follow_redirects=False,
    )
    assert checked.status_code == 303
    follow = client.get(checked.headers["location"])
    assert follow.status_code == 200
    assert "people are before you" in follow.text or "person is before you" in follow.text
    # a counter: finish with nobody there is refused; call, again, missed, call, transfer
    _staff(client, "a-caseworker")
    one = f"{desk}/counters/{counters['1']}"
    assert _post(client, f"{one}/finish?lang=en").status_code == 400
    assert _post(client, f"{one}/next?lang=en").status_code == 303
    assert _post(client, f"{one}/again?lang=en").status_code == 303
    display = client.get(f"/{CITY}/offices/main/display.json?lang=es").json()
    assert display["calls"][0]["counter"] == "Ventanilla 1"
    assert _post(client, f"{one}/missed?lang=en").status_code == 303
    assert _post(client, f"{one}/next?lang=en").status_code == 303
    assert _post(client, f"{one}/start?lang=en").status_code == 303
    nowhere = _post(client, f"{one}/transfer?lang=en", {"to": ""})
    assert nowhere.status_code == 400
    moved = _post(client, f"{one}/transfer?lang=en", {"to": f"counter:{counters['2']}"})
    assert moved.status_code == 303
    page = client.get(f"{desk}/counters/{counters['2']}?lang=en")
    assert page.status_code == 200
    assert _post(client, f"{desk}/counters/{counters['2']}/next?lang=en").status_code == 303
    assert _post(client, f"{desk}/counters/{counters['2']}/finish?lang=en").status_code == 303
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, CITY))
        tickets = {t.kind: t for t in db.scalars(select(Ticket))}
        assert tickets["walk_in"].status == "no_show"
        assert tickets["appointment"].status == "done"
        assert tickets["appointment"].transfers == 1
        assert tickets["appointment"].calls == 2
        assert db.scalar(select(Appointment.status)) == "done"
    # a field worker may not work a counter
    _staff(client, "a-fieldworker")
    assert client.get(f"{one}?lang=en").status_code == 403


def test_a_resident_changes_the_time_through_the_link(client, engine, two_cities):
    _open_office()
    with session_scope() as db:
        city = get_city_by_slug(db, CITY)
        enter_city(db, city)
        office = office_by_code(db, city, "main")
        now = utcnow()
        day = calendar.local_now(city, now).date() + timedelta(days=1)
        slots = calendar.free_slots(db, city, office, "id-card", 20, day, day, now=now)
        made = booking.book(
            db,
            city,
            office=office,
            services=["id-card"],
            start=slots[0].start,
            name="Mara Move",
            email="mara@example.org",
            language="en",
            channel="online",
            now=now,
        )
        link = booking.link_for(city, made).split("civitas.test")[-1]
        appointment_id = made.id
    page = client.get(f"{link}/change?lang=en")
    assert page.status_code == 200
    times = re.findall(r'name="start" value="([^"]+)"', page.text)
    csrf = form_token(client, f"{link}/change?lang=en")
    bad = client.post(f"{link}/change?lang=en", data={"csrf": csrf, "start": "2020-01-01T09:00:00"})
    assert bad.status_code == 400
    assert "has passed" in bad.text
    done = client.post(
        f"{link}/change?lang=en", data={"csrf": csrf, "start": times[3]}, follow_redirects=False
    )
    assert done.status_code == 303
    assert "done=moved" in done.headers["location"]
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, CITY))
        moved = db.get(Appointment, appointment_id)
        assert moved is not None
        assert moved.sequence == 1
        assert moved.start.isoformat() != slots[0].start.isoformat()
        kinds = sorted(
            m.dedupe_key.split(":")[2]
            for m in db.scalars(
                select(OutboxMessage).where(OutboxMessage.recipient == "mara@example.org")
            )
        )
        assert kinds == ["booked", "moved"]
