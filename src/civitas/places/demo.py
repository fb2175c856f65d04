"""The demo's address registers and base maps: a few thousand addresses per demo city on
plausible streets laid out around the real centre (the street names are the city's kind
of names; the layout is invented, not surveyed), and a small raster base map drawn from
them, served like any city's uploaded PMTiles file."""

from __future__ import annotations

import csv
import io
import math
import random
from dataclasses import dataclass
from itertools import pairwise

from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.core.config import Settings
from civitas.places import basemap
from civitas.places.register import import_addresses, settings_of


@dataclass(frozen=True)
class Layout:
    across: tuple[str, ...]  # streets of the grid in one direction
    along: tuple[str, ...]  # and in the other
    ring: str  # the avenue around the centre
    radials: tuple[str, ...]  # avenues out of the centre
    districts: tuple[str, ...]  # by quarter: N, E, S, W
    postcodes: tuple[str, ...]  # the same
    rotation_deg: float
    block_m: float
    square: str  # the central square (it has no addresses of its own)
    credit: str  # the base map's credit line, in the city's language


LAYOUTS = {
    "PE": Layout(
        across=(
            "Jr. Estete",
            "Jr. Diego de Almagro",
            "Jr. Simón Bolívar",
            "Jr. Francisco Pizarro",
            "Jr. Independencia",
            "Jr. San Martín",
            "Jr. Bolognesi",
            "Jr. Colón",
        ),
        along=(
            "Jr. Zepita",
            "Jr. Grau",
            "Jr. Ayacucho",
            "Jr. Orbegoso",
            "Jr. Gamarra",
            "Jr. Junín",
            "Jr. Almagro Sur",
            "Jr. Alfonso Ugarte",
        ),
        ring="Av. España",
        radials=("Av. Larco", "Av. Perú", "Av. Mansiche", "Av. Húsares de Junín"),
        districts=("Mansiche", "El Recreo", "San Andrés", "Centro Histórico"),
        postcodes=("13006", "13008", "13009", "13001"),
        rotation_deg=33.0,
        block_m=112.0,
        square="Plaza de Armas",
        credit="{city}: mapa base de demostración (calles inventadas)",
    ),
    "DE": Layout(
        across=(
            "Schillerstraße",
            "Goethestraße",
            "Bahnhofstraße",
            "Hauptstraße",
            "Kirchgasse",
            "Rosenstraße",
            "Schulstraße",
            "Lindenallee",
        ),
        along=(
            "Gartenweg",
            "Mühlweg",
            "Karl-Liebknecht-Straße",
            "Marktstraße",
            "Beethovenstraße",
            "Friedrich-Ebert-Straße",
            "Bergstraße",
            "Wiesenweg",
        ),
        ring="Am Ring",
        radials=("Leipziger Straße", "Waldstraße", "Talstraße", "Nordstraße"),
        districts=("Nordviertel", "Ostvorstadt", "Südvorstadt", "Westend"),
        postcodes=("04105", "04315", "04275", "04177"),
        rotation_deg=-12.0,
        block_m=125.0,
        square="Marktplatz",
        credit="{city}: Demo-Grundkarte (erfundene Straßen)",
    ),
}


def _offset(city: City, east_m: float, north_m: float) -> tuple[float, float]:
    lat = city.center_lat + north_m / 111_320.0
    lon = city.center_lon + east_m / (111_320.0 * math.cos(math.radians(city.center_lat)))
    return round(lat, 7), round(lon, 7)


def street_lines(layout: Layout) -> list[tuple[str, list[tuple[float, float]]]]:
    """Every street as (name, [(east m, north m), …]) around the centre (0, 0)."""
    a = math.radians(layout.rotation_deg)
    ux, uy = math.cos(a), math.sin(a)  # along the "across" streets
    vx, vy = -uy, ux
    half = len(layout.across) / 2 - 0.5
    reach = (half + 0.5) * layout.block_m
    lines = []
    for i, name in enumerate(layout.across):
        k = (i - half) * layout.block_m
        lines.append(
            (
                name,
                [
                    (k * vx - reach * ux, k * vy - reach * uy),
                    (k * vx + reach * ux, k * vy + reach * uy),
                ],
            )
        )
    for i, name in enumerate(layout.along):
        k = (i - half) * layout.block_m
        lines.append(
            (
                name,
                [
                    (k * ux - reach * vx, k * uy - reach * vy),
                    (k * ux + reach * vx, k * uy + reach * vy),
                ],
            )
        )
    radius = reach + 160
    ring = [
        (radius * math.cos(t / 48 * 2 * math.pi), radius * math.sin(t / 48 * 2 * math.pi))
        for t in range(49)
    ]
    lines.append((layout.ring, ring))
    for j, name in enumerate(layout.radials):
        t = math.pi / 4 + j * math.pi / 2 + a
        lines.append(
            (
                name,
                [
                    (radius * math.cos(t), radius * math.sin(t)),
                    (2.3 * radius * math.cos(t), 2.3 * radius * math.sin(t)),
                ],
            )
        )
    return lines


