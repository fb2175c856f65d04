"""When an office is open and which start times are free.

The day is cut into units of ``slot_minutes`` from each opening; a visit of M minutes
takes ceil(M / slot_minutes) consecutive units of one opening. Each unit has as many
places as the office has counters taking appointments; a service that only some counters
serve has as many as those, within the same pool. A day enters the booking window
``days_ahead`` days before, its places released in stages at ``release_at`` times of
that first day (not all at midnight, when the bots wait). Public holidays (the
``holidays`` package, for the city's country and the office's region) and the office's
exceptions close it or change its hours."""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from civitas.appointments.models import Appointment, Counter, Office
from civitas.appointments.offices import counters_of, definition_of
from civitas.appointments.schemas import OfficeDefinition
from civitas.cities.models import City
from civitas.cities.service import enter_city

DAY_CODES = ("mo", "tu", "we", "th", "fr", "sa", "su")
HOLIDAY_LANGUAGE = {"es": "es", "de": "de", "en": "en_US"}
# an appointment takes its places while held (unexpired), booked or being served
TAKING = ("booked", "checked_in", "done")


@functools.lru_cache(maxsize=64)
def _holidays(country: str, region: str | None, year: int, language: str) -> dict[date, str]:
    try:
        found = holidays.country_holidays(country, subdiv=region, years=year, language=language)
    except (NotImplementedError, KeyError):  # a country or region the package lacks
        return {}
    return dict(found.items())


def holiday(city: City, spec: OfficeDefinition, day: date, lang: str = "en") -> str | None:
    """The public holiday's name on that day where the office is, if any."""
    language = HOLIDAY_LANGUAGE.get(lang, "en_US")
    return _holidays(city.country, spec.holiday_region, day.year, language).get(day)


def openings(city: City, spec: OfficeDefinition, day: date) -> list[tuple[time, time]]:
    """The office's opening hours that day (none: closed)."""
    for exception in spec.exceptions:
        if exception.date == day:
            if exception.closed or exception.opens is None or exception.closes is None:
                return []
            return [(exception.opens, exception.closes)]
    if holiday(city, spec, day) is not None:
        return []
    code = DAY_CODES[day.weekday()]
    return sorted((h.opens, h.closes) for h in spec.hours if code in h.days)


def units_of(spec: OfficeDefinition, opens: time, closes: time) -> list[int]:
    """The minute of the day each unit of one opening starts at."""
    step = spec.booking.slot_minutes
    first = opens.hour * 60 + opens.minute
    last = closes.hour * 60 + closes.minute
    return list(range(first, last - step + 1, step))


def released_share(spec: OfficeDefinition, day: date, now_local: datetime) -> float:
    """The share of a day's places open for booking now: 0 before its first day in the
    window, each release stage's part during that day, all after."""
    booking = spec.booking
    first = day - timedelta(days=booking.days_ahead)
    today = now_local.date()
    if today < first:
        return 0.0
    if today > first:
        return 1.0
    stages = booking.release_at
    done = sum(1 for t in stages if t <= now_local.time().replace(tzinfo=None))
    return done / len(stages)


def released(places: int, share: float) -> int:
    return math.ceil(places * share - 1e-9)


@dataclass(frozen=True)
class Capacity:
    """Places per unit: the office's pool, and what a service's own counters allow."""

    pool: int
    service: int


def capacity(spec: OfficeDefinition, counters: Iterable[Counter], service: str) -> Capacity:
    taking = [c for c in counters if c.active and c.appointments]
    serving = [c for c in taking if not c.services or service in c.services]
    return Capacity(pool=len(taking), service=len(serving))


def restricted(counters: Iterable[Counter]) -> bool:
    return any(c.services for c in counters if c.active and c.appointments)


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware, in the city's zone
    remaining: int


@dataclass
class Usage:
    """Places taken per (day, unit minute): in the pool, and by service code."""

    pool: dict[tuple[date, int], int]
    by_service: dict[tuple[date, int, str], int]


