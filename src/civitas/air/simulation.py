"""The demo's air: what the city's air would be, and what each kind of sensor would
read of it. Every hour is a pure function of the city, the sensor and the time (seeded),
so the history the demo loads and the live pushes agree.

* The air (PM2.5 as a reference monitor reads it): a city's base level, a morning and
  an evening traffic peak, a day-to-day drift, and episodes (burning, a still night):
  up to five times the usual level for some hours.
* Humidity: high at dawn, low in the afternoon (Trujillo's coast is humid all year).
* An optical sensor (SDS011) reads the particles grown with humidity (κ-Köhler with
  κ ≈ 0.4), times its own bias, with noise; a PurpleAir reads what the EPA correction
  undoes; the reference reads the air with a little noise.

On the demo server the worker sends each optical sensor's reading every minute to the
city's push endpoint, in sensor.community's format, exactly as the firmware would.
"""

from __future__ import annotations

import hashlib
import math
import random
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import structlog
from sqlalchemy import select

from civitas.air.models import AirSettings, Sensor

log = structlog.get_logger("civitas.air")

CLIMATE = {
    # base PM2.5 µg/m³, humidity mean and swing (%), temperature mean and swing (°C)
    "trujillo": (17.0, 80.0, 9.0, 20.0, 3.5),
    "musterstadt": (8.0, 72.0, 14.0, 6.0, 4.0),
}
DEFAULT_CLIMATE = (12.0, 70.0, 12.0, 15.0, 4.0)
PUSH_TIMEOUT_S = 5


def _rng(*parts: object) -> random.Random:
    seed = hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()
    return random.Random(seed)  # noqa: S311 - demo data, not secrets


def episode_factor(episodes: list[dict[str, Any]], at: datetime) -> float:
    """How many times the usual level an episode makes the air at ``at``."""
    factor = 1.0
    for found in episodes:
        start = datetime.fromisoformat(found["start"])
        hours = float(found.get("hours", 4))
        peak = float(found.get("peak", 5.0))
        passed = (at - start).total_seconds() / 3600
        if 0 <= passed <= hours:
            # up in the first hour, then slowly down
            shape = (
                min(1.0, passed / 0.5)
                if passed < 0.5
                else 1 - 0.4 * (passed - 0.5) / max(hours - 0.5, 0.1)
            )
            factor = max(factor, 1 + (peak - 1) * shape)
    return factor


def air(
    city: str, zone: ZoneInfo, at: datetime, episodes: list[dict[str, Any]]
) -> tuple[float, float, float]:
    """The city's PM2.5 (reference), humidity (%) and temperature (°C) at ``at``."""
    base, rh_mean, rh_swing, t_mean, t_swing = CLIMATE.get(city, DEFAULT_CLIMATE)
    local = at.astimezone(zone)
    hour = local.hour + local.minute / 60
    day_rng = _rng(city, local.date().isoformat())
    drift = 0.7 + 0.6 * day_rng.random()
    traffic = 1 + 0.45 * math.exp(-((hour - 8) ** 2) / 3) + 0.6 * math.exp(-((hour - 20) ** 2) / 5)
    pm = base * drift * traffic * episode_factor(episodes, at)
    rh = rh_mean + rh_swing * math.cos(2 * math.pi * (hour - 5) / 24) + (day_rng.random() - 0.5) * 6
    temperature = t_mean - t_swing * math.cos(2 * math.pi * (hour - 4) / 24)
    return pm, min(max(rh, 20.0), 98.0), temperature


def reading(sensor_seed: str, kind: str, pm: float, rh: float, at: datetime) -> dict[str, float]:
    """What a sensor of ``kind`` reads of the air (PM2.5 ``pm``, humidity ``rh``)."""
    rng = _rng(sensor_seed, at.isoformat())
    bias = 0.85 + 0.3 * _rng(sensor_seed).random()
    if kind == "reference":
        value = max(0.0, pm + rng.gauss(0, 0.6))
        return {"pm25": round(value, 1), "pm10": round(value * 1.7, 1)}
    if kind == "purpleair":
        cf1 = max(0.0, (pm - 5.75 + 0.0862 * rh) / 0.524 * bias + rng.gauss(0, 0.8))
        return {
            "pm25": round(cf1, 2),
            "pm25_b": round(max(0.0, cf1 * (1 + rng.gauss(0, 0.03))), 2),
            "humidity": round(rh - 4, 1),  # its own sensor runs dry and warm
        }
    growth = 1 + (0.4 / 1.65) / (100.0 / min(rh, 99.0) - 1)
    value = max(0.0, pm * growth * bias + rng.gauss(0, 0.8))
    return {
        "pm25": round(min(value, 999.9), 1),
        "pm10": round(min(value * 1.6, 999.9), 1),
        "humidity": round(rh, 1),
    }


