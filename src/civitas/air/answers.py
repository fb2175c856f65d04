"""What air quality answers for other domains (the resident assistant): the air now at
the public station nearest a point (or the worst in the city), with its band's name and
health advice in the asker's language. Only public stations, on their public position."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from civitas.air import current, indices
from civitas.air.sensors import public_position, sensors, settings_of
from civitas.cities.models import City
from civitas.core import lookups
from civitas.core.geo import haversine_m
from civitas.core.i18n import translate


@lookups.answer("air.available", "air")
def available(db: Session, city: City) -> bool | None:
    """Whether the city has public stations at all (None: it has none)."""
    return True if sensors(db, city, public=True) else None


@lookups.answer("air.now", "air")
def air_now(
    db: Session, city: City, *, lang: str, lat: float | None = None, lon: float | None = None
) -> dict[str, Any] | None:
    """The station nearest the point (with a value now), or without a point the one with
    the worst air; None when no station reports."""
    values = [v for v in current.now_values(db, city) if v.index is not None]
    if not values:
        return None
    if lat is not None and lon is not None:
        chosen = min(values, key=lambda v: haversine_m((lat, lon), public_position(v.sensor)))
        distance = round(haversine_m((lat, lon), public_position(chosen.sensor)))
    else:
        chosen = max(values, key=lambda v: v.index.level if v.index else 0)
        distance = None
    found = chosen.index
    assert found is not None
    assert chosen.pm25 is not None
    scale = indices.scale(settings_of(db, city).scale)
    return {
        "station": chosen.sensor.name or chosen.sensor.code,
        "code": chosen.sensor.code,
        "distance_m": distance,
        "pm25": round(chosen.pm25, 1),
        "index": found.index,
        "scale": translate(lang, scale.title),
        "category": translate(lang, found.label),
        "advice": translate(lang, indices.ADVICE[found.level]),
        "latest": chosen.latest.isoformat() if chosen.latest else None,
        "stations": len(values),
        "url": f"/air/stations/{chosen.sensor.code}",
    }
