"""The mobility observatory (OMUS): open indicators per route and month.

From the timetable (what was offered): trips run, vehicle-kilometres, departures per hour
of a weekday, scheduled commercial speed. From the observations (what happened): on-time
performance (a departure from 1 minute early to 5 minutes late, as most agencies count
it), mean delay, headway regularity (the mean gap between observed and scheduled headways
at each stop, as a share of the scheduled), observed commercial speed (whole trips), and
crowding (the share of departures at standing room or fuller). For the city: the share
of the address register within 400 m of a stop, and the requests about public transport
the city received (services of the catalogue's category "transport").

A month is computed by streaming a day at a time (:class:`Month`), so the job reads a
month of observations without holding them, and the demo computes a month of its
simulated buses without storing them. Results are kept per feed, route and month
(``transit_route_months``; route "*" holds the city's figures)."""

from __future__ import annotations

import calendar
import itertools
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.db import utcnow
from civitas.core.geo import haversine_m
from civitas.transit.models import Feed, Observation, RouteMonth
from civitas.transit.timetable import Network, TripInfo

EARLY_S, LATE_S = -60, 300
CROWDED = 3  # OccupancyStatus STANDING_ROOM_ONLY and fuller
COVER_M = 400
CITY = "*"


def trip_km(net: Network, trip: TripInfo) -> float:
    return (
        sum(
            haversine_m((net.stops[a].lat, net.stops[a].lon), (net.stops[b].lat, net.stops[b].lon))
            for a, b in itertools.pairwise(trip.stops)
        )
        / 1000
    )


# what the observatory reads of an observation: route, trip, stop, delay (s), occupancy,
# scheduled and observed (epoch seconds)
Seen = tuple[str, str, str, int, int | None, float, float]


def _get(row: Any, key: str) -> Any:
    return row[key] if isinstance(row, dict) else getattr(row, key)


def _normal(rows: Iterable[Any]) -> Iterable[Seen]:
    for row in rows:
        yield (
            str(_get(row, "route_id")),
            str(_get(row, "trip_id")),
            str(_get(row, "stop_id")),
            int(_get(row, "delay")),
            _get(row, "occupancy"),
            _get(row, "scheduled").timestamp(),
            _get(row, "observed").timestamp(),
        )


@dataclass
class _Route:
    trips: int = 0
    km: float = 0.0
    scheduled_s: float = 0.0
    by_hour: list[int] = field(default_factory=lambda: [0] * 24)
    seen: int = 0
    on_time: int = 0
    delay_sum: float = 0.0
    crowd_seen: int = 0
    crowded: int = 0
    headway_devs: list[float] = field(default_factory=list)
    observed_km: float = 0.0
    observed_s: float = 0.0


