"""Air quality's open data (DCAT-AP): hourly and daily means per public station, each
with the value as measured and the corrected one, the correction's name and version,
and the QC flags; the stations' positions are those shown in public."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civitas.air.models import Day, Hour, Sensor
from civitas.air.sensors import public_position, sensors
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.db import utcnow
from civitas.core.i18n import N_
from civitas.core.opendata import FORMATS, Dataset, as_csv

HOURLY_DAYS = 31  # the hourly file holds the last month
HOURLY_FIELDS = [
    "station",
    "hour",
    "readings",
    "pm25_raw",
    "pm25",
    "pm10_raw",
    "humidity",
    "correction",
    "flags",
    "valid",
]
DAILY_FIELDS = [
    "station",
    "date",
    "hours",
    "complete",
    "pm25_raw",
    "pm25",
    "pm10_raw",
    "correction",
    "us_epa_2024",
    "inca_pe",
    "eaqi",
    "uba",
]


def _stations(db: Session, city: City) -> dict[int, Sensor]:
    return {s.id: s for s in sensors(db, city, public=True)}


def hourly_rows(db: Session, city: City) -> list[dict[str, Any]]:
    enter_city(db, city)
    zone = ZoneInfo(city.timezone)
    found = _stations(db, city)
    since = utcnow() - timedelta(days=HOURLY_DAYS)
    rows = []
    for h in db.scalars(select(Hour).where(Hour.hour >= since).order_by(Hour.hour, Hour.sensor_id)):
        if h.sensor_id not in found:
            continue
        rows.append(
            {
                "station": found[h.sensor_id].code,
                "hour": h.hour.astimezone(zone).isoformat(),
                "readings": h.n,
                "pm25_raw": _r(h.pm25_raw),
                "pm25": _r(h.pm25),
                "pm10_raw": _r(h.pm10_raw),
                "humidity": _r(h.humidity),
                "correction": h.correction,
                "flags": h.flags,
                "valid": h.valid,
            }
        )
    return rows


def daily_rows(db: Session, city: City) -> list[dict[str, Any]]:
    enter_city(db, city)
    found = _stations(db, city)
    rows = []
    for d in db.scalars(select(Day).order_by(Day.day, Day.sensor_id)):
        if d.sensor_id not in found:
            continue
        idx = d.indices or {}
        rows.append(
            {
                "station": found[d.sensor_id].code,
                "date": d.day.isoformat(),
                "hours": d.hours,
                "complete": d.complete,
                "pm25_raw": _r(d.pm25_raw),
                "pm25": _r(d.pm25),
                "pm10_raw": _r(d.pm10_raw),
                "correction": d.correction,
                **{
                    code.replace("-", "_"): (idx.get(code) or {}).get("category")
                    for code in ("us-epa-2024", "inca-pe", "eaqi", "uba")
                },
            }
        )
    return rows


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _station_list(db: Session, city: City) -> list[dict[str, Any]]:
    result = []
    for s in _stations(db, city).values():
        lat, lon = public_position(s)
        result.append({"id": s.code, "name": s.name, "kind": s.kind, "lat": lat, "lon": lon})
    return result


def _hourly(db: Session, city: City, fmt: str, base_url: str) -> tuple[str | bytes, str]:
    rows = hourly_rows(db, city)
    if fmt == "csv":
        return as_csv(HOURLY_FIELDS, iter(rows)), "text/csv; charset=utf-8"
    body = {"city": city.slug, "stations": _station_list(db, city), "hours": rows}
    return orjson.dumps(body), FORMATS["json"][1]


def _daily(db: Session, city: City, fmt: str, base_url: str) -> tuple[str | bytes, str]:
    rows = daily_rows(db, city)
    if fmt == "csv":
        return as_csv(DAILY_FIELDS, iter(rows)), "text/csv; charset=utf-8"
    body = {"city": city.slug, "stations": _station_list(db, city), "days": rows}
    return orjson.dumps(body), FORMATS["json"][1]


def _modified(db: Session, city: City) -> datetime | None:
    enter_city(db, city)
    return db.scalar(select(func.max(Sensor.last_seen_at)))


DATASETS = (
    Dataset(
        "air-quality-hourly",
        N_("Air quality: hourly means per station"),
        N_(
            "The last month's hourly means of PM2.5 and PM10 per public station: the value as "
            "measured, the corrected PM2.5 with its correction's name and version, humidity, "
            "the number of readings and the quality checks each hour failed."
        ),
        ("csv", "json"),
        ("air quality", "PM2.5", "sensors", "low-cost sensors"),
        _hourly,
        _modified,
    ),
    Dataset(
        "air-quality-daily",
        N_("Air quality: daily means and indices per station"),
        N_(
            "Daily means per public station (the city's local date): valid hours, complete "
            "with 18 or more, PM2.5 as measured and corrected, the correction, and the band on "
            "the US AQI (2024), Peru's INCA, the European AQI and the UBA index."
        ),
        ("csv", "json"),
        ("air quality", "PM2.5", "AQI", "INCA"),
        _daily,
        _modified,
    ),
)
