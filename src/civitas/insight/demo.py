"""Twelve months of history for the demo cities, their scorecards, the figures entered by
hand, and the KPIs computed and published, so that the dashboards show something real.
Safe to run again: the history is added once."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.accounts.demo import ensure_user
from civitas.cases.models import ServiceRequest
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.config import Settings
from civitas.core.db import utcnow
from civitas.insight import figures, scorecard
from civitas.insight.models import KpiValue
from civitas.insight.permissions import NETWORK_COORDINATOR
from civitas.insight.service import refresh_figures
from civitas.insight.synthetic import HISTORY_ACTOR, history

DEMO = Path(__file__).parent / "demo"
ACTOR = "demo"
PER_MONTH = {"musterstadt": 160, "trujillo": 220}
# figures no system holds yet: (start, monthly change, noise)
MANUAL = {
    "fleet_co2_t": (52.0, -0.9, 1.5),
    "training_hours": (2.0, 0.08, 0.3),
    "cost_per_case_eur": (58.0, -1.0, 2.0),
    "cost_per_case_pen": (190.0, -3.0, 6.0),
}


@dataclass(frozen=True)
class DemoFigures:
    requests: int
    responses: int
    figures: int


def load_demo_insight(db: Session, city: City, *, now: datetime | None = None) -> DemoFigures:
    enter_city(db, city)
    now = now or utcnow()
    path = DEMO / f"{city.slug}.scorecard.yaml"
    if path.exists() and scorecard.current_version(db, city) is None:
        scorecard.save(db, city, text=path.read_text(encoding="utf-8"), actor=ACTOR)
    last = figures.current_month(city, now)
    months = figures.months_back(city, last, 13)  # twelve whole months and this one
    made = None
    if db.scalar(select(ServiceRequest.id).where(ServiceRequest.filed_by == HISTORY_ACTOR)) is None:
        made = history(
            db, city, months, per_month=PER_MONTH.get(city.slug, 150), now=now, seed="demo"
        )
    manual = scorecard.manual_kpis(db, city)
    rng = random.Random(f"manual-{city.slug}")  # noqa: S311 - demo data
    have = set(db.scalars(select(KpiValue.kpi).where(KpiValue.source == "manual")))
    for code in manual:
        if code in have or code not in MANUAL:
            continue
        start, step, noise = MANUAL[code]
        for i, month in enumerate(months[:-1]):
            value = round(start + step * i + rng.gauss(0, noise), 1)
            figures.record_manual(db, city, kpi=code, month=month, value=value, actor=ACTOR)
    if made is None:
        return DemoFigures(0, 0, 0)  # loaded before: nothing changes
    written = refresh_figures(db, city, months, actor=ACTOR)
    return DemoFigures(
        requests=made.requests,
        responses=made.responses,
        figures=written,
    )


def load(db: Session, city: City, settings: Settings, password: str) -> list[str]:
    """The demo hook: the network coordinator, a year of history, answers and figures."""
    login = ensure_user(
        db,
        city,
        username="network",
        full_name="Nora Network",
        role=NETWORK_COORDINATOR,
        department=None,
        password=password,
    )
    made = load_demo_insight(db, city)
    return [
        login,
        f"  figures:         {made.requests} requests of history, {made.responses} survey "
        f"answers, {made.figures} KPI figures",
        f"  scorecard:       {settings.public_url}/{city.slug}/staff/scorecard",
    ]
