"""The city's map tiles (public), and the administrator's page for the address register
and the base map."""

from __future__ import annotations

from typing import Annotated

from babel.numbers import format_decimal
from fastapi import File, Form, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from civitas.accounts.service import Principal
from civitas.cities.models import City
from civitas.core.config import get_settings
from civitas.core.errors import CivitasError, InvalidInput, Problem
from civitas.core.i18n import N_, locale_for
from civitas.places import service
from civitas.places.models import PlacesSettings
from civitas.places.permissions import PlacesPermission
from civitas.web.actions import form_action
from civitas.web.deps import CurrentCity, DbSession, OptionalPrincipal, staff_page
from civitas.web.forms import problem_list, problems_by_field
from civitas.web.routers import Router
from civitas.web.templating import page, when

router = Router(include_in_schema=False)

_TILE_HEADERS = {"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}


@router.get("/{city}/map/tiles/{z}/{x}/{y}", response_model=None)
def tile(
    city: CurrentCity,
    db: DbSession,
    z: Annotated[int, Path(ge=0, le=24)],
    x: Annotated[int, Path(ge=0)],
    y: Annotated[int, Path(ge=0)],
) -> Response:
    """A tile of the city's own base map (204 where the map has none: the map shows its
    background there instead of a broken image)."""
    found = service.tile(db, city, get_settings(), z, x, y)
    if found is None:
        return Response(status_code=204, headers=_TILE_HEADERS)
    data, media_type, encoding = found
    headers = dict(_TILE_HEADERS)
    if encoding:
        headers["Content-Encoding"] = encoding
    return Response(data, media_type=media_type, headers=headers)


def _page(
    request: Request,
    city: City,
    db: DbSession,
    problems: dict[str, str],
    status: int = 200,
    answers: dict[str, str] | None = None,
    import_problems: list[dict[str, str]] | None = None,
) -> HTMLResponse:
    lang = request.state.lang
    locale = locale_for(lang, city.country)
    state = service.current_settings(db, city) or PlacesSettings(
        register_version=0, register_count=0, basemap="drawn"
    )
    config = service.map_config(db, city, get_settings())
    return page(
        request,
        "places/admin.html",
        {
            "state": state,
            "config": config,
            "count": format_decimal(state.register_count, locale=locale),
            "imported_at": when(state.register_imported_at, "short", locale, city),
            "problems": problems,
            "answers": answers or {},
            "import_problems": import_problems or [],
            "saved": request.query_params.get("saved"),
        },
        status,
    )


@router.get("/{city}/staff/places", response_class=HTMLResponse, response_model=None)
def places_admin(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    if isinstance(go := staff_page(city, principal, PlacesPermission.PLACES_MANAGE), Response):
        return go
    return _page(request, city, db, {})


def _file(upload: UploadFile | None, field: str, message: str) -> tuple[bytes, str]:
    if upload is None or not upload.filename:
        raise InvalidInput("No file was chosen.", problems=[Problem(field, message)])
    return upload.file.read(), upload.filename


@router.post("/{city}/staff/places/addresses", response_model=None)
def import_addresses(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    csrf: Annotated[str, Form(max_length=128)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Replace the register with the uploaded file, all or nothing."""

    def change(who: Principal) -> int:
        content, name = _file(file, "file", N_("Choose the CSV or GeoJSON file of addresses."))
        return service.import_addresses(
            db, city, content=content, filename=name, actor=who.label
        ).count

    def refused(_who: Principal, exc: CivitasError) -> Response:
        lang = request.state.lang
        return _page(
            request,
            city,
            db,
            {"file": exc.text(lang)},
            exc.status,
            import_problems=problem_list(lang, exc) if exc.problems else [],
        )

    return form_action(
        request,
        city,
        db,
        principal,
        permission=PlacesPermission.PLACES_MANAGE,
        csrf=csrf,
        change=change,
        done=lambda _n: f"/{city.slug}/staff/places?saved=addresses&lang={request.state.lang}",
        refused=refused,
    )


@router.post("/{city}/staff/places/basemap", response_model=None)
def set_basemap(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    csrf: Annotated[str, Form(max_length=128)] = "",
    kind: Annotated[str, Form(max_length=10)] = "",
    url: Annotated[str, Form(max_length=500)] = "",
    attribution: Annotated[str, Form(max_length=300)] = "",
    pmtiles: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Where the base map comes from: an uploaded PMTiles file, a tile server the city
    runs, or drawn from the city's own data."""

    def change(who: Principal) -> str:
        if kind == "pmtiles":
            content, _name = _file(pmtiles, "pmtiles", N_("Choose the PMTiles file."))
            service.store_pmtiles(
                db,
                city,
                get_settings(),
                content=content,
                attribution=attribution or None,
                actor=who.label,
            )
        elif kind == "url":
            service.set_tile_server(
                db, city, url=url.strip(), attribution=attribution or None, actor=who.label
            )
        elif kind == "drawn":
            service.set_drawn(db, city, actor=who.label)
        else:
            raise InvalidInput(
                "Choose where the base map comes from.",
                problems=[Problem("kind", N_("Choose where the base map comes from."))],
            )
        return kind

    def refused(_who: Principal, exc: CivitasError) -> Response:
        answers = {"kind": kind, "url": url, "attribution": attribution}
        return _page(
            request, city, db, problems_by_field(request.state.lang, exc), exc.status, answers
        )

    return form_action(
        request,
        city,
        db,
        principal,
        permission=PlacesPermission.PLACES_MANAGE,
        csrf=csrf,
        change=change,
        done=lambda _k: f"/{city.slug}/staff/places?saved=basemap&lang={request.state.lang}",
        refused=refused,
    )