class Month:
    """One month of one feed's indicators, fed a day at a time."""

    def __init__(self, net: Network, feed: str, month: str) -> None:
        self.net, self.feed, self.month = net, feed, month
        self.zone: ZoneInfo = net.feeds[feed].zone
        self.routes: dict[str, _Route] = defaultdict(_Route)
        self._km: dict[str, float] = {}
        self.days = 0
        self.weekdays = 0

    def _trip_km(self, trip: TripInfo) -> float:
        if trip.key not in self._km:
            self._km[trip.key] = trip_km(self.net, trip)
        return self._km[trip.key]

    def add_day(self, day: date, observations: Iterable[Any], *, seen: bool = False) -> None:
        """The day's timetable, and its observations sorted by trip and sequence (rows
        or dicts; with ``seen``, already :data:`Seen` tuples)."""
        self.days += 1
        weekday = day.weekday() < 5
        for run in self.net.runs_on(day):
            trip = run.trip
            if trip.feed != self.feed:
                continue
            route = self.net.routes[trip.route].route_id
            figures = self.routes[route]
            figures.trips += 1
            figures.km += self._trip_km(trip)
            figures.scheduled_s += run.arrivals[-1] - run.departures[0]
            if weekday:
                local = datetime.fromtimestamp(run.departures[0], UTC).astimezone(self.zone)
                figures.by_hour[local.hour] += 1
        if weekday:
            self.weekdays += 1
        self.add_seen(observations if seen else _normal(observations))

    def add_seen(self, seen: Iterable[Seen]) -> None:
        """What happened on a day: (route, trip, stop, delay, occupancy, scheduled epoch,
        observed epoch), by trip and sequence."""
        runs: dict[tuple[str, str], list[float]] = {}  # → [calls seen, first, last]
        at_stops: dict[tuple[str, str, str], list[tuple[float, float]]] = defaultdict(list)
        directions: dict[str, str] = {}
        routes = self.routes
        for route, trip_id, stop_id, delay, occupancy, scheduled, observed in seen:
            figures = routes[route]
            figures.seen += 1
            figures.delay_sum += delay
            if EARLY_S <= delay <= LATE_S:
                figures.on_time += 1
            if occupancy is not None and occupancy <= 6:
                figures.crowd_seen += 1
                if occupancy >= CROWDED:
                    figures.crowded += 1
            key = (route, trip_id)
            found = runs.get(key)
            if found is None:
                runs[key] = [1, observed, observed]
            else:
                found[0] += 1
                found[2] = observed
            direction = directions.get(trip_id)
            if direction is None:
                known = self.net.trips.get(f"{self.feed}:{trip_id}")
                direction = directions[trip_id] = "" if known is None else str(known.direction)
            at_stops[route, direction, stop_id].append((scheduled, observed))
        for (route, trip_id), (count, first, last) in runs.items():
            trip = self.net.trips.get(f"{self.feed}:{trip_id}")
            if trip is None or count != len(trip.stops) or last <= first:
                continue  # a whole trip only
            routes[route].observed_km += self._trip_km(trip)
            routes[route].observed_s += last - first
        for (route, _, _), times in at_stops.items():
            times.sort()
            devs = routes[route].headway_devs
            for (s1, o1), (s2, o2) in itertools.pairwise(times):
                scheduled = s2 - s1
                if 60 <= scheduled <= 3600:
                    devs.append(abs((o2 - o1) - scheduled) / scheduled)

    def results(self) -> dict[str, dict[str, Any]]:
        weekdays = max(self.weekdays, 1)
        out: dict[str, dict[str, Any]] = {}
        for route, f in sorted(self.routes.items()):
            out[route] = {
                "days": self.days,
                "trips": f.trips,
                "vehicle_km": round(f.km, 1),
                "departures_per_hour": [round(n / weekdays, 2) for n in f.by_hour],
                "scheduled_speed_kmh": round(f.km / (f.scheduled_s / 3600), 1)
                if f.scheduled_s
                else None,
                "observed_departures": f.seen,
                "on_time_pct": round(100 * f.on_time / f.seen, 1) if f.seen else None,
                "mean_delay_s": round(f.delay_sum / f.seen) if f.seen else None,
                "headway_deviation_pct": round(100 * statistics.fmean(f.headway_devs), 1)
                if f.headway_devs
                else None,
                "observed_speed_kmh": round(f.observed_km / (f.observed_s / 3600), 1)
                if f.observed_s
                else None,
                "crowded_pct": round(100 * f.crowded / f.crowd_seen, 1) if f.crowd_seen else None,
            }
        return out


def month_days(month: str) -> list[date]:
    year, number = (int(x) for x in month.split("-"))
    return [date(year, number, d) for d in range(1, calendar.monthrange(year, number)[1] + 1)]


