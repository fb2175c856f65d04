"""Places' services in one import: the register, the geocoder, the base map."""

from civitas.places.basemap import (
    MapConfig,
    map_config,
    set_drawn,
    set_tile_server,
    store_pmtiles,
    tile,
    tile_host,
)
from civitas.places.geocoder import (
    Place,
    by_ref,
    distance_m,
    has_register,
    nearest,
    resolve,
    search,
    settle,
    within,
)
from civitas.places.register import (
    ImportResult,
    current_settings,
    import_addresses,
    settings_of,
)

__all__ = [
    "ImportResult",
    "MapConfig",
    "Place",
    "by_ref",
    "current_settings",
    "distance_m",
    "has_register",
    "import_addresses",
    "map_config",
    "nearest",
    "resolve",
    "search",
    "set_drawn",
    "set_tile_server",
    "settings_of",
    "settle",
    "store_pmtiles",
    "tile",
    "tile_host",
    "within",
]
