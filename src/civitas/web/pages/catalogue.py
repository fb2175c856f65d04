from __future__ import annotations

from itertools import groupby

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from civitas.catalogue import service
from civitas.cities.service import list_cities
from civitas.core.i18n import pick
from civitas.web.deps import CurrentCity, DbSession, OptionalPrincipal, choose_language
from civitas.web.templating import page

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def index(request: Request, db: DbSession) -> HTMLResponse:
    choose_language(request, ("es", "de", "en"), "en")
    return page(request, "index.html", {"cities": list_cities(db)})


@router.get("/{city}/", response_class=HTMLResponse)
def catalogue_page(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal, q: str = ""
) -> HTMLResponse:
    lang = request.state.lang
    services = service.list_services(db, city)
    needle = q.strip().lower()
    if needle:
        services = [
            s
            for s in services
            if needle in pick(s.name, lang).lower()
            or needle in pick(s.description, lang).lower()
            or any(needle in k.lower() for k in s.keywords)
        ]
    groups = [(cat, list(items)) for cat, items in groupby(services, key=lambda s: s.category)]
    return page(request, "catalogue/index.html", {"groups": groups, "q": q})


@router.get("/{city}/services/{code}", response_class=HTMLResponse)
def service_page(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal, code: str
) -> HTMLResponse:
    found = service.get_service(db, city, code=code)
    return page(request, "catalogue/service.html", {"service": found})
