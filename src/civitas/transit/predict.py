"""Arrival prediction from what a trip has done so far and what Civitas has learnt.

The learning (:func:`learn`, a nightly job and after each demo load): from the observed
departures of the last ``history_days``, the mean time from one stop's departure to the
next's per route, stops, day type (weekday, Saturday, Sunday) and hour, and the usual
crowding per route, stop, day type and hour.

The prediction (:func:`predict`), as TheTransitClock and OneBusAway do it in part:

* from the last stop the trip was seen to leave, each segment ahead takes its learnt
  running time for the hour the vehicle will be in it (the timetable's where too little
  was seen);
* the trip's own pace so far (its observed time over the learnt one) is carried along,
  fading segment by segment (a slow bus stays slow for a while, not for ever);
* at a timepoint an early vehicle waits for its scheduled departure (recovery).

A trip not yet seen moving keeps the delay its update announces, and never leaves its
first stop before the timetable says.
"""

from __future__ import annotations

import statistics
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.db import utcnow
from civitas.transit.models import Feed, Learnt, Observation
from civitas.transit.timetable import Network, Run

FADE = 0.8  # how much of a trip's pace carries to the next segment
MIN_SEEN = 3  # observations a learnt mean needs before it is trusted
PACE_LIMITS = (0.6, 1.8)


def day_type(day: date) -> int:
    """0 for Monday to Friday, 5 Saturday, 6 Sunday."""
    weekday = day.weekday()
    return weekday if weekday >= 5 else 0


@dataclass(frozen=True)
class Model:
    """What was learnt for one feed: running times and usual crowding."""

    running: dict[str, tuple[float, int]]
    crowding: dict[str, tuple[float, int]]

    def segment(self, route: str, a: str, b: str, kind: int, hour: int, scheduled: float) -> float:
        """Seconds from a's departure to b's, at that hour (the nearest hours' when this
        one was seen too little, the timetable's when none was)."""
        for h in (hour, hour - 1, hour + 1):
            found = self.running.get(f"{route}|{a}|{b}|{kind}|{h % 24}")
            if found is not None and found[1] >= MIN_SEEN:
                return found[0]
        return scheduled

    def usual_crowding(self, route: str, stop: str, kind: int, hour: int) -> float | None:
        found = self.crowding.get(f"{route}|{stop}|{kind}|{hour % 24}")
        return found[0] if found is not None and found[1] >= MIN_SEEN else None


EMPTY = Model({}, {})

_models: dict[tuple[int, str], tuple[datetime, Model]] = {}
_lock = threading.Lock()


def model_of(db: Session, city: City, feed: Feed) -> Model:
    """The feed's learnt model (kept in memory until it is learnt again)."""
    enter_city(db, city)
    stamps = dict(
        db.execute(select(Learnt.kind, Learnt.learnt_at).where(Learnt.feed_id == feed.id)).all()
    )
    if not stamps:
        return EMPTY
    key = (feed.id, feed.sha256)
    newest = max(stamps.values())
    found = _models.get(key)
    if found is not None and found[0] == newest:
        return found[1]
    data = {
        row.kind: row.data for row in db.scalars(select(Learnt).where(Learnt.feed_id == feed.id))
    }
    model = model_from(data)
    with _lock:
        _models[key] = (newest, model)
    return model


def learn(
    db: Session,
    city: City,
    feed: Feed,
    net: Network,
    *,
    days: int,
    now: datetime | None = None,
) -> dict[str, int]:
    """Learn running times and crowding from the feed's observations of the last
    ``days`` days; replaces what was learnt before (in the caller's transaction)."""
    enter_city(db, city)
    now = now or utcnow()
    zone = ZoneInfo(feed.timezone)
    since = (now - timedelta(days=days)).astimezone(zone).date()
    rows = db.execute(
        select(
            Observation.trip_id,
            Observation.service_date,
            Observation.sequence,
            Observation.stop_id,
            Observation.route_id,
            Observation.observed,
            Observation.occupancy,
        )
        .where(Observation.feed_id == feed.id, Observation.service_date >= since)
        .order_by(Observation.trip_id, Observation.service_date, Observation.sequence)
    ).all()
    learnt = learn_rows(rows, net, feed.name, zone)
    for what, data in learnt.items():
        found = db.scalar(select(Learnt).where(Learnt.feed_id == feed.id, Learnt.kind == what))
        if found is None:
            found = Learnt(tenant_id=city.id, feed_id=feed.id, kind=what)
            db.add(found)
        found.learnt_at = now
        found.since = since
        found.observations = len(rows)
        found.data = data
    db.flush()
    return {
        "observations": len(rows),
        "segments": len(learnt["running_times"]),
        "crowding": len(learnt["crowding"]),
    }


