"""What air quality draws on the city's maps: its outdoor stations (a resident's sensor
on its ~200 m grid cell, never at the home)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from civitas.air.sensors import public_position, sensors
from civitas.cities.models import City
from civitas.core.i18n import N_
from civitas.core.plugins import MapLayer


def station_features(db: Session, city: City) -> list[dict[str, Any]]:
    found = []
    for sensor in sensors(db, city, public=True):
        lat, lon = public_position(sensor)
        found.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"name": sensor.name, "id": sensor.code},
            }
        )
    return found


LAYERS = (MapLayer("air.stations", N_("Air-quality stations"), station_features, "#6b3fa0"),)
