"""The city's timetable in memory: every feed's stops, routes and trips (the
:class:`Network`, loaded once per set of feed versions), and for a service day the trips
that run around it as absolute times (the :class:`Day`), grouped into RAPTOR's patterns.

A pattern is a sequence of stops with trips that never overtake one another, so that the
trips at each stop are sorted by time and the first that can be caught is found by
bisection. Times are UTC epoch seconds: a stop time is added to its service day's
reference instant (noon minus twelve hours, local time, as GTFS defines it), so a
night bus at 25:10:00 runs on the calendar day after its service day and the days
when clocks change are right.

A process keeps the network of each city until one of its feeds is imported again
(:func:`network`), and the last few days it was asked for (:meth:`Network.day`); the
objects are never changed after they are built, so a query that holds one sees one
version of the feeds from start to end.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.geo import haversine_m
from civitas.transit.models import (
    Calendar,
    CalendarDate,
    Feed,
    Frequency,
    Route,
    Stop,
    StopTime,
    Transfer,
    Trip,
)

# walking: along streets is longer than the straight line
DETOUR = 1.25
# the farthest walk between two stops the network prepares (a query asks for less)
MAX_FOOTPATH_M = 1500
DAYS_KEPT = 6


def service_origin(day: date, zone: ZoneInfo) -> int:
    """The epoch of a service day's reference instant: local noon minus twelve hours."""
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=zone)
    return int(noon.timestamp()) - 12 * 3600


@dataclass(frozen=True)
class StopInfo:
    index: int
    key: str  # FEED:STOP_ID
    feed: str
    stop_id: str
    name: str
    code: str | None
    lat: float
    lon: float
    location_type: int
    parent: str | None  # the parent station's key
    platform: str | None


@dataclass(frozen=True)
class RouteInfo:
    key: str
    feed: str
    route_id: str
    short_name: str | None
    long_name: str | None
    type: int
    color: str | None
    text_color: str | None
    agency: str | None

    @property
    def label(self) -> str:
        return self.short_name or self.long_name or self.route_id


@dataclass(frozen=True)
class TripInfo:
    key: str  # FEED:TRIP_ID
    feed: str
    trip_id: str
    route: str  # route key
    service: str  # service id (of its feed)
    headsign: str | None
    direction: int | None
    shape: str | None
    stops: tuple[int, ...]  # stop indexes, in order
    sequences: tuple[int, ...]  # their stop_sequence
    arrivals: tuple[int, ...]  # seconds after the service day's reference
    departures: tuple[int, ...]
    timepoints: tuple[bool, ...]
    boards: tuple[bool, ...]  # pickup allowed (pickup_type != 1)
    alights: tuple[bool, ...]  # drop-off allowed
    # frequencies.txt: (start, end, headway, exact) in seconds after the reference
    frequencies: tuple[tuple[int, int, int, bool], ...] = ()


@dataclass
class FeedCalendar:
    name: str
    zone: ZoneInfo
    weekly: dict[str, tuple[int, date, date]] = field(default_factory=dict)
    exceptions: dict[tuple[str, date], int] = field(default_factory=dict)

    def runs(self, service: str, day: date) -> bool:
        exception = self.exceptions.get((service, day))
        if exception is not None:
            return exception == 1
        found = self.weekly.get(service)
        if found is None:
            return False
        weekdays, start, end = found
        return start <= day <= end and bool(weekdays >> day.weekday() & 1)


@dataclass(frozen=True)
class Run:
    """One trip on one service day (a frequency-based trip once per departure)."""

    trip: TripInfo
    service_date: date
    start: int  # epoch of its first departure
    arrivals: tuple[int, ...]  # epochs
    departures: tuple[int, ...]
    exact: bool = True  # False: a headway-based run (frequencies, exact_times 0)


@dataclass
class Pattern:
    """Trips over the same stops that do not overtake one another, by departure."""

    index: int
    route: str
    stops: tuple[int, ...]
    boards: tuple[bool, ...]
    alights: tuple[bool, ...]
    runs: list[Run] = field(default_factory=list)
    # per position: the runs' departures and arrivals there, in run order
    departures: list[list[int]] = field(default_factory=list)
    arrivals: list[list[int]] = field(default_factory=list)

    def seal(self) -> None:
        self.departures = [[r.departures[i] for r in self.runs] for i in range(len(self.stops))]
        self.arrivals = [[r.arrivals[i] for r in self.runs] for i in range(len(self.stops))]

    def first_catchable(self, position: int, at: int, before: int) -> int:
        """The first run leaving ``position`` at or after ``at`` (of the first ``before``)."""
        return bisect_left(self.departures[position], at, 0, before)


