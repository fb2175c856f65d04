"""The next departures at a stop: the timetable's, with Civitas's predictions where a
trip is live, and how full the vehicle is.

Each answer says where it comes from. ``realtime``: a prediction from an update at most
``stale_after_s`` old. ``stale``: the update is older than that (the prediction is still
shown, with its age, until ``drop_after_s``; then only the timetable), or the feed has
live data and has stopped sending it, so the timetable cannot be confirmed.
``schedule``: the timetable of a trip the feed has not (yet) reported, from a feed that
is live or has no live data at all. A query "as of" a time reads only what was stamped
by then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.transit import predict
from civitas.transit.feeds import feeds_of, settings_of
from civitas.transit.models import CrowdReport, Feed, RealtimeMessage, TripUpdate, VehiclePosition
from civitas.transit.realtime import OCCUPANCY
from civitas.transit.timetable import Network, Run, network

# how late a vehicle may still come: runs scheduled this long before the window are read
LATE_S = 45 * 60
RIDER_REPORTS_S = 15 * 60
# riders' three levels, as OccupancyStatus
RIDER_LEVELS = {1: 1, 2: 3, 3: 5}


@dataclass(frozen=True)
class Arrival:
    run: Run
    position: int
    stop: int
    scheduled: int  # epoch
    predicted: int | None
    source: str  # realtime, schedule, stale
    age_s: int | None
    canceled: bool
    occupancy: str | None
    occupancy_source: str | None  # vehicle, riders, usual
    vehicle: str | None

    @property
    def expected(self) -> int:
        return self.predicted if self.predicted is not None else self.scheduled


def as_of_latest(rows: list[Any], key: Any) -> dict[Any, Any]:
    """The newest row for each key (rows sorted newest first)."""
    found: dict[Any, Any] = {}
    for row in rows:
        found.setdefault(key(row), row)
    return found


def arrivals(
    db: Session,
    city: City,
    stop_key: str,
    *,
    at: datetime,
    minutes: int = 60,
    net: Network | None = None,
) -> list[Arrival]:
    """The departures from a stop (a station: from its platforms) between ``at`` and
    ``minutes`` later, soonest first."""
    net = net or network(db, city)
    index = net.index[stop_key]
    settings = settings_of(db, city)
    feeds = {f.name: f for f in feeds_of(db, city)}
    t0 = int(at.timestamp())
    t1 = t0 + minutes * 60
    candidates: list[tuple[Run, int, int]] = []
    for stop in net.boarding_stops(index):
        zone = net.feeds[net.stops[stop].feed].zone
        day = net.day(datetime.fromtimestamp(t0, UTC).astimezone(zone).date())
        for pattern_index, position in day.by_stop[stop]:
            pattern = day.patterns[pattern_index]
            if not pattern.boards[position] or position == len(pattern.stops) - 1:
                continue
            times = pattern.departures[position]
            start = pattern.first_catchable(position, t0 - LATE_S, len(times))
            for r in range(start, len(times)):
                if times[r] > t1:
                    break
                candidates.append((pattern.runs[r], position, stop))
    if not candidates:
        return []
    live = _live(db, city, feeds, candidates, at, settings.drop_after_s)
    out: list[Arrival] = []
    models: dict[str, predict.Model] = {}
    for run, position, stop in candidates:
        trip = run.trip
        feed = feeds[trip.feed]
        zone = net.feeds[trip.feed].zone
        update = live.updates.get((feed.id, trip.trip_id, run.service_date))
        vehicle = live.vehicles.get((feed.id, trip.trip_id, run.service_date))
        scheduled = run.departures[position]
        predicted: int | None = None
        age: int | None = None
        canceled = False
        if update is not None:
            age = t0 - int(update.at.timestamp())
            canceled = update.canceled
            if not canceled:
                if trip.feed not in models:
                    models[trip.feed] = predict.model_of(db, city, feed)
                seen = predict.seen_of(update.stops, update.delay, int(update.at.timestamp()))
                if position in seen.passed:
                    continue  # it has left this stop
                predicted = predict.predict(net, models[trip.feed], run, seen, zone)[position]
        if update is not None and age is not None and age <= settings.stale_after_s:
            source = "realtime"
        elif update is not None:
            source = "stale"
        elif live.has_live.get(feed.id) and live.silent.get(feed.id, True):
            source = "stale"  # the feed stopped talking: the timetable is unconfirmed
        else:
            source = "schedule"
        expected = predicted if predicted is not None else scheduled
        if not (t0 <= expected <= t1):
            continue
        occupancy, occupancy_source = _occupancy(
            db, net, live, run, position, stop, t0, settings.drop_after_s, models, feed, city
        )
        out.append(
            Arrival(
                run=run,
                position=position,
                stop=stop,
                scheduled=scheduled,
                predicted=predicted,
                source=source,
                age_s=age,
                canceled=canceled,
                occupancy=occupancy,
                occupancy_source=occupancy_source,
                vehicle=(update.vehicle_id if update is not None else None)
                or (vehicle.vehicle_id if vehicle is not None else None),
            )
        )
    out.sort(key=lambda a: (a.expected, a.scheduled))
    return out


@dataclass
class _Live:
    updates: dict[tuple[int, str, Any], Any]
    vehicles: dict[tuple[int, str, Any], Any]
    has_live: dict[int, bool]  # the feed has sent realtime (ever, as of the query)
    silent: dict[int, bool]  # …but nothing within stale_after
    reports: dict[tuple[int, str], list[Any]]


def _live(
    db: Session,
    city: City,
    feeds: dict[str, Feed],
    candidates: list[tuple[Run, int, int]],
    as_of: datetime,
    drop_after_s: int,
) -> _Live:
    settings = settings_of(db, city)
    oldest = as_of - timedelta(seconds=drop_after_s)
    keys = {(feeds[r.trip.feed].id, r.trip.trip_id, r.service_date) for r, _, _ in candidates}
    feed_ids = {k[0] for k in keys}
    updates: list[Any] = []
    vehicles: list[Any] = []
    trips = sorted({k[1] for k in keys})
    for start in range(0, len(trips), 500):
        chunk = trips[start : start + 500]
        updates += db.scalars(
            select(TripUpdate)
            .where(
                TripUpdate.feed_id.in_(feed_ids),
                TripUpdate.trip_id.in_(chunk),
                TripUpdate.at <= as_of,
                TripUpdate.at > oldest,
            )
            .order_by(TripUpdate.at.desc(), TripUpdate.id.desc())
        ).all()
        vehicles += db.scalars(
            select(VehiclePosition)
            .where(
                VehiclePosition.feed_id.in_(feed_ids),
                VehiclePosition.trip_id.in_(chunk),
                VehiclePosition.at <= as_of,
                VehiclePosition.at > oldest,
            )
            .order_by(VehiclePosition.at.desc(), VehiclePosition.id.desc())
        ).all()
    has_live: dict[int, bool] = {}
    silent: dict[int, bool] = {}
    for feed_id in feed_ids:
        newest = db.scalar(
            select(func.max(RealtimeMessage.header_at)).where(
                RealtimeMessage.feed_id == feed_id, RealtimeMessage.header_at <= as_of
            )
        )
        feed = next(f for f in feeds.values() if f.id == feed_id)
        configured = bool(feed.trip_updates_url or feed.vehicle_positions_url)
        has_live[feed_id] = newest is not None or configured
        silent[feed_id] = (
            newest is None or (as_of - newest).total_seconds() > settings.stale_after_s
        )
    stops = {(feeds[r.trip.feed].id, r.trip.route) for r, _, _ in candidates}
    reports: dict[tuple[int, str], list[Any]] = {}
    if stops:
        since = as_of - timedelta(seconds=RIDER_REPORTS_S)
        for report in db.scalars(
            select(CrowdReport).where(
                CrowdReport.feed_id.in_(feed_ids),
                CrowdReport.at <= as_of,
                CrowdReport.at > since,
            )
        ):
            reports.setdefault((report.feed_id, report.stop_id), []).append(report)
    return _Live(
        updates=as_of_latest(updates, lambda u: (u.feed_id, u.trip_id, u.service_date)),
        vehicles=as_of_latest(vehicles, lambda v: (v.feed_id, v.trip_id, v.service_date)),
        has_live=has_live,
        silent=silent,
        reports=reports,
    )


def _occupancy(
    db: Session,
    net: Network,
    live: _Live,
    run: Run,
    position: int,
    stop: int,
    t0: int,
    drop_after_s: int,
    models: dict[str, predict.Model],
    feed: Feed,
    city: City,
) -> tuple[str | None, str | None]:
    """How full: the vehicle's own word, else riders' reports at the stop in the last
    quarter hour (for that line, or any), else what is usual at that hour."""
    trip = run.trip
    vehicle = live.vehicles.get((feed.id, trip.trip_id, run.service_date))
    if vehicle is not None and vehicle.occupancy is not None:
        return OCCUPANCY.get(vehicle.occupancy), "vehicle"
    stop_id = net.stops[stop].stop_id
    route_id = net.routes[trip.route].route_id
    reports = live.reports.get((feed.id, stop_id), [])
    same = [r for r in reports if r.route_id in (None, route_id)]
    if same:
        levels = sorted(r.level for r in same)
        return OCCUPANCY[RIDER_LEVELS[levels[len(levels) // 2]]], "riders"
    if trip.feed not in models:
        models[trip.feed] = predict.model_of(db, city, feed)
    zone: ZoneInfo = net.feeds[trip.feed].zone
    local = datetime.fromtimestamp(run.departures[position], UTC).astimezone(zone)
    usual = models[trip.feed].usual_crowding(
        route_id, stop_id, predict.day_type(run.service_date), local.hour
    )
    if usual is None:
        return None, None
    return OCCUPANCY[min(round(usual), 6)], "usual"
