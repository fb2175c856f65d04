"""The address register and the city's map over JSON: search, nearest address, one
address, the layers drawn from the city's own data, and the register's import."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import BaseModel
from starlette.datastructures import UploadFile

from civitas.accounts.service import Principal
from civitas.core import plugins
from civitas.core.errors import InvalidInput, NotFound, Problem
from civitas.core.i18n import N_, translate
from civitas.places import service
from civitas.places.permissions import PlacesPermission
from civitas.web.deps import CurrentCity, DbSession, Requires, one_turn
from civitas.web.routers import Router

router = Router(prefix="/api/v1/cities/{city}", tags=["places"])

Keeper = Annotated[Principal, Requires(PlacesPermission.PLACES_MANAGE)]


class AddressRead(BaseModel):
    address_id: str | None  # None: a street as a whole
    label: str
    street: str
    number: str | None
    postcode: str | None
    district: str | None
    lat: float
    long: float
    exact: bool  # false: the nearest number to the one asked for


class AddressList(BaseModel):
    addresses: list[AddressRead]


class NearestRead(BaseModel):
    address: AddressRead | None
    distance_m: float | None


class ImportRead(BaseModel):
    count: int
    version: int


def _read(place: service.Place) -> AddressRead:
    return AddressRead.model_validate(place.as_json())


@router.get("/addresses", response_model=AddressList)
def search_addresses(
    city: CurrentCity,
    db: DbSession,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=20)] = 8,
) -> AddressList:
    """Addresses (or whole streets) matching what was typed, best first: accents and case
    do not matter, abbreviations are written out (Av., Jr., Str.), typos are forgiven.
    ``exact`` is false where the register has no such number and the nearest is offered."""
    return AddressList(addresses=[_read(p) for p in service.search(db, city, q, limit=limit)])


@router.get("/addresses/nearest", response_model=NearestRead)
def nearest_address(
    city: CurrentCity,
    db: DbSession,
    lat: Annotated[float, Query(ge=-90, le=90)],
    long: Annotated[float, Query(ge=-180, le=180)],
    within_m: Annotated[float, Query(gt=0, le=1000)] = 250.0,
) -> NearestRead:
    """The register's address nearest to a point, within ``within_m`` metres (none farther)."""
    found = service.nearest(db, city, lat, long, within_m=within_m)
    if found is None:
        return NearestRead(address=None, distance_m=None)
    return NearestRead(address=_read(found[0]), distance_m=round(found[1], 1))


@router.get("/addresses/{address_id}", response_model=AddressRead)
def get_address(city: CurrentCity, db: DbSession, address_id: str) -> AddressRead:
    found = service.by_ref(db, city, address_id)
    if found is None:
        raise NotFound("No address with id '{id}' in this city.", id=address_id)
    return _read(found)


@router.post("/addresses/import", response_model=ImportRead)
async def import_register(
    request: Request, city: CurrentCity, db: DbSession, principal: Keeper
) -> ImportRead:
    """Replace the register with a CSV or GeoJSON file (multipart field ``file``): all or
    nothing, each problem naming its line (or feature) and field."""
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput(
            "No file was sent.",
            problems=[Problem("file", N_("Send the CSV or GeoJSON file in the field 'file'."))],
        )
    content = await upload.read()
    name = upload.filename

    def work() -> service.ImportResult:
        result = service.import_addresses(db, city, content=content, filename=name)
        db.commit()
        return result

    result = await one_turn(db, work)
    return ImportRead(count=result.count, version=result.version)


@router.get("/map/layers")
def map_layers(request: Request, city: CurrentCity, db: DbSession) -> dict[str, Any]:
    """What the city's maps draw from its own data (GeoJSON): the register's streets and
    what each domain it runs adds (zones, offices, stops). Each feature names its layer."""
    lang = getattr(request.state, "lang", city.default_language)
    features: list[dict[str, Any]] = []
    legend = []
    for layer in plugins.map_layers(city):
        legend.append(
            {"layer": layer.name, "title": translate(lang, layer.title), "colour": layer.colour}
        )
        for feature in layer.features(db, city):
            props = {**feature.get("properties", {}), "layer": layer.name}
            features.append({**feature, "properties": props})
    return {"type": "FeatureCollection", "features": features, "legend": legend}


@router.get("/map/addresses")
def map_addresses(
    city: CurrentCity,
    db: DbSession,
    bbox: Annotated[
        str,
        Query(
            max_length=100,
            description="south,west,north,east in degrees",
            examples=["-8.113,-79.031,-8.110,-79.027"],
        ),
    ],
) -> dict[str, Any]:
    """The register's addresses in a small box (GeoJSON points, at most 2,000), for maps
    drawn close up from the city's own data."""
    try:
        south, west, north, east = (float(v) for v in bbox.split(","))
    except ValueError:
        south = west = north = east = float("nan")
    if not (-90 <= south < north <= 90 and -180 <= west < east <= 180):
        raise InvalidInput(
            "Give bbox as south,west,north,east in degrees.",
            problems=[Problem("bbox", N_("Give bbox as south,west,north,east in degrees."))],
        )
    if north - south > 0.05 or east - west > 0.05:
        raise InvalidInput(
            "The box is too large.",
            problems=[Problem("bbox", N_("Ask for a box at most 0.05 degrees on each side."))],
        )
    found = service.within(db, city, south, west, north, east, limit=2000)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": p.ref,
                "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
                "properties": {"label": p.label, "number": p.number},
            }
            for p in found
        ],
    }
