"""Air quality over JSON: any index computed from a concentration, the stations with
their values now, a station's day and hours, and the sensors' push in sensor.community's
own format. Times are ISO 8601 with offsets."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import orjson
from fastapi import Header, Query, Request
from pydantic import BaseModel
from sqlalchemy import select

from civitas.air import current, indices
from civitas.air import ingest as ingest_service
from civitas.air.models import Day, Hour, Sensor
from civitas.air.sensors import by_code, public_position, settings_of
from civitas.cities.models import City
from civitas.core.errors import InvalidInput, Problem
from civitas.core.i18n import N_, translate
from civitas.web.deps import CurrentCity, DbSession, one_turn
from civitas.web.routers import Router

router = Router(prefix="/api/v1/cities/{city}/air", tags=["air"])
public = Router(prefix="/api/v1/air", tags=["air"])


class IndexRead(BaseModel):
    scale: str
    version: str
    pollutant: str
    value: float
    index: int
    category: str
    category_label: str
    colour: str


@public.get("/index", response_model=IndexRead)
def index_of(
    scale: Annotated[str, Query(max_length=40, description="us-epa-2024 | inca-pe | eaqi | uba")],
    value: Annotated[float, Query(description="the concentration, µg/m³")],
    pollutant: Annotated[str, Query(max_length=10)] = "pm25",
    lang: Annotated[str, Query(max_length=5)] = "en",
) -> IndexRead:
    """The index of a concentration on a scale, with its category (a code) and the
    category's name (in ``lang``)."""
    if scale not in indices.SCALES:
        raise InvalidInput(
            N_("Unknown scale {scale}: choose one of {choices}."),
            problems=[
                Problem(
                    "scale", N_("Choose one of: {choices}."), {"choices": ", ".join(indices.SCALES)}
                )
            ],
            scale=scale[:40],
            choices=", ".join(indices.SCALES),
        )
    if pollutant not in indices.POLLUTANTS:
        raise InvalidInput(
            N_("Unknown pollutant {pollutant}: choose pm25 or pm10."),
            problems=[
                Problem("pollutant", N_("Choose one of: {choices}."), {"choices": "pm25, pm10"})
            ],
            pollutant=pollutant[:10],
        )
    try:
        found = indices.compute(scale, pollutant, value)
    except indices.OutOfScaleError:
        raise InvalidInput(
            N_("{value} µg/m³ is outside this scale."),
            problems=[
                Problem("value", N_("Give a concentration from 0 up to the scale's last limit."))
            ],
            value=value,
        ) from None
    return IndexRead(
        scale=scale,
        version=indices.scale(scale).version,
        pollutant=pollutant,
        value=value,
        index=found.index,
        category=found.category,
        category_label=translate(lang if lang in ("es", "de", "en") else "en", found.label),
        colour=found.colour,
    )


def _basic_password(header: str | None) -> str | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return decoded.partition(":")[2]


@router.post(
    "/push/sensor-community",
    responses={
        401: {"description": "The sensor has a password and the request had not the right one"},
        403: {"description": "The chip is not registered with this city"},
    },
)
async def push_sensor_community(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    x_sensor: Annotated[str | None, Header(max_length=80)] = None,
    x_pin: Annotated[str | None, Header(max_length=10)] = None,
    authorization: Annotated[str | None, Header(max_length=500)] = None,
) -> dict[str, Any]:
    """A sensor.community node's message ("send to own API"): ``esp8266id`` and
    ``sensordatavalues``; the ``X-Sensor`` and ``X-Pin`` headers and the sensor's basic
    auth work as with sensor.community. Unregistered chips are refused (403)."""
    raw = await request.body()
    try:
        body = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        raise InvalidInput(
            N_("Send the sensor's JSON: an object with esp8266id and sensordatavalues."),
            problems=[Problem("body", N_("The body is not JSON."))],
        ) from None
    password = _basic_password(authorization)

    def work() -> ingest_service.PushResult:
        result = ingest_service.push(
            db, city, body, x_sensor=x_sensor, x_pin=x_pin, password=password
        )
        db.commit()
        return result

    result = await one_turn(db, work)
    return {"sensor": result.sensor.code, "stored": result.stored, "values": result.values}


