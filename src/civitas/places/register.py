"""The city's address register: imported from CSV or GeoJSON, checked whole, replaced whole.

Columns (CSV) or properties (GeoJSON), any of the names in each row of ``_COLUMNS``; the
OpenStreetMap tags (``addr:street``, ``addr:housenumber``...) that standard extracts carry
are understood as they are. A row that is wrong is named by its line (CSV) or feature
number (GeoJSON) and its field, and nothing of the file is written."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit
from civitas.core.db import utcnow
from civitas.core.errors import InvalidInput, Problem
from civitas.core.i18n import N_, NP_
from civitas.places.models import Address, PlacesSettings
from civitas.places.normalize import number_key, street_key

MAX_PROBLEMS = 20
_COLUMNS: dict[str, tuple[str, ...]] = {
    "ref": ("id", "ref", "address_id", "addr:id"),
    "street": ("street", "addr:street", "strasse", "straße", "calle", "via"),
    "number": ("number", "housenumber", "addr:housenumber", "hausnummer", "numero", "número"),
    "postcode": ("postcode", "addr:postcode", "zip", "zipcode", "plz", "codigo_postal"),
    "district": (
        "district",
        "addr:district",
        "addr:suburb",
        "suburb",
        "ortsteil",
        "distrito",
        "stadtteil",
    ),
    "lat": ("lat", "latitude", "y"),
    "lon": ("lon", "lng", "long", "longitude", "x"),
}
_LIMITS = {"ref": 100, "street": 200, "number": 20, "postcode": 20, "district": 100}


@dataclass(frozen=True)
class ImportResult:
    count: int
    version: int
    imported_at: datetime


def current_settings(db: Session, city: City) -> PlacesSettings | None:
    """The city's places settings, if it has any yet (reads only)."""
    enter_city(db, city)
    return db.scalar(select(PlacesSettings))


def settings_of(db: Session, city: City) -> PlacesSettings:
    """The city's places settings, made on first use (for a change)."""
    found = current_settings(db, city)
    if found is None:
        found = PlacesSettings(register_version=0, register_count=0, basemap="drawn")
        db.add(found)
        db.flush()
    return found


def register_version(db: Session, city: City) -> tuple[int, str]:
    """What identifies the register's content: its version and when it was imported (a
    database restored to an older state, as tests do, cannot pass for a newer one)."""
    enter_city(db, city)
    row = db.execute(
        select(PlacesSettings.register_version, PlacesSettings.register_imported_at)
    ).first()
    return (row[0], row[1].isoformat() if row[1] else "") if row else (0, "")


