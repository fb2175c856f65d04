"""What places draws on the city's maps: the streets of the address register."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.core.i18n import N_
from civitas.core.plugins import MapLayer
from civitas.places.geocoder import streets_geojson


def streets(db: Session, city: City) -> list[dict[str, Any]]:
    return streets_geojson(db, city)


LAYERS = (MapLayer("places.streets", N_("Streets"), streets, colour="#ffffff"),)
