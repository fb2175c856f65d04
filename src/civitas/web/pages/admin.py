"""Administration in the browser: the city's staff users (list, add, change roles, reset a
password, disable). Thin: the same service functions as the accounts API."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from civitas.accounts.schemas import UserCreate, UserUpdate
from civitas.accounts.service import create_user, get_user, list_users, update_user
from civitas.cities.models import City
from civitas.cities.service import list_departments
from civitas.core.errors import CivitasError, PermissionDenied
from civitas.core.i18n import N_, translate
from civitas.core.permissions import Permission, Role
from civitas.core.validation import template_for
from civitas.web.deps import CurrentCity, DbSession, OptionalPrincipal, staff_page
from civitas.web.forms import problems_by_field
from civitas.web.idempotent import FORM_KEY, commit_form, replay_form
from civitas.web.routers import Router
from civitas.web.templating import page, require_csrf

router = Router(include_in_schema=False)

ROLE_LABELS = {
    Role.ADMINISTRATOR: N_("Administrator"),
    Role.MANAGER: N_("Manager"),
    Role.CASE_WORKER: N_("Case worker"),
    Role.AGENT: N_("Hotline or front-office agent"),
    Role.FIELD_WORKER: N_("Field worker"),
    Role.REGISTRAR: N_("Registry office"),
    Role.NETWORK_COORDINATOR: N_("Learning network coordinator"),
    Role.WASTE_PICKER: N_("Waste picker"),
    Role.RECYCLING_BUYER: N_("Buyer of recyclables"),
}


def _roles(lang: str) -> dict[str, str]:
    return {r.value: translate(lang, label) for r, label in ROLE_LABELS.items()}


def _problems(lang: str, exc: ValidationError | CivitasError) -> dict[str, str]:
    found: dict[str, str] = {}
    if isinstance(exc, ValidationError):
        for err in exc.errors():
            template, params = template_for(err)
            field = str(err["loc"][0]) if err["loc"] else "form"
            found.setdefault(field, translate(lang, template, **params))
        return found
    # a name that exists already is the user name's problem
    return problems_by_field(lang, exc, fallback="username" if exc.status == 409 else "form")


@router.get("/{city}/staff/users", response_class=HTMLResponse, response_model=None)
def users(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    if isinstance(go := staff_page(city, principal, Permission.ACCOUNTS_USER_READ), Response):
        return go
    return page(
        request,
        "admin/users.html",
        {"users": list_users(db, city), "role_labels": _roles(request.state.lang)},
    )


def _form(
    request: Request,
    db: Any,
    city: City,
    user: Any,
    answers: dict[str, Any],
    problems: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "admin/user_form.html",
        {
            "user": user,
            "answers": answers,
            "problems": problems,
            "role_labels": _roles(request.state.lang),
            "departments": list_departments(db, city),
        },
        status,
    )


@router.get("/{city}/staff/users/new", response_class=HTMLResponse, response_model=None)
def new_user(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    if isinstance(go := staff_page(city, principal, Permission.ACCOUNTS_USER_WRITE), Response):
        return go
    return _form(request, db, city, None, {"roles": [], "is_active": True}, {})


@router.post("/{city}/staff/users/new", response_model=None)
async def add_user(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    form = await request.form()

    def work() -> Response:
        if isinstance(go := staff_page(city, principal, Permission.ACCOUNTS_USER_WRITE), Response):
            return go
        assert principal is not None
        text = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
        require_csrf(request, text.get("csrf", ""))
        key = text.get(FORM_KEY)
        if (earlier := replay_form(db, actor=principal.label, key=key)) is not None:
            return earlier  # a second press: the first one made the account
        roles = [str(r) for r in form.getlist("roles")]
        answers: dict[str, Any] = {**text, "roles": roles}
        lang = request.state.lang
        try:
            data = UserCreate(
                username=text.get("username", "").lower(),
                full_name=text.get("full_name", ""),
                email=text.get("email") or None,
                password=text.get("password", ""),
                roles=roles,  # checked by the model
                department=text.get("department") or None,
            )
            create_user(db, city, data=data, actor=principal.label)
        except (ValidationError, CivitasError) as exc:
            db.rollback()
            return _form(request, db, city, None, answers, _problems(lang, exc), 400)
        return commit_form(
            db, actor=principal.label, key=key, answer=f"/{city.slug}/staff/users?lang={lang}"
        )

    return await run_in_threadpool(work)


@router.get("/{city}/staff/users/{username}", response_class=HTMLResponse, response_model=None)
def edit_user(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    username: str,
) -> Response:
    if isinstance(go := staff_page(city, principal, Permission.ACCOUNTS_USER_WRITE), Response):
        return go
    user = get_user(db, city, username=username)
    answers = {
        "full_name": user.full_name,
        "email": user.email or "",
        "roles": list(user.roles),
        "is_active": user.is_active,
    }
    return _form(request, db, city, user, answers, {})


@router.post("/{city}/staff/users/{username}", response_model=None)
async def change_user(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    username: str,
) -> Response:
    form = await request.form()

    def work() -> Response:
        if isinstance(go := staff_page(city, principal, Permission.ACCOUNTS_USER_WRITE), Response):
            return go
        assert principal is not None
        text = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
        require_csrf(request, text.get("csrf", ""))
        user = get_user(db, city, username=username)
        roles = [str(r) for r in form.getlist("roles")]
        active = text.get("is_active") == "1"
        answers: dict[str, Any] = {**text, "roles": roles, "is_active": active}
        lang = request.state.lang
        changes: dict[str, Any] = {
            "full_name": text.get("full_name", ""),
            "email": text.get("email") or None,
            "roles": roles,
            "is_active": active,
        }
        if text.get("password"):
            changes["password"] = text["password"]
        try:
            if user.id == principal.user_id and (not active or Role.ADMINISTRATOR not in roles):
                raise PermissionDenied("You cannot take away your own administration or account.")
            update_user(
                db, city, username=username, data=UserUpdate(**changes), actor=principal.label
            )
        except (ValidationError, CivitasError) as exc:
            db.rollback()
            return _form(request, db, city, user, answers, _problems(lang, exc), 400)
        return commit_form(
            db, actor=principal.label, key=None, answer=f"/{city.slug}/staff/users?lang={lang}"
        )

    return await run_in_threadpool(work)
