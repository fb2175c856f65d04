"""The demo's live buses: what a city's vehicles would do, and the GTFS-Realtime feed an
operator's system would send of them.

Every run's day is a pure function of the run and the date (seeded), so any moment can
be replayed: the demo server answers the operator's feed for "now", the benchmark
replays whole days. A vehicle

* leaves its first stop a little late (most often under two minutes);
* takes each segment its scheduled time, times the street's congestion at that hour (a
  third of the segments of each line slow down at the morning and evening peaks, each
  segment has its own lasting bias), times the trip's own pace, which drifts from
  segment to segment (a slow bus stays slow for a while);
* waits at a timepoint when it is early;
* carries riders: boarding grows towards the centre of the line and with the peaks.

The operator's feed is naive, as many are: a trip update with the departures seen and
the current delay carried to the next stop, and each vehicle's position, stop and
occupancy (OccupancyStatus and occupancy_percentage).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from google.transit import gtfs_realtime_pb2 as rt

from civitas.transit.timetable import Network, Run

CAPACITY = 80
DWELL_S = 20  # the part of a departure time spent standing at the stop
PEAKS = ((7.0, 9.0), (17.0, 19.5))


def _seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "big")


def _unit(*parts: object) -> float:
    """A number in [0, 1) fixed by its parts."""
    return _seed(*parts) / 2**64


@functools.lru_cache(maxsize=65536)
def _segment(route: str, a: str, b: str) -> tuple[float, bool]:
    """A segment's lasting bias, and whether it is one that slows down at the peaks."""
    return 0.92 + 0.16 * _unit("bias", route, a, b), _unit("busy", route, a, b) < 0.35


def congestion(route: str, a: str, b: str, hour: float, weekday: bool) -> float:
    """How much slower than scheduled a segment is at an hour of the day."""
    bias, busy = _segment(route, a, b)
    if busy:
        peak = any(start - 0.5 <= hour <= end for start, end in PEAKS) and weekday
        midday = 11.5 <= hour <= 14.5
        bias *= 1.45 if peak else (1.15 if midday else 1.0)
    if hour >= 21 or hour < 6:
        bias *= 0.88
    return bias


@dataclass(frozen=True)
class Truth:
    """A run as it happened: departures (epoch) and riders aboard after each stop."""

    departures: tuple[int, ...]
    riders: tuple[int, ...]


def _static(net: Network, run: Run) -> tuple[str, tuple[tuple[float, bool], ...], float]:
    """A trip's route, its segments' lasting bias and peaks, and its line's demand."""
    trip = run.trip
    found: tuple[str, tuple[tuple[float, bool], ...], float] | None = net.derived.get(
        ("simulation", trip.key)
    )
    if found is None:
        route = net.routes[trip.route].route_id
        stops = [net.stops[s].stop_id for s in trip.stops]
        segments = tuple(_segment(route, a, b) for a, b in itertools.pairwise(stops))
        found = (route, segments, 0.7 + 0.6 * _unit("line", route))
        net.derived["simulation", trip.key] = found
    return found


def truth(net: Network, run: Run, zone: ZoneInfo) -> Truth:
    trip = run.trip
    _, segments, line = _static(net, run)
    # a demo's made-up day, replayable: no secret depends on it
    rng = random.Random(_seed("run", trip.key, run.service_date, run.start))  # noqa: S311
    gauss = rng.gauss
    weekday = run.service_date.weekday() < 5
    # local hours by the day's offset (a run does not cross a change of the clocks)
    offset = _offset(zone, run.departures[0])
    deps = run.departures
    timepoints = trip.timepoints
    clock = deps[0] + max(0.0, gauss(45, 60))
    pace = gauss(0, 0.05)
    departures = [round(clock)]
    for s, (bias, busy) in enumerate(segments):
        pace = 0.8 * pace + gauss(0, 0.045)
        h = ((clock + offset) % 86400) / 3600
        factor = bias
        if busy:
            peak = weekday and (6.5 <= h <= 9.0 or 16.5 <= h <= 19.5)
            factor *= 1.45 if peak else (1.15 if 11.5 <= h <= 14.5 else 1.0)
        if h >= 21 or h < 6:
            factor *= 0.88
        clock += max((deps[s + 1] - deps[s]) * factor * (1 + pace), 10.0)
        if timepoints[s + 1] and clock < deps[s + 1]:
            clock = deps[s + 1]
        departures.append(round(clock))
    # riders: people board along the first two thirds, leave along the last
    h = ((departures[0] + offset) % 86400) / 3600
    demand = 0.35 + (0.65 if any(a - 0.5 <= h <= b for a, b in PEAKS) and weekday else 0.0)
    demand *= line
    riders: list[int] = []
    aboard = 0.0
    n = len(departures)
    uniform = rng.uniform
    for i in range(n):
        x = i / max(n - 1, 1)
        aboard += demand * 9 * (1 - x) * uniform(0.5, 1.5) - aboard * (0.05 + 0.5 * x * x)
        aboard = max(0.0, min(aboard, CAPACITY * 1.15))
        riders.append(round(aboard) if i < n - 1 else 0)
    return Truth(tuple(departures), tuple(riders))