@dataclass
class Day:
    """The runs around one service day, as RAPTOR's patterns."""

    day: date
    patterns: list[Pattern]
    by_stop: list[list[tuple[int, int]]]  # stop → [(pattern, position)]
    turned: Any = None  # the same turned around, for arrive-by (made when first asked)

    @property
    def runs(self) -> int:
        return sum(len(p.runs) for p in self.patterns)


@dataclass
class Network:
    """Every feed of a city, ready for queries."""

    key: tuple[tuple[int, int, str], ...]
    feeds: dict[str, FeedCalendar]
    stops: list[StopInfo]
    index: dict[str, int]  # FEED:STOP_ID → stop index
    routes: dict[str, RouteInfo]
    trips: dict[str, TripInfo]
    # stop → [(other stop, metres)] within MAX_FOOTPATH_M, nearest first
    near: list[list[tuple[int, float]]]
    # transfers.txt between stops: (from, to) → (type, min_transfer_time)
    transfers: dict[tuple[int, int], tuple[int, int | None]]
    children: dict[int, list[int]]  # a station → its platforms
    # what other modules derive from this network and keep with it (the simulation's)
    derived: dict[Any, Any] = field(default_factory=dict)
    _days: OrderedDict[date, Day] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def stop(self, key: str) -> StopInfo | None:
        found = self.index.get(key)
        return None if found is None else self.stops[found]

    def boarding_stops(self, index: int) -> list[int]:
        """A stop, or a station's platforms."""
        return self.children.get(index) or [index]

    def day(self, day: date) -> Day:
        with self._lock:
            found = self._days.get(day)
            if found is not None:
                self._days.move_to_end(day)
                return found
        built = build_day(self, day)
        with self._lock:
            self._days[day] = built
            while len(self._days) > DAYS_KEPT:
                self._days.popitem(last=False)
        return built

    def runs_on(self, day: date) -> Iterable[Run]:
        """Every run whose service day is ``day``."""
        for trip in self.trips.values():
            calendar = self.feeds[trip.feed]
            if not calendar.runs(trip.service, day):
                continue
            origin = service_origin(day, calendar.zone)
            if not trip.frequencies:
                yield Run(
                    trip,
                    day,
                    origin + trip.departures[0],
                    tuple(origin + t for t in trip.arrivals),
                    tuple(origin + t for t in trip.departures),
                )
                continue
            first = trip.departures[0]
            for start, end, headway, exact in trip.frequencies:
                for begin in range(start, end, headway):
                    shift = origin + begin - first
                    yield Run(
                        trip,
                        day,
                        origin + begin,
                        tuple(shift + t for t in trip.arrivals),
                        tuple(shift + t for t in trip.departures),
                        exact,
                    )


def build_day(network: Network, day: date) -> Day:
    """The runs of the service days before, of and after ``day`` (a night's trips
    belong to the day before; a late query reaches the morning after), as patterns."""
    groups: dict[tuple[object, ...], list[Run]] = defaultdict(list)
    for service_day in (day - timedelta(days=1), day, day + timedelta(days=1)):
        for run in network.runs_on(service_day):
            trip = run.trip
            groups[trip.route, trip.stops, trip.boards, trip.alights].append(run)
    patterns: list[Pattern] = []
    for (route, stops, boards, alights), runs in groups.items():
        runs.sort(key=lambda r: (r.departures[0], r.arrivals[-1]))
        lanes: list[Pattern] = []
        for run in runs:
            for lane in lanes:
                last = lane.runs[-1]
                if all(
                    a >= b and c >= d
                    for a, b, c, d in zip(
                        run.arrivals, last.arrivals, run.departures, last.departures, strict=True
                    )
                ):
                    lane.runs.append(run)
                    break
            else:
                lane = Pattern(len(patterns) + len(lanes), str(route), stops, boards, alights)  # type: ignore[arg-type]
                lane.runs.append(run)
                lanes.append(lane)
        patterns.extend(lanes)
    by_stop: list[list[tuple[int, int]]] = [[] for _ in network.stops]
    for pattern in patterns:
        pattern.seal()
        for position, stop in enumerate(pattern.stops):
            by_stop[stop].append((pattern.index, position))
    return Day(day, patterns, by_stop)


