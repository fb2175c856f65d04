"""Proactive services' batch runs: started by staff, and every night."""

from __future__ import annotations

from datetime import date, datetime

import structlog
from huey import crontab

from civitas.core.db import session_scope
from civitas.core.jobs import huey
from civitas.notifications.tasks import deliver_outbox

log = structlog.get_logger("civitas.jobs")


def _run_rules(city_id: int, on: date, codes: list[str] | None, actor: str) -> dict[str, int]:
    from civitas.cities.models import City
    from civitas.core.db import get_engine
    from civitas.proactive.engine import run_batch
    from civitas.proactive.notices import notify_pending

    engine = get_engine()
    with session_scope() as db:
        city = db.get_one(City, city_id)
        db.expunge(city)
    result = run_batch(
        engine, city, on=on, codes=codes, actor=actor, trigger="manual" if codes else "periodic"
    )
    queued = notify_pending(engine, city)
    if queued:
        deliver_outbox()
    log.info("proactive run", city=city.slug, run=result.run_id, created=result.created)
    return {"run": result.run_id, "created": result.created, "notices": queued}


@huey.task()  # type: ignore[untyped-decorator]
def proactive_run(city_id: int, on: str, codes: list[str], actor: str) -> dict[str, int]:
    """A batch run started by a member of staff (API or CLI)."""
    return _run_rules(city_id, date.fromisoformat(on), codes or None, actor)


@huey.periodic_task(crontab(minute="5", hour="2"))  # type: ignore[untyped-decorator]
def proactive_nightly() -> int:
    """Nightly: every city's periodic rules over its whole population, on its own date."""
    from zoneinfo import ZoneInfo

    from civitas.cities.models import City
    from civitas.core.tenancy import bind_all_cities

    with session_scope() as db:
        bind_all_cities(db)
        cities = [(c.id, c.timezone) for c in db.query(City).all()]
    for city_id, zone in cities:
        _run_rules(city_id, datetime.now(ZoneInfo(zone)).date(), None, "system:nightly")
    return len(cities)
