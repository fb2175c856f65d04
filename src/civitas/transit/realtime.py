"""GTFS-Realtime in: trip updates, vehicle positions and alerts (protobuf, as the
reference defines them: https://gtfs.org/documentation/realtime/reference/), from an
operator's URL polled by the worker, pushed to the API, or read from a file.

A message is taken whole or refused whole: it must parse, carry its header's timestamp,
not come from the future (a minute's slack for clocks), and name only trips the static
feed has (an ADDED trip, which the timetable cannot have, is left out). Every message's
own timestamps are kept, so a query "as of" a time reads only what was stamped by then.

Trip updates and vehicle positions also record what has happened: a trip's departure
from each stop it has passed (an :class:`Observation`), the history from which running
times, delays and crowding are learnt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from google.protobuf.message import DecodeError
from google.transit import gtfs_realtime_pb2 as rt
from sqlalchemy import delete, func, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.core.db import utcnow
from civitas.core.errors import InvalidInput, Problem
from civitas.core.i18n import N_, NP_
from civitas.transit.feeds import feed_named
from civitas.transit.models import (
    Alert,
    Feed,
    Observation,
    RealtimeMessage,
    TripUpdate,
    VehiclePosition,
)
from civitas.transit.timetable import Network, TripInfo, network, service_origin

FUTURE_SLACK_S = 60
MAX_BYTES = 20 << 20
MAX_PROBLEMS = 20
SKIPPED = rt.TripUpdate.StopTimeUpdate.SKIPPED
ADDED = rt.TripDescriptor.ADDED
CANCELED = rt.TripDescriptor.CANCELED
STOPPED_AT = rt.VehiclePosition.STOPPED_AT
OCCUPANCY = {
    0: "EMPTY",
    1: "MANY_SEATS_AVAILABLE",
    2: "FEW_SEATS_AVAILABLE",
    3: "STANDING_ROOM_ONLY",
    4: "CRUSHED_STANDING_ROOM_ONLY",
    5: "FULL",
    6: "NOT_ACCEPTING_PASSENGERS",
    7: "NO_DATA_AVAILABLE",
    8: "NOT_BOARDABLE",
}


@dataclass(frozen=True)
class IngestResult:
    feed: str
    kind: str
    header_at: datetime
    entities: int
    trip_updates: int
    vehicles: int
    alerts: int
    observations: int


def _epoch(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def parse_message(content: bytes) -> Any:
    """The FeedMessage in the bytes, or InvalidInput saying why not."""
    if len(content) > MAX_BYTES:
        raise InvalidInput(N_("The message is larger than 20 MiB; Civitas refuses it."))
    message = rt.FeedMessage()
    try:
        message.ParseFromString(content)
    except (DecodeError, ValueError, RuntimeError):
        raise InvalidInput(
            N_("The body is not a GTFS-Realtime message (protobuf FeedMessage).")
        ) from None
    if not message.header.gtfs_realtime_version:
        raise InvalidInput(
            N_("The body is not a GTFS-Realtime message (protobuf FeedMessage)."),
            problems=[Problem("header.gtfs_realtime_version", N_("It is missing."))],
        )
    return message


def service_date_of(
    trip: TripInfo, zone: Any, start_date: str, at: int, calendar: Any
) -> date | None:
    """The service day a realtime trip runs on: its start_date, else the day (of the two
    around ``at``) whose run is nearest ``at``."""
    if start_date:
        try:
            return datetime.strptime(start_date, "%Y%m%d").date()
        except ValueError:
            return None
    local = datetime.fromtimestamp(at, zone).date()
    best: tuple[float, date] | None = None
    for day in (local - timedelta(days=1), local, local + timedelta(days=1)):
        if not calendar.runs(trip.service, day):
            continue
        origin = service_origin(day, zone)
        middle = origin + (trip.departures[0] + trip.arrivals[-1]) / 2
        gap = abs(middle - at)
        if best is None or gap < best[0]:
            best = (gap, day)
    return best[1] if best else local


def ingest(
    db: Session,
    city: City,
    feed_name: str,
    content: bytes,
    *,
    via: str,
    now: datetime | None = None,
    keep: bool = True,
) -> IngestResult:
    """Take one GTFS-Realtime message for the city's feed, all or nothing (in the
    caller's transaction)."""
    feed = feed_named(db, city, feed_name)
    message = parse_message(content)
    now = now or utcnow()
    limit = now.timestamp() + FUTURE_SLACK_S
    header_at = int(message.header.timestamp)
    if header_at <= 0:
        raise InvalidInput(
            N_("The message has no header timestamp; GTFS-Realtime requires it."),
            problems=[Problem("header.timestamp", N_("It is missing."))],
        )
    if header_at > limit:
        raise InvalidInput(
            N_("The message is stamped {at}, in the future; check the sender's clock."),
            problems=[Problem("header.timestamp", N_("It is in the future."))],
            at=_epoch(header_at).isoformat(),
        )
    net = network(db, city)
    calendar = net.feeds[feed.name]
    problems: list[Problem] = []
    trip_rows: list[dict[str, Any]] = []
    vehicle_rows: list[dict[str, Any]] = []
    alert_rows: list[dict[str, Any]] = []
    observations: dict[tuple[str, date, int], dict[str, Any]] = {}
    has = {"trip_updates": False, "vehicle_positions": False, "alerts": False}

    def problem(where: str, text: str, **params: Any) -> None:
        problems.append(Problem(where, text, params))

    for entity in message.entity:
        where = f"entity {entity.id or '?'}"
        if entity.is_deleted:
            continue
        if entity.HasField("trip_update"):
            has["trip_updates"] = True
            _trip_update(
                net,
                feed,
                calendar,
                entity.trip_update,
                header_at,
                limit,
                where,
                problem,
                trip_rows,
                observations,
            )
        if entity.HasField("vehicle"):
            has["vehicle_positions"] = True
            _vehicle(
                net,
                feed,
                calendar,
                entity.vehicle,
                header_at,
                limit,
                where,
                problem,
                vehicle_rows,
                observations,
            )
        if entity.HasField("alert"):
            has["alerts"] = True
            alert_rows.append(_alert(net, feed, entity.id, entity.alert, header_at))
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise InvalidInput(
            NP_(
                "Nothing was taken: {count} problem in the message (the first are named).",
                "Nothing was taken: {count} problems in the message (the first are named).",
            ),
            problems=problems,
            count=len(problems),
        )
    kinds = [k for k, v in has.items() if v]
    kind = kinds[0] if len(kinds) == 1 else ("mixed" if kinds else "empty")
    received = now
    db.add(
        RealtimeMessage(
            tenant_id=city.id,
            feed_id=feed.id,
            kind=kind,
            via=via,
            header_at=_epoch(header_at),
            received_at=received,
            entities=len(message.entity),
            content=content if keep else None,
        )
    )
    base = {"tenant_id": city.id, "feed_id": feed.id, "received_at": received}
    if trip_rows:
        db.execute(insert(TripUpdate), [{**base, **r} for r in trip_rows])
    if vehicle_rows:
        db.execute(insert(VehiclePosition), [{**base, **r} for r in vehicle_rows])
    if has["alerts"]:
        # an alerts message is the operator's whole set of alerts (FULL_DATASET)
        db.execute(delete(Alert).where(Alert.feed_id == feed.id, Alert.source == "feed"))
        if alert_rows:
            db.execute(
                insert(Alert),
                [
                    {"tenant_id": city.id, "feed_id": feed.id, "source": "feed", **r}
                    for r in alert_rows
                ],
            )
    if observations:
        record_observations(db, city, feed, list(observations.values()))
    if feed.realtime_at is None or _epoch(header_at) > feed.realtime_at:
        feed.realtime_at = _epoch(header_at)
    feed.realtime_received_at = received
    feed.realtime_error = None
    db.flush()
    return IngestResult(
        feed=feed.name,
        kind=kind,
        header_at=_epoch(header_at),
        entities=len(message.entity),
        trip_updates=len(trip_rows),
        vehicles=len(vehicle_rows),
        alerts=len(alert_rows),
        observations=len(observations),
    )