def _quarter(east: float, north: float) -> int:
    angle = math.degrees(math.atan2(north, east)) % 360
    return {0: 1, 1: 0, 2: 3, 3: 2}[int(((angle + 45) % 360) // 90)]  # E, N, W, S -> N,E,S,W order


def addresses_csv(city: City, layout: Layout, *, seed: str | None = None) -> bytes:
    """The demo register as a CSV file, as a city would import its own."""
    rng = random.Random(seed or f"civitas-places-{city.slug}")  # noqa: S311 - demo data
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "street", "number", "postcode", "district", "lat", "lon"])
    square = layout.block_m * 0.55
    n = 0
    for name, points in street_lines(layout):
        number = {1: 1, 0: 2}
        for (x0, y0), (x1, y1) in pairwise(points):
            length = math.hypot(x1 - x0, y1 - y0)
            dx, dy = (x1 - x0) / length, (y1 - y0) / length
            step = 0.0
            while step < length:
                for side in (1, -1):  # odd numbers on the left, even on the right
                    east = x0 + dx * step - dy * 9 * side + rng.uniform(-1.5, 1.5)
                    north = y0 + dy * step + dx * 9 * side + rng.uniform(-1.5, 1.5)
                    if abs(east) < square and abs(north) < square:
                        continue  # the central square
                    parity = 1 if side == 1 else 0
                    lat, lon = _offset(city, east, north)
                    q = _quarter(east, north)
                    n += 1
                    writer.writerow(
                        [
                            f"{city.slug[:3].upper()}-{n:05d}",
                            name,
                            number[parity],
                            layout.postcodes[q],
                            layout.districts[q],
                            lat,
                            lon,
                        ]
                    )
                    number[parity] += 2
                step += rng.uniform(13, 19)
    return out.getvalue().encode()


def load(db: Session, city: City, settings: Settings, password: str) -> list[str]:
    """The demo hook: the register, then a base map drawn from it (a second run adds nothing)."""
    layout = LAYOUTS.get(city.country)
    state = settings_of(db, city)
    if layout is None or state.register_version:
        return []
    result = import_addresses(
        db,
        city,
        content=addresses_csv(city, layout),
        filename=f"{city.slug}-addresses.csv",
        actor="system:demo",
    )
    stored = render_basemap(db, city, settings, layout)
    return [f"  addresses:       {result.count} in the register; base map {stored}"]


def render_basemap(db: Session, city: City, settings: Settings, layout: Layout) -> str:
    """Draw the demo city's streets into a PMTiles file and make it the city's base map."""
    avenues = {layout.ring, *layout.radials}
    lines = [
        (name, [_offset(city, *p) for p in points], name in avenues)
        for name, points in street_lines(layout)
    ]
    side = 42.0  # between the four streets around the square
    corners = [(-side, -side), (side, -side), (side, side), (-side, side)]
    square = (layout.square, [_offset(city, *c) for c in corners])
    lats = [p[0] for _, points, _ in lines for p in points]
    lons = [p[1] for _, points, _ in lines for p in points]
    bounds = (min(lats) - 0.002, min(lons) - 0.003, max(lats) + 0.002, max(lons) + 0.003)
    tiles = basemap.render_tiles(lines, square, zooms=range(13, 18), bounds=bounds)
    content = basemap.write_pmtiles(
        tiles,
        bounds=bounds,
        center=(city.center_lat, city.center_lon),
        attribution=layout.credit.format(city=city.name),
    )
    basemap.store_pmtiles(db, city, settings, content=content, actor="system:demo")
    return f"{len(tiles)} tiles, {len(content) // 1024} KiB"
