"""The notice board: how many requests of the city are open, for its keepers."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from civitas.cases import service as cases
from civitas.web.deps import CurrentCity, DbSession, OptionalPrincipal, staff_page
from civitas.web.routers import Router
from civitas.web.templating import page
from tests.example_domain.models import Notice
from tests.example_domain.permissions import ExamplePermission

router = Router(include_in_schema=False)


@router.get("/{city}/staff/notices", response_class=HTMLResponse, response_model=None)
def notices(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    if isinstance(go := staff_page(city, principal, ExamplePermission.NOTICES_READ), Response):
        return go
    pinned = list(db.scalars(select(Notice).order_by(Notice.id)))
    return page(
        request,
        "example/notices.html",
        {"open": cases.queue_counts(db, city)["open"], "notices": pinned},
    )
