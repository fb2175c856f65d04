"""What public transport draws on the city's maps: its stops (public places)."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.core.i18n import N_
from civitas.core.plugins import MapLayer
from civitas.transit.timetable import network


def stop_features(db: Session, city: City) -> list[dict[str, Any]]:
    net = network(db, city)
    return [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
            "properties": {"name": s.name, "code": s.code, "id": s.key},
        }
        for s in net.stops
        if s.location_type in (0, 1) and s.parent is None and not math.isnan(s.lat)
    ]


LAYERS = (MapLayer("transit.stops", N_("Bus and tram stops"), stop_features, "#1f6fb2"),)
