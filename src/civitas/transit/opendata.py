"""Public transport's open data: the mobility observatory's indicators per route and
month (and the city's own), as CSV and JSON, in the city's DCAT-AP catalogue. Nothing in
them names a rider: they are counts and shares of departures and of trips."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.i18n import N_
from civitas.core.opendata import FORMATS, Dataset, as_csv
from civitas.transit.models import Feed, RouteMonth

ROUTE_FIELDS = [
    "month",
    "feed",
    "route",
    "trips",
    "vehicle_km",
    "scheduled_speed_kmh",
    "observed_departures",
    "on_time_pct",
    "mean_delay_s",
    "headway_deviation_pct",
    "observed_speed_kmh",
    "crowded_pct",
    "peak_departures_per_hour",
]
CITY_FIELDS = ["month", "addresses", "stop_coverage_pct", "transport_requests"]


def route_rows(db: Session, city: City) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    enter_city(db, city)
    names = dict(db.execute(select(Feed.id, Feed.name)).all())
    routes: list[dict[str, Any]] = []
    cities: dict[str, dict[str, Any]] = {}
    for row in db.scalars(select(RouteMonth).order_by(RouteMonth.month, RouteMonth.route_id)):
        figures = row.figures or {}
        if row.route_id == "*":
            cities[row.month] = {"month": row.month, **{k: figures.get(k) for k in CITY_FIELDS[1:]}}
            continue
        hourly = figures.get("departures_per_hour") or []
        routes.append(
            {
                "month": row.month,
                "feed": names.get(row.feed_id),
                "route": row.route_id,
                **{k: figures.get(k) for k in ROUTE_FIELDS[3:-1]},
                "peak_departures_per_hour": max(hourly) if hourly else None,
            }
        )
    return routes, [cities[m] for m in sorted(cities)]


def _make(db: Session, city: City, fmt: str, base_url: str) -> tuple[str | bytes, str]:
    routes, cities = route_rows(db, city)
    if fmt == "csv":
        return as_csv(ROUTE_FIELDS, iter(routes)), "text/csv; charset=utf-8"
    body = {"city": city.slug, "routes": routes, "city_figures": cities}
    return orjson.dumps(body, option=orjson.OPT_INDENT_2), FORMATS["json"][1]


def _modified(db: Session, city: City) -> datetime | None:
    enter_city(db, city)
    return db.scalar(select(func.max(RouteMonth.computed_at)))


DATASETS = (
    Dataset(
        "transit-observatory",
        N_("Public transport: the mobility observatory"),
        N_(
            "Per route and month: trips and vehicle-kilometres of the timetable, scheduled "
            "and observed commercial speed, departures observed, on-time performance (1 "
            "minute early to 5 late), mean delay, headway regularity and crowding. The JSON "
            "adds the city's share of addresses within 400 m of a stop and its requests "
            "about transport."
        ),
        ("csv", "json"),
        ("public transport", "mobility", "observatory", "GTFS"),
        _make,
        _modified,
    ),
)
