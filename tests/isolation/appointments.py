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
    from civitas.appointments.offices import counters_of, office_by_code
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
            # from tomorrow: the front desk refuses to check in an appointment of another
            # day (409), whatever the hour of the run
            db,
            city,
            office,
            "id-card",
            20,
            today + timedelta(days=1),
            today + timedelta(days=15),
            now=now,
            limit=1,
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
        MADE.update(appointment=str(made.id), counter=str(counters_of(db, city, office)[0].id))


def _ref(w: Any) -> dict[str, Any]:
    return {"reference": MADE.get("reference", "AAAAAAAA")}


def _own(w: Any) -> dict[str, Any]:
    """The appointment's page with a token that is not its own."""
    return {**_ref(w), "token": "0" * 40}


def _counter(w: Any) -> dict[str, Any]:
    return {"office": "main", "counter_id": MADE.get("counter", "1")}


MAIN = {"office": "main"}
SMALL_OFFICE = (
    "code: main\nname: {en: Main office}\naddress: Plaza Mayor 1\nlat: -8.11\nlon: -79.03\n"
    'hours:\n  - {days: [mo], opens: "08:00", closes: "12:00"}\n'
    'counters:\n  - {code: "1", name: {en: Counter 1}}\n'
    "services:\n  - {service: id-card, minutes: 20}\n"
)


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
    # the resident's pages: a link with a wrong token is nobody's
    ("GET", "/{city}/appointments"): Case(200, setup=office_world),
    ("GET", "/{city}/appointments/book"): Case(
        200, request=lambda w: {"params": {"service": "id-card"}}, setup=office_world
    ),
    ("POST", "/{city}/appointments/book"): Case(403, auth="cookie"),
    ("GET", "/{city}/appointment/{reference}/{token}"): Case(404, params=_own, setup=office_world),
    ("GET", "/{city}/appointment/{reference}/{token}/appointment.ics"): Case(
        404, params=_own, setup=office_world
    ),
    ("GET", "/{city}/appointment/{reference}/{token}/change"): Case(
        404, params=_own, setup=office_world
    ),
    ("GET", "/{city}/appointment/{reference}/{token}/confirm"): Case(
        404, params=_own, setup=office_world
    ),
    ("POST", "/{city}/appointment/{reference}/{token}/cancel"): Case(
        403, auth="cookie", params=_own
    ),
    ("POST", "/{city}/appointment/{reference}/{token}/change"): Case(
        403, auth="cookie", params=_own
    ),
    ("POST", "/{city}/appointment/{reference}/{token}/confirm"): Case(
        403, auth="cookie", params=_own
    ),
    ("GET", "/{city}/ticket/{ticket_id}/{token}"): Case(
        404, params=lambda w: {"ticket_id": 1, "token": "0" * 32}
    ),
    # the office's kiosk and display
    ("GET", "/{city}/offices/{office}/kiosk"): Case(200, params=lambda w: MAIN, setup=office_world),
    ("POST", "/{city}/offices/{office}/kiosk"): Case(403, auth="cookie", params=lambda w: MAIN),
    ("POST", "/{city}/offices/{office}/kiosk/check-in"): Case(
        403, auth="cookie", params=lambda w: MAIN
    ),
    ("GET", "/{city}/offices/{office}/display"): Case(
        200, params=lambda w: MAIN, setup=office_world
    ),
    ("GET", "/{city}/offices/{office}/display.json"): Case(
        200, params=lambda w: MAIN, setup=office_world
    ),
    # the office's staff
    ("GET", "/{city}/staff/offices"): Case(200, auth="cookie", setup=office_world),
    ("GET", "/{city}/staff/offices/{office}"): Case(
        200, auth="cookie", params=lambda w: MAIN, setup=office_world
    ),
    ("POST", "/{city}/staff/offices/{office}/tickets"): Case(
        400,
        auth="cookie",
        params=lambda w: MAIN,
        request=lambda w: {"data": {"service": "not-offered"}},
        extra={"csrf": True},
        setup=office_world,
    ),
    ("POST", "/{city}/staff/offices/{office}/check-in"): Case(
        409,  # the sample appointment is on another day
        auth="cookie",
        params=lambda w: MAIN,
        request=lambda w: {"data": {"appointment": MADE.get("appointment", "1")}},
        extra={"csrf": True},
        setup=office_world,
    ),
    ("GET", "/{city}/staff/offices/{office}/book"): Case(
        200, auth="cookie", params=lambda w: MAIN, setup=office_world
    ),
    ("POST", "/{city}/staff/offices/{office}/book"): Case(
        400,
        auth="cookie",
        params=lambda w: MAIN,
        request=lambda w: {"data": {"service": "id-card", "start": "", "name": "A", "email": "x"}},
        extra={"csrf": True},
        setup=office_world,
    ),
    ("GET", "/{city}/staff/offices/{office}/counters/{counter_id}"): Case(
        200, auth="cookie", params=_counter, setup=office_world
    ),
    ("POST", "/{city}/staff/offices/{office}/counters/{counter_id}/{action}"): Case(
        400,  # nobody is at the counter to finish
        auth="cookie",
        params=lambda w: {**_counter(w), "action": "finish"},
        extra={"csrf": True},
        setup=office_world,
    ),
    ("GET", "/{city}/staff/offices/{office}/edit"): Case(
        200, auth="cookie", params=lambda w: MAIN, setup=office_world
    ),
    ("POST", "/{city}/staff/offices/{office}/edit"): Case(
        200,
        auth="cookie",
        params=lambda w: MAIN,
        request=lambda w: {"data": {"text": SMALL_OFFICE, "action": "check"}},
        extra={"csrf": True},
        setup=office_world,
    ),
}

PUBLIC: set[str] = {
    "/api/v1/cities/{city}/appointments/offices",
    "/api/v1/cities/{city}/appointments/slots",
    "/api/v1/cities/{city}/appointments",
    "/api/v1/cities/{city}/appointments/{reference}",
    "/{city}/appointments",
    "/{city}/appointments/book",
    "/{city}/appointment/{reference}/{token}",
    "/{city}/appointment/{reference}/{token}/appointment.ics",
    "/{city}/appointment/{reference}/{token}/change",
    "/{city}/appointment/{reference}/{token}/confirm",
    "/{city}/ticket/{ticket_id}/{token}",
    "/{city}/offices/{office}/kiosk",
    "/{city}/offices/{office}/display",
    "/{city}/offices/{office}/display.json",
}
