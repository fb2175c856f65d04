"""Staff sign-in and sign-out in the browser (server-side sessions, CSRF-checked forms)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from civitas.accounts import service
from civitas.accounts.models import User
from civitas.accounts.service import SESSION
from civitas.core.errors import PermissionDenied, TooManyAttempts, Unauthenticated
from civitas.core.i18n import translate
from civitas.core.permissions import roles
from civitas.core.security import signature_ok
from civitas.web import plugins
from civitas.web.deps import AppSettings, CurrentCity, DbSession, OptionalPrincipal, client_address
from civitas.web.routers import Router
from civitas.web.templating import SESSION_COOKIE, page, require_csrf

router = Router(include_in_schema=False)


@router.get("/{city}/login", response_class=HTMLResponse)
def login_form(request: Request, city: CurrentCity) -> HTMLResponse:
    return page(request, "accounts/login.html", {})


@router.post("/{city}/login", response_model=None)
def login(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    settings: AppSettings,
    username: Annotated[str, Form(max_length=80)],
    password: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    # a sign-in sent from another site (login CSRF) would sign the victim in as the attacker
    require_csrf(request, csrf)
    try:
        user = service.authenticate(
            db, city, username=username, password=password, address=client_address(request)
        )
    except (Unauthenticated, TooManyAttempts) as exc:
        message = exc.text(request.state.lang)
        context = {"error": message, "username": username}
        return page(request, "accounts/login.html", context, exc.status)
    raw, _ = service.issue_token(
        db, city, user=user, kind=SESSION, lifetime=timedelta(hours=settings.session_hours)
    )
    db.commit()
    response = RedirectResponse(f"/{city.slug}/staff", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path=f"/{city.slug}",
    )
    return response


@router.get("/{city}/staff", response_class=HTMLResponse, response_model=None)
def staff_home(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
) -> Response:
    if principal is None or principal.user_id is None:
        return RedirectResponse(f"/{city.slug}/login", status_code=303)
    user = db.get(User, principal.user_id)
    entries = plugins.navigation(city, principal, user.roles if user else [])
    return page(
        request,
        "accounts/home.html",
        {
            "user": user,
            "role_labels": {n: translate(request.state.lang, r.label) for n, r in roles().items()},
            "entries": [e for e in entries if not e.admin] + [e for e in entries if e.admin],
        },
    )


@router.post("/{city}/logout", response_model=None)
def logout(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    settings: AppSettings,
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        if not signature_ok(settings.secret_key, "csrf:" + raw, csrf):
            raise PermissionDenied("The form has expired; reload the page and try again.")
        service.revoke_token(db, city, raw=raw)
        db.commit()
    response = RedirectResponse(f"/{city.slug}/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=f"/{city.slug}")
    return response