def record_observations(db: Session, city: City, feed: Feed, rows: list[dict[str, Any]]) -> None:
    """Upsert what was seen to happen: the newest word on a call wins, and a crowding
    level once seen stays unless a newer one comes."""
    table: Any = Observation.__table__
    make = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    for start in range(0, len(rows), 2000):
        chunk = [
            {"tenant_id": city.id, "feed_id": feed.id, **r} for r in rows[start : start + 2000]
        ]
        stmt = make(table).values(chunk)
        stmt = stmt.on_conflict_do_update(
            index_elements=["feed_id", "trip_id", "service_date", "sequence"],
            set_={
                "observed": stmt.excluded.observed,
                "delay": stmt.excluded.delay,
                "occupancy": func.coalesce(stmt.excluded.occupancy, table.c.occupancy),
            },
        )
        db.execute(stmt)


def _trip_update(
    net: Network,
    feed: Feed,
    calendar: Any,
    update: Any,
    header_at: int,
    limit: float,
    where: str,
    problem: Any,
    rows: list[dict[str, Any]],
    observations: dict[tuple[str, date, int], dict[str, Any]],
) -> None:
    descriptor = update.trip
    if descriptor.schedule_relationship == ADDED:
        return
    trip = net.trips.get(f"{feed.name}:{descriptor.trip_id}")
    if trip is None:
        problem(
            f"{where}: trip_update.trip.trip_id",
            N_("The feed {feed} has no trip {trip}."),
            feed=feed.name,
            trip=descriptor.trip_id or "—",
        )
        return
    at = int(update.timestamp) or header_at
    if at > limit:
        problem(f"{where}: trip_update.timestamp", N_("It is in the future."))
        return
    day = service_date_of(trip, calendar.zone, descriptor.start_date, at, calendar)
    if day is None:
        problem(
            f"{where}: trip_update.trip.start_date",
            N_("Give the date as YYYYMMDD (for example 20250131)."),
        )
        return
    origin = service_origin(day, calendar.zone)
    positions = {seq: i for i, seq in enumerate(trip.sequences)}
    by_stop = {net.stops[s].stop_id: i for i, s in enumerate(trip.stops)}
    stops: list[dict[str, Any]] = []
    for n, stu in enumerate(update.stop_time_update):
        i = positions.get(stu.stop_sequence) if stu.HasField("stop_sequence") else None
        if i is None and stu.stop_id:
            i = by_stop.get(stu.stop_id)
        if i is None:
            problem(
                f"{where}: trip_update.stop_time_update[{n}]",
                N_("The trip {trip} does not call at stop_sequence {sequence} / stop {stop}."),
                trip=descriptor.trip_id,
                sequence=stu.stop_sequence if stu.HasField("stop_sequence") else "—",
                stop=stu.stop_id or "—",
            )
            continue
        arrival = (
            _event(stu.arrival, origin + trip.arrivals[i]) if stu.HasField("arrival") else None
        )
        departure = (
            _event(stu.departure, origin + trip.departures[i])
            if stu.HasField("departure")
            else None
        )
        stops.append(
            {
                "i": i,
                "seq": trip.sequences[i],
                "stop_id": net.stops[trip.stops[i]].stop_id,
                "arrival": arrival,
                "departure": departure,
                "skipped": stu.schedule_relationship == SKIPPED,
            }
        )
        seen = departure if departure is not None else arrival
        if seen is not None and seen <= at and stu.schedule_relationship != SKIPPED:
            scheduled = origin + trip.departures[i]
            observations[trip.trip_id, day, trip.sequences[i]] = {
                "trip_id": trip.trip_id,
                "route_id": net.routes[trip.route].route_id,
                "service_date": day,
                "sequence": trip.sequences[i],
                "stop_id": net.stops[trip.stops[i]].stop_id,
                "scheduled": _epoch(scheduled),
                "observed": _epoch(seen),
                "delay": seen - scheduled,
                "occupancy": None,
            }
    delay = int(update.delay) if update.HasField("delay") else None
    if delay is None and stops:
        last = stops[-1]
        i = last["i"]
        if last["departure"] is not None:
            delay = last["departure"] - (origin + trip.departures[i])
        elif last["arrival"] is not None:
            delay = last["arrival"] - (origin + trip.arrivals[i])
    rows.append(
        {
            "trip_id": trip.trip_id,
            "service_date": day,
            "at": _epoch(at),
            "vehicle_id": update.vehicle.id or None,
            "canceled": descriptor.schedule_relationship == CANCELED,
            "delay": delay,
            "stops": stops,
        }
    )


