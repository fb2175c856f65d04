"""The city's base map: a PMTiles file the city uploads (raster or vector, made from
OpenStreetMap with standard tools such as planetiler or ``pmtiles extract``), served tile
by tile by Civitas itself; or a tile server the city runs; or, with neither, the map drawn
in the browser from the city's own data (streets and addresses of the register, and what
the domains draw: zones, offices, stops).

Pages load nothing from another host unless an administrator set a tile server's address."""

from __future__ import annotations

import functools
import math
import os
import threading
from dataclasses import dataclass
from io import BytesIO
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pmtiles.reader import MmapSource, Reader
from pmtiles.tile import (
    Compression,
    TileType,
    deserialize_directory,
    deserialize_header,
    find_tile,
    zxy_to_tileid,
)
from pmtiles.writer import Writer
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.core import audit
from civitas.core.config import Settings
from civitas.core.db import utcnow
from civitas.core.errors import InvalidInput, Problem
from civitas.core.i18n import N_
from civitas.places.models import PlacesSettings
from civitas.places.register import current_settings, settings_of

TILE_TYPES = {
    TileType.PNG: "image/png",
    TileType.JPEG: "image/jpeg",
    TileType.WEBP: "image/webp",
    TileType.MVT: "application/vnd.mapbox-vector-tile",
}
ENCODINGS = {Compression.GZIP: "gzip", Compression.BROTLI: "br", Compression.ZSTD: "zstd"}


@dataclass(frozen=True)
class MapConfig:
    """What a page needs to draw the city's map (``data-`` attributes of the map box)."""

    kind: str  # "pmtiles", "url" or "drawn"
    tiles: str  # a {z}/{x}/{y} address ("" when drawn)
    attribution: str
    vector: bool
    min_zoom: int
    max_native_zoom: int
    layers: str  # the address of the drawn layers (GeoJSON)
    version: int  # counts up with every change, for caches

    @property
    def image_hosts(self) -> tuple[str, ...]:
        """The outside host the page's policy must let images come from (a tile server)."""
        if self.kind != "url":
            return ()
        parts = urlsplit(self.tiles)
        return (f"{parts.scheme}://{parts.netloc}",)


def _refuse(field: str, message: str, **params: Any) -> InvalidInput:
    return InvalidInput(message, problems=[Problem(field, message, params)], **params)


def folder(settings: Settings, city: City) -> Path:
    return settings.media_root / "places" / city.slug


def _check_pmtiles(content: bytes, city: City) -> dict[str, Any]:
    if len(content) < 127 or content[:7] != b"PMTiles":
        raise _refuse(
            "pmtiles", N_("The file is not a PMTiles archive (it must start with 'PMTiles').")
        )
    if content[7] != 3:
        raise _refuse(
            "pmtiles",
            N_(
                "The file is PMTiles version {version}; convert it to version 3 "
                "(pmtiles convert) and upload it again."
            ),
            version=content[7],
        )
    header = deserialize_header(content[:127])
    if header["tile_type"] not in TILE_TYPES:
        raise _refuse(
            "pmtiles",
            N_("The tiles are of type {type}; Civitas serves PNG, JPEG, WebP and vector (MVT)."),
            type=header["tile_type"].name,
        )
    west, east = header["min_lon_e7"] / 1e7, header["max_lon_e7"] / 1e7
    south, north = header["min_lat_e7"] / 1e7, header["max_lat_e7"] / 1e7
    if east < city.min_lon or west > city.max_lon or north < city.min_lat or south > city.max_lat:
        raise _refuse(
            "pmtiles",
            N_(
                "The map covers {south}…{north}, {west}…{east}, which misses {city}; extract "
                "the city's area and upload it again."
            ),
            south=south,
            north=north,
            west=west,
            east=east,
            city=city.name,
        )
    return dict(header)


