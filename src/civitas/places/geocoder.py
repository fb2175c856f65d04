"""The geocoder on the city's address register: search (accent-blind, abbreviations
written out, typos forgiven), the nearest address to a point, and a typed address or an
``address_id`` resolved to one address.

Each process keeps a search index per city in memory, built from the register on first
use and rebuilt when an import has counted the register's version up."""

from __future__ import annotations

import math
import threading
from bisect import bisect_left
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.errors import Problem
from civitas.core.geo import haversine_m
from civitas.core.i18n import N_
from civitas.places.models import Address
from civitas.places.normalize import core, number_key, number_value, split_query, street_key
from civitas.places.register import register_version

CELL_DEG = 0.002  # about 200 m: the grid the nearest address is looked up in
MIN_SCORE = 70.0  # a street matched less well than this is no match
SURE_SCORE = 85.0  # a typed address this close to one street (and no other) is resolved


@dataclass(frozen=True)
class Place:
    """An address of the register, or (``ref`` None) a street as a whole."""

    ref: str | None
    street: str
    number: str | None
    postcode: str | None
    district: str | None
    lat: float
    lon: float
    score: float = 100.0
    exact: bool = True  # the number typed is this address's number

    @property
    def label(self) -> str:
        head = f"{self.street} {self.number}" if self.number else self.street
        tail = " ".join(x for x in (self.postcode, self.district) if x)
        return f"{head}, {tail}" if tail else head

    def as_json(self) -> dict[str, object]:
        return {
            "address_id": self.ref,
            "label": self.label,
            "street": self.street,
            "number": self.number,
            "postcode": self.postcode,
            "district": self.district,
            "lat": self.lat,
            "long": self.lon,
            "exact": self.exact,
        }


