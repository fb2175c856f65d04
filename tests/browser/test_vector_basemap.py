"""A vector base map as a city would make it: a PMTiles archive of Mapbox Vector Tiles in
the Protomaps basemap schema (the layers ``earth`` and ``roads``, gzip-compressed, as
``pmtiles extract`` of a Protomaps build gives), uploaded to Civitas, served by Civitas and
drawn in the browser by protomaps-leaflet. Nothing comes from another host."""

from __future__ import annotations

import gzip
import math
from io import BytesIO

import mapbox_vector_tile
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

from civitas.cities.service import get_city_by_slug
from civitas.core.config import get_settings
from civitas.core.db import session_scope
from civitas.places import basemap

R = 6378137.0
EXTENT = 4096


def _mercator(lat: float, lon: float) -> tuple[float, float]:
    return R * math.radians(lon), R * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _tile(lat: float, lon: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def _bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    size = 2 * math.pi * R / 2**z
    west = -math.pi * R + x * size
    north = math.pi * R - y * size
    return west, north - size, west + size, north


def vector_pmtiles(lat: float, lon: float, zooms: range) -> bytes:
    """Tiles around (lat, lon): land everywhere, and two streets crossing at the point."""
    cx, cy = _mercator(lat, lon)
    reach = 3000.0
    streets = [
        ("Avenida España", [(cx - reach, cy), (cx + reach, cy)]),
        ("Jirón Pizarro", [(cx, cy - reach), (cx, cy + reach)]),
    ]
    tiles = {}
    for z in zooms:
        x0, y0 = _tile(lat + 0.01, lon - 0.01, z)
        x1, y1 = _tile(lat - 0.01, lon + 0.01, z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                west, _south, east, north = _bounds(z, x, y)

                def at(point: tuple[float, float], west=west, north=north, east=east) -> str:
                    scale = EXTENT / (east - west)  # metres to the tile's grid, y down
                    return f"{(point[0] - west) * scale:.0f} {(north - point[1]) * scale:.0f}"

                roads = [
                    {
                        "geometry": f"LINESTRING({', '.join(at(p) for p in line)})",
                        "properties": {"kind": "major_road", "name": name},
                    }
                    for name, line in streets
                ]
                land = f"POLYGON((0 0, {EXTENT} 0, {EXTENT} {EXTENT}, 0 {EXTENT}, 0 0))"
                layers = [
                    {"name": "earth", "features": [{"geometry": land, "properties": {}}]},
                    {"name": "roads", "features": roads},
                ]
                data = mapbox_vector_tile.encode(
                    layers, default_options={"extents": EXTENT, "y_coord_down": True}
                )
                tiles[(z, x, y)] = gzip.compress(data)
    out = BytesIO()
    writer = Writer(out)
    for (z, x, y), data in sorted(tiles.items(), key=lambda t: zxy_to_tileid(*t[0])):
        writer.write_tile(zxy_to_tileid(z, x, y), data)
    writer.finalize(
        {
            "tile_type": TileType.MVT,
            "tile_compression": Compression.GZIP,
            "min_zoom": zooms.start,
            "max_zoom": zooms.stop - 1,
            "min_lon_e7": int((lon - 0.01) * 1e7),
            "min_lat_e7": int((lat - 0.01) * 1e7),
            "max_lon_e7": int((lon + 0.01) * 1e7),
            "max_lat_e7": int((lat + 0.01) * 1e7),
            "center_zoom": zooms.stop - 1,
            "center_lon_e7": int(lon * 1e7),
            "center_lat_e7": int(lat * 1e7),
        },
        {
            "attribution": "© OpenStreetMap contributors",
            "vector_layers": [
                {"id": "earth", "fields": {"kind": "String"}},
                {"id": "roads", "fields": {"kind": "String", "name": "String"}},
            ],
        },
    )
    return out.getvalue()


def test_a_vector_base_map_is_served_by_civitas_and_drawn_in_the_browser(
    pages, two_cities, live_server
):
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        content = vector_pmtiles(city.center_lat, city.center_lon, range(13, 17))
        basemap.store_pmtiles(db, city, get_settings(), content=content, actor="test")
    page = pages.new()
    outside: list[str] = []
    tiles: list[tuple[int, str | None]] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith((live_server, "data:")) else None,
    )
    page.on(
        "response",
        lambda r: (
            tiles.append((r.status, r.headers.get("content-encoding")))
            if "/map/tiles/" in r.url
            else None
        ),
    )
    page.goto("/trujillo/report/a-light/where?lang=en")
    box = page.locator("[data-map]")
    assert box.get_attribute("data-basemap") == "pmtiles"
    assert box.get_attribute("data-vector") == "1"
    # protomaps-leaflet draws each tile on a canvas: land and the streets, two colours at least
    page.wait_for_function(
        """() => [...document.querySelectorAll('#map canvas')].some(c => {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            const seen = new Set();
            for (let i = 0; i < d.length; i += 4 * 97) {
                seen.add(d[i] + ',' + d[i + 1] + ',' + d[i + 2]);
            }
            return seen.size >= 2;
        })""",
        timeout=15_000,
    )
    assert (200, "gzip") in tiles
    assert (
        "© OpenStreetMap contributors" in page.locator(".leaflet-control-attribution").inner_text()
    )
    assert outside == []
