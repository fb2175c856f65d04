"""Administration in the browser: the city's staff users (list, add, change roles, reset a
password, disable). Thin: the same service functions as the accounts API."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from civitas.accounts.schemas import UserCreate, UserUpdate
from civitas.accounts.service import Principal, create_user, get_user, list_users, update_user
from civitas.cities.models import City
from civitas.cities.service import list_departments
from civitas.core import permissions, plugins
from civitas.core.errors import CivitasError, PermissionDenied
from civitas.core.i18n import NP_, translate
from civitas.core.permissions import Permission, Role
from civitas.core.validation import refusal
from civitas.web.actions import form_action
from civitas.web.deps import CurrentCity, DbSession, OptionalPrincipal, staff_page
from civitas.web.forms import problems_by_field
from civitas.web.idempotent import FORM_KEY
from civitas.web.routers import Router
from civitas.web.templating import page

router = Router(include_in_schema=False)


def _roles(city: City, lang: str, *, every: bool = False) -> dict[str, str]:
    """The roles' names in the reader's language: every installed one (to name what users
    hold), or those an administrator can give in this city (the core's, and those of the
    domains the city has turned on)."""
    found = {}
    for name, spec in permissions.roles().items():
        owner = permissions.role_owner(name)
        if every or owner == "core" or plugins.enabled(city, owner):
            found[name] = translate(lang, spec.label)
    return found


def _problems(lang: str, exc: CivitasError) -> dict[str, str]:
    """Each field's first problem (``roles[0]`` is the roles'); a name that exists already
    is the user name's problem."""
    return problems_by_field(
        lang,
        exc,
        fallback="username" if exc.status == 409 else "form",
        field=lambda where: where.split("[")[0].split(".")[0],
    )


@router.get("/{city}/staff/users", response_class=HTMLResponse, response_model=None)
def users(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    if isinstance(go := staff_page(city, principal, Permission.ACCOUNTS_USER_READ), Response):
        return go
    return page(
        request,
        "admin/users.html",
        {
            "users": list_users(db, city),
            "role_labels": _roles(city, request.state.lang, every=True),
        },
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
            # a role of a domain the city turned off stays with whoever holds it
            "role_labels": _roles(city, request.state.lang)
            | {
                name: label
                for name, label in _roles(city, request.state.lang, every=True).items()
                if user is not None and name in user.roles
            },
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
        text = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
        roles = [str(r) for r in form.getlist("roles")]
        answers: dict[str, Any] = {**text, "roles": roles}
        lang = request.state.lang

        def change(who: Principal) -> None:
            try:
                data = UserCreate(
                    username=text.get("username", "").lower(),
                    full_name=text.get("full_name", ""),
                    email=text.get("email") or None,
                    password=text.get("password", ""),
                    roles=roles,  # checked by the model
                    department=text.get("department") or None,
                )
            except ValidationError as exc:
                raise refusal(
                    exc,
                    NP_(
                        "The user has {count} problem; nothing was saved.",
                        "The user has {count} problems; nothing was saved.",
                    ),
                ) from None
            create_user(db, city, data=data, actor=who.label)

        # a second press (same form key) is answered as the first, which made the account
        return form_action(
            request,
            city,
            db,
            principal,
            permission=Permission.ACCOUNTS_USER_WRITE,
            csrf=text.get("csrf", ""),
            change=change,
            done=lambda _: f"/{city.slug}/staff/users?lang={lang}",
            refused=lambda _who, exc: _form(
                request, db, city, None, answers, _problems(lang, exc), 400
            ),
            key=text.get(FORM_KEY),
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
        text = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
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

        def change(who: Principal) -> None:
            user = get_user(db, city, username=username)
            if user.id == who.user_id and (not active or Role.ADMINISTRATOR not in roles):
                raise PermissionDenied("You cannot take away your own administration or account.")
            try:
                data = UserUpdate(**changes)
            except ValidationError as exc:
                raise refusal(
                    exc,
                    NP_(
                        "The user has {count} problem; nothing was saved.",
                        "The user has {count} problems; nothing was saved.",
                    ),
                ) from None
            update_user(db, city, username=username, data=data, actor=who.label)

        def refused(_who: Principal, exc: CivitasError) -> Response:
            user = get_user(db, city, username=username)
            return _form(request, db, city, user, answers, _problems(lang, exc), 400)

        return form_action(
            request,
            city,
            db,
            principal,
            permission=Permission.ACCOUNTS_USER_WRITE,
            csrf=text.get("csrf", ""),
            change=change,
            done=lambda _: f"/{city.slug}/staff/users?lang={lang}",
            refused=refused,
        )

    return await run_in_threadpool(work)
