"""Open311 GeoReport v2: discovery, service list and service definitions.

Requests (POST/GET requests, tokens) are issue 3; they will join this router.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civitas.catalogue import open311 as catalogue311
from civitas.catalogue import service as catalogue
from civitas.catalogue.models import Service
from civitas.cities.models import City
from civitas.cities.schemas import CityView
from civitas.cities.service import enter_city, get_city_by_jurisdiction
from civitas.core.errors import InvalidInput, NotFound
from civitas.core.xml import to_xml
from civitas.web.deps import AppSettings, DbSession, choose_language

router = APIRouter(prefix="/open311/v2", tags=["open311"])
Format = Literal["json", "xml"]
SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-23T00:00:00Z"


def open311_city(
    request: Request,
    db: DbSession,
    jurisdiction_id: Annotated[str | None, Query()] = None,
) -> City:
    """The city named by ``jurisdiction_id``; optional only where one city is served."""
    if jurisdiction_id:
        city = get_city_by_jurisdiction(db, jurisdiction_id)
    else:
        cities = list(db.scalars(select(City).limit(2)))
        if len(cities) != 1:
            count = db.scalar(select(func.count(City.id)))
            raise InvalidInput(
                "jurisdiction_id is required: this server serves {count} cities.", count=count
            )
        city = cities[0]
    enter_city(db, city)
    request.state.city = CityView.model_validate(city)
    choose_language(request, city.languages, city.default_language)
    return city


Open311City = Annotated[City, Depends(open311_city)]


def answer(fmt: Format, root: str, payload: Any) -> Response:
    if fmt == "xml":
        return Response(to_xml(root, payload), media_type="text/xml; charset=utf-8")
    return JSONResponse(payload)


@router.get("/discovery.{fmt}", summary="Service discovery")
def discovery(fmt: Format, settings: AppSettings) -> Response:
    base = settings.public_url.rstrip("/") + "/open311/v2/"
    payload = {
        "changeset": CHANGESET,
        "contact": "Your city's service desk",
        "key_service": settings.public_url.rstrip("/") + "/docs#open311",
        "endpoints": [
            {
                "specification": SPEC,
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return answer(fmt, "discovery", payload)


@router.get("/services.{fmt}", summary="List the services requests can be filed for")
def services(request: Request, fmt: Format, city: Open311City, db: DbSession) -> Response:
    items = catalogue311.service_list(city, catalogue.list_services(db, city), request.state.lang)
    return answer(fmt, "services", items)


@router.get("/services/{service_code}.{fmt}", summary="A service definition (its attributes)")
def service_definition(
    request: Request, service_code: str, fmt: Format, city: Open311City, db: DbSession
) -> Response:
    found = _open311_service(db, city, service_code)
    definition = catalogue311.service_definition(city, found, request.state.lang)
    return answer(fmt, "service_definition", definition)


def _open311_service(db: Session, city: City, code: str) -> Service:
    found = catalogue.get_service(db, city, code=code)
    if not found.is_open311:
        raise NotFound("No service with code '{code}' in this city.", code=code)
    return found
