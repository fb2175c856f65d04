"""The isolation walk's sample requests for appointments (tests/test_isolation.py). City
A gets an office with two services and one booked appointment (MADE). Booking is open to
anyone, so the sample booking is one every caller is refused (an address that is none)
and changes nothing; reading and cancelling need the link's token, here a wrong one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.isolation import Case

MADE: dict[str, str] = {}


def office_world(world: Any) -> None:
    from civitas.appointments import booking, calendar
    from civitas.appointments.offices import office_by_code
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope, utcnow
    from tests.appointments.helpers import with_office

    with_office(world.slug)
    with session_scope() as db:
        city = get_city_by_slug(db, world.slug)
        office = office_by_code(db, city, "main")
        now = utcnow()
        today = calendar.local_now(city, now).date()
        free = calendar.free_slots(
            db, city, office, "id-card", 20, today, today + timedelta(days=14), now=now, limit=1
        )
        made = booking.book(
            db,
            city,
            office=office,
            services=["id-card"],
            start=free[0].start,
            name="Iso Tester",
            email="iso@example.org",
            language="en",
            channel="staff",
            now=now,
        )
        MADE.update(reference=made.reference, token=booking.token_for(city, made))


def _ref(w: Any) -> dict[str, Any]:
    return {"reference": MADE.get("reference", "AAAAAAAA")}


WRONG_TOKEN = {"params": {"token": "0" * 40}}

ROUTES: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/cities/{city}/appointments/offices"): Case(200, setup=office_world),
    ("GET", "/api/v1/cities/{city}/appointments/slots"): Case(
        200,
        request=lambda w: {"params": {"service": "id-card", "office": "main"}},
        setup=office_world,
    ),
    ("POST", "/api/v1/cities/{city}/appointments"): Case(
        400,
        request=lambda w: {
            "json": {
                "service": "id-card",
                "office": "main",
                "start": "2030-01-07T09:00:00",
                "name": "Someone",
                "email": "not an address",
                "language": "en",
            }
        },
        setup=office_world,
    ),
    ("GET", "/api/v1/cities/{city}/appointments/{reference}"): Case(
        404, params=_ref, request=lambda w: WRONG_TOKEN, setup=office_world
    ),
    ("DELETE", "/api/v1/cities/{city}/appointments/{reference}"): Case(
        404, params=_ref, request=lambda w: WRONG_TOKEN, setup=office_world
    ),
}

PUBLIC: set[str] = {
    "/api/v1/cities/{city}/appointments/offices",
    "/api/v1/cities/{city}/appointments/slots",
    "/api/v1/cities/{city}/appointments",
    "/api/v1/cities/{city}/appointments/{reference}",
}
