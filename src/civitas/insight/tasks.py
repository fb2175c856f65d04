"""Figures: the nightly refresh of every city's KPIs."""

from __future__ import annotations

import structlog
from huey import crontab

from civitas.core.db import session_scope
from civitas.core.jobs import huey

log = structlog.get_logger("civitas.jobs")


@huey.periodic_task(crontab(minute="45", hour="2"))  # type: ignore[untyped-decorator]
def insight_nightly() -> int:
    """Nightly: recompute every city's KPIs of this month and the last (late closings and
    survey answers change the last month too) and republish them to the network."""
    from civitas.cities.models import City
    from civitas.cities.service import enter_city
    from civitas.core.tenancy import bind_all_cities
    from civitas.insight import figures
    from civitas.insight.service import refresh_figures

    with session_scope() as db:
        bind_all_cities(db)
        ids = [c.id for c in db.query(City).all()]
    written = 0
    for city_id in ids:
        with session_scope() as db:
            city = db.get_one(City, city_id)
            enter_city(db, city)
            months = figures.months_back(city, figures.current_month(city), 2)
            written += refresh_figures(db, city, months, actor="system:nightly")
    log.info("kpis refreshed", cities=len(ids), figures=written)
    return written
