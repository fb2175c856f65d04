"""The city's settings in the back office: which optional parts of Civitas it runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from civitas.accounts.service import Principal
from civitas.cities import service
from civitas.cities.models import City
from civitas.core.errors import CivitasError
from civitas.core.permissions import Permission
from civitas.web.actions import form_action
from civitas.web.deps import CurrentCity, DbSession, OptionalPrincipal, staff_page
from civitas.web.forms import problems_by_field
from civitas.web.routers import Router
from civitas.web.templating import page

router = Router(include_in_schema=False)


def _page(
    request: Request, city: City, problems: dict[str, str], status: int = 200
) -> HTMLResponse:
    return page(
        request,
        "cities/settings.html",
        {
            "domains": service.domain_states(city),
            "problems": problems,
            "saved": request.query_params.get("saved") == "1",
        },
        status,
    )


@router.get("/{city}/staff/settings", response_class=HTMLResponse, response_model=None)
def settings(request: Request, city: CurrentCity, principal: OptionalPrincipal) -> Response:
    if isinstance(go := staff_page(city, principal, Permission.CITY_SETTINGS_WRITE), Response):
        return go
    return _page(request, city, {})


@router.post("/{city}/staff/settings", response_model=None)
def save_settings(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    csrf: Annotated[str, Form(max_length=128)] = "",
    enabled: Annotated[list[str] | None, Form(max_length=40)] = None,
) -> Response:
    """Each optional domain is on when its box is ticked, off when not."""
    wanted = set(enabled or [])

    def change(who: Principal) -> int:
        changed = 0
        for domain, _on in service.domain_states(city):
            if domain.optional:
                changed += service.switch_domain(
                    db, city, name=domain.name, on=domain.name in wanted, actor=who.label
                )
        return changed

    def refused(_who: Principal, exc: CivitasError) -> Response:
        return _page(request, city, problems_by_field(request.state.lang, exc), exc.status)

    return form_action(
        request,
        city,
        db,
        principal,
        permission=Permission.CITY_SETTINGS_WRITE,
        csrf=csrf,
        change=change,
        done=lambda _n: f"/{city.slug}/staff/settings?saved=1&lang={request.state.lang}",
        refused=refused,
    )
