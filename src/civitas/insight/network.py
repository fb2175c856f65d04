"""The learning network: cities opt in to publish chosen KPIs (the scorecard's
``publish`` list); the figures are copied, suppressed where they rest on fewer than five
cases, into a table that belongs to no city. The comparison reads only that table, so a
network coordinator sees the published figures of every city and nothing else."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.db import utcnow
from civitas.core.kpis import Kpi, catalogue
from civitas.insight.figures import figures
from civitas.insight.models import NetworkFigure
from civitas.insight.scorecard import published_kpis


def publish(db: Session, city: City, months: Iterable[str]) -> int:
    """Copy the city's chosen KPIs of these months to the network (and withdraw the
    ones it no longer publishes). Returns how many figures are published."""
    enter_city(db, city)
    chosen = set(published_kpis(db, city))
    db.execute(
        delete(NetworkFigure)
        .where(NetworkFigure.city_id == city.id, NetworkFigure.kpi.not_in(chosen or {""}))
        .execution_options(synchronize_session=False)
    )
    count = 0
    for month in months:
        db.execute(
            delete(NetworkFigure)
            .where(NetworkFigure.city_id == city.id, NetworkFigure.period == month)
            .execution_options(synchronize_session=False)
        )
        for fig in figures(db, city, month, published=True):
            if fig.kpi.code in chosen:
                db.add(
                    NetworkFigure(
                        city_id=city.id,
                        period=month,
                        kpi=fig.kpi.code,
                        value=fig.value,
                        suppressed=fig.suppressed,
                        published_at=utcnow(),
                    )
                )
                count += 1
    db.flush()
    return count


@dataclass(frozen=True)
class Comparison:
    cities: list[tuple[str, str]]  # slug, name
    kpis: list[Kpi]
    months: list[str]
    # (kpi, slug, month) -> (value, suppressed)
    values: dict[tuple[str, str, str], tuple[float | None, bool]]

    def latest(self, kpi: str, slug: str) -> tuple[str, float | None, bool] | None:
        for month in reversed(self.months):
            found = self.values.get((kpi, slug, month))
            if found is not None:
                return month, *found
        return None


def comparison(db: Session, *, months: Sequence[str] | None = None) -> Comparison:
    """Every published figure of every city (the network's whole view)."""
    rows = db.execute(
        select(NetworkFigure, City.slug, City.name)
        .join(City, City.id == NetworkFigure.city_id)
        .order_by(City.name, NetworkFigure.period)
    ).all()
    known = catalogue()
    cities: dict[str, str] = {}
    codes: set[str] = set()
    all_months: set[str] = set()
    values: dict[tuple[str, str, str], tuple[float | None, bool]] = {}
    for fig, slug, name in rows:
        if fig.kpi not in known or (months and fig.period not in months):
            continue
        cities[slug] = name
        codes.add(fig.kpi)
        all_months.add(fig.period)
        values[(fig.kpi, slug, fig.period)] = (fig.value, fig.suppressed)
    order = list(known)
    return Comparison(
        cities=sorted(cities.items(), key=lambda c: c[1]),
        kpis=[known[c] for c in sorted(codes, key=order.index)],
        months=sorted(all_months),
        values=values,
    )
