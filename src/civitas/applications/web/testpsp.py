"""The test payment provider's checkout page: what a resident sees at a real provider,
clearly marked as a test that moves no money. Pay or cancel, then back to the city. (A
real provider has a host of its own; this one lives below the merchant city's path.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from civitas.applications import testpsp
from civitas.applications.tasks import send_notifications
from civitas.web.deps import CurrentCity, DbSession
from civitas.web.routers import Router
from civitas.web.templating import page, require_csrf

router = Router(include_in_schema=False)


@router.get(
    "/{city}/testpsp/checkout/{session_id}", response_class=HTMLResponse, response_model=None
)
def checkout(request: Request, city: CurrentCity, db: DbSession, session_id: str) -> Response:
    found = testpsp.get_session(db, session_id, merchant=city.slug)
    return page(request, "applications/testpsp.html", {"session": found})


@router.post("/{city}/testpsp/checkout/{session_id}", response_model=None)
def settle(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    session_id: str,
    csrf: Annotated[str, Form(max_length=128)] = "",
    action: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    require_csrf(request, csrf)
    testpsp.get_session(db, session_id, merchant=city.slug)
    found = testpsp.settle(db, session_id, pay=action == "pay")
    back = found.return_url
    db.commit()
    send_notifications(session_id)
    return RedirectResponse(back, status_code=303)
