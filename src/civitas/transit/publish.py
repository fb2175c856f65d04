"""GTFS-Realtime out: Civitas's own predictions as a TripUpdates feed, and the service
alerts in force (the city's and its operators') as an Alerts feed, for the apps riders
already use. Trip and stop ids are the feeds' own (as in their static GTFS)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from google.transit import gtfs_realtime_pb2 as rt
from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.core.db import utcnow
from civitas.transit import predict
from civitas.transit.feeds import feeds_of, settings_of
from civitas.transit.models import Alert, TripUpdate
from civitas.transit.timetable import Run, network

CAUSES = dict(rt.Alert.Cause.items())
EFFECTS = dict(rt.Alert.Effect.items())


def _header(message: rt.FeedMessage, now: datetime) -> None:
    message.header.gtfs_realtime_version = "2.0"
    message.header.incrementality = rt.FeedHeader.FULL_DATASET
    message.header.timestamp = int(now.timestamp())


def trip_updates(
    db: Session, city: City, *, feed: str | None = None, now: datetime | None = None
) -> bytes:
    """Civitas's predicted departures of every live trip (updates newer than the city's
    drop_after_s), from the next stop to the last."""
    now = now or utcnow()
    message = rt.FeedMessage()
    _header(message, now)
    settings = settings_of(db, city)
    net = network(db, city)
    oldest = now - timedelta(seconds=settings.drop_after_s)
    for f in feeds_of(db, city):
        if feed is not None and f.name != feed:
            continue
        zone = net.feeds[f.name].zone
        model = predict.model_of(db, city, f)
        latest: dict[tuple[str, date], TripUpdate] = {}
        for update in db.scalars(
            select(TripUpdate)
            .where(TripUpdate.feed_id == f.id, TripUpdate.at <= now, TripUpdate.at > oldest)
            .order_by(TripUpdate.at.desc(), TripUpdate.id.desc())
        ):
            latest.setdefault((update.trip_id, update.service_date), update)
        days: dict[date, dict[str, Run]] = {}
        for (trip_id, day), update in sorted(latest.items(), key=lambda kv: kv[0][0]):
            trip = net.trips.get(f"{f.name}:{trip_id}")
            if trip is None:
                continue
            if day not in days:
                days[day] = {r.trip.key: r for r in net.runs_on(day)}
            run = days[day].get(trip.key)
            if run is None:
                continue
            entity = message.entity.add()
            entity.id = f"{trip_id}-{day:%Y%m%d}"
            out = entity.trip_update
            out.trip.trip_id = trip_id
            out.trip.start_date = f"{day:%Y%m%d}"
            out.timestamp = int(update.at.timestamp())
            if update.vehicle_id:
                out.vehicle.id = update.vehicle_id
            if update.canceled:
                out.trip.schedule_relationship = rt.TripDescriptor.CANCELED
                continue
            seen = predict.seen_of(update.stops, update.delay, int(update.at.timestamp()))
            times = predict.predict(net, model, run, seen, zone)
            start = max(seen.passed) + 1 if seen.passed else 0
            for i in range(start, len(times)):
                stu = out.stop_time_update.add()
                stu.stop_sequence = trip.sequences[i]
                stu.stop_id = net.stops[trip.stops[i]].stop_id
                stu.departure.time = times[i]
                stu.departure.delay = times[i] - run.departures[i]
    return bytes(message.SerializeToString())


def alerts(db: Session, city: City, *, now: datetime | None = None) -> bytes:
    """The alerts in force or announced (not withdrawn, not ended)."""
    now = now or utcnow()
    message = rt.FeedMessage()
    _header(message, now)
    t = int(now.timestamp())
    for alert in db.scalars(select(Alert).where(Alert.withdrawn_at.is_(None)).order_by(Alert.id)):
        periods = alert.periods or [[None, None]]
        if all(p[1] is not None and p[1] <= t for p in periods):
            continue
        entity = message.entity.add()
        entity.id = alert.key if alert.source == "city" else f"{alert.feed_id}-{alert.key}"
        out = entity.alert
        for start, end in periods:
            period = out.active_period.add()
            if start:
                period.start = int(start)
            if end:
                period.end = int(end)
        for informed in alert.entities or []:
            selector = out.informed_entity.add()
            if informed.get("route_id"):
                selector.route_id = informed["route_id"]
            if informed.get("stop_id"):
                selector.stop_id = informed["stop_id"]
            if informed.get("trip_id"):
                selector.trip.trip_id = informed["trip_id"]
        out.cause = CAUSES.get(alert.cause, rt.Alert.UNKNOWN_CAUSE)
        out.effect = EFFECTS.get(alert.effect, rt.Alert.UNKNOWN_EFFECT)
        for language, text in (alert.header or {}).items():
            translation = out.header_text.translation.add()
            translation.text = text
            translation.language = language
        for language, text in (alert.description or {}).items():
            translation = out.description_text.translation.add()
            translation.text = text
            translation.language = language
        if alert.url:
            url = out.url.translation.add()
            url.text = alert.url
    return bytes(message.SerializeToString())
