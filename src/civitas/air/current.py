"""What the air is like now, per station and per area: the NowCast of the last twelve
valid hours of corrected PM2.5 (EPA's method for reporting in real time: weights
w = max(min/max, 0.5), NowCast = Σ wⁱ⁻¹·cᵢ / Σ wⁱ⁻¹ over the hours present, c₁ the
latest; at least two of the three latest hours are needed), on the city's scale."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.air import indices
from civitas.air.models import Hour, Sensor
from civitas.air.rollup import floor_hour
from civitas.air.sensors import sensors, settings_of
from civitas.cities.models import City
from civitas.core.db import utcnow
from civitas.core.geo import haversine_m

WINDOW = 12


def nowcast(hourly: list[float | None]) -> float | None:
    """``hourly[0]`` the latest complete or running hour, then back (None: missing)."""
    window = hourly[:WINDOW]
    if sum(1 for v in window[:3] if v is not None) < 2:
        return None
    present = [v for v in window if v is not None]
    low, high = min(present), max(present)
    weight = max(low / high, 0.5) if high > 0 else 1.0
    numerator = denominator = 0.0
    for i, value in enumerate(window):
        if value is not None:
            numerator += weight**i * value
            denominator += weight**i
    return numerator / denominator


@dataclass
class Now:
    sensor: Sensor
    pm25: float | None  # NowCast, corrected
    latest: datetime | None  # the latest valid hour's start
    index: indices.IndexValue | None


def now_values(db: Session, city: City, *, at: datetime | None = None) -> list[Now]:
    """Every public station's NowCast on the city's scale."""
    at = at or utcnow()
    scale = settings_of(db, city).scale
    top = floor_hour(at)
    since = top - timedelta(hours=WINDOW - 1)
    found = sensors(db, city, public=True)
    by_sensor: dict[int, dict[datetime, float | None]] = {s.id: {} for s in found}
    for sensor_id, hour, pm25 in db.execute(
        select(Hour.sensor_id, Hour.hour, Hour.pm25).where(
            Hour.hour >= since, Hour.hour <= top, Hour.valid.is_(True), Hour.pm25.is_not(None)
        )
    ):
        if sensor_id in by_sensor:
            by_sensor[sensor_id][hour] = pm25
    result = []
    for sensor in found:
        values = by_sensor[sensor.id]
        series = [values.get(top - timedelta(hours=i)) for i in range(WINDOW)]
        value = nowcast(series)
        result.append(
            Now(
                sensor,
                value,
                max(values) if values else None,
                indices.compute(scale, "pm25", value)
                if value is not None and _in_scale(scale, value)
                else None,
            )
        )
    return result


def _in_scale(scale: str, value: float) -> bool:
    maximum = indices.scale(scale).maximum
    return not maximum or value <= maximum["pm25"]


def area_level(values: list[Now], lat: float, lon: float, radius_m: int) -> tuple[int, Now | None]:
    """The worst band (its number in the scale, 1 the best) of the stations in the area,
    and that station; 0 when none has a value now."""
    worst: tuple[int, Now | None] = (0, None)
    for found in values:
        if found.index is None:
            continue
        if haversine_m((lat, lon), (found.sensor.lat, found.sensor.lon)) > radius_m:
            continue
        band = band_number(found.index)
        if band > worst[0]:
            worst = (band, found)
    return worst


def band_number(value: indices.IndexValue) -> int:
    bands = indices.scale(value.scale).bands[value.pollutant]
    return next(i for i, b in enumerate(bands, start=1) if b.category == value.category)


def summary(values: list[Now]) -> dict[str, Any]:
    with_value = [v for v in values if v.index is not None]
    return {"stations": len(values), "reporting": len(with_value)}