def _rows_of(content: bytes, filename: str) -> tuple[str, list[tuple[int, dict[str, Any]]]]:
    """(what a row is called, [(its number, its fields)]) of a CSV or GeoJSON file."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            "The file is not UTF-8 text (byte {at}); save it as UTF-8 and import it again.",
            at=exc.start,
        ) from exc
    if filename.lower().endswith((".geojson", ".json")) or text.lstrip().startswith("{"):
        try:
            doc = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise InvalidInput("The file is not valid JSON: {error}.", error=str(exc)) from exc
        features = doc.get("features") if isinstance(doc, dict) else None
        if not isinstance(features, list):
            raise InvalidInput("A GeoJSON address file is a FeatureCollection with features.")
        rows = []
        for n, feature in enumerate(features, start=1):
            props = dict(feature.get("properties") or {}) if isinstance(feature, dict) else {}
            geometry = feature.get("geometry") if isinstance(feature, dict) else None
            coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
            point = isinstance(geometry, dict) and geometry.get("type") == "Point"
            if point and isinstance(coords, list) and len(coords) >= 2:
                props.setdefault("lon", coords[0])
                props.setdefault("lat", coords[1])
            if isinstance(feature, dict) and "id" in feature and "id" not in props:
                props["id"] = feature["id"]
            rows.append((n, props))
        return "feature", rows
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if not reader.fieldnames:
        raise InvalidInput("The file is empty.")
    return "line", [(reader.line_num, row) for row in reader]


def _pick(row: dict[str, Any], field: str) -> Any:
    lowered = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
    for name in _COLUMNS[field]:
        value = lowered.get(name)
        if value not in (None, ""):
            return value.strip() if isinstance(value, str) else value
    return None


def parse_addresses(
    city: City, content: bytes, filename: str
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Every address of the file, checked; or the problems, each naming row and field."""
    unit, rows = _rows_of(content, filename)
    problems: list[Problem] = []
    out: list[dict[str, Any]] = []
    seen_refs: dict[str, int] = {}
    seen_keys: dict[tuple[str, str, str], int] = {}

    def problem(n: int, where: str, message: str, **params: Any) -> None:
        problems.append(Problem(f"{unit} {n}: {where}", message, params))

    for n, row in rows:
        before = len(problems)
        values = {f: _pick(row, f) for f in _COLUMNS}
        for field in ("street", "number"):
            if values[field] is None:
                problem(n, field, N_("Give the {field}; the row has none."), field=field)
        for field, limit in _LIMITS.items():
            if values[field] is not None:
                values[field] = str(values[field]).strip()
                if len(values[field]) > limit:
                    problem(n, field, N_("At most {limit} characters are allowed."), limit=limit)
        point: dict[str, float] = {}
        for field in ("lat", "lon"):
            raw = values[field]
            try:
                point[field] = float(str(raw).replace(",", ".")) if raw is not None else math.nan
            except ValueError:
                point[field] = math.nan
            if not math.isfinite(point[field]):
                problem(
                    n,
                    field,
                    N_("Give {field} as a decimal number in degrees (for example {example})."),
                    field=field,
                    example=city.center_lat if field == "lat" else city.center_lon,
                )
        if len(problems) == before and not city.contains(point["lat"], point["lon"]):
            problem(
                n,
                "lat",
                N_("The point {lat}, {lon} lies outside {city}."),
                lat=point["lat"],
                lon=point["lon"],
                city=city.name,
            )
        if len(problems) > before:
            if len(problems) >= MAX_PROBLEMS:
                break
            continue
        key = (street_key(values["street"]), number_key(values["number"]), values["postcode"] or "")
        ref = values["ref"] or "-".join(filter(None, (*key[:2], key[2]))).replace(" ", "-")[:100]
        if ref in seen_refs:
            problem(
                n,
                "id",
                N_("The id {ref} is already used on {other}."),
                ref=ref,
                other=f"{unit} {seen_refs[ref]}",
            )
        elif key in seen_keys:
            problem(
                n,
                "number",
                N_("The same address is already on {other}."),
                other=f"{unit} {seen_keys[key]}",
            )
        else:
            seen_refs[ref] = seen_keys[key] = n
            out.append(
                {
                    "ref": ref,
                    "street": values["street"],
                    "number": values["number"],
                    "postcode": values["postcode"],
                    "district": values["district"],
                    "lat": round(point["lat"], 7),
                    "lon": round(point["lon"], 7),
                }
            )
        if len(problems) >= MAX_PROBLEMS:
            break
    if not out and not problems:
        problems.append(Problem("file", N_("The file has no addresses.")))
    return out, problems


def import_addresses(
    db: Session,
    city: City,
    *,
    content: bytes,
    filename: str,
    actor: str = "system",
    now: datetime | None = None,
) -> ImportResult:
    """Replace the city's address register with the file's, all or nothing (in the
    caller's transaction). Refs that stay keep their meaning for the requests naming them."""
    enter_city(db, city)
    rows, problems = parse_addresses(city, content, filename)
    if problems:
        raise InvalidInput(
            NP_(
                "Nothing was imported: {count} problem in the file (the first are named).",
                "Nothing was imported: {count} problems in the file (the first are named).",
            ),
            problems=problems,
            count=len(problems),
        )
    state = settings_of(db, city)
    db.execute(delete(Address).where(Address.tenant_id == city.id))
    for start in range(0, len(rows), 5000):
        db.execute(
            insert(Address), [{**r, "tenant_id": city.id} for r in rows[start : start + 5000]]
        )
    now = now or utcnow()
    state.register_version += 1
    state.register_count = len(rows)
    state.register_source = filename[-200:]
    state.register_imported_at = now
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="places.register.import",
        entity_type="city",
        entity_id=city.id,
        changes={"count": len(rows), "source": state.register_source},
    )
    return ImportResult(count=len(rows), version=state.register_version, imported_at=now)