def learn_rows(
    rows: Any, net: Network, feed: str, zone: ZoneInfo
) -> dict[str, dict[str, list[float]]]:
    """Running times and crowding from observations sorted by trip, date and sequence
    (rows or dicts with trip_id, service_date, sequence, stop_id, route_id, observed,
    occupancy)."""
    running: dict[str, list[float]] = defaultdict(list)
    crowding: dict[str, list[float]] = defaultdict(list)
    previous: Any = None
    for row in rows:
        if isinstance(row, dict):
            row = _Obs(**row)
        local = row.observed.astimezone(zone)
        kind = day_type(row.service_date)
        if row.occupancy is not None and row.occupancy <= 6:
            crowding[f"{row.route_id}|{row.stop_id}|{kind}|{local.hour}"].append(row.occupancy)
        if (
            previous is not None
            and previous.trip_id == row.trip_id
            and previous.service_date == row.service_date
            and _adjacent(net, feed, row.trip_id, previous.sequence, row.sequence)
        ):
            seconds = (row.observed - previous.observed).total_seconds()
            if 0 <= seconds < 4 * 3600:
                hour = previous.observed.astimezone(zone).hour
                running[f"{row.route_id}|{previous.stop_id}|{row.stop_id}|{kind}|{hour}"].append(
                    seconds
                )
        previous = row
    return {
        "running_times": {k: [round(statistics.fmean(v), 1), len(v)] for k, v in running.items()},
        "crowding": {k: [round(statistics.fmean(v), 2), len(v)] for k, v in crowding.items()},
    }


@dataclass(frozen=True)
class _Obs:
    trip_id: str
    route_id: str
    service_date: date
    sequence: int
    stop_id: str
    observed: datetime
    occupancy: int | None = None
    scheduled: datetime | None = None
    delay: int | None = None


def model_from(learnt: dict[str, dict[str, list[float]]]) -> Model:
    return Model(
        {k: (float(v[0]), int(v[1])) for k, v in (learnt.get("running_times") or {}).items()},
        {k: (float(v[0]), int(v[1])) for k, v in (learnt.get("crowding") or {}).items()},
    )


def _adjacent(net: Network, feed: str, trip_id: str, a: int, b: int) -> bool:
    trip = net.trips.get(f"{feed}:{trip_id}")
    if trip is None:
        return False
    try:
        return trip.sequences.index(b) == trip.sequences.index(a) + 1
    except ValueError:
        return False


@dataclass(frozen=True)
class Seen:
    """What a trip update says of one run: the stops it left (position → epoch) and the
    delay it announces."""

    passed: dict[int, int]
    delay: int | None
    at: int  # the update's own time


def seen_of(stops: list[dict[str, Any]], delay: int | None, at: int) -> Seen:
    passed: dict[int, int] = {}
    for stop in stops:
        time = stop.get("departure") if stop.get("departure") is not None else stop.get("arrival")
        if time is not None and time <= at and not stop.get("skipped"):
            passed[int(stop["i"])] = int(time)
    return Seen(passed, delay, at)


def predict(
    net: Network,
    model: Model,
    run: Run,
    seen: Seen,
    zone: ZoneInfo,
    *,
    fade: float = FADE,
) -> list[int]:
    """The predicted departure (epoch) at every stop of the run, passed stops as seen."""
    trip = run.trip
    route = net.routes[trip.route].route_id
    stops = [net.stops[s].stop_id for s in trip.stops]
    kind = day_type(run.service_date)
    n = len(stops)
    out = list(run.departures)
    if not seen.passed:
        delay = seen.delay or 0
        out = [t + delay for t in run.departures]
        out[0] = max(out[0], run.departures[0])
        return out
    last = max(seen.passed)
    for i, t in seen.passed.items():
        out[i] = t
    first = min(seen.passed)
    # the trip's pace so far against what was learnt for it
    expected = 0.0
    for s in range(first, last):
        expected += _segment(model, route, stops, kind, run, s, zone, seen.passed.get(s, out[s]))
    pace = 1.0
    if expected > 0 and last > first:
        pace = (seen.passed[last] - seen.passed[first]) / expected
        pace = min(max(pace, PACE_LIMITS[0]), PACE_LIMITS[1])
    clock = float(seen.passed[last])
    weight = 1.0
    for s in range(last, n - 1):
        weight *= fade
        seconds = _segment(model, route, stops, kind, run, s, zone, int(clock))
        clock += seconds * (1 + (pace - 1) * weight)
        if trip.timepoints[s + 1] and clock < run.departures[s + 1]:
            clock = float(run.departures[s + 1])  # an early vehicle waits at a timepoint
        out[s + 1] = round(clock)
    return out


def _segment(
    model: Model,
    route: str,
    stops: list[str],
    kind: int,
    run: Run,
    s: int,
    zone: ZoneInfo,
    at: int,
) -> float:
    hour = datetime.fromtimestamp(at, UTC).astimezone(zone).hour
    scheduled = run.departures[s + 1] - run.departures[s]
    return model.segment(route, stops[s], stops[s + 1], kind, hour, scheduled)


def carried(run: Run, seen: Seen) -> list[int]:
    """OneBusAway's method, the baseline: the last known delay carried to every stop."""
    if not seen.passed:
        return [t + (seen.delay or 0) for t in run.departures]
    last = max(seen.passed)
    delay = seen.passed[last] - run.departures[last]
    return [seen.passed.get(i, t + delay) for i, t in enumerate(run.departures)]