@dataclass
class _Street:
    name: str
    district: str | None
    key: str
    places: list[Place] = field(default_factory=list)  # sorted by number
    numbers: list[tuple[int, str]] = field(default_factory=list)

    def middle(self) -> Place:
        p = self.places[len(self.places) // 2]
        return Place(None, self.name, None, p.postcode, p.district, p.lat, p.lon)


@dataclass
class _Index:
    version: tuple[int, str]
    streets: list[_Street]
    keys: list[str]
    by_ref: dict[str, Place]
    grid: dict[tuple[int, int], list[Place]]
    kinds: list[frozenset[str]]


_indexes: dict[int, _Index] = {}
_lock = threading.Lock()


def _cell(lat: float, lon: float) -> tuple[int, int]:
    return math.floor(lat / CELL_DEG), math.floor(lon / CELL_DEG)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Metres between two points."""
    return haversine_m((lat1, lon1), (lat2, lon2))


def _build(db: Session, version: tuple[int, str]) -> _Index:
    streets: dict[str, _Street] = {}
    by_ref: dict[str, Place] = {}
    grid: dict[tuple[int, int], list[Place]] = {}
    rows = db.execute(
        select(
            Address.ref,
            Address.street,
            Address.number,
            Address.postcode,
            Address.district,
            Address.lat,
            Address.lon,
        )
    )
    for ref, street, number, postcode, district, lat, lon in rows:
        place = Place(ref, street, number, postcode, district, lat, lon)
        key = street_key(street)
        entry = streets.setdefault(key, _Street(street, district, key))
        entry.places.append(place)
        by_ref[ref] = place
        grid.setdefault(_cell(lat, lon), []).append(place)
    for entry in streets.values():
        entry.places.sort(key=lambda p: number_value(p.number or ""))
        entry.numbers = [number_value(p.number or "") for p in entry.places]
    ordered = sorted(streets.values(), key=lambda s: s.key)
    cores = [core(s.key) for s in ordered]
    return _Index(version, ordered, [c[0] for c in cores], by_ref, grid, [c[1] for c in cores])


def _index(db: Session, city: City) -> _Index:
    enter_city(db, city)
    version = register_version(db, city)
    found = _indexes.get(city.id)
    if found is not None and found.version == version:
        return found
    with _lock:
        found = _indexes.get(city.id)
        if found is None or found.version != version:
            found = _indexes[city.id] = _build(db, version)
        return found


def has_register(db: Session, city: City) -> bool:
    return bool(_index(db, city).by_ref)


def search(db: Session, city: City, query: str, *, limit: int = 8) -> list[Place]:
    """The addresses (or streets) that best match what was typed, best first."""
    index = _index(db, city)
    text, number = split_query(query)
    if not text or not index.keys:
        return []
    name, kinds = core(text)
    matches = process.extract(
        name, index.keys, scorer=fuzz.WRatio, limit=max(limit, 5), score_cutoff=MIN_SCORE
    )
    found: list[Place] = []
    for _key, score, i in matches:
        street = index.streets[i]
        if kinds and not kinds & index.kinds[i]:
            score -= 8  # "Av. Pizarro" asked, "Jr. Pizarro" found: still offered, lower
        if number is None:
            found.append(_scored(street.middle(), score, exact=True))
            continue
        wanted = number_value(number)
        at = bisect_left(street.numbers, wanted)
        exact = [p for p in street.places if number_key(p.number or "") == number]
        if exact:
            found.extend(_scored(p, score, exact=True) for p in exact)
        else:  # the nearest numbers on that street, marked as not the one typed
            near = sorted(
                street.places[max(0, at - 1) : at + 1],
                key=lambda p: abs(number_value(p.number or "")[0] - wanted[0]),
            )
            found.extend(_scored(p, score - 5, exact=False) for p in near[:1])
    found.sort(key=lambda p: (-p.score, not p.exact, p.label))
    return found[:limit]


def _scored(place: Place, score: float, *, exact: bool) -> Place:
    return Place(
        place.ref,
        place.street,
        place.number,
        place.postcode,
        place.district,
        place.lat,
        place.lon,
        round(score, 1),
        exact,
    )


def nearest(
    db: Session, city: City, lat: float, lon: float, *, within_m: float = 250.0
) -> tuple[Place, float] | None:
    """The register's address nearest to the point and its distance in metres, if one
    lies within ``within_m``."""
    index = _index(db, city)
    row, col = _cell(lat, lon)
    reach = math.ceil(within_m / (CELL_DEG * 111_000 * max(0.2, math.cos(math.radians(lat)))))
    best: tuple[Place, float] | None = None
    for r in range(row - reach, row + reach + 1):
        for c in range(col - reach, col + reach + 1):
            for place in index.grid.get((r, c), ()):
                d = distance_m(lat, lon, place.lat, place.lon)
                if d <= within_m and (best is None or d < best[1]):
                    best = (place, d)
    return best


def by_ref(db: Session, city: City, ref: str) -> Place | None:
    return _index(db, city).by_ref.get(ref)


def resolve(db: Session, city: City, text: str) -> Place | None:
    """The one address a typed text means, when the register is sure: the number matches
    exactly and no other street matches about as well."""
    found = search(db, city, text, limit=5)
    if not found or not found[0].exact or found[0].ref is None or found[0].score < SURE_SCORE:
        return None
    rivals = [
        p for p in found[1:] if p.exact and p.ref is not None and p.score >= found[0].score - 3
    ]
    if any(p.street != found[0].street or p.ref != found[0].ref for p in rivals):
        return None
    return found[0]


def streets_geojson(db: Session, city: City, *, gap_m: float = 350.0) -> list[dict[str, object]]:
    """The register drawn as streets: each street's addresses joined in the order of their
    numbers (both sides of a street averaged pairwise), broken where numbering jumps
    further than ``gap_m``. A base map of the city's own data when it has no other."""
    features: list[dict[str, object]] = []
    for street in _index(db, city).streets:
        points: list[tuple[float, float]] = []
        pending: list[Place] = []
        for place in street.places:
            pending.append(place)
            if len(pending) == 2:
                points.append(
                    (
                        (pending[0].lat + pending[1].lat) / 2,
                        (pending[0].lon + pending[1].lon) / 2,
                    )
                )
                pending = []
        if pending:
            points.append((pending[0].lat, pending[0].lon))
        lines: list[list[list[float]]] = [[]]
        for lat, lon in points:
            last = lines[-1][-1] if lines[-1] else None
            if last is not None and distance_m(last[1], last[0], lat, lon) > gap_m:
                lines.append([])
            lines[-1].append([round(lon, 6), round(lat, 6)])
        lines = [line for line in lines if len(line) >= 2]
        if lines:
            features.append(
                {
                    "type": "Feature",
                    "properties": {"name": street.name, "kind": "street"},
                    "geometry": {"type": "MultiLineString", "coordinates": lines},
                }
            )
    return features


def within(
    db: Session, city: City, south: float, west: float, north: float, east: float, *, limit: int
) -> list[Place]:
    """The register's addresses inside a box (at most ``limit``), for the drawn map."""
    index = _index(db, city)
    (r0, c0), (r1, c1) = _cell(south, west), _cell(north, east)
    found: list[Place] = []
    for r in range(r0, r1 + 1):
        for c in range(c0, c1 + 1):
            for p in index.grid.get((r, c), ()):
                if south <= p.lat <= north and west <= p.lon <= east:
                    found.append(p)
                    if len(found) >= limit:
                        return found
    return found


def forget(city_id: int | None = None) -> None:
    """Drop the cached index (tests; a city deleted)."""
    with _lock:
        if city_id is None:
            _indexes.clear()
        else:
            _indexes.pop(city_id, None)


AGREE_M = 250.0  # an address and a point farther apart than this disagree


@dataclass(frozen=True)
class Settled:
    """A request's location after the register has had its say."""

    address: str | None
    address_id: str | None
    lat: float | None
    long: float | None
    problems: tuple[Problem, ...] = ()


def settle(
    db: Session,
    city: City,
    *,
    address: str | None,
    address_id: str | None,
    lat: float | None,
    long: float | None,
) -> Settled:
    """Resolve a location through the register (Open311 ``address_id`` and
    ``address_string``, the resident's form, the hotline): an id names one address and
    gives its point; a typed address the register is sure of gets its point and id; an
    address and a point that are far apart are refused rather than stored disagreeing."""
    has_point = lat is not None and long is not None
    if not has_register(db, city):  # nothing to check against: kept as given
        return Settled(address, address_id, lat, long)
    if address_id:
        place = by_ref(db, city, address_id)
        if place is None:
            return Settled(
                address,
                address_id,
                lat,
                long,
                (
                    Problem(
                        "address_id",
                        N_("No address has the id {id} in {city}; search for the address again."),
                        {"id": address_id, "city": city.name},
                    ),
                ),
            )
        if has_point and lat is not None and long is not None:
            apart = distance_m(lat, long, place.lat, place.lon)
            if apart > AGREE_M:
                return Settled(
                    address,
                    address_id,
                    lat,
                    long,
                    (
                        Problem(
                            "address_id",
                            N_(
                                "{address} is {distance} m from the point given; move the "
                                "point or choose the address again."
                            ),
                            {"address": place.label, "distance": int(apart)},
                        ),
                    ),
                )
            return Settled(address or place.label, place.ref, lat, long)
        return Settled(address or place.label, place.ref, place.lat, place.lon)
    if address and not has_point:
        found = resolve(db, city, address)
        if found is not None:
            return Settled(found.label, found.ref, found.lat, found.lon)
    return Settled(address, None, lat, long)