def message(chip: str, values: dict[str, float], temperature: float) -> dict[str, Any]:
    """A sensor.community firmware message ("send to own API") of an SDS011 + BME280."""
    return {
        "esp8266id": chip,
        "software_version": "NRZ-2020-133",
        "sensordatavalues": [
            {"value_type": "SDS_P1", "value": f"{values['pm10']:.2f}"},
            {"value_type": "SDS_P2", "value": f"{values['pm25']:.2f}"},
            {"value_type": "BME280_temperature", "value": f"{temperature:.2f}"},
            {"value_type": "BME280_humidity", "value": f"{values['humidity']:.2f}"},
            {"value_type": "BME280_pressure", "value": "101325.00"},
            {"value_type": "samples", "value": "871234"},
            {"value_type": "signal", "value": "-71"},
        ],
    }


def push_due(now: datetime | None = None) -> int:
    """Each demo sensor's message for now, sent to its city's push endpoint."""
    from civitas.cities.models import City
    from civitas.core import plugins
    from civitas.core.config import get_settings
    from civitas.core.db import session_scope
    from civitas.core.tenancy import bind_all_cities

    now = now or datetime.now(UTC)
    base = get_settings().public_url.rstrip("/")
    jobs: list[tuple[str, dict[str, Any]]] = []
    with session_scope() as db:
        bind_all_cities(db)
        for settings in db.scalars(select(AirSettings)):
            demo = settings.demo or {}
            if not demo.get("simulate"):
                continue
            city = db.get(City, settings.tenant_id)
            if city is None or not plugins.enabled(city, "air"):
                continue
            zone = ZoneInfo(city.timezone)
            pm, rh, temperature = air(city.slug, zone, now, demo.get("episodes", []))
            for sensor in db.scalars(
                select(Sensor).where(
                    Sensor.tenant_id == city.id, Sensor.kind == "sds011", Sensor.active.is_(True)
                )
            ):
                values = reading(f"{city.slug}:{sensor.chip_id}", sensor.kind, pm, rh, now)
                jobs.append(
                    (
                        f"{base}/api/v1/cities/{city.slug}/air/push/sensor-community",
                        message(sensor.chip_id, values, temperature),
                    )
                )
    sent = 0
    for url, body in jobs:
        request = urllib.request.Request(  # noqa: S310 - the demo server's own address
            url,
            data=orjson.dumps(body),
            headers={
                "Content-Type": "application/json",
                "X-Sensor": f"esp8266-{body['esp8266id']}",
                "X-Pin": "1",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=PUSH_TIMEOUT_S) as answer:  # noqa: S310
                sent += 1 if answer.status == 200 else 0
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            log.warning("air.demo_push_failed", url=url, error=str(exc))
            break  # the server is not up: try again next minute
    return sent


def import_due(now: datetime | None = None) -> int:
    """The demo's PurpleAir and reference station deliver hourly files (as a PurpleAir
    download or a monitoring network's export would): every complete hour since their
    last one is imported through the CSV path."""
    from civitas.air import ingest, rollup
    from civitas.cities.models import City
    from civitas.core import plugins
    from civitas.core.db import session_scope
    from civitas.core.tenancy import bind_all_cities

    now = now or datetime.now(UTC)
    top = now.replace(minute=0, second=0, microsecond=0)
    with session_scope() as db:
        bind_all_cities(db)
        todo = [
            (s.tenant_id, s.demo or {})
            for s in db.scalars(select(AirSettings))
            if (s.demo or {}).get("simulate")
        ]
    done = 0
    for tenant_id, demo in todo:
        with session_scope() as db:
            city = db.get(City, tenant_id)
            if city is None or not plugins.enabled(city, "air"):
                continue
            from civitas.cities.service import enter_city

            enter_city(db, city)
            zone = ZoneInfo(city.timezone)
            imported = False
            for sensor in db.scalars(
                select(Sensor).where(
                    Sensor.kind.in_(("purpleair", "reference")), Sensor.active.is_(True)
                )
            ):
                last = sensor.last_seen_at or top - timedelta(hours=2)
                start = last.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
                hours = hours_between(max(start, top - timedelta(hours=48)), top)
                if not hours:
                    continue
                seed = f"{city.slug}:purple" if sensor.kind == "purpleair" else f"{city.slug}:ref"
                if sensor.kind == "purpleair":
                    lines = ["time_stamp,humidity,temperature,pm2.5_cf_1_a,pm2.5_cf_1_b"]
                else:
                    lines = ["time_stamp,pm25,pm10"]
                for h in hours:
                    pm, rh, temperature = air(city.slug, zone, h, demo.get("episodes", []))
                    values = reading(seed, sensor.kind, pm, rh, h)
                    if sensor.kind == "purpleair":
                        lines.append(
                            f"{int(h.timestamp())},{values['humidity']},"
                            f"{temperature * 9 / 5 + 40:.1f},{values['pm25']},{values['pm25_b']}"
                        )
                    else:
                        lines.append(f"{h.isoformat()},{values['pm25']},{values['pm10']}")
                ingest.import_csv(
                    db,
                    city,
                    "\n".join(lines),
                    filename=f"{sensor.code}.csv",
                    sensor_chip=sensor.chip_id,
                )
                done += len(hours)
                imported = True
            if imported:
                rollup.rollup(db, city)
    return done


def hours_between(start: datetime, end: datetime) -> list[datetime]:
    found = []
    at = start
    while at < end:
        found.append(at)
        at += timedelta(hours=1)
    return found
