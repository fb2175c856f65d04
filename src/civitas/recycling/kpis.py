"""The recycling programme's KPIs for the scorecard: what was diverted, who takes part,
whether pickers came on time, what they earned, and the emissions avoided.

Avoided emissions use the dated factors of ``data/factors.yaml`` (the factor valid on the
month's first day, per material)."""

from __future__ import annotations

import functools
import json
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection

from civitas.core.i18n import N_
from civitas.core.kpis import Cell, Kpi, Period, register, rows
from civitas.recycling.vrp import fairness_of

FACTORS = Path(__file__).resolve().parent / "data" / "factors.yaml"
ALL = ("all",)

KPIS = (
    Kpi(
        "recycling_kg",
        N_("Recyclables diverted (kg)"),
        N_("Kilograms weighed at pickups in the month, all materials."),
        "count",
        "up",
        "recycling",
        ALL,
    ),
    Kpi(
        "recycling_degradable_kg",
        N_("Paper, cardboard and cartons diverted (kg)"),
        N_(
            "Kilograms of the materials that would rot in a landfill (paper, cardboard, "
            "beverage cartons) weighed at pickups in the month: what the city's greenhouse-gas "
            "inventory counts as methane avoided."
        ),
        "count",
        "up",
        "recycling",
        ALL,
    ),
    Kpi(
        "recycling_route_km",
        N_("Kilometres of the pickers' routes"),
        N_("The length of the routes of each collection day's latest plan in the month."),
        "count",
        "none",
        "recycling",
        ALL,
    ),
    Kpi(
        "recycling_households",
        N_("Households taking part"),
        N_("Households with at least one collected pickup in the month."),
        "count",
        "up",
        "recycling",
        ALL,
    ),
    Kpi(
        "recycling_on_time_pct",
        N_("Pickups on time (%)"),
        N_(
            "Pickups collected within the window the household chose, as a share of the "
            "pickups recorded in the month (collected or not found)."
        ),
        "percent",
        "up",
        "recycling",
        ALL,
    ),
    Kpi(
        "recycling_co2e_kg",
        N_("Emissions avoided (kg CO2e)"),
        N_(
            "Kilograms of each material collected in the month times its avoided-emission "
            "factor (recycling instead of landfill, dated factors with their source)."
        ),
        "count",
        "up",
        "recycling",
        ALL,
    ),
    Kpi(
        "recycling_income_median",
        N_("Picker income, median"),
        N_("The median over pickers of what each earned from sales in the month."),
        "money",
        "up",
        "recycling",
        ALL,
    ),
    Kpi(
        "recycling_income_gini",
        N_("Picker income inequality (Gini)"),
        N_(
            "Gini coefficient of the pickers' income from sales in the month "
            "(0: everyone the same)."
        ),
        "score",
        "down",
        "recycling",
        ALL,
    ),
)

COLLECTED = """
    SELECT m.code AS material, SUM(c.weight_g) AS grams, COUNT(*) AS n
    FROM recycling_collected c JOIN recycling_materials m ON m.id = c.material_id
    WHERE c.tenant_id = :city AND c.collected_at >= :start AND c.collected_at < :end
    GROUP BY m.code"""
DEGRADABLE = ("paper", "cardboard", "tetrapak")
ROUTES = """
    SELECT day, version, stats FROM recycling_plans
    WHERE tenant_id = :city AND day >= :first AND day < :following"""
HOUSEHOLDS = """
    SELECT COUNT(DISTINCT household_id) AS n FROM recycling_pickups
    WHERE tenant_id = :city AND status = 'collected' AND done_at >= :start AND done_at < :end"""
ON_TIME = """
    SELECT COUNT(*) AS n,
           SUM(CASE WHEN status = 'collected' AND done_at >= window_start
                     AND done_at <= window_end THEN 1 ELSE 0 END) AS good
    FROM recycling_pickups
    WHERE tenant_id = :city AND status IN ('collected', 'not_found')
      AND done_at >= :start AND done_at < :end"""
INCOME = """
    SELECT a.picker_id AS picker, SUM(a.amount_minor) AS total
    FROM recycling_allocations a
    JOIN recycling_sale_lines l ON l.id = a.sale_line_id
    JOIN recycling_sales s ON s.id = l.sale_id
    WHERE a.tenant_id = :city AND s.sold_at >= :start AND s.sold_at < :end
    GROUP BY a.picker_id"""


