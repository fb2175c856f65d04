"""Sensors and reference stations, their readings as received, hourly and daily means
(raw and corrected, with their QC flags), dated calibrations, and residents' alerts."""

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
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from civitas.core.db import Base, utcnow
from civitas.core.tenancy import TenantMixin


class AirSettings(TenantMixin, Base):
    """A city's choices: the index its residents see, the QC humidity limit, the inputs
    of the humidity correction, and the demo's next episode."""

    __tablename__ = "air_settings"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scale: Mapped[str] = mapped_column(String(20), default="us-epa-2024")
    humidity_limit: Mapped[float] = mapped_column(Float, default=97.0)
    kappa: Mapped[float] = mapped_column(Float, default=0.4)
    density: Mapped[float] = mapped_column(Float, default=1.65)
    demo: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Sensor(TenantMixin, Base):
    """A low-cost sensor (or a reference station: ``kind`` "reference"). ``chip_id`` is
    what the device sends (sensor.community's esp8266id, a PurpleAir's id);
    ``archive_id`` and ``humidity_chip`` the ids its PM sensor and its paired humidity
    sensor have in sensor.community's archives (each part of a node has its own). A sensor a
    resident hosts (``host`` "resident") is shown in public only on a ~200 m grid."""

    __tablename__ = "air_sensors"
    __table_args__ = (
        UniqueConstraint("tenant_id", "chip_id"),
        UniqueConstraint("tenant_id", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    chip_id: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    indoor: Mapped[bool] = mapped_column(Boolean, default=False)
    host: Mapped[str] = mapped_column(String(20), default="city")
    archive_id: Mapped[str | None] = mapped_column(String(60), default=None)
    humidity_chip: Mapped[str | None] = mapped_column(String(60), default=None)
    password_hash: Mapped[str | None] = mapped_column(String(300), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    # readings from this time on are not in the hourly means yet
    dirty_from: Mapped[datetime | None] = mapped_column(default=None)


class Reading(TenantMixin, Base):
    """One message as received. ``channel``: "node" (a push: PM and climate together),
    "pm" or "climate" (an archive's PM sensor or its humidity sensor). PurpleAir's
    channel B goes in ``pm25_b``."""

    __tablename__ = "air_readings"
    __table_args__ = (UniqueConstraint("sensor_id", "at", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sensor_id: Mapped[int] = mapped_column(ForeignKey("air_sensors.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(8), default="node")
    pm25: Mapped[float | None] = mapped_column(Float, default=None)
    pm10: Mapped[float | None] = mapped_column(Float, default=None)
    pm25_b: Mapped[float | None] = mapped_column(Float, default=None)
    temperature: Mapped[float | None] = mapped_column(Float, default=None)
    humidity: Mapped[float | None] = mapped_column(Float, default=None)


class Hour(TenantMixin, Base):
    """A sensor's hour (UTC start): the mean of its readings, raw and corrected. An hour
    that fails QC keeps its figures and its ``flags`` but is not ``valid``."""

    __tablename__ = "air_hours"
    __table_args__ = (UniqueConstraint("sensor_id", "hour"), Index("ix_air_hours_hour", "hour"))

    id: Mapped[int] = mapped_column(primary_key=True)
    sensor_id: Mapped[int] = mapped_column(ForeignKey("air_sensors.id", ondelete="CASCADE"))
    hour: Mapped[datetime]
    n: Mapped[int] = mapped_column(Integer, default=0)
    pm25_raw: Mapped[float | None] = mapped_column(Float, default=None)
    pm25_a: Mapped[float | None] = mapped_column(Float, default=None)
    pm25_b: Mapped[float | None] = mapped_column(Float, default=None)
    pm10_raw: Mapped[float | None] = mapped_column(Float, default=None)
    humidity: Mapped[float | None] = mapped_column(Float, default=None)
    temperature: Mapped[float | None] = mapped_column(Float, default=None)
    pm25: Mapped[float | None] = mapped_column(Float, default=None)
    correction: Mapped[str] = mapped_column(String(60), default="")
    flags: Mapped[str] = mapped_column(String(120), default="")
    valid: Mapped[bool] = mapped_column(Boolean, default=True)


class Day(TenantMixin, Base):
    """A sensor's day (the city's local date): means of its valid hours, complete with at
    least 18, and the indices of the corrected PM2.5 on every scale."""

    __tablename__ = "air_days"
    __table_args__ = (UniqueConstraint("sensor_id", "day"), Index("ix_air_days_day", "day"))

    id: Mapped[int] = mapped_column(primary_key=True)
    sensor_id: Mapped[int] = mapped_column(ForeignKey("air_sensors.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    hours: Mapped[int] = mapped_column(Integer, default=0)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    pm25_raw: Mapped[float | None] = mapped_column(Float, default=None)
    pm25: Mapped[float | None] = mapped_column(Float, default=None)
    pm10_raw: Mapped[float | None] = mapped_column(Float, default=None)
    correction: Mapped[str] = mapped_column(String(60), default="")
    indices: Mapped[dict[str, Any]] = mapped_column(default=dict)
    flags: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Calibration(TenantMixin, Base):
    """A collocation fit of one sensor against a reference station over a period, valid
    from ``valid_from`` until a newer one: PM2.5_ref = intercept + slope·PM2.5 + rh·RH,
    with its figures against EPA's 2021 targets."""

    __tablename__ = "air_calibrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    sensor_id: Mapped[int] = mapped_column(ForeignKey("air_sensors.id", ondelete="CASCADE"))
    reference_id: Mapped[int] = mapped_column(ForeignKey("air_sensors.id", ondelete="CASCADE"))
    valid_from: Mapped[date] = mapped_column(Date)
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    coefficients: Mapped[dict[str, Any]]
    figures: Mapped[dict[str, Any]]  # n, r2, slope, intercept, rmse, nrmse, meets
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")


class AirAlert(TenantMixin, Base):
    """A resident's alert for an area: e-mailed once when an episode begins (the area's
    index reaches ``threshold`` or worse) and once when it is over, not every hour."""

    __tablename__ = "air_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    radius_m: Mapped[int] = mapped_column(Integer, default=1000)
    label: Mapped[str] = mapped_column(String(300), default="")
    language: Mapped[str] = mapped_column(String(5), default="es")
    threshold: Mapped[int] = mapped_column(Integer, default=3)  # the band's number (1 best)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    episode_since: Mapped[datetime | None] = mapped_column(default=None)
    episode_worst: Mapped[int] = mapped_column(Integer, default=0)
    below_since: Mapped[datetime | None] = mapped_column(default=None)
    episodes: Mapped[int] = mapped_column(Integer, default=0)
