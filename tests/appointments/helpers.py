"""Set-up for the appointment tests: two services and an office open every day, with
a clock the tests set (the functions take ``now``)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from civitas.appointments.models import Office
from civitas.appointments.offices import office_by_code, save_office
from civitas.catalogue.service import save_service
from civitas.cities.models import City
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope
from tests.factories import service_data

SERVICES = ("id-card", "certificate")


def office_yaml(
    code: str = "main",
    *,
    counters: int = 2,
    walk_in_only: int = 0,
    hours: str = '{days: [mo, tu, we, th, fr, sa, su], opens: "08:00", closes: "12:00"}',
    booking: str = "",
    exceptions: str = "",
) -> str:
    lines = [
        f"code: {code}",
        "name: {en: Main office, es: Oficina principal, de: Hauptbüro}",
        "address: Plaza Mayor 1",
        "lat: -8.11",
        "lon: -79.03",
        "email: office@city.example",
        "hours:",
        f"  - {hours}",
        "counters:",
    ]
    for n in range(1, counters + 1):
        lines.append(f'  - {{code: "{n}", name: {{en: Counter {n}, es: Ventanilla {n}}}}}')
    for n in range(counters + 1, counters + walk_in_only + 1):
        lines.append(f'  - {{code: "{n}", name: {{en: Counter {n}}}, appointments: false}}')
    lines += [
        "services:",
        "  - {service: id-card, minutes: 20, letter: A}",
        "  - {service: certificate, minutes: 10, letter: B}",
    ]
    if exceptions:
        lines += ["exceptions:", exceptions]
    lines += ["booking:", "  slot_minutes: 10", '  release_at: ["00:00"]']
    if booking:
        lines.append(booking)
    return "\n".join(lines) + "\n"


def with_office(slug: str = "trujillo", text: str | None = None) -> City:
    with session_scope() as db:
        city = get_city_by_slug(db, slug)
        enter_city(db, city)
        for code in SERVICES:
            data = service_data(code, city.currency, channels=["office"], open311={})
            save_service(db, city, data=data, actor="test")
        save_office(db, city, text=text or office_yaml(), actor="test")
    return city


def office(db: object, city: City, code: str = "main") -> Office:
    return office_by_code(db, city, code)  # type: ignore[arg-type]


def local(city: City, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A local wall-clock time of the city, as an aware instant in UTC."""
    zone = ZoneInfo(city.timezone)
    return datetime(year, month, day, hour, minute, tzinfo=zone).astimezone(UTC)
