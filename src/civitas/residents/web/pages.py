"""A resident's optional account in the browser: sign in with a one-time link or a
password, see "my requests", set a password, sign out."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from civitas.cases.schemas import STATUS_LABELS, Status
from civitas.cities.models import City
from civitas.core.config import Settings
from civitas.core.errors import CivitasError
from civitas.core.i18n import translate
from civitas.residents import service as residents
from civitas.residents.models import ResidentAccount
from civitas.web import microcache
from civitas.web.deps import AppSettings, CurrentCity, DbSession
from civitas.web.forms import problems_by_field
from civitas.web.jobs import kick_outbox
from civitas.web.routers import Router
from civitas.web.templating import page, require_csrf

router = Router(include_in_schema=False)
COOKIE = residents.COOKIE


def current_resident(request: Request, db: DbSession, city: City) -> ResidentAccount | None:
    return residents.signed_in(db, city, raw=request.cookies.get(COOKIE))


def next_path(city: City, value: str | None) -> str:
    """Where to go after signing in: a page of this city (never another site), else ''."""
    text = (value or "").strip()
    if not text.startswith(f"/{city.slug}/") or "//" in text or "\\" in text or len(text) > 300:
        return ""
    return text if all(c.isprintable() for c in text) else ""


def _signed_in_response(
    city: City, settings: Settings, raw: str, lang: str, after: str = ""
) -> RedirectResponse:
    target = after or f"/{city.slug}/account"
    joiner = "&" if "?" in target else "?"
    response = RedirectResponse(f"{target}{joiner}lang={lang}", status_code=303)
    response.set_cookie(
        COOKIE,
        raw,
        max_age=int(residents.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path=f"/{city.slug}",
    )
    return response


def _page(
    request: Request,
    db: DbSession,
    city: City,
    account: ResidentAccount | None,
    *,
    problems: dict[str, str] | None = None,
    sent: bool = False,
    status: int = 200,
) -> HTMLResponse:
    rows = []
    if account is not None:
        found = residents.my_requests(db, city, account)
        infos = microcache.service_infos(db, city, {r.service_id for r in found})
        lang = request.state.lang
        rows = [
            {
                "number": r.number,
                "service": infos[r.service_id].name,
                "status": translate(lang, STATUS_LABELS[Status(r.status)]),
                "requested_at": r.requested_at,
            }
            for r in found
        ]
    return page(
        request,
        "residents/account.html",
        {
            "account": account,
            "rows": rows,
            "problems": problems or {},
            "sent": sent,
            "next": next_path(city, request.query_params.get("next")),
        },
        status,
    )


def _problems(request: Request, exc: CivitasError, field: str) -> dict[str, str]:
    return problems_by_field(request.state.lang, exc, fallback=field)


@router.get("/{city}/account", response_class=HTMLResponse)
def account_page(request: Request, city: CurrentCity, db: DbSession) -> HTMLResponse:
    return _page(request, db, city, current_resident(request, db, city))


@router.post("/{city}/account/link", response_class=HTMLResponse)
def ask_for_link(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    settings: AppSettings,
    csrf: Annotated[str, Form(max_length=128)] = "",
    email: Annotated[str, Form(max_length=300)] = "",
    next: Annotated[str, Form(max_length=300)] = "",
) -> HTMLResponse:
    require_csrf(request, csrf)
    try:
        residents.send_link(
            db,
            city,
            email=email,
            base_url=settings.public_url,
            language=request.state.lang,
            next_path=next_path(city, next),
        )
    except CivitasError as exc:
        db.rollback()
        problems = _problems(request, exc, "email")
        return _page(request, db, city, None, problems=problems, status=exc.status)
    db.commit()
    kick_outbox()
    return _page(request, db, city, None, sent=True)


@router.get("/{city}/account/link/{token}", response_model=None)
def follow_link(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    settings: AppSettings,
    token: str,
    next: str = "",
) -> Response:
    try:
        _, raw = residents.use_link(db, city, raw=token)
    except CivitasError as exc:
        db.rollback()
        problems = _problems(request, exc, "email")
        return _page(request, db, city, None, problems=problems, status=401)
    db.commit()
    return _signed_in_response(city, settings, raw, request.state.lang, next_path(city, next))


@router.post("/{city}/account/signin", response_model=None)
def sign_in(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    settings: AppSettings,
    csrf: Annotated[str, Form(max_length=128)] = "",
    email: Annotated[str, Form(max_length=300)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    require_csrf(request, csrf)
    try:
        _, raw = residents.sign_in(db, city, email=email, password=password)
    except CivitasError as exc:
        return _page(
            request,
            db,
            city,
            None,
            problems=_problems(request, exc, "signin-email"),
            status=exc.status,
        )
    db.commit()
    return _signed_in_response(city, settings, raw, request.state.lang, next_path(city, next))


@router.post("/{city}/account/password", response_model=None)
def set_password(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    csrf: Annotated[str, Form(max_length=128)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    require_csrf(request, csrf)
    account = current_resident(request, db, city)
    if account is None:
        return RedirectResponse(f"/{city.slug}/account", status_code=303)
    try:
        residents.set_password(db, city, account, password=password)
    except CivitasError as exc:
        problems = _problems(request, exc, "password")
        return _page(request, db, city, account, problems=problems, status=400)
    db.commit()
    return RedirectResponse(f"/{city.slug}/account?lang={request.state.lang}", status_code=303)


@router.post("/{city}/account/signout", response_model=None)
def sign_out(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    require_csrf(request, csrf)
    if raw := request.cookies.get(COOKIE):
        residents.sign_out(db, city, raw=raw)
        db.commit()
    response = RedirectResponse(f"/{city.slug}/?lang={request.state.lang}", status_code=303)
    response.delete_cookie(COOKIE, path=f"/{city.slug}")
    return response