def _offset(zone: ZoneInfo, epoch: int) -> int:
    found = datetime.fromtimestamp(epoch, UTC).astimezone(zone).utcoffset()
    return int(found.total_seconds()) if found else 0


def occupancy_of(riders: int) -> tuple[int, int]:
    """GTFS-RT OccupancyStatus and occupancy_percentage of riders aboard."""
    share = riders / CAPACITY
    status = (
        rt.VehiclePosition.MANY_SEATS_AVAILABLE
        if share < 0.45
        else rt.VehiclePosition.FEW_SEATS_AVAILABLE
        if share < 0.7
        else rt.VehiclePosition.STANDING_ROOM_ONLY
        if share < 0.95
        else rt.VehiclePosition.CRUSHED_STANDING_ROOM_ONLY
        if share < 1.1
        else rt.VehiclePosition.FULL
    )
    return int(status), round(share * 100)


def runs_at(net: Network, feed: str, at: int, zone: ZoneInfo) -> list[Run]:
    """The runs of a feed that may be under way at ``at`` (started, not long finished)."""
    local = datetime.fromtimestamp(at, UTC).astimezone(zone).date()
    day = net.day(local)
    found: list[Run] = []
    for pattern in day.patterns:
        for run in pattern.runs:
            if run.trip.feed != feed:
                continue
            if run.departures[0] - 60 <= at <= run.arrivals[-1] + 1800:
                found.append(run)
    return found


def feed_message(
    net: Network, feed: str, at: int, zone: ZoneInfo, *, what: str = "trip_updates"
) -> bytes:
    """The operator's GTFS-Realtime message at ``at``: "trip_updates" or
    "vehicle_positions" (both: "all")."""
    message = rt.FeedMessage()
    message.header.gtfs_realtime_version = "2.0"
    message.header.incrementality = rt.FeedHeader.FULL_DATASET
    message.header.timestamp = at
    for run in runs_at(net, feed, at, zone):
        happened = truth(net, run, zone)
        deps = happened.departures
        if not (deps[0] - DWELL_S <= at <= deps[-1]):
            continue
        passed = [i for i, t in enumerate(deps) if t <= at]
        trip = run.trip
        start_date = run.service_date.strftime("%Y%m%d")
        vehicle_id = f"{trip.route.split(':', 1)[1]}-{_seed('v', trip.key, run.start) % 900 + 100}"
        if what in ("trip_updates", "all"):
            entity = message.entity.add()
            entity.id = f"tu-{trip.trip_id}-{start_date}"
            update = entity.trip_update
            update.trip.trip_id = trip.trip_id
            update.trip.start_date = start_date
            update.vehicle.id = vehicle_id
            update.timestamp = at
            delay = 0
            for i in passed:
                stu = update.stop_time_update.add()
                stu.stop_sequence = trip.sequences[i]
                stu.departure.time = deps[i]
                delay = deps[i] - run.departures[i]
            nxt = (passed[-1] + 1) if passed else 0
            if nxt < len(deps):
                stu = update.stop_time_update.add()
                stu.stop_sequence = trip.sequences[nxt]
                stu.departure.delay = delay
            update.delay = delay
        if what in ("vehicle_positions", "all"):
            entity = message.entity.add()
            entity.id = f"vp-{trip.trip_id}-{start_date}"
            vehicle = entity.vehicle
            vehicle.trip.trip_id = trip.trip_id
            vehicle.trip.start_date = start_date
            vehicle.vehicle.id = vehicle_id
            vehicle.timestamp = at
            last = passed[-1] if passed else 0
            nxt = min(last + 1, len(deps) - 1)
            a, b = net.stops[trip.stops[last]], net.stops[trip.stops[nxt]]
            if not passed or deps[nxt] - DWELL_S <= at:
                stop = b if passed else a
                vehicle.current_status = rt.VehiclePosition.STOPPED_AT
                vehicle.current_stop_sequence = trip.sequences[nxt if passed else 0]
                vehicle.stop_id = stop.stop_id
                lat, lon = stop.lat, stop.lon
            else:
                share = (at - deps[last]) / max(deps[nxt] - DWELL_S - deps[last], 1)
                vehicle.current_status = rt.VehiclePosition.IN_TRANSIT_TO
                vehicle.current_stop_sequence = trip.sequences[nxt]
                vehicle.stop_id = b.stop_id
                lat = a.lat + (b.lat - a.lat) * share
                lon = a.lon + (b.lon - a.lon) * share
            vehicle.position.latitude = lat
            vehicle.position.longitude = lon
            vehicle.position.bearing = _bearing(a.lat, a.lon, b.lat, b.lon)
            status, percentage = occupancy_of(happened.riders[last])
            vehicle.occupancy_status = status
            vehicle.occupancy_percentage = percentage
    return bytes(message.SerializeToString())


