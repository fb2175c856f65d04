"""Appointments' background work: every minute, holds that ran out expire and
appointments nobody came to are marked as missed; every hour, tomorrow's reminders; each
night, who came to appointments long past is erased; each morning, the days until the
next free slot per office and service (a KPI's measure)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import structlog
from huey import crontab
from sqlalchemy.orm import Session

from civitas.appointments import booking, queue
from civitas.appointments.snapshots import measure
from civitas.cities import service as cities_service
from civitas.cities.models import City
from civitas.core.jobs import huey

log = structlog.get_logger("civitas.jobs")


def each_city(work: Callable[[Session, City, datetime], int]) -> int:
    return cities_service.each_city("appointments", work)


def _tidy(db: Session, city: City, now: datetime) -> int:
    return booking.expire_holds(db, city, now=now) + queue.mark_no_shows(db, city, now=now)


def _remind(db: Session, city: City, now: datetime) -> int:
    return booking.remind(db, city, now=now)


@huey.periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def tidy_appointments() -> int:
    return each_city(_tidy)


@huey.periodic_task(crontab(minute="5"))  # type: ignore[untyped-decorator]
def remind_appointments() -> int:
    return each_city(_remind)


def _forget(db: Session, city: City, now: datetime) -> int:
    return booking.forget_past(db, city, now=now)


@huey.periodic_task(crontab(minute="40", hour="3"))  # type: ignore[untyped-decorator]
def forget_past_appointments() -> int:
    """Nightly: who came to appointments long past is erased (the figures stay)."""
    return each_city(_forget)


@huey.periodic_task(crontab(minute="10", hour="6"))  # type: ignore[untyped-decorator]
def measure_next_free() -> int:
    return each_city(measure)
