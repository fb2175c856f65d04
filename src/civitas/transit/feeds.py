"""A city's GTFS feeds: importing one (all or nothing, replacing the feed of that name in
one transaction), listing them, their realtime settings, and the city's transit settings."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit
from civitas.core.db import utcnow
from civitas.core.errors import InvalidInput, NotFound, Problem
from civitas.core.i18n import N_
from civitas.transit import gtfs
from civitas.transit.models import (
    Agency,
    Calendar,
    CalendarDate,
    Feed,
    Frequency,
    Route,
    Shape,
    Stop,
    StopTime,
    Transfer,
    TransitSettings,
    Trip,
)

FEED_NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
# the tables of a feed's static data, in the order they are written
STATIC: tuple[tuple[str, type[Any]], ...] = (
    ("agencies", Agency),
    ("stops", Stop),
    ("routes", Route),
    ("trips", Trip),
    ("stop_times", StopTime),
    ("services", Calendar),
    ("service_dates", CalendarDate),
    ("frequencies", Frequency),
    ("shapes", Shape),
    ("transfers", Transfer),
)
CHUNK = 5000


@dataclass(frozen=True)
class ImportResult:
    feed: str
    version: int
    counts: dict[str, int]
    imported_at: datetime


def check_feed_name(name: str) -> str:
    if not FEED_NAME.match(name or ""):
        raise InvalidInput(
            N_("Give the feed a name of letters, digits, - and _ (at most 40), e.g. {example}."),
            problems=[Problem("feed", N_("The name {value} cannot be used."), {"value": name})],
            example="buses",
        )
    return name


def settings_of(db: Session, city: City) -> TransitSettings:
    """The city's transit settings (made with the defaults the first time)."""
    enter_city(db, city)
    found = db.scalar(select(TransitSettings))
    if found is None:
        found = TransitSettings(tenant_id=city.id)
        db.add(found)
        db.flush()
    return found


def feeds_of(db: Session, city: City) -> list[Feed]:
    enter_city(db, city)
    return list(db.scalars(select(Feed).order_by(Feed.name)))


def feed_named(db: Session, city: City, name: str) -> Feed:
    enter_city(db, city)
    found = db.scalar(select(Feed).where(Feed.name == name))
    if found is None:
        raise NotFound(N_("The city has no transit feed named {name}."), name=name)
    return found


def import_feed(
    db: Session,
    city: City,
    name: str,
    *,
    content: bytes,
    filename: str,
    actor: str = "system",
    now: datetime | None = None,
) -> ImportResult:
    """Import a GTFS feed as the city's feed ``name``, replacing what that name held, in
    the caller's transaction: readers see the old feed or the new one, never a mix.
    Nothing is written when the feed has a problem."""
    enter_city(db, city)
    check_feed_name(name)
    parsed = gtfs.parse_feed(content)
    now = now or utcnow()
    feed = db.scalar(select(Feed).where(Feed.name == name).with_for_update())
    if feed is None:
        feed = Feed(tenant_id=city.id, name=name, version=0, source="", sha256="", counts={})
        db.add(feed)
    else:
        for _, model in reversed(STATIC):
            db.execute(delete(model).where(model.feed_id == feed.id))
    feed.version += 1
    feed.source = filename[-200:]
    feed.sha256 = hashlib.sha256(content).hexdigest()
    feed.timezone = parsed.timezone
    feed.valid_from, feed.valid_to = parsed.valid_from, parsed.valid_to
    feed.counts = parsed.counts()
    feed.imported_at = now
    db.flush()
    for attribute, model in STATIC:
        rows = getattr(parsed, attribute)
        for start in range(0, len(rows), CHUNK):
            db.execute(
                insert(model),
                [
                    {**row, "tenant_id": city.id, "feed_id": feed.id}
                    for row in rows[start : start + CHUNK]
                ],
            )
    audit.record(
        db,
        actor=actor,
        action="transit.feed.import",
        entity_type="transit_feed",
        entity_id=feed.id,
        changes={"name": name, "version": feed.version, "source": feed.source, **feed.counts},
    )
    return ImportResult(feed=name, version=feed.version, counts=feed.counts, imported_at=now)


def set_realtime(
    db: Session,
    city: City,
    name: str,
    *,
    trip_updates: str | None,
    vehicle_positions: str | None,
    alerts: str | None,
    every: int,
    actor: str = "cli",
) -> Feed:
    """The operator's GTFS-Realtime URLs the worker polls (http or https only)."""
    feed = feed_named(db, city, name)
    urls = {"trip_updates": trip_updates, "vehicle_positions": vehicle_positions, "alerts": alerts}
    problems = [
        Problem(field, N_("Give an http or https address of at most 500 characters."))
        for field, url in urls.items()
        if url and (not url.startswith(("http://", "https://")) or len(url) > 500)
    ]
    if problems:
        raise InvalidInput(N_("The realtime addresses were not saved."), problems=problems)
    feed.trip_updates_url = trip_updates or None
    feed.vehicle_positions_url = vehicle_positions or None
    feed.alerts_url = alerts or None
    feed.poll_seconds = max(10, min(every, 3600))
    audit.record(
        db,
        actor=actor,
        action="transit.feed.realtime",
        entity_type="transit_feed",
        entity_id=feed.id,
        changes={k: bool(v) for k, v in urls.items()} | {"every": feed.poll_seconds},
    )
    return feed