def compute_month(
    db: Session, city: City, net: Network, feed: Feed, month: str, *, until: date | None = None
) -> dict[str, dict[str, Any]]:
    """A month of a feed's indicators from the observations Civitas recorded (up to
    ``until``, for the month under way)."""
    enter_city(db, city)
    figures = Month(net, feed.name, month)
    for day in month_days(month):
        if until is not None and day > until:
            break
        rows = db.execute(
            select(
                Observation.trip_id,
                Observation.route_id,
                Observation.stop_id,
                Observation.sequence,
                Observation.scheduled,
                Observation.observed,
                Observation.delay,
                Observation.occupancy,
            )
            .where(Observation.feed_id == feed.id, Observation.service_date == day)
            .order_by(Observation.trip_id, Observation.sequence)
        ).all()
        figures.add_day(day, rows)
    return figures.results()


def city_figures(db: Session, city: City, net: Network, month: str) -> dict[str, Any]:
    """The city's share of addresses near a stop, and the requests about transport."""
    from civitas.transit.links import address_points, transport_requests

    points = address_points(db, city)
    stops = [(s.lat, s.lon) for s in net.stops if s.location_type == 0 and not math.isnan(s.lat)]
    covered = 0
    if points and stops:
        cell = COVER_M / 111_000
        grid: dict[tuple[int, int], list[tuple[float, float]]] = defaultdict(list)
        for lat, lon in stops:
            grid[int(lat // cell), int(lon // cell)].append((lat, lon))
        for lat, lon in points:
            gy, gx = int(lat // cell), int(lon // cell)
            span = math.ceil(1 / max(math.cos(math.radians(lat)), 0.01))
            if any(
                haversine_m((lat, lon), stop) <= COVER_M
                for y in (gy - 1, gy, gy + 1)
                for x in range(gx - span, gx + span + 1)
                for stop in grid.get((y, x), ())
            ):
                covered += 1
    first = date.fromisoformat(f"{month}-01")
    zone = ZoneInfo(city.timezone)
    start = datetime(first.year, first.month, 1, tzinfo=zone)
    end = (start + timedelta(days=32)).replace(day=1)
    return {
        "addresses": len(points),
        "stop_coverage_pct": round(100 * covered / len(points), 1) if points else None,
        "transport_requests": transport_requests(db, city, start, end),
    }


def store(
    db: Session, city: City, feed: Feed, month: str, figures: dict[str, dict[str, Any]]
) -> None:
    """Keep a month's figures (replacing what the month held)."""
    enter_city(db, city)
    db.execute(delete(RouteMonth).where(RouteMonth.feed_id == feed.id, RouteMonth.month == month))
    now = utcnow()
    for route, values in figures.items():
        db.add(
            RouteMonth(
                tenant_id=city.id,
                feed_id=feed.id,
                route_id=route,
                month=month,
                figures=values,
                computed_at=now,
            )
        )
    db.flush()


def refresh(
    db: Session, city: City, net: Network, feed: Feed, month: str, *, until: date | None = None
) -> int:
    figures: dict[str, dict[str, Any]] = compute_month(db, city, net, feed, month, until=until)
    figures[CITY] = city_figures(db, city, net, month)
    store(db, city, feed, month, figures)
    return len(figures)


def months_of(db: Session, city: City) -> list[str]:
    enter_city(db, city)
    return list(db.scalars(select(RouteMonth.month).distinct().order_by(RouteMonth.month.desc())))


def month_table(db: Session, city: City, month: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(feed name, route id) → figures of a stored month ("*" for the city's)."""
    enter_city(db, city)
    names = dict(db.execute(select(Feed.id, Feed.name)).all())
    return {
        (names[row.feed_id], row.route_id): row.figures
        for row in db.scalars(select(RouteMonth).where(RouteMonth.month == month))
    }


def last_computed(db: Session, city: City) -> datetime | None:
    enter_city(db, city)
    return db.scalar(select(func.max(RouteMonth.computed_at)))


def is_whole(db: Session, city: City, month: str) -> bool:
    """Whether a stored month covers all its days."""
    return any(
        int((figures or {}).get("days") or 0) >= len(month_days(month))
        for (_, route), figures in month_table(db, city, month).items()
        if route != CITY
    )
