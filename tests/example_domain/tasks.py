"""The example's nightly job: count each city's open requests, skipping the cities that
turned the notice board off."""

from __future__ import annotations

from huey import crontab
from sqlalchemy import select

from civitas.cases import service as cases
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import plugins
from civitas.core.db import session_scope
from civitas.core.jobs import huey
from civitas.core.tenancy import bind_all_cities


@huey.periodic_task(crontab(minute="0", hour="4"))  # type: ignore[untyped-decorator]
def count_notices() -> dict[str, int]:
    with session_scope() as db:
        bind_all_cities(db)
        cities = list(db.scalars(select(City).order_by(City.slug)))
    counted = {}
    for city in cities:
        if not plugins.enabled(city, "example"):
            continue
        with session_scope() as db:
            enter_city(db, db.merge(city))
            counted[city.slug] = cases.queue_counts(db, city)["open"]
    return counted
