"""The monthly figures: computed from every domain's registered KPI family, stored per city
and month, read back for the dashboard, the scorecard, the CLI, the report, the network
and open data.

A refresh replaces a month's computed rows in one transaction (manual rows stay), so a
reader sees either the old month or the new one, never half of each."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit
from civitas.core.db import utcnow
from civitas.core.errors import InvalidInput
from civitas.core.kpis import MIN_PUBLISHED_N, Cell, Kpi, Period, catalogue, families
from civitas.insight.models import KpiValue


@dataclass(frozen=True)
class Figure:
    kpi: Kpi
    dimension: str
    key: str
    value: float | None
    n: int
    suppressed: bool = False  # set only in published views: too few cases to show


def period(city: City, month: str) -> Period:
    try:
        return Period.of(month, city.timezone)
    except ValueError:
        raise InvalidInput(
            "{month} is not a month: write it as YYYY-MM, e.g. 2026-10.", month=month
        ) from None


def months_back(city: City, last: str, count: int) -> list[str]:
    """``count`` months ending with ``last``, oldest first."""
    out = [period(city, last)]
    while len(out) < count:
        out.append(out[-1].previous(city.timezone))
    return [p.month for p in reversed(out)]


def current_month(city: City, now: datetime | None = None) -> str:
    from zoneinfo import ZoneInfo

    return (now or utcnow()).astimezone(ZoneInfo(city.timezone)).strftime("%Y-%m")


def last_complete_month(city: City, now: datetime | None = None) -> str:
    """The month before this one in the city's time zone: the latest whose figures are
    final (dashboards and the scorecard open on it)."""
    return period(city, current_month(city, now)).previous(city.timezone).month


def compute(db: Session, city: City, month: str) -> list[Cell]:
    """Every registered KPI of the month, computed now (nothing stored)."""
    enter_city(db, city)
    span = period(city, month)
    conn = db.connection()
    cells: list[Cell] = []
    for family in families(city):
        cells.extend(family.compute(conn, city.id, span))
    return cells


def refresh(db: Session, city: City, months: Iterable[str], *, actor: str = "system") -> int:
    """Recompute the months and replace their stored computed figures (one transaction,
    the caller commits). Returns how many figures were written."""
    enter_city(db, city)
    wanted = [period(city, m).month for m in months]  # validate every month first
    written = 0
    now = datetime.now(UTC)
    for month in wanted:
        cells = compute(db, city, month)
        db.execute(
            delete(KpiValue)
            .where(KpiValue.tenant_id == city.id, KpiValue.period == month)
            .where(KpiValue.source == "computed")
            .execution_options(synchronize_session=False)
        )
        if cells:
            db.execute(
                insert(KpiValue),
                [
                    {
                        "tenant_id": city.id,
                        "period": month,
                        "kpi": c.kpi,
                        "dimension": c.dimension,
                        "key": c.key,
                        "value": c.value,
                        "n": c.n,
                        "source": "computed",
                        "computed_at": now,
                    }
                    for c in cells
                ],
            )
        written += len(cells)
    audit.record(
        db,
        actor=actor,
        action="kpis.refreshed",
        entity_type="kpi_values",
        entity_id=0,
        changes={"months": wanted, "figures": written},
    )
    return written


def record_manual(
    db: Session, city: City, *, kpi: str, month: str, value: float, actor: str
) -> KpiValue:
    """A figure no system holds (e.g. tonnes of CO₂ of the fleet), entered by staff."""
    enter_city(db, city)
    from civitas.insight.scorecard import manual_kpis

    known = manual_kpis(db, city)
    if kpi not in known:
        raise InvalidInput(
            "{kpi} is not a figure entered by hand on this city's scorecard; add it there "
            "under manual_kpis first.",
            kpi=kpi,
        )
    month = period(city, month).month
    row = db.scalar(
        select(KpiValue).where(
            KpiValue.period == month, KpiValue.kpi == kpi, KpiValue.dimension == "all"
        )
    )
    before = None if row is None else row.value
    if row is None:
        row = KpiValue(period=month, kpi=kpi, dimension="all", key="", source="manual", n=1)
        db.add(row)
    row.value = value
    row.computed_at = utcnow()
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="kpi.entered",
        entity_type="kpi_value",
        entity_id=row.id,
        changes={"kpi": kpi, "period": month, "from": before, "to": value},
    )
    return row


def _known(db: Session, city: City) -> dict[str, Kpi]:
    from civitas.insight.scorecard import manual_kpis

    return {**catalogue(city), **manual_kpis(db, city)}


def figures(
    db: Session,
    city: City,
    month: str,
    *,
    dimension: str = "all",
    published: bool = False,
) -> list[Figure]:
    """The stored figures of a month. ``published`` suppresses values resting on fewer
    than five cases (anything leaving the city's staff: open data, network, reports)."""
    enter_city(db, city)
    month = period(city, month).month
    known = _known(db, city)
    rows = db.scalars(
        select(KpiValue)
        .where(KpiValue.period == month, KpiValue.dimension == dimension)
        .order_by(KpiValue.kpi, KpiValue.key)
    ).all()
    order = list(known)
    out = [_figure(known[r.kpi], r, published) for r in rows if r.kpi in known]
    return sorted(out, key=lambda f: (order.index(f.kpi.code), f.key))


def _figure(kpi: Kpi, row: KpiValue, published: bool) -> Figure:
    hide = published and row.source == "computed" and row.n < MIN_PUBLISHED_N
    return Figure(kpi, row.dimension, row.key, None if hide else row.value, row.n, suppressed=hide)


def series(
    db: Session,
    city: City,
    kpis: Sequence[str],
    months: Sequence[str],
    *,
    dimension: str = "all",
    published: bool = False,
) -> dict[str, dict[tuple[str, str], Figure]]:
    """KPI → (month, key) → figure, for trends and charts."""
    enter_city(db, city)
    known = _known(db, city)
    rows = db.scalars(
        select(KpiValue).where(
            KpiValue.kpi.in_(list(kpis)),
            KpiValue.period.in_(list(months)),
            KpiValue.dimension == dimension,
        )
    ).all()
    out: dict[str, dict[tuple[str, str], Figure]] = {k: {} for k in kpis}
    for r in rows:
        if r.kpi in known:
            out[r.kpi][(r.period, r.key)] = _figure(known[r.kpi], r, published)
    return out


def latest_month(db: Session, city: City) -> str | None:
    enter_city(db, city)
    return db.scalar(select(KpiValue.period).order_by(KpiValue.period.desc()).limit(1))
