"""Air quality as KPIs (the dashboard, the scorecard, open data): the days of the month
on which the city's index reached a band, and the completeness of the data. A day
counts when at least one outdoor station's complete daily mean (18 valid hours or more)
of corrected PM2.5 reached the band; incomplete days never count. A month with no
station-day has no figure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Connection, text

from civitas.core.i18n import N_
from civitas.core.kpis import Cell, Kpi, Period, register

ALL = ("all",)
LEVELS = {
    "air_days_moderate": (2, N_("Days with moderate air or worse")),
    "air_days_sensitive": (3, N_("Days unhealthy for sensitive groups or worse")),
    "air_days_unhealthy": (4, N_("Days with unhealthy air or worse")),
}
KPIS = (
    *(
        Kpi(
            code,
            label,
            N_(
                "Days of the month on which at least one outdoor station's complete daily "
                "mean of corrected PM2.5 reached this level on the city's index."
            ),
            "count",
            "down",
            "air",
            ALL,
        )
        for code, (_, label) in LEVELS.items()
    ),
    Kpi(
        "air_completeness_pct",
        N_("Air-quality data complete (%)"),
        N_(
            "Station-days of the month with at least 18 valid hours, as a share of the days "
            "so far times the outdoor stations in service."
        ),
        "percent",
        "up",
        "air",
        ALL,
    ),
)

DAYS = """
SELECT d.day, d.complete, d.indices, d.sensor_id FROM air_days d
JOIN air_sensors s ON s.id = d.sensor_id
WHERE d.tenant_id = :city AND d.day >= :first AND d.day < :following
  AND s.indoor = :no AND s.kind <> 'reference'
"""
SENSORS = """
SELECT COUNT(*) FROM air_sensors WHERE tenant_id = :city AND indoor = :no AND active = :yes
  AND kind <> 'reference'
"""


def compute(conn: Connection, city_id: int, period: Period) -> Iterator[Cell]:
    zone = conn.execute(text("SELECT timezone FROM cities WHERE id = :c"), {"c": city_id}).scalar()
    scale = conn.execute(
        text("SELECT scale FROM air_settings WHERE tenant_id = :c"), {"c": city_id}
    ).scalar()
    if not scale:
        return
    tz = ZoneInfo(zone or "UTC")
    first = period.start.astimezone(tz).date()
    following = period.end.astimezone(tz).date()
    found = list(
        conn.execute(
            text(DAYS),
            {"city": city_id, "first": first, "following": following, "no": False},
        )
    )
    worst: dict[date, int] = defaultdict(int)
    complete = 0
    for row in found:
        if not row.complete:
            continue
        complete += 1
        figures = (
            row.indices if isinstance(row.indices, dict) else orjson.loads(row.indices or "{}")
        )
        level = int((figures.get(scale) or {}).get("level") or 0)
        day = _day(row.day)
        worst[day] = max(worst[day], level)
    days_with_data = len(worst)
    for code, (level, _) in LEVELS.items():
        if days_with_data:
            count = sum(1 for v in worst.values() if v >= level)
            yield Cell(code, "all", "", float(count), days_with_data)
    stations = (
        conn.execute(text(SENSORS), {"city": city_id, "no": False, "yes": True}).scalar() or 0
    )
    last = max((_day(r.day) for r in found), default=None)
    elapsed = sum(1 for d in _days(first, following) if last is not None and d <= last)
    if stations and elapsed:
        yield Cell(
            "air_completeness_pct",
            "all",
            "",
            round(100.0 * complete / (stations * elapsed), 1),
            stations * elapsed,
        )


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _days(first: date, following: date) -> Iterator[date]:
    day = first
    while day < following:
        yield day
        day += timedelta(days=1)


register("air", KPIS, compute)
