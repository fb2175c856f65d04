"""Twelve months of history for the demo cities, their scorecards, the figures entered by
hand, and the KPIs computed and published, so that the dashboards show something real.
Safe to run again: the history is added once."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civitas.accounts.demo import ensure_user
from civitas.cases.models import ServiceRequest
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.config import Settings
from civitas.core.db import utcnow
from civitas.core.kpis import Period
from civitas.insight import figures, scorecard
from civitas.insight.models import KpiValue
from civitas.insight.permissions import NETWORK_COORDINATOR
from civitas.insight.service import refresh_figures
from civitas.insight.synthetic import HISTORY_ACTOR, answer_invitations, history

DEMO = Path(__file__).parent / "demo"
ACTOR = "demo"
PER_MONTH = {"musterstadt": 160, "trujillo": 220}  # in the middle of the year shown
TREND = 0.015  # more requests each month, as more residents know the channels
SEASON = 0.18  # the swing over the year, highest in the month of PEAK
PEAK = {"PE": 2, "DE": 1}  # Trujillo's summer rains; Musterstadt's frost and potholes
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
            db, city, months, per_month=_volumes(db, city, months, now), now=now, seed="demo"
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
    answered = answer_invitations(db, city, now=now, seed="demo")
    written = refresh_figures(db, city, months, actor=ACTOR)
    return DemoFigures(
        requests=made.requests,
        responses=made.responses + answered,
        figures=written,
    )


def volumes(base: int, months: list[str], country: str) -> list[int]:
    """A city's requests per month: a trend and a season around ``base``."""
    peak = PEAK.get(country, 1)
    middle = (len(months) - 1) / 2
    out = []
    for index, month in enumerate(months):
        season = 1 + SEASON * math.cos(2 * math.pi * (int(month[5:]) - peak) / 12)
        out.append(round(base * (1 + TREND * (index - middle)) * season))
    return out


def _volumes(db: Session, city: City, months: list[str], now: datetime) -> list[int]:
    """How many requests of history each month needs, after those already filed (the
    recent demo requests), so that the volume follows the season and not the demo."""
    wanted = volumes(PER_MONTH.get(city.slug, 150), months, city.country)
    out = []
    for month, count in zip(months, wanted, strict=True):
        span = Period.of(month, city.timezone)
        have = db.scalar(
            select(func.count(ServiceRequest.id)).where(
                ServiceRequest.requested_at >= span.start, ServiceRequest.requested_at < span.end
            )
        )
        # in the month under way only the part before now is kept: ask for the whole month
        elapsed = (min(now, span.end) - span.start) / (span.end - span.start)
        out.append(max(0, round(count - int(have or 0) / max(elapsed, 0.01))))
    return out


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