def store_pmtiles(
    db: Session,
    city: City,
    settings: Settings,
    *,
    content: bytes,
    attribution: str | None = None,
    actor: str = "system",
) -> PlacesSettings:
    """Check the file and make it the city's base map (the file written durably first,
    then the setting in the caller's transaction)."""
    header = _check_pmtiles(content, city)
    state = settings_of(db, city)
    where = folder(settings, city)
    where.mkdir(parents=True, exist_ok=True)
    name = f"basemap-{utcnow():%Y%m%d%H%M%S%f}.pmtiles"
    part = where / f".{name}.part"
    with open(part, "wb") as out:
        out.write(content)
        out.flush()
        os.fsync(out.fileno())
    part.rename(where / name)
    state.basemap = "pmtiles"
    state.basemap_file = name
    if attribution is None:
        meta = Reader(lambda offset, length: content[offset : offset + length]).metadata()
        attribution = str(meta.get("attribution") or "")[:300] or None
    state.basemap_attribution = attribution
    state.basemap_updated_at = utcnow()
    _audit(db, city, actor, state, tiles=header["addressed_tiles_count"])
    return state


def _audit(db: Session, city: City, actor: str, state: PlacesSettings, **more: Any) -> None:
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="places.basemap.set",
        entity_type="city",
        entity_id=city.id,
        changes={"basemap": state.basemap, "file": state.basemap_file, "url": state.basemap_url}
        | more,
    )


def set_tile_server(
    db: Session, city: City, *, url: str, attribution: str | None, actor: str = "system"
) -> PlacesSettings:
    """A tile server the city runs ({z}/{x}/{y} in the address). Pages will load from it."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise _refuse("url", N_("The tile server's address must start with https://."))
    if not all(part in url for part in ("{z}", "{x}", "{y}")):
        raise _refuse(
            "url",
            N_(
                "The tile server's address needs {z}, {x} and {y} where the tile's zoom, "
                "column and row go (for example https://tiles.example/{z}/{x}/{y}.png)."
            ),
        )
    state = settings_of(db, city)
    state.basemap, state.basemap_url = "url", url[:500]
    state.basemap_attribution = (attribution or "")[:300] or None
    state.basemap_updated_at = utcnow()
    _audit(db, city, actor, state)
    return state


def set_drawn(db: Session, city: City, *, actor: str = "system") -> PlacesSettings:
    """No base map: the map is drawn from the city's own data."""
    state = settings_of(db, city)
    state.basemap = "drawn"
    state.basemap_updated_at = utcnow()
    _audit(db, city, actor, state)
    return state


def tile_host(state: PlacesSettings) -> str | None:
    """The outside host pages may load tiles from, when the city set a tile server."""
    if state.basemap == "url" and state.basemap_url:
        parts = urlsplit(state.basemap_url)
        return f"{parts.scheme}://{parts.netloc}"
    return None


def map_config(db: Session, city: City, settings: Settings) -> MapConfig:
    """The city's map for a page (reads only)."""
    state = current_settings(db, city)
    layers = f"/api/v1/cities/{city.slug}/map/layers"
    if state is None:
        return MapConfig("drawn", "", "", False, 0, 19, layers, 0)
    version = int(state.basemap_updated_at.timestamp())
    if state.basemap == "pmtiles" and state.basemap_file:
        archive = _archive(folder(settings, city) / state.basemap_file)
        if archive is not None:
            return MapConfig(
                kind="pmtiles",
                tiles=f"/{city.slug}/map/tiles/{{z}}/{{x}}/{{y}}?v={version}",
                attribution=state.basemap_attribution or "",
                vector=archive.tile_type == TileType.MVT,
                min_zoom=archive.min_zoom,
                max_native_zoom=archive.max_zoom,
                layers=layers,
                version=version,
            )
    if state.basemap == "url" and state.basemap_url:
        return MapConfig(
            "url", state.basemap_url, state.basemap_attribution or "", False, 0, 19, layers, version
        )
    return MapConfig("drawn", "", "", False, 0, 19, layers, version)


@dataclass
class _Archive:
    path: Path
    mtime: float
    header: dict[str, Any]
    root: list[Any]
    read: Any

    @property
    def tile_type(self) -> TileType:
        return self.header["tile_type"]  # type: ignore[no-any-return]

    @property
    def min_zoom(self) -> int:
        return int(self.header["min_zoom"])

    @property
    def max_zoom(self) -> int:
        return int(self.header["max_zoom"])


_archives: dict[Path, _Archive] = {}
_archives_lock = threading.Lock()


