"""Public transport's background work: polling each feed's GTFS-Realtime URLs every
``poll_seconds`` (Huey schedules the polls of each minute), and nightly learning from the
observations and pruning the realtime history past the city's ``history_days``."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import timedelta
from zoneinfo import ZoneInfo

import structlog
from huey import crontab
from sqlalchemy import delete, or_, select

from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import plugins
from civitas.core.db import session_scope, utcnow
from civitas.core.errors import CivitasError
from civitas.core.jobs import huey
from civitas.core.tenancy import bind_all_cities
from civitas.transit import observatory, predict, realtime
from civitas.transit.feeds import settings_of
from civitas.transit.models import Feed, RealtimeMessage, TripUpdate, VehiclePosition
from civitas.transit.timetable import network

log = structlog.get_logger("civitas.jobs")
FETCH_TIMEOUT_S = 10


def _polled() -> list[tuple[int, int, int]]:
    """(feed, city, seconds between polls) of every feed with realtime URLs, in the
    cities that run public transport."""
    with session_scope() as db:
        bind_all_cities(db)
        cities = {c.id: c for c in db.scalars(select(City))}
        rows = db.execute(
            select(Feed.id, Feed.tenant_id, Feed.poll_seconds).where(
                or_(
                    Feed.trip_updates_url.is_not(None),
                    Feed.vehicle_positions_url.is_not(None),
                    Feed.alerts_url.is_not(None),
                )
            )
        ).all()
        return [
            (row.id, row.tenant_id, max(row.poll_seconds, 10))
            for row in rows
            if row.tenant_id in cities and plugins.enabled(cities[row.tenant_id], "transit")
        ]


@huey.periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def schedule_polls() -> int:
    """Every minute: the polls of the minute to come, each feed at its own pace."""
    count = 0
    for feed_id, city_id, every in _polled():
        for offset in range(0, 60, every):
            poll_feed.schedule(args=(feed_id, city_id), delay=offset)
            count += 1
    return count


def fetch(url: str) -> bytes:
    """The body at an operator's URL (http or https only, at most 20 MiB)."""
    if not url.startswith(("http://", "https://")):
        raise ValueError("only http and https URLs are polled")
    request = urllib.request.Request(url, headers={"Accept": "application/x-protobuf"})  # noqa: S310 - checked above
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as answer:  # noqa: S310
        body: bytes = answer.read(realtime.MAX_BYTES + 1)
    return body


@huey.task()  # type: ignore[untyped-decorator]
def poll_feed(feed_id: int, city_id: int) -> int:
    """Fetch a feed's realtime URLs and take what they say; a failure is kept on the feed
    (its health), and the predictions age as they would with a silent feed."""
    taken = 0
    with session_scope() as db:
        city = db.get(City, city_id)
        if city is None:
            return 0
        enter_city(db, city)
        feed = db.get(Feed, feed_id)
        if feed is None:
            return 0
        urls = [
            u for u in (feed.trip_updates_url, feed.vehicle_positions_url, feed.alerts_url) if u
        ]
        name = feed.name
    for url in urls:
        try:
            body = fetch(url)
            with session_scope() as db:
                city = db.get(City, city_id)
                assert city is not None
                realtime.ingest(db, city, name, body, via="poll")
            taken += 1
        except (OSError, urllib.error.URLError, ValueError, CivitasError) as exc:
            text = exc.text("en") if isinstance(exc, CivitasError) else str(exc)
            with session_scope() as db:
                city = db.get(City, city_id)
                assert city is not None
                enter_city(db, city)
                found = db.get(Feed, feed_id)
                if found is not None:
                    realtime.record_failure(db, found, f"{url}: {text}")
            log.warning("transit poll failed", feed=name, url=url, error=text[:200])
    return taken


@huey.periodic_task(crontab(minute="20", hour="2"))  # type: ignore[untyped-decorator]
def learn_and_prune() -> int:
    """Nightly: learn running times and crowding again, compute the observatory's month,
    and drop realtime history older than the city's history_days (observations are
    kept). The insight job that follows at 02:45 turns the months into KPIs."""
    with session_scope() as db:
        bind_all_cities(db)
        pairs = [(f.id, f.tenant_id) for f in db.scalars(select(Feed))]
    for feed_id, city_id in pairs:
        with session_scope() as db:
            city = db.get(City, city_id)
            if city is None or not plugins.enabled(city, "transit"):
                continue
            enter_city(db, city)
            feed = db.get(Feed, feed_id)
            if feed is None:
                continue
            days = settings_of(db, city).history_days
            net = network(db, city)
            predict.learn(db, city, feed, net, days=days)
            # the observatory: the month under way, and the last one while it may still
            # be completed by late messages
            today = utcnow().astimezone(ZoneInfo(city.timezone)).date()
            months = [today.strftime("%Y-%m")]
            if today.day <= 3:
                months.insert(0, (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m"))
            for month in months:
                observatory.refresh(db, city, net, feed, month, until=today)
            cutoff = utcnow() - timedelta(days=days)
            for model in (TripUpdate, VehiclePosition):
                db.execute(
                    delete(model).where(model.feed_id == feed_id, model.received_at < cutoff)
                )
            db.execute(
                delete(RealtimeMessage).where(
                    RealtimeMessage.feed_id == feed_id, RealtimeMessage.received_at < cutoff
                )
            )
    return len(pairs)