def _bearing(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    y = math.sin(math.radians(lon2 - lon1)) * math.cos(math.radians(lat2))
    x = math.cos(math.radians(lat1)) * math.sin(math.radians(lat2)) - math.sin(
        math.radians(lat1)
    ) * math.cos(math.radians(lat2)) * math.cos(math.radians(lon2 - lon1))
    return round((math.degrees(math.atan2(y, x)) + 360) % 360, 1)


def observations_of(
    net: Network, feed: str, day: date, zone: ZoneInfo, *, until: int | None = None
) -> list[dict[str, Any]]:
    """What ingesting the operator's feed all day would have recorded: every departure
    (up to ``until``) of every run of the service day, with the crowding after it."""
    rows: list[dict[str, Any]] = []
    for run in net.runs_on(day):
        if run.trip.feed != feed:
            continue
        happened = truth(net, run, zone)
        trip = run.trip
        route = net.routes[trip.route].route_id
        for i, t in enumerate(happened.departures):
            if until is not None and t > until:
                break
            status, _ = occupancy_of(happened.riders[i])
            rows.append(
                {
                    "trip_id": trip.trip_id,
                    "route_id": route,
                    "service_date": day,
                    "sequence": trip.sequences[i],
                    "stop_id": net.stops[trip.stops[i]].stop_id,
                    "scheduled": datetime.fromtimestamp(run.departures[i], UTC),
                    "observed": datetime.fromtimestamp(t, UTC),
                    "delay": t - run.departures[i],
                    "occupancy": status,
                }
            )
    return rows


def days_back(today: date, n: int) -> list[date]:
    return [today - timedelta(days=k) for k in range(n, 0, -1)]


def seen_of(net: Network, feed: str, day: date, zone: ZoneInfo) -> list[tuple[Any, ...]]:
    """The same day as the observatory reads it (civitas.transit.observatory.Seen), made
    without a row or a datetime for each departure: a month of it in seconds."""
    out: list[tuple[Any, ...]] = []
    for run in net.runs_on(day):
        trip = run.trip
        if trip.feed != feed:
            continue
        happened = truth(net, run, zone)
        route = net.routes[trip.route].route_id
        stops = [net.stops[s].stop_id for s in trip.stops]
        for i, t in enumerate(happened.departures):
            riders = happened.riders[i] / CAPACITY
            status = (
                1
                if riders < 0.45
                else 2
                if riders < 0.7
                else 3
                if riders < 0.95
                else 4
                if riders < 1.1
                else 5
            )
            scheduled = run.departures[i]
            out.append((route, trip.trip_id, stops[i], t - scheduled, status, scheduled, t))
    return out