@functools.cache
def factors() -> dict[str, list[tuple[date, float]]]:
    """material → [(valid from, kg CO2e per kg)], oldest first."""
    data: dict[str, Any] = yaml.safe_load(FACTORS.read_text(encoding="utf-8"))
    table: dict[str, list[tuple[date, float]]] = {}
    for row in data["factors"]:
        valid = row["valid_from"]
        valid = valid if isinstance(valid, date) else date.fromisoformat(str(valid))
        table.setdefault(row["material"], []).append((valid, float(row["kg_co2e_per_kg"])))
    return {m: sorted(v) for m, v in table.items()}


def factor(material: str, on: date) -> float:
    valid = [f for start, f in factors().get(material, []) if start <= on]
    return valid[-1] if valid else 0.0


def gini(values: list[int]) -> float | None:
    """The Gini of the pickers' incomes, as the plans report it; None with nothing earned."""
    if not values or sum(values) == 0:
        return None
    return fairness_of(values).gini


def compute(conn: Connection, city_id: int, period: Period) -> Iterator[Cell]:
    month = date.fromisoformat(f"{period.month}-01")
    collected = rows(conn, COLLECTED, city_id, period)
    timely = rows(conn, ON_TIME, city_id, period)[0]
    earned = [int(r.total) for r in rows(conn, INCOME, city_id, period)]
    if not collected and not int(timely.n) and not earned:
        return  # no programme, or nothing happened in the month: no figures, not zeros
    grams = sum(int(r.grams) for r in collected)
    lines = sum(int(r.n) for r in collected)
    yield Cell("recycling_kg", "all", "", grams / 1000 if lines else None, lines)
    degradable = [r for r in collected if r.material in DEGRADABLE]
    yield Cell(
        "recycling_degradable_kg",
        "all",
        "",
        sum(int(r.grams) for r in degradable) / 1000 if lines else None,
        sum(int(r.n) for r in degradable),
    )
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    plans = rows(conn, ROUTES, city_id, period, first=month, following=following)
    latest: dict[object, tuple[int, float]] = {}
    for plan in plans:
        stats = plan.stats if isinstance(plan.stats, dict) else json.loads(plan.stats or "{}")
        if plan.day not in latest or int(plan.version) > latest[plan.day][0]:
            latest[plan.day] = (int(plan.version), float(stats.get("distance_m") or 0))
    if latest:
        km = sum(v[1] for v in latest.values()) / 1000
        yield Cell("recycling_route_km", "all", "", round(km, 1), len(latest))
    co2 = sum(int(r.grams) / 1000 * factor(r.material, month) for r in collected)
    yield Cell("recycling_co2e_kg", "all", "", round(co2, 1) if lines else None, lines)
    households = int(rows(conn, HOUSEHOLDS, city_id, period)[0].n)
    yield Cell("recycling_households", "all", "", float(households), households)
    recorded = int(timely.n)
    yield Cell(
        "recycling_on_time_pct",
        "all",
        "",
        100.0 * int(timely.good or 0) / recorded if recorded else None,
        recorded,
    )
    # money in the currency's major unit, as the other money KPIs
    yield Cell(
        "recycling_income_median",
        "all",
        "",
        statistics.median(earned) / 100.0 if earned else None,
        len(earned),
    )
    inequality = gini(earned)
    yield Cell(
        "recycling_income_gini",
        "all",
        "",
        None if inequality is None else round(inequality, 3),
        len(earned),
    )


@dataclass(frozen=True)
class Figures:
    """A month of the programme for its staff page: the KPIs, and what they sum up."""

    month: str
    cells: dict[str, float | None]
    by_material: list[tuple[str, float, float]]  # material, kg, kg CO2e avoided
    income: list[tuple[int, int]]  # picker id, minor units earned, most first


def figures(conn: Connection, city_id: int, period: Period) -> Figures:
    month = date.fromisoformat(f"{period.month}-01")
    by_material = sorted(
        (
            (str(r.material), int(r.grams) / 1000, int(r.grams) / 1000 * factor(r.material, month))
            for r in rows(conn, COLLECTED, city_id, period)
        ),
        key=lambda row: -row[1],
    )
    income = sorted(
        ((int(r.picker), int(r.total)) for r in rows(conn, INCOME, city_id, period)),
        key=lambda row: -row[1],
    )
    cells = {c.kpi: c.value for c in compute(conn, city_id, period)}
    return Figures(period.month, cells, by_material, income)


register("recycling", KPIS, compute)