def _event(event: Any, scheduled: int) -> int | None:
    """A StopTimeEvent's time (its absolute time, else the schedule plus its delay)."""
    if event.time:
        return int(event.time)
    if event.HasField("delay"):
        return scheduled + int(event.delay)
    return None


def _vehicle(
    net: Network,
    feed: Feed,
    calendar: Any,
    vehicle: Any,
    header_at: int,
    limit: float,
    where: str,
    problem: Any,
    rows: list[dict[str, Any]],
    observations: dict[tuple[str, date, int], dict[str, Any]],
) -> None:
    at = int(vehicle.timestamp) or header_at
    if at > limit:
        problem(f"{where}: vehicle.timestamp", N_("It is in the future."))
        return
    trip: TripInfo | None = None
    day: date | None = None
    if vehicle.HasField("trip") and vehicle.trip.trip_id:
        if vehicle.trip.schedule_relationship == ADDED:
            return
        trip = net.trips.get(f"{feed.name}:{vehicle.trip.trip_id}")
        if trip is None:
            problem(
                f"{where}: vehicle.trip.trip_id",
                N_("The feed {feed} has no trip {trip}."),
                feed=feed.name,
                trip=vehicle.trip.trip_id,
            )
            return
        day = service_date_of(trip, calendar.zone, vehicle.trip.start_date, at, calendar)
    position = vehicle.position
    lat, lon = float(position.latitude), float(position.longitude)
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        problem(f"{where}: vehicle.position", N_("The position is not a point on earth."))
        return
    occupancy = int(vehicle.occupancy_status) if vehicle.HasField("occupancy_status") else None
    percentage = (
        int(vehicle.occupancy_percentage) if vehicle.HasField("occupancy_percentage") else None
    )
    sequence = (
        int(vehicle.current_stop_sequence) if vehicle.HasField("current_stop_sequence") else None
    )
    rows.append(
        {
            "trip_id": trip.trip_id if trip else None,
            "service_date": day,
            "vehicle_id": vehicle.vehicle.id or None,
            "at": _epoch(at),
            "lat": lat,
            "lon": lon,
            "bearing": float(position.bearing) if position.HasField("bearing") else None,
            "stop_sequence": sequence,
            "stop_id": vehicle.stop_id or None,
            "status": int(vehicle.current_status) if vehicle.HasField("current_status") else None,
            "occupancy": occupancy,
            "occupancy_pct": percentage,
        }
    )
    if (
        trip is not None
        and day is not None
        and sequence is not None
        and vehicle.HasField("current_status")
        and vehicle.current_status == STOPPED_AT
    ):
        i = {seq: n for n, seq in enumerate(trip.sequences)}.get(sequence)
        if i is None:
            return
        scheduled = service_origin(day, calendar.zone) + trip.departures[i]
        key = (trip.trip_id, day, sequence)
        found = observations.get(key)
        if found is None:
            observations[key] = {
                "trip_id": trip.trip_id,
                "route_id": net.routes[trip.route].route_id,
                "service_date": day,
                "sequence": sequence,
                "stop_id": net.stops[trip.stops[i]].stop_id,
                "scheduled": _epoch(scheduled),
                "observed": _epoch(at),
                "delay": at - scheduled,
                "occupancy": occupancy,
            }
        else:
            found["occupancy"] = occupancy


