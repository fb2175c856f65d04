"""What places draws on the city's maps: the streets of the address register."""

from __future__ import annotations

from civitas.core.i18n import N_
from civitas.core.plugins import MapLayer
from civitas.places.geocoder import streets_geojson

LAYERS = (MapLayer("places.streets", N_("Streets"), streets_geojson, colour="#ffffff"),)