def usage(
    db: Session,
    city: City,
    office: Office,
    spec: OfficeDefinition,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    excluding: int | None = None,
    with_services: bool = True,
) -> Usage:
    """Places taken between two instants: booked, being served, or held and unexpired."""
    enter_city(db, city)
    zone = ZoneInfo(city.timezone)
    step = spec.booking.slot_minutes
    columns: list[Any] = [Appointment.start, Appointment.end]
    if with_services:
        columns.append(Appointment.services)
    stmt = select(*columns).where(
        Appointment.tenant_id == city.id,  # read below the ORM (speed): the city by hand
        Appointment.office_id == office.id,
        Appointment.start < end,
        Appointment.end > start,
        or_(
            Appointment.status.in_(TAKING),
            and_(Appointment.status == "held", Appointment.hold_expires_at > now),
        ),
    )
    if excluding is not None:
        stmt = stmt.where(Appointment.id != excluding)
    pool: dict[tuple[date, int], int] = defaultdict(int)
    by_service: dict[tuple[date, int, str], int] = defaultdict(int)
    openings_cache: dict[date, list[tuple[int, int]]] = {}
    # the span's bookings as plain rows (thousands over three months: the ORM's row
    # handling would cost more than the count itself)
    for row in db.connection().execute(stmt):
        local_start = row[0].astimezone(zone)
        day = local_start.date()
        if day not in openings_cache:
            openings_cache[day] = [
                (o.hour * 60 + o.minute, c.hour * 60 + c.minute)
                for o, c in openings(city, spec, day)
            ] or [(0, 24 * 60)]
        a = local_start.hour * 60 + local_start.minute
        b = a + max(1, round((row[1] - row[0]).total_seconds() / 60))
        codes = [s["code"] for s in row[2] or []] if with_services else []
        for opens, closes in openings_cache[day]:
            # the units of this opening that [a, b) overlaps, found by arithmetic
            last_unit = opens + ((closes - opens - step) // step) * step
            first = max(opens, opens + ((a - opens) // step) * step)
            unit = first
            while unit <= last_unit and unit < b:
                if unit + step > a:
                    pool[(day, unit)] += 1
                    for code in codes:
                        by_service[(day, unit, code)] += 1
                unit += step
    return Usage(pool, by_service)


def local_now(city: City, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(city.timezone))


def at(city: City, day: date, minute: int) -> datetime:
    """The aware instant of a minute of a local day (fold 0 when a clock change repeats it)."""
    zone = ZoneInfo(city.timezone)
    naive = datetime.combine(day, time(minute // 60, minute % 60))
    return naive.replace(tzinfo=zone)


def free_slots(
    db: Session,
    city: City,
    office: Office,
    service: str,
    minutes: int,
    first: date,
    last: date,
    *,
    now: datetime,
    counters: list[Counter] | None = None,
    excluding: int | None = None,
    limit: int | None = None,
) -> list[Slot]:
    """Every start time from ``first`` to ``last`` (local days) at which a visit of
    ``minutes`` for ``service`` fits, with how many such visits could still start then."""
    spec = definition_of(office)
    booking = spec.booking
    counters = counters if counters is not None else counters_of(db, city, office)
    places = capacity(spec, counters, service)
    if places.service == 0:
        return []
    now_here = local_now(city, now)
    earliest = now + timedelta(minutes=booking.min_notice_minutes)
    window_end = now_here.date() + timedelta(days=booking.days_ahead)
    first = max(first, now_here.date())
    last = min(last, window_end)
    if last < first:
        return []
    span_start = at(city, first, 0).astimezone(UTC)
    span_end = at(city, last + timedelta(days=1), 0).astimezone(UTC)
    check_service = restricted(counters)
    taken = usage(
        db,
        city,
        office,
        spec,
        span_start,
        span_end,
        now,
        excluding=excluding,
        with_services=check_service,
    )
    step = booking.slot_minutes
    need = max(1, math.ceil(minutes / step))
    found: list[Slot] = []
    day = first
    while day <= last:
        share = released_share(spec, day, now_here)
        if share > 0:
            pool_cap = released(places.pool, share)
            service_cap = released(places.service, share)
            for opens, closes in openings(city, spec, day):
                units = units_of(spec, opens, closes)
                for i in range(len(units) - need + 1):
                    run = units[i : i + need]
                    start = at(city, day, run[0])
                    if start < earliest:
                        continue
                    left = min(pool_cap - taken.pool.get((day, u), 0) for u in run)
                    if check_service:
                        left = min(
                            left,
                            min(
                                service_cap - taken.by_service.get((day, u, service), 0)
                                for u in run
                            ),
                        )
                    if left > 0:
                        found.append(Slot(start, left))
                        if limit is not None and len(found) >= limit:
                            return found
        day += timedelta(days=1)
    return found


def places_left(
    db: Session,
    city: City,
    office: Office,
    service: str,
    minutes: int,
    start: datetime,
    *,
    now: datetime,
    excluding: int | None = None,
) -> int:
    """How many more visits could start at ``start`` (a start the office offers: the
    caller checked it), counting only the bookings that overlap the visit. This is what
    runs while the office's day is locked, so it reads as little as it can."""
    spec = definition_of(office)
    counters = counters_of(db, city, office)
    places = capacity(spec, counters, service)
    local = start.astimezone(ZoneInfo(city.timezone))
    share = released_share(spec, local.date(), local_now(city, now))
    step = spec.booking.slot_minutes
    first = local.hour * 60 + local.minute
    run = list(range(first, first + max(1, math.ceil(minutes / step)) * step, step))
    check_service = restricted(counters)
    taken = usage(
        db,
        city,
        office,
        spec,
        start,
        start + timedelta(minutes=minutes),
        now,
        excluding=excluding,
        with_services=check_service,
    )
    day = local.date()
    left = min(released(places.pool, share) - taken.pool.get((day, u), 0) for u in run)
    if check_service:
        cap = released(places.service, share)
        left = min(left, min(cap - taken.by_service.get((day, u, service), 0) for u in run))
    return left


def next_free(
    db: Session, city: City, office: Office, service: str, minutes: int, *, now: datetime
) -> Slot | None:
    spec = definition_of(office)
    today = local_now(city, now).date()
    slots = free_slots(
        db,
        city,
        office,
        service,
        minutes,
        today,
        today + timedelta(days=spec.booking.days_ahead),
        now=now,
        limit=1,
    )
    return slots[0] if slots else None