def _archive(path: Path) -> _Archive | None:
    """The open archive (mapped into memory once per process; header and root directory
    read once)."""
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return None
    found = _archives.get(path)
    if found is not None and found.mtime == mtime:
        return found
    with _archives_lock:
        handle = open(path, "rb")  # noqa: SIM115 - kept open, mapped, for the process
        read = MmapSource(handle)
        header = dict(deserialize_header(read(0, 127)))
        root = deserialize_directory(read(header["root_offset"], header["root_length"]))
        for old in [p for p in _archives if p.parent == path.parent]:  # the city's former map
            del _archives[old]
        found = _archives[path] = _Archive(path, mtime, header, root, read)
        return found


def tile(
    db: Session, city: City, settings: Settings, z: int, x: int, y: int
) -> tuple[bytes, str, str | None] | None:
    """(the tile's bytes, its media type, its content encoding) or None where the map has
    no tile."""
    state = current_settings(db, city)
    if state is None or state.basemap != "pmtiles" or not state.basemap_file:
        return None
    archive = _archive(folder(settings, city) / state.basemap_file)
    if archive is None or not (0 <= z <= 30) or not (0 <= x < 2**z and 0 <= y < 2**z):
        return None
    h = archive.header
    tile_id = zxy_to_tileid(z, x, y)
    directory = archive.root
    for _depth in range(4):
        entry = find_tile(directory, tile_id)
        if entry is None:
            return None
        if entry.run_length == 0:  # a leaf directory
            offset = h["leaf_directory_offset"] + entry.offset
            directory = deserialize_directory(archive.read(offset, entry.length))
            continue
        data = archive.read(h["tile_data_offset"] + entry.offset, entry.length)
        return data, TILE_TYPES[archive.tile_type], ENCODINGS.get(h["tile_compression"])
    return None


# --- raster tiles drawn from streets (the demo's base map) -----------------------------

_LAND, _BLOCK, _SQUARE = (242, 239, 233), (232, 228, 220), (205, 230, 195)
_CASING, _STREET, _AVENUE = (190, 184, 174), (255, 255, 255), (252, 226, 160)
_TEXT = (70, 70, 70)


def _world(lat: float, lon: float, z: int) -> tuple[float, float]:
    n = 256 * 2**z
    x = (lon + 180.0) / 360.0 * n
    s = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * n
    return x, y


