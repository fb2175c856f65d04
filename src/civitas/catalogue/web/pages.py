from __future__ import annotations

from itertools import groupby
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from civitas.catalogue import service
from civitas.cities.service import list_cities
from civitas.web import plugins
from civitas.web.deps import CurrentCity, DbSession, OptionalPrincipal, choose_language
from civitas.web.routers import Router
from civitas.web.templating import page

router = Router(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def index(request: Request, db: DbSession) -> HTMLResponse:
    choose_language(request, ("es", "de", "en"), "en")
    return page(request, "index.html", {"cities": list_cities(db)})


@router.get("/{city}/", response_class=HTMLResponse)
def catalogue_page(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    q: str = "",
    by: str = "category",
) -> HTMLResponse:
    """The services by category or by life situation; a search ignores accents and case and
    looks in every language of the city."""
    by = by if by in ("category", "life_situation") else "category"
    services = service.search_services(db, city, q[:200])

    def key(s: Any) -> str:
        return str(getattr(s, by) or "")

    groups = [(k, list(items)) for k, items in groupby(sorted(services, key=key), key=key)]
    return page(request, "catalogue/index.html", {"groups": groups, "q": q, "by": by})


@router.get("/{city}/services/{code}", response_class=HTMLResponse)
def service_page(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal, code: str
) -> HTMLResponse:
    found = service.get_service(db, city, code=code)
    shown = service.shown_channels(db, city, found)
    online = "online" in shown and not found.is_open311  # an application form
    return page(
        request,
        "catalogue/service.html",
        {
            "service": found,
            "shown": shown,
            "apply": online,
            # what other domains offer for it (booking an appointment at an office)
            "panels": plugins.panels("service.page.actions", request, city, db=db, service=found),
        },
    )


@router.get("/{city}/theme.css", include_in_schema=False)
def theme(city: CurrentCity) -> Response:
    """The city's own colour for the pages (a stylesheet, since the CSP allows no inline
    styles). The colour was checked for contrast with white when it was set."""
    css = f":root {{ --accent: {city.colour}; --brand: {city.colour}; }}\n"
    return Response(css, media_type="text/css", headers={"cache-control": "public, max-age=300"})
