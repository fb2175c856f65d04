"""Recycling: the resident's pickup, checked against the programme's rules, and a day's pickups."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.cases.models import ServiceRequest
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.errors import Problem
from civitas.core.i18n import N_
from civitas.recycling.models import (
    Picker,
    Pickup,
    Zone,
)
from civitas.recycling.programme import (
    MAX_DAYS_AHEAD,
    WEEKDAYS,
    WINDOWS,
    local_clock,
    materials,
    programme,
    zone_at,
    zones,
)


def _where(code: str) -> str:
    return f"attribute[{code}]"


@dataclass(frozen=True)
class PickupAsk:
    materials: list[str]
    estimated_g: int
    day: date
    window_start: datetime
    window_end: datetime
    zone: Zone


def check_pickup(
    db: Session,
    city: City,
    *,
    lat: float | None,
    lon: float | None,
    attributes: dict[str, Any],
    now: datetime,
) -> tuple[PickupAsk | None, list[Problem]]:
    """Every problem with a pickup request at once (the request's own checks come first)."""
    prog = programme(db, city)
    tz = ZoneInfo(city.timezone)
    problems: list[Problem] = []
    known = {m.code for m in materials(db, city)}
    chosen = attributes.get("materials") or []
    if isinstance(chosen, str):
        chosen = [chosen]
    unknown = [m for m in chosen if m not in known]
    if unknown:
        problems.append(
            Problem(
                _where("materials"),
                N_("{city} does not collect: {codes}."),
                {"city": city.name, "codes": ", ".join(unknown)},
            )
        )
    if not chosen:
        problems.append(Problem(_where("materials"), N_("Choose at least one material.")))
    weight = attributes.get("weight_kg")
    estimated_g = 0
    if weight is None or weight == "":
        problems.append(
            Problem(_where("weight_kg"), N_("Say about how many kilograms you have, e.g. 5."))
        )
    else:
        kg = float(weight)
        if kg <= 0:
            problems.append(Problem(_where("weight_kg"), N_("The weight must be more than 0 kg.")))
        elif kg > prog.max_pickup_kg:
            problems.append(
                Problem(
                    _where("weight_kg"),
                    N_(
                        "A pickup takes at most {max} kg; for more, call the city to "
                        "arrange a truck."
                    ),
                    {"max": prog.max_pickup_kg},
                )
            )
        else:
            estimated_g = round(kg * 1000)
    zone = None
    if lat is not None and lon is not None:
        zone = zone_at(db, city, lat, lon)
        if zone is None and city.contains(lat, lon):
            problems.append(
                Problem(
                    "location",
                    N_(
                        "There is no recycling collection at this place yet: the zones are {zones}."
                    ),
                    {"zones": ", ".join(z.name for z in zones(db, city)) or "—"},
                )
            )
    elif lat is None:
        problems.append(
            Problem(
                "location",
                N_("A pickup needs a point on the map (lat and long), so a picker can find it."),
            )
        )
    today = now.astimezone(tz).date()
    day = today
    raw_day = attributes.get("pickup_date")
    if raw_day:
        try:
            day = _day_of(raw_day, tz)
        except ValueError:
            problems.append(
                Problem(_where("pickup_date"), N_("Give the date as YYYY-MM-DD, e.g. 2026-12-04."))
            )
    window_key = str(attributes.get("time_window") or "morning")
    if window_key not in WINDOWS:
        problems.append(
            Problem(
                _where("time_window"),
                N_("Choose one of: {choices}."),
                {"choices": ", ".join(WINDOWS)},
            )
        )
        window_key = "morning"
    start_clock, end_clock = WINDOWS[window_key]
    if day < today:
        problems.append(
            Problem(_where("pickup_date"), N_("This date has passed: choose today or a later day."))
        )
    elif day > today + timedelta(days=MAX_DAYS_AHEAD):
        problems.append(
            Problem(
                _where("pickup_date"),
                N_("Pickups can be asked for up to {days} days ahead."),
                {"days": MAX_DAYS_AHEAD},
            )
        )
    start = local_clock(day, start_clock, tz)
    end = local_clock(day, end_clock, tz)
    if day == today and end <= now:
        problems.append(
            Problem(
                _where("time_window"),
                N_("This time window is already over today: choose a later one."),
            )
        )
    if zone is not None and not problems:
        problems += _window_problems(db, city, zone, day, start_clock, end_clock)
    if problems or zone is None:
        return None, problems
    return PickupAsk(chosen, estimated_g, day, start, end, zone), []


def _day_of(value: object, tz: ZoneInfo) -> date:
    """The local date of an attribute value: a date, or a datetime (Open311 sends those)."""
    if isinstance(value, datetime):
        return value.astimezone(tz).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    return (
        date.fromisoformat(text) if len(text) == 10 else _day_of(datetime.fromisoformat(text), tz)
    )


def _window_problems(
    db: Session, city: City, zone: Zone, day: date, start: str, end: str
) -> list[Problem]:
    """A window no verified picker of the zone can serve is refused, with the days that work."""
    working = list(
        db.scalars(select(Picker).where(Picker.zone_id == zone.id, Picker.status == "verified"))
    )
    if not working:
        return [
            Problem(
                "location",
                N_(
                    "No verified waste picker works in {zone} yet, so no pickup can be "
                    "planned there."
                ),
                {"zone": zone.name},
            )
        ]
    weekday = day.weekday()
    if zone.collection_days and weekday not in zone.collection_days:
        return [
            Problem(
                _where("pickup_date"),
                N_("{zone} is collected on {days}; {date} is not one of them."),
                {
                    "zone": zone.name,
                    "days": ", ".join(WEEKDAYS[d] for d in zone.collection_days),
                    "date": day.isoformat(),
                },
            )
        ]
    on_day = [p for p in working if weekday in p.working_days]
    fits = [p for p in on_day if p.shift_start < end and start < p.shift_end]
    if not fits:
        hours = sorted({f"{p.shift_start}–{p.shift_end}" for p in on_day}) or ["—"]
        return [
            Problem(
                _where("time_window"),
                N_("No picker of {zone} works in this window on {date}; they work {hours}."),
                {"zone": zone.name, "date": day.isoformat(), "hours": ", ".join(hours)},
            )
        ]
    return []


def contact_of(request: ServiceRequest) -> str | None:
    if request.email:
        return request.email.strip().lower()
    if request.phone:
        return "".join(ch for ch in request.phone if ch.isdigit() or ch == "+")
    return None


def pickup_of_request(db: Session, city: City, *, request_id: int) -> Pickup | None:
    enter_city(db, city)
    return db.scalar(select(Pickup).where(Pickup.request_id == request_id))


def requests_of(db: Session, city: City, request_ids: Iterable[int]) -> dict[int, ServiceRequest]:
    """The service requests behind pickups (for their numbers and addresses), by id."""
    enter_city(db, city)
    ids = set(request_ids)
    if not ids:
        return {}
    found = db.scalars(select(ServiceRequest).where(ServiceRequest.id.in_(ids)))
    return {r.id: r for r in found}


def pickups_of_day(db: Session, city: City, *, day: date) -> list[Pickup]:
    enter_city(db, city)
    return list(
        db.scalars(
            select(Pickup)
            .where(Pickup.day == day)
            .order_by(Pickup.picker_id, Pickup.sequence, Pickup.id)
        )
    )
