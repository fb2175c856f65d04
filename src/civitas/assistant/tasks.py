"""The assistant's background work: answers for the messaging apps go out (at once when
the web asks, and every minute for what is due again), and conversations past the
city's retention period are deleted every night."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import structlog
from huey import crontab
from sqlalchemy.orm import Session

from civitas.assistant import messaging, service
from civitas.assistant.training import settings_of
from civitas.cities import service as cities_service
from civitas.cities.models import City
from civitas.core.jobs import huey

log = structlog.get_logger("civitas.jobs")


def each_city(work: Callable[[Session, City, datetime], int]) -> int:
    return cities_service.each_city("assistant", work)


def _deliver(db: Session, city: City, now: datetime) -> int:
    return messaging.deliver_due(db, settings_of(db, city), now=now)["sent"]


def _purge(db: Session, city: City, now: datetime) -> int:
    return service.purge(db, city, now=now)


@huey.task()  # type: ignore[untyped-decorator]
def deliver_messages() -> int:
    return each_city(_deliver)


@huey.periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def sweep_messages() -> int:
    sent = each_city(_deliver)
    if sent:
        log.info("assistant.sent", count=sent)
    return sent


@huey.periodic_task(crontab(minute="17", hour="3"))  # type: ignore[untyped-decorator]
def purge_conversations() -> int:
    deleted = each_city(_purge)
    if deleted:
        log.info("assistant.purged", count=deleted)
    return deleted


def kick() -> None:
    """Ask the worker to send the messaging apps' answers now; if the queue cannot be
    reached, the minute's sweep will."""
    try:
        deliver_messages()
    except Exception as exc:  # the rows are committed; nothing is lost
        log.warning("could not enqueue the assistant's delivery", error=str(exc))
