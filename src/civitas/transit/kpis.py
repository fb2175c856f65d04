"""Public transport's KPIs for the scorecard and the network, read from the mobility
observatory's stored months (``transit_route_months``): the city's figures, and the
routes' figures summed or weighted by what they rest on."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
from sqlalchemy import Connection

from civitas.core.i18n import N_
from civitas.core.kpis import Cell, Kpi, Period, register, rows

ALL = ("all",)
KPIS = (
    Kpi(
        "transit_on_time_pct",
        N_("Buses on time (%)"),
        N_(
            "Departures observed from 1 minute early to 5 minutes late, as a share of the "
            "departures observed in the month, all routes."
        ),
        "percent",
        "up",
        "transit",
        ALL,
    ),
    Kpi(
        "transit_crowded_pct",
        N_("Crowded departures (%)"),
        N_(
            "Departures at which the vehicle reported standing room only or fuller, as a "
            "share of those with an occupancy, all routes."
        ),
        "percent",
        "down",
        "transit",
        ALL,
    ),
    Kpi(
        "transit_vehicle_km",
        N_("Service supplied (vehicle-km)"),
        N_("Kilometres of all trips of the timetable in the month."),
        "count",
        "up",
        "transit",
        ALL,
    ),
    Kpi(
        "transit_stop_coverage_pct",
        N_("Addresses near a stop (%)"),
        N_("Addresses of the register within 400 m of a stop, as a share of all addresses."),
        "percent",
        "up",
        "transit",
        ALL,
    ),
)

MONTH = (
    "SELECT route_id, figures FROM transit_route_months WHERE tenant_id = :city AND month = :month"
)


def compute(conn: Connection, city_id: int, period: Period) -> Iterator[Cell]:
    found = rows(conn, MONTH, city_id, period, month=period.month)
    if not found:
        return  # no figures for the month: nothing, not zeros
    routes = [orjson.loads(r.figures) for r in found if r.route_id != "*"]
    city = [orjson.loads(r.figures) for r in found if r.route_id == "*"]
    seen = sum(int(r.get("observed_departures") or 0) for r in routes)
    on_time = sum(
        (r.get("on_time_pct") or 0) * int(r.get("observed_departures") or 0) / 100 for r in routes
    )
    yield Cell(
        "transit_on_time_pct", "all", "", round(100 * on_time / seen, 1) if seen else None, seen
    )
    crowd = [
        (r["crowded_pct"], int(r.get("observed_departures") or 0))
        for r in routes
        if r.get("crowded_pct") is not None
    ]
    weight = sum(n for _, n in crowd)
    yield Cell(
        "transit_crowded_pct",
        "all",
        "",
        round(sum(p * n for p, n in crowd) / weight, 1) if weight else None,
        weight,
    )
    trips = sum(int(r.get("trips") or 0) for r in routes)
    yield Cell(
        "transit_vehicle_km",
        "all",
        "",
        round(sum(float(r.get("vehicle_km") or 0) for r in routes)) if trips else None,
        trips,
    )
    for figures in city:
        addresses = int(figures.get("addresses") or 0)
        yield Cell(
            "transit_stop_coverage_pct", "all", "", figures.get("stop_coverage_pct"), addresses
        )


register("transit", KPIS, compute)