def station_read(sensor: Sensor, now: current.Now | None, lang: str) -> dict[str, Any]:
    lat, lon = public_position(sensor)
    found: dict[str, Any] = {
        "id": sensor.code,
        "name": sensor.name,
        "kind": sensor.kind,
        "reference": sensor.kind == "reference",
        "lat": lat,
        "lon": lon,
        "position": "approximate" if sensor.host == "resident" else "exact",
        "pm25_nowcast": None,
        "index": None,
    }
    if now is not None and now.pm25 is not None:
        found["pm25_nowcast"] = round(now.pm25, 1)
        found["latest_hour"] = now.latest.isoformat() if now.latest else None
        if now.index is not None:
            found["index"] = {
                "scale": now.index.scale,
                "index": now.index.index,
                "category": now.index.category,
                "category_label": translate(lang, now.index.label),
                "colour": now.index.colour,
            }
    return found


@router.get("/stations")
def list_stations(
    city: CurrentCity, db: DbSession, lang: Annotated[str, Query(max_length=5)] = "en"
) -> dict[str, Any]:
    """Every outdoor station with its PM2.5 now (NowCast of corrected hourly means) on
    the city's scale. A sensor a resident hosts is placed on a ~200 m grid."""
    values = current.now_values(db, city)
    return {
        "scale": settings_of(db, city).scale,
        "stations": [station_read(v.sensor, v, _lang(city, lang)) for v in values],
    }


def _lang(city: City, lang: str) -> str:
    return lang if lang in city.languages else city.default_language


def _public_station(db: Any, city: City, station: str) -> Sensor:
    found = by_code(db, city, station)
    if found.indoor or not found.active:
        from civitas.core.errors import NotFound

        raise NotFound(N_("The city has no air-quality station {code}."), code=station)
    return found


def _parse_date(value: str | None, field: str, zone: ZoneInfo) -> date:
    if not value:
        return datetime.now(zone).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            N_("Give the date as YYYY-MM-DD."),
            problems=[
                Problem(
                    field, N_("{value} is not a date such as 2026-12-04."), {"value": value[:40]}
                )
            ],
        ) from None


@router.get("/stations/{station}/daily")
def station_daily(
    city: CurrentCity,
    db: DbSession,
    station: str,
    date_: Annotated[str | None, Query(alias="date", max_length=20)] = None,
) -> dict[str, Any]:
    """A station's day: valid ``hours``, ``complete`` (18 or more), ``pm25_raw`` (the mean
    of the hourly means as measured), ``pm25`` (after ``correction``) and the indices on
    every scale."""
    sensor = _public_station(db, city, station)
    zone = ZoneInfo(city.timezone)
    day = _parse_date(date_, "date", zone)
    found = db.scalar(select(Day).where(Day.sensor_id == sensor.id, Day.day == day))
    if found is None:
        return {
            "station": sensor.code,
            "date": day.isoformat(),
            "hours": 0,
            "complete": False,
            "pm25_raw": None,
            "pm25": None,
            "correction": None,
            "indices": {},
        }
    return {
        "station": sensor.code,
        "date": day.isoformat(),
        "hours": found.hours,
        "complete": found.complete,
        "pm25_raw": _round(found.pm25_raw),
        "pm25": _round(found.pm25),
        "pm10_raw": _round(found.pm10_raw),
        "correction": found.correction or None,
        "indices": {
            code: {"index": v.get("index"), "category": v.get("category")}
            for code, v in (found.indices or {}).items()
        },
        "flags": found.flags,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@router.get("/stations/{station}/hourly")
def station_hourly(
    city: CurrentCity,
    db: DbSession,
    station: str,
    date_: Annotated[str | None, Query(alias="date", max_length=20)] = None,
) -> dict[str, Any]:
    """A station's hours of one local day: raw and corrected PM2.5, humidity, the
    correction and the QC flags (an hour with flags is not valid)."""
    sensor = _public_station(db, city, station)
    zone = ZoneInfo(city.timezone)
    day = _parse_date(date_, "date", zone)
    lower = datetime.combine(day, datetime.min.time(), zone).astimezone(UTC)
    upper = lower + timedelta(days=1, hours=1)
    hours = db.scalars(
        select(Hour)
        .where(Hour.sensor_id == sensor.id, Hour.hour >= lower, Hour.hour < upper)
        .order_by(Hour.hour)
    )
    return {
        "station": sensor.code,
        "date": day.isoformat(),
        "hours": [
            {
                "hour": h.hour.astimezone(zone).isoformat(),
                "readings": h.n,
                "pm25_raw": _round(h.pm25_raw),
                "pm25": _round(h.pm25),
                "pm10_raw": _round(h.pm10_raw),
                "humidity": _round(h.humidity),
                "correction": h.correction or None,
                "flags": [f for f in h.flags.split(",") if f],
                "valid": h.valid,
            }
            for h in hours
            if h.hour.astimezone(zone).date() == day
        ],
    }