# --- loading ---------------------------------------------------------------------------

_networks: dict[int, Network] = {}
_networks_lock = threading.Lock()


def network(db: Session, city: City) -> Network:
    """The city's network, rebuilt when a feed was imported (by any process) since."""
    enter_city(db, city)
    key = tuple(
        (row.id, row.version, row.sha256)
        for row in db.execute(select(Feed.id, Feed.version, Feed.sha256).order_by(Feed.id)).all()
    )
    found = _networks.get(city.id)
    if found is not None and found.key == key:
        return found
    built = load_network(db, city, key)
    with _networks_lock:
        _networks[city.id] = built
    return built


def load_network(db: Session, city: City, key: tuple[tuple[int, int, str], ...]) -> Network:
    enter_city(db, city)
    names = {
        row.id: (row.name, row.timezone)
        for row in db.execute(select(Feed.id, Feed.name, Feed.timezone))
    }
    feeds = {name: FeedCalendar(name, ZoneInfo(zone)) for name, zone in names.values()}
    for cal in db.execute(
        select(
            Calendar.feed_id,
            Calendar.service_id,
            Calendar.weekdays,
            Calendar.start_date,
            Calendar.end_date,
        )
    ):
        feeds[names[cal.feed_id][0]].weekly[cal.service_id] = (
            cal.weekdays,
            cal.start_date,
            cal.end_date,
        )
    for exc in db.execute(
        select(
            CalendarDate.feed_id,
            CalendarDate.service_id,
            CalendarDate.date,
            CalendarDate.exception_type,
        )
    ):
        feeds[names[exc.feed_id][0]].exceptions[exc.service_id, exc.date] = exc.exception_type

    stops: list[StopInfo] = []
    index: dict[str, int] = {}
    rows = db.execute(
        select(
            Stop.feed_id,
            Stop.stop_id,
            Stop.name,
            Stop.code,
            Stop.lat,
            Stop.lon,
            Stop.location_type,
            Stop.parent_station,
            Stop.platform_code,
        ).order_by(Stop.feed_id, Stop.stop_id)
    ).all()
    for srow in rows:
        feed = names[srow.feed_id][0]
        stop_key = f"{feed}:{srow.stop_id}"
        index[stop_key] = len(stops)
        stops.append(
            StopInfo(
                len(stops),
                stop_key,
                feed,
                srow.stop_id,
                srow.name,
                srow.code,
                srow.lat if srow.lat is not None else math.nan,
                srow.lon if srow.lon is not None else math.nan,
                srow.location_type,
                f"{feed}:{srow.parent_station}" if srow.parent_station else None,
                srow.platform_code,
            )
        )
    children: dict[int, list[int]] = defaultdict(list)
    for stop in stops:
        if stop.parent and stop.parent in index and stop.location_type == 0:
            children[index[stop.parent]].append(stop.index)

    routes: dict[str, RouteInfo] = {}
    for route in db.scalars(select(Route)):
        feed = names[route.feed_id][0]
        route_key = f"{feed}:{route.route_id}"
        routes[route_key] = RouteInfo(
            route_key,
            feed,
            route.route_id,
            route.short_name,
            route.long_name,
            route.type,
            route.color,
            route.text_color,
            route.agency_id,
        )

    calls: dict[tuple[int, str], list[tuple[int, ...]]] = defaultdict(list)
    for call in db.execute(
        select(
            StopTime.feed_id,
            StopTime.trip_id,
            StopTime.sequence,
            StopTime.stop_id,
            StopTime.arrival,
            StopTime.departure,
            StopTime.timepoint,
            StopTime.pickup_type,
            StopTime.drop_off_type,
        ).order_by(StopTime.feed_id, StopTime.trip_id, StopTime.sequence)
    ):
        calls[call.feed_id, call.trip_id].append(
            (
                call.sequence,
                index[f"{names[call.feed_id][0]}:{call.stop_id}"],
                call.arrival,
                call.departure,
                int(call.timepoint),
                call.pickup_type,
                call.drop_off_type,
            )
        )
    frequencies: dict[tuple[int, str], list[tuple[int, int, int, bool]]] = defaultdict(list)
    for freq in db.execute(
        select(
            Frequency.feed_id,
            Frequency.trip_id,
            Frequency.start,
            Frequency.end,
            Frequency.headway,
            Frequency.exact,
        )
    ):
        frequencies[freq.feed_id, freq.trip_id].append(
            (freq.start, freq.end, freq.headway, freq.exact)
        )

    trips: dict[str, TripInfo] = {}
    for trow in db.execute(
        select(
            Trip.feed_id,
            Trip.trip_id,
            Trip.route_id,
            Trip.service_id,
            Trip.headsign,
            Trip.direction_id,
            Trip.shape_id,
        )
    ):
        feed = names[trow.feed_id][0]
        found = calls.get((trow.feed_id, trow.trip_id))
        if not found:
            continue
        trip_key = f"{feed}:{trow.trip_id}"
        trips[trip_key] = TripInfo(
            trip_key,
            feed,
            trow.trip_id,
            f"{feed}:{trow.route_id}",
            trow.service_id,
            trow.headsign,
            trow.direction_id,
            trow.shape_id,
            tuple(c[1] for c in found),
            tuple(c[0] for c in found),
            tuple(c[2] for c in found),
            tuple(c[3] for c in found),
            tuple(bool(c[4]) for c in found),
            tuple(c[5] != 1 for c in found),
            tuple(c[6] != 1 for c in found),
            tuple(sorted(frequencies.get((trow.feed_id, trow.trip_id), []))),
        )

    transfers: dict[tuple[int, int], tuple[int, int | None]] = {}
    for xfer in db.execute(
        select(
            Transfer.feed_id,
            Transfer.from_stop_id,
            Transfer.to_stop_id,
            Transfer.type,
            Transfer.min_transfer_time,
        )
    ):
        if xfer.from_stop_id is None or xfer.to_stop_id is None:
            continue
        feed = names[xfer.feed_id][0]
        a, b = index.get(f"{feed}:{xfer.from_stop_id}"), index.get(f"{feed}:{xfer.to_stop_id}")
        if a is not None and b is not None:
            transfers[a, b] = (xfer.type, xfer.min_transfer_time)

    return Network(
        key=key,
        feeds=feeds,
        stops=stops,
        index=index,
        routes=routes,
        trips=trips,
        near=_near(stops),
        transfers=transfers,
        children=dict(children),
    )


