"""No start is ever booked over its places, whatever the concurrency: 32 clients race for
the last 5 places (on the database the suite runs on: SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import date

from sqlalchemy import func, select

from civitas.appointments import booking, calendar
from civitas.appointments.models import Appointment
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope
from tests.appointments.helpers import local, office, office_yaml, with_office

CLIENTS = 32
PLACES = 5


def test_32_clients_race_for_the_last_5_places(engine, two_cities):
    with_office(text=office_yaml(counters=PLACES))
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        now = local(city, 2027, 3, 1, 7, 0)
        start = local(city, 2027, 3, 2, 9, 0)
    barrier = threading.Barrier(CLIENTS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        barrier.wait()
        try:
            with session_scope() as db:
                here = get_city_by_slug(db, "trujillo")
                booking.book(
                    db,
                    here,
                    office=office(db, here),
                    services=["id-card"],
                    start=start,
                    name=f"Client {n}",
                    email=f"client{n}@example.org",
                    language="es",
                    channel="online",
                    now=now,
                )
            result = "booked"
        except booking.SlotTaken as taken:
            result = "taken" if taken.alternatives else "taken, no alternatives"
        except Exception as exc:
            result = f"{type(exc).__name__}: {exc}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(set(outcomes)) == ["booked", "taken"], outcomes
    assert outcomes.count("booked") == PLACES
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        enter_city(db, city)
        assert (
            db.scalar(select(func.count(Appointment.id)).where(Appointment.start == start))
            == PLACES
        )
        free = calendar.free_slots(
            db, city, office(db, city), "id-card", 20, date(2027, 3, 2), date(2027, 3, 2), now=now
        )
        assert all(s.start != start for s in free)
