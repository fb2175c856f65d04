"""Air quality's background work: every five minutes the new readings become hourly and
daily means and the alerts are looked at; on the demo server, the demo's sensors push
their readings through the sensor.community endpoint as the firmware would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import structlog
from huey import crontab
from sqlalchemy.orm import Session

from civitas.air import alerts, rollup
from civitas.cities import service as cities_service
from civitas.cities.models import City
from civitas.core.jobs import huey

log = structlog.get_logger("civitas.jobs")


def each_city(work: Callable[[Session, City, datetime], int]) -> int:
    return cities_service.each_city("air", work)


def _measure(db: Session, city: City, now: datetime) -> int:
    hours = rollup.rollup(db, city)
    return hours + alerts.check(db, city, at=now)


@huey.periodic_task(crontab(minute="*/5"))  # type: ignore[untyped-decorator]
def measure_air() -> int:
    done = each_city(_measure)
    if done:
        log.info("air.measured", count=done)
    return done


@huey.periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def demo_sensors_push() -> int:
    """The demo's sensors speak (only where the demo loaded them)."""
    from civitas.air import simulation

    return simulation.push_due() + simulation.import_due()
