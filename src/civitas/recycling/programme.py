"""Recycling: the programme, its materials and zones, the day in the city's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.errors import InvalidInput, Problem
from civitas.core.i18n import N_
from civitas.recycling.models import (
    Association,
    Material,
    Programme,
    Zone,
)

# how far ahead a pickup can be asked for, and the windows residents choose from
MAX_DAYS_AHEAD = 30


WINDOWS = {
    "morning": ("08:00", "12:00"),
    "midday": ("11:00", "14:00"),
    "afternoon": ("14:00", "18:00"),
}


WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)


def _refuse(message: str, problems: list[Problem]) -> None:
    """Refuse the whole input when anything is wrong, naming every problem at once."""
    if problems:
        raise InvalidInput(message, problems=problems, count=len(problems))


def programme(db: Session, city: City) -> Programme:
    """The city's recycling programme (created with its defaults on first use)."""
    enter_city(db, city)
    found = db.scalar(select(Programme))
    if found is None:
        found = Programme()
        db.add(found)
        db.flush()
    return found


def materials(db: Session, city: City, *, active_only: bool = True) -> list[Material]:
    enter_city(db, city)
    stmt = select(Material).order_by(Material.id)
    if active_only:
        stmt = stmt.where(Material.active.is_(True))
    return list(db.scalars(stmt))


def zones(db: Session, city: City) -> list[Zone]:
    enter_city(db, city)
    return list(db.scalars(select(Zone).order_by(Zone.code)))


def zone_at(db: Session, city: City, lat: float, lon: float) -> Zone | None:
    return next((z for z in zones(db, city) if z.contains(lat, lon)), None)


def today(city: City) -> date:
    """The date in the city now (its own time zone)."""
    return datetime.now(ZoneInfo(city.timezone)).date()


def local_clock(day: date, clock: str, zone: ZoneInfo) -> datetime:
    hours, minutes = (int(p) for p in clock.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=zone).astimezone(UTC)


def associations(db: Session, city: City) -> list[Association]:
    enter_city(db, city)
    return list(db.scalars(select(Association).order_by(Association.name)))
