"""What recycling draws on the city's maps: the collection zones (with their days) and the
pickers' associations' collection centres. Public places only, never a household."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.core.i18n import N_
from civitas.core.plugins import MapLayer
from civitas.recycling.programme import associations, zones


def zone_features(db: Session, city: City) -> list[dict[str, Any]]:
    return [
        {
            "type": "Feature",
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [z.min_lon, z.min_lat],
                        [z.max_lon, z.min_lat],
                        [z.max_lon, z.max_lat],
                        [z.min_lon, z.max_lat],
                        [z.min_lon, z.min_lat],
                    ]
                ],
            },
            "properties": {"name": z.name, "code": z.code},
        }
        for z in zones(db, city)
    ]


def centre_features(db: Session, city: City) -> list[dict[str, Any]]:
    return [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [a.centre_lon, a.centre_lat]},
            "properties": {"name": a.name},
        }
        for a in associations(db, city)
    ]


LAYERS = (
    MapLayer("recycling.zones", N_("Collection zones"), zone_features, colour="#2e7d32"),
    MapLayer("recycling.centres", N_("Collection centres"), centre_features, colour="#6a1b9a"),
)