def _alert(net: Network, feed: Feed, key: str, alert: Any, header_at: int) -> dict[str, Any]:
    def texts(translated: Any) -> dict[str, str]:
        return {(t.language or "und"): t.text[:2000] for t in translated.translation if t.text}

    entities = []
    for informed in alert.informed_entity:
        entity: dict[str, str] = {"feed": feed.name}
        if informed.route_id:
            entity["route_id"] = informed.route_id
        if informed.stop_id:
            entity["stop_id"] = informed.stop_id
        if informed.HasField("trip") and informed.trip.trip_id:
            entity["trip_id"] = informed.trip.trip_id
        if informed.agency_id:
            entity["agency_id"] = informed.agency_id
        entities.append(entity)
    url = texts(alert.url)
    return {
        "key": (key or "alert")[:100],
        "cause": rt.Alert.Cause.Name(alert.cause) if alert.HasField("cause") else "UNKNOWN_CAUSE",
        "effect": rt.Alert.Effect.Name(alert.effect)
        if alert.HasField("effect")
        else "UNKNOWN_EFFECT",
        "header": texts(alert.header_text),
        "description": texts(alert.description_text),
        "url": next(iter(url.values()), None),
        "periods": [[int(p.start) or None, int(p.end) or None] for p in alert.active_period],
        "entities": entities,
        "at": _epoch(header_at),
    }


def record_failure(db: Session, feed: Feed, error: str, now: datetime | None = None) -> None:
    """A poll that failed: kept on the feed for its health, the predictions untouched."""
    feed.realtime_error = error[:300]
    feed.realtime_error_at = now or utcnow()