def _font(size: int) -> Any:
    from PIL import ImageFont

    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",):
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def render_tiles(
    lines: list[tuple[str, list[tuple[float, float]], bool]],
    square: tuple[str, list[tuple[float, float]]] | None,
    *,
    zooms: range,
    bounds: tuple[float, float, float, float],
) -> dict[tuple[int, int, int], bytes]:
    """PNG tiles of streets given as (name, [(lat, lon)…], is_avenue), with the names along
    them from zoom 16. Drawn with a margin, so that names crossing a tile's edge match."""
    from PIL import Image, ImageDraw

    south, west, north, east = bounds
    out: dict[tuple[int, int, int], bytes] = {}
    pad, scale = 128, 2
    for z in zooms:
        width = {13: 1.5, 14: 2.5, 15: 4, 16: 7, 17: 12}.get(z, 12)
        x0, y0 = _world(north, west, z)
        x1, y1 = _world(south, east, z)
        for tx in range(int(x0 // 256), int(x1 // 256) + 1):
            for ty in range(int(y0 // 256), int(y1 // 256) + 1):
                size = (256 + 2 * pad) * scale
                img = Image.new("RGB", (size, size), _LAND)
                draw = ImageDraw.Draw(img)

                def px(
                    lat: float, lon: float, tx: int = tx, ty: int = ty, z: int = z
                ) -> tuple[float, float]:
                    wx, wy = _world(lat, lon, z)
                    return ((wx - tx * 256 + pad) * scale, (wy - ty * 256 + pad) * scale)

                if square:
                    draw.polygon([px(*p) for p in square[1]], fill=_SQUARE)
                for casing in (True, False):
                    for _name, points, avenue in lines:
                        w = width * (1.6 if avenue else 1.0) * scale
                        xy = [px(*p) for p in points]
                        if casing:
                            draw.line(xy, fill=_CASING, width=int(w + 2 * scale), joint="curve")
                        else:
                            draw.line(
                                xy, fill=_AVENUE if avenue else _STREET, width=int(w), joint="curve"
                            )
                if z >= 16:
                    font = _font(11 * scale)
                    for name, points, _avenue in lines:
                        _label(img, name, [px(*p) for p in points], font)
                    if square:
                        cx = sum(px(*p)[0] for p in square[1]) / len(square[1])
                        cy = sum(px(*p)[1] for p in square[1]) / len(square[1])
                        draw.text((cx, cy), square[0], fill=_TEXT, font=font, anchor="mm")
                img = img.crop((pad * scale, pad * scale, (pad + 256) * scale, (pad + 256) * scale))
                img = img.resize((256, 256), Image.Resampling.LANCZOS)
                buf = BytesIO()
                img.save(buf, "PNG", optimize=True)
                out[(z, tx, ty)] = buf.getvalue()
    return out


def _label(img: Any, name: str, xy: list[tuple[float, float]], font: Any) -> None:
    left, _top, right, _bottom = font.getbbox(name)
    tw = right - left + 8
    spacing = max(tw * 2.2, 600.0)  # one name every so far along the street
    walked = 0.0
    for (ax, ay), (bx, by) in pairwise(xy):
        length = math.hypot(bx - ax, by - ay)
        if length < tw * 1.2:
            walked += length
            continue
        angle = math.degrees(math.atan2(-(by - ay), bx - ax))
        if angle > 90:
            angle -= 180
        elif angle < -90:
            angle += 180
        turned = None
        # names at a quarter of the spacing past each multiple, measured from the street's
        # start in world pixels: the same places in every tile, and not at the crossings
        at = math.ceil((walked - spacing * 0.3) / spacing) * spacing + spacing * 0.3
        while at < walked + length:
            t = (at - walked) / length
            if tw * 0.6 / length < t < 1 - tw * 0.6 / length:
                mx, my = ax + (bx - ax) * t, ay + (by - ay) * t
                if -tw < mx < img.width + tw and -tw < my < img.height + tw:
                    turned = turned or _turned(name, round(angle, 1), font.size)
                    where = (int(mx - turned.width / 2), int(my - turned.height / 2))
                    img.paste(turned, where, turned)
            at += spacing
        walked += length


@functools.lru_cache(maxsize=512)
def _turned(name: str, angle: float, size: int) -> Any:
    """A street's name written at ``angle`` (the same in every tile it crosses: drawn once)."""
    from PIL import Image, ImageDraw

    font = _font(size)
    left, top, right, bottom = font.getbbox(name)
    tw, th = right - left + 8, bottom - top + 6
    label = Image.new("RGBA", (tw, th), (0, 0, 0, 0))
    ImageDraw.Draw(label).text(
        (tw / 2, th / 2),
        name,
        font=font,
        fill=_TEXT,
        anchor="mm",
        stroke_width=2,
        stroke_fill=(255, 255, 255),
    )
    return label.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)


def write_pmtiles(
    tiles: dict[tuple[int, int, int], bytes],
    *,
    bounds: tuple[float, float, float, float],
    center: tuple[float, float],
    attribution: str,
) -> bytes:
    buf = BytesIO()
    writer = Writer(buf)
    for (z, x, y), data in sorted(tiles.items(), key=lambda t: zxy_to_tileid(*t[0])):
        writer.write_tile(zxy_to_tileid(z, x, y), data)
    zooms = [z for z, _, _ in tiles]
    south, west, north, east = bounds
    writer.finalize(
        {
            "tile_type": TileType.PNG,
            "tile_compression": Compression.NONE,
            "min_zoom": min(zooms),
            "max_zoom": max(zooms),
            "min_lon_e7": int(west * 1e7),
            "min_lat_e7": int(south * 1e7),
            "max_lon_e7": int(east * 1e7),
            "max_lat_e7": int(north * 1e7),
            "center_zoom": 15,
            "center_lon_e7": int(center[1] * 1e7),
            "center_lat_e7": int(center[0] * 1e7),
        },
        {"attribution": attribution, "name": "Civitas demo base map"},
    )
    return buf.getvalue()