def _near(stops: list[StopInfo]) -> list[list[tuple[int, float]]]:
    """Each stop's neighbours within walking reach, found through a grid of cells."""
    cell = MAX_FOOTPATH_M / 111_000  # degrees of latitude
    grid: dict[tuple[int, int], list[StopInfo]] = defaultdict(list)
    usable = [s for s in stops if s.location_type == 0 and not math.isnan(s.lat)]
    for stop in usable:
        grid[int(stop.lat // cell), int(stop.lon // cell)].append(stop)
    near: list[list[tuple[int, float]]] = [[] for _ in stops]
    for stop in usable:
        gy, gx = int(stop.lat // cell), int(stop.lon // cell)
        # a degree of longitude shrinks with latitude: look as many cells wide as needed
        span = math.ceil(1 / max(math.cos(math.radians(stop.lat)), 0.01))
        found: list[tuple[int, float]] = []
        for y in (gy - 1, gy, gy + 1):
            for x in range(gx - span, gx + span + 1):
                for other in grid.get((y, x), ()):
                    if other.index == stop.index:
                        continue
                    metres = haversine_m((stop.lat, stop.lon), (other.lat, other.lon)) * DETOUR
                    if metres <= MAX_FOOTPATH_M:
                        found.append((other.index, metres))
        found.sort(key=lambda f: f[1])
        near[stop.index] = found
    return near


def stops_near(network: Network, lat: float, lon: float, metres: float) -> list[tuple[int, float]]:
    """The stops (location_type 0) within ``metres`` of walking of a point, nearest first."""
    found = [
        (s.index, haversine_m((lat, lon), (s.lat, s.lon)) * DETOUR)
        for s in network.stops
        if s.location_type == 0 and not math.isnan(s.lat)
    ]
    return sorted((f for f in found if f[1] <= metres), key=lambda f: f[1])
