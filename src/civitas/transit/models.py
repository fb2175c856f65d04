"""Public transport: a city's GTFS feeds (static timetables), what their realtime feeds
said (trip updates, vehicle positions, alerts), the arrivals observed from them (the
history predictions and the observatory learn from), riders' crowding reports and the
city's own service alerts.

Static rows belong to one feed (``feed_id``) and keep the feed's own ids as strings; the
API names them ``FEED:ID``. Stop times are seconds after the service day's reference
instant (noon minus twelve hours in the agency's time zone, as GTFS defines it), so
25:10:00 is 90,600 and belongs to the day before. Every other time is UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from civitas.core.db import Base, JSONValue, utcnow
from civitas.core.tenancy import TenantMixin


def _feed() -> ForeignKey:
    """The feed a row belongs to (its rows go when the feed goes)."""
    return ForeignKey("transit_feeds.id", ondelete="CASCADE")


class TransitSettings(TenantMixin, Base):
    """Per city: when live predictions count as stale and when they are dropped, how far
    riders walk, and how often riders may report crowding."""

    __tablename__ = "transit_settings"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stale_after_s: Mapped[int] = mapped_column(Integer, default=120)
    drop_after_s: Mapped[int] = mapped_column(Integer, default=900)
    max_walk_m: Mapped[int] = mapped_column(Integer, default=800)
    walk_speed_mps: Mapped[float] = mapped_column(Float, default=1.2)
    # how long the realtime history is kept in full (observations are kept for good)
    history_days: Mapped[int] = mapped_column(Integer, default=14)
    # the city's live simulation of its demo network (never on for a real city)
    simulation: Mapped[bool] = mapped_column(Boolean, default=False)


class Feed(TenantMixin, Base):
    """One GTFS feed of a city (a city may run several: buses, trams, a regional train).
    ``version`` counts imports; each process rebuilds its timetable when it changes."""

    __tablename__ = "transit_feeds"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))  # the FEED of FEED:ID
    version: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(200))  # the file imported
    sha256: Mapped[str] = mapped_column(String(64))
    timezone: Mapped[str] = mapped_column(String(60))  # the agencies' time zone
    valid_from: Mapped[date | None] = mapped_column(Date, default=None)
    valid_to: Mapped[date | None] = mapped_column(Date, default=None)
    counts: Mapped[dict[str, Any]]  # rows per file
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    # the operator's GTFS-Realtime URLs, polled every poll_seconds (none: push or CLI only)
    trip_updates_url: Mapped[str | None] = mapped_column(String(500), default=None)
    vehicle_positions_url: Mapped[str | None] = mapped_column(String(500), default=None)
    alerts_url: Mapped[str | None] = mapped_column(String(500), default=None)
    poll_seconds: Mapped[int] = mapped_column(Integer, default=30)
    # realtime health: the newest message's own time, when it came, the last failure
    realtime_at: Mapped[datetime | None] = mapped_column(default=None)
    realtime_received_at: Mapped[datetime | None] = mapped_column(default=None)
    realtime_error: Mapped[str | None] = mapped_column(String(300), default=None)
    realtime_error_at: Mapped[datetime | None] = mapped_column(default=None)


class Agency(TenantMixin, Base):
    __tablename__ = "transit_agencies"
    __table_args__ = (UniqueConstraint("feed_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(_feed())
    agency_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(300))
    timezone: Mapped[str] = mapped_column(String(60))
    lang: Mapped[str | None] = mapped_column(String(10), default=None)
    phone: Mapped[str | None] = mapped_column(String(50), default=None)


class Stop(TenantMixin, Base):
    """A stop, platform or station (location_type 0 and 1; entrances and nodes too)."""

    __tablename__ = "transit_stops"
    __table_args__ = (UniqueConstraint("feed_id", "stop_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(_feed())
    stop_id: Mapped[str] = mapped_column(String(100))
    code: Mapped[str | None] = mapped_column(String(50), default=None)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(300), default=None)
    lat: Mapped[float | None] = mapped_column(Float, default=None)
    lon: Mapped[float | None] = mapped_column(Float, default=None)
    location_type: Mapped[int] = mapped_column(SmallInteger, default=0)
    parent_station: Mapped[str | None] = mapped_column(String(100), default=None)
    platform_code: Mapped[str | None] = mapped_column(String(50), default=None)
    wheelchair: Mapped[int] = mapped_column(SmallInteger, default=0)


class Route(TenantMixin, Base):
    __tablename__ = "transit_routes"
    __table_args__ = (UniqueConstraint("feed_id", "route_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(_feed())
    route_id: Mapped[str] = mapped_column(String(100))
    agency_id: Mapped[str | None] = mapped_column(String(100), default=None)
    short_name: Mapped[str | None] = mapped_column(String(50), default=None)
    long_name: Mapped[str | None] = mapped_column(String(200), default=None)
    description: Mapped[str | None] = mapped_column(String(300), default=None)
    type: Mapped[int] = mapped_column(Integer)
    color: Mapped[str | None] = mapped_column(String(6), default=None)
    text_color: Mapped[str | None] = mapped_column(String(6), default=None)
    sort_order: Mapped[int | None] = mapped_column(Integer, default=None)


class Trip(TenantMixin, Base):
    __tablename__ = "transit_trips"
    __table_args__ = (UniqueConstraint("feed_id", "trip_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(_feed())
    trip_id: Mapped[str] = mapped_column(String(100))
    route_id: Mapped[str] = mapped_column(String(100))
    service_id: Mapped[str] = mapped_column(String(100))
    headsign: Mapped[str | None] = mapped_column(String(200), default=None)
    short_name: Mapped[str | None] = mapped_column(String(50), default=None)
    direction_id: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    block_id: Mapped[str | None] = mapped_column(String(100), default=None)
    shape_id: Mapped[str | None] = mapped_column(String(100), default=None)
    wheelchair: Mapped[int] = mapped_column(SmallInteger, default=0)


class StopTime(TenantMixin, Base):
    """One call of a trip at a stop; times are seconds after the service day's reference
    (interpolated where the feed leaves them empty: ``timepoint`` says which were given)."""

    __tablename__ = "transit_stop_times"
    __table_args__ = (
        UniqueConstraint("feed_id", "trip_id", "sequence"),
        Index("ix_transit_stop_times_stop", "feed_id", "stop_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(_feed())
    trip_id: Mapped[str] = mapped_column(String(100))
    sequence: Mapped[int] = mapped_column(Integer)
    stop_id: Mapped[str] = mapped_column(String(100))
    arrival: Mapped[int] = mapped_column(Integer)
    departure: Mapped[int] = mapped_column(Integer)
    timepoint: Mapped[bool] = mapped_column(Boolean, default=True)
    pickup_type: Mapped[int] = mapped_column(SmallInteger, default=0)
    drop_off_type: Mapped[int] = mapped_column(SmallInteger, default=0)
    headsign: Mapped[str | None] = mapped_column(String(200), default=None)
    dist: Mapped[float | None] = mapped_column(Float, default=None)


class Calendar(TenantMixin, Base):
    """calendar.txt: the weekdays (bit 0 = Monday) a service runs between two dates."""

    __tablename__ = "transit_services"
    __table_args__ = (UniqueConstraint("feed_id", "service_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(_feed())
    service_id: Mapped[str] = mapped_column(String(100))
    weekdays: Mapped[int] = mapped_column(SmallInteger)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)


class CalendarDate(TenantMixin, Base):
    """calendar_dates.txt: a service added (1) or removed (2) on one date."""

    __tablename__ = "transit_service_dates"
    __table_args__ = (UniqueConstraint("feed_id", "service_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(_feed())
    service_id: Mapped[str] = mapped_column(String(100))
    date: Mapped[date] = mapped_column(Date)
    exception_type: Mapped[int] = mapped_column(SmallInteger)


class Frequency(TenantMixin, Base):
    """frequencies.txt: a trip repeated every ``headway`` seconds; ``exact`` (exact_times
    1) is a timetable, otherwise the headway is what riders can expect."""

    __tablename__ = "transit_frequencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(_feed(), index=True)
    trip_id: Mapped[str] = mapped_column(String(100))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    headway: Mapped[int] = mapped_column(Integer)
    exact: Mapped[bool] = mapped_column(Boolean, default=False)


class Shape(TenantMixin, Base):
    """One shape's points, in order: [[lat, lon], …]."""

    __tablename__ = "transit_shapes"
    __table_args__ = (UniqueConstraint("feed_id", "shape_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(_feed())
    shape_id: Mapped[str] = mapped_column(String(100))
    points: Mapped[Any] = mapped_column(JSONValue)


class Transfer(TenantMixin, Base):
    """transfers.txt: 0 recommended, 1 timed, 2 with a minimum time, 3 not possible."""

    __tablename__ = "transit_transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(_feed(), index=True)
    from_stop_id: Mapped[str | None] = mapped_column(String(100), default=None)
    to_stop_id: Mapped[str | None] = mapped_column(String(100), default=None)
    from_route_id: Mapped[str | None] = mapped_column(String(100), default=None)
    to_route_id: Mapped[str | None] = mapped_column(String(100), default=None)
    from_trip_id: Mapped[str | None] = mapped_column(String(100), default=None)
    to_trip_id: Mapped[str | None] = mapped_column(String(100), default=None)
    type: Mapped[int] = mapped_column(SmallInteger, default=0)
    min_transfer_time: Mapped[int | None] = mapped_column(Integer, default=None)


# --- realtime -------------------------------------------------------------------------


class RealtimeMessage(TenantMixin, Base):
    """Each GTFS-Realtime message taken in (its header's own time, when and how it came),
    kept with its bytes for the history's retention period: the record of what the feed
    said, and of its health."""

    __tablename__ = "transit_rt_messages"
    __table_args__ = (Index("ix_transit_rt_messages_feed", "feed_id", "header_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(_feed())
    kind: Mapped[str] = mapped_column(String(20))  # trip_updates, vehicle_positions, alerts
    via: Mapped[str] = mapped_column(String(10))  # poll, push, cli, simulation
    header_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    entities: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)


class TripUpdate(TenantMixin, Base):
    """A trip update as the feed stamped it (one row per update; ``at`` is its own
    timestamp, the header's when the entity has none). A query "as of" T reads the
    newest with ``at`` ≤ T. ``stops`` holds the stop time updates: [{seq, stop_id,
    arrival, departure, arrival_delay, departure_delay, skipped}] (times UTC epoch)."""

    __tablename__ = "transit_trip_updates"
    __table_args__ = (
        Index("ix_transit_trip_updates_trip", "feed_id", "trip_id", "service_date", "at"),
        Index("ix_transit_trip_updates_at", "feed_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(_feed())
    trip_id: Mapped[str] = mapped_column(String(100))
    service_date: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    vehicle_id: Mapped[str | None] = mapped_column(String(100), default=None)
    canceled: Mapped[bool] = mapped_column(Boolean, default=False)
    delay: Mapped[int | None] = mapped_column(Integer, default=None)
    stops: Mapped[Any] = mapped_column(JSONValue)


class VehiclePosition(TenantMixin, Base):
    """Where a vehicle was and how full it was, at its own timestamp."""

    __tablename__ = "transit_vehicle_positions"
    __table_args__ = (
        Index("ix_transit_vehicle_positions_trip", "feed_id", "trip_id", "service_date", "at"),
        Index("ix_transit_vehicle_positions_at", "feed_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(_feed())
    trip_id: Mapped[str | None] = mapped_column(String(100), default=None)
    service_date: Mapped[date | None] = mapped_column(Date, default=None)
    vehicle_id: Mapped[str | None] = mapped_column(String(100), default=None)
    at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    bearing: Mapped[float | None] = mapped_column(Float, default=None)
    stop_sequence: Mapped[int | None] = mapped_column(Integer, default=None)
    stop_id: Mapped[str | None] = mapped_column(String(100), default=None)
    status: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    # GTFS-RT OccupancyStatus (0 EMPTY … 8 NOT_BOARDABLE) and occupancy_percentage
    occupancy: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    occupancy_pct: Mapped[int | None] = mapped_column(SmallInteger, default=None)


class Observation(TenantMixin, Base):
    """A trip's observed departure from a stop (from vehicle positions and trip updates
    that had passed it): the history running times, delays and crowding are learnt from,
    and the observatory's raw data. Kept after the realtime history is pruned."""

    __tablename__ = "transit_observations"
    __table_args__ = (
        UniqueConstraint("feed_id", "trip_id", "service_date", "sequence"),
        Index("ix_transit_observations_route", "feed_id", "route_id", "observed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(_feed())
    trip_id: Mapped[str] = mapped_column(String(100))
    route_id: Mapped[str] = mapped_column(String(100))
    service_date: Mapped[date] = mapped_column(Date)
    sequence: Mapped[int] = mapped_column(Integer)
    stop_id: Mapped[str] = mapped_column(String(100))
    scheduled: Mapped[datetime]
    observed: Mapped[datetime]
    delay: Mapped[int] = mapped_column(Integer)
    occupancy: Mapped[int | None] = mapped_column(SmallInteger, default=None)


class Alert(TenantMixin, Base):
    """A service alert: from an operator's feed (``feed_id``, ``key`` its entity id) or
    written by the city (``feed_id`` none), published in Civitas's Alerts feed.
    ``header`` and ``description`` map languages to texts; ``entities`` are
    [{feed, route_id?, stop_id?, trip_id?}]; ``periods`` [[start, end], …] (epoch, None
    open-ended)."""

    __tablename__ = "transit_alerts"
    __table_args__ = (Index("ix_transit_alerts_key", "tenant_id", "source", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int | None] = mapped_column(_feed(), default=None)
    source: Mapped[str] = mapped_column(String(10))  # "feed" or "city"
    key: Mapped[str] = mapped_column(String(100))
    cause: Mapped[str] = mapped_column(String(30), default="UNKNOWN_CAUSE")
    effect: Mapped[str] = mapped_column(String(30), default="UNKNOWN_EFFECT")
    header: Mapped[dict[str, str]]
    description: Mapped[dict[str, str]]
    url: Mapped[str | None] = mapped_column(String(500), default=None)
    periods: Mapped[Any] = mapped_column(JSONValue)
    entities: Mapped[Any] = mapped_column(JSONValue)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100), default=None)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)


class CrowdReport(TenantMixin, Base):
    """A rider's tap at a stop: 1 seats free, 2 standing room, 3 full. No account; the
    ``client`` is a salted hash that throttles repeats and is never shown."""

    __tablename__ = "transit_crowd_reports"
    __table_args__ = (Index("ix_transit_crowd_reports_stop", "feed_id", "stop_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(_feed())
    stop_id: Mapped[str] = mapped_column(String(100))
    route_id: Mapped[str | None] = mapped_column(String(100), default=None)
    trip_id: Mapped[str | None] = mapped_column(String(100), default=None)
    level: Mapped[int] = mapped_column(SmallInteger)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    client: Mapped[str] = mapped_column(String(64), index=True)


class Learnt(TenantMixin, Base):
    """What Civitas learnt from a feed's observations: ``kind`` "running_times" (seconds
    from a stop's departure to the next's, by route, stops, day type and hour) or
    "crowding" (the usual occupancy by route, stop, day type and hour). ``data`` maps
    "route|from|to|daytype|hour" (or "route|stop|daytype|hour") to [mean, count]."""

    __tablename__ = "transit_learnt"
    __table_args__ = (UniqueConstraint("feed_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(_feed())
    kind: Mapped[str] = mapped_column(String(20))
    learnt_at: Mapped[datetime] = mapped_column(default=utcnow)
    since: Mapped[date] = mapped_column(Date)
    observations: Mapped[int] = mapped_column(Integer)
    data: Mapped[Any] = mapped_column(JSONValue)


class RouteMonth(TenantMixin, Base):
    """The observatory's figures of one route (or "*", the city's) in one month."""

    __tablename__ = "transit_route_months"
    __table_args__ = (UniqueConstraint("feed_id", "route_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(_feed())
    route_id: Mapped[str] = mapped_column(String(100))
    month: Mapped[str] = mapped_column(String(7))
    figures: Mapped[Any] = mapped_column(JSONValue)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
