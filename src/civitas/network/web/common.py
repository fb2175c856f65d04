"""What the network's pages share: who is acting (a permitted member of staff or an
outside participant, and their network profile), one way for a form to change
something (gate, form token, a second press replayed, the change, 303 or the refusal),
and reading texts and numbers from forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from civitas.accounts.service import Principal
from civitas.cities.models import City
from civitas.cities.service import enter_city, list_cities
from civitas.core.errors import CivitasError
from civitas.network import community
from civitas.network.models import Profile
from civitas.network.permissions import NetworkPermission as P
from civitas.web.actions import gated_action, go, with_lang
from civitas.web.deps import staff_page
from civitas.web.forms import problems_by_field
from civitas.web.idempotent import FORM_KEY
from civitas.web.templating import page


def cities(db: Session) -> dict[int, City]:
    """Every city of the network by its id (names on practices, entries, members)."""
    return {c.id: c for c in list_cities(db)}


def base(city: City) -> str:
    return f"/{city.slug}/network"


class Actor:
    """Who acts in the network: the principal and their profile."""

    def __init__(self, principal: Principal, profile: Profile) -> None:
        self.principal = principal
        self.profile = profile

    @property
    def label(self) -> str:
        return self.principal.label

    @property
    def coordinator(self) -> bool:
        return self.principal.can(P.MODERATE)

    def can(self, permission: str) -> bool:
        return self.principal.can(permission)


def reader(
    db: Session,
    city: City,
    principal: Principal | None,
    permission: str | tuple[str, ...] = P.TAKE_PART,
    *,
    keep: bool = False,
) -> Actor | Response:
    """The participant reading a page, or where to send them (sign in; 403 without the
    permission, or without any of several); ``keep`` saves a first visitor's profile (a
    form does, a page does not)."""
    wanted = (permission,) if isinstance(permission, str) else permission
    held = next((p for p in wanted if principal is not None and principal.can(p)), wanted[0])
    who = staff_page(city, principal, held)
    if isinstance(who, Response):
        return who
    enter_city(db, city)
    return Actor(who, community.me(db, city, who, keep=keep))


def view(
    request: Request, name: str, actor: Actor, context: dict[str, Any], status: int = 200
) -> Response:
    return page(
        request,
        name,
        {
            "me": actor.profile,
            "coordinator": actor.coordinator,
            "can_write": actor.can(P.PRACTICE_WRITE),
            "can_represent": actor.can(P.CITY_REPRESENT),
            "problem": request.query_params.get("problem", "")[:300],
            "done": request.query_params.get("done", "")[:30],
            "problems": {},
            "values": {},
        }
        | context,
        status,
    )


async def act(
    request: Request,
    db: Session,
    city: City,
    principal: Principal | None,
    *,
    change: Callable[[Actor, FormData], str],
    back: str,
    again: Callable[[Actor, FormData, dict[str, str]], Response] | None = None,
    permission: str | tuple[str, ...] = P.TAKE_PART,
) -> Response:
    """A network form: ``change(actor, form)`` returns where to go (a path); a refusal
    shows the form again with its problems (``again``) or goes ``back`` with the
    message. A second press of a form with a key replays the first answer."""
    form = await request.form()
    lang = request.state.lang

    def run() -> Response:
        box: dict[str, Actor] = {}

        def gate() -> Actor | Response:
            found = reader(db, city, principal, permission, keep=True)
            if isinstance(found, Actor):
                box["actor"] = found
            return found

        def refused(actor: Actor, exc: CivitasError) -> Response:
            if again is not None:
                enter_city(db, city)
                fresh = Actor(actor.principal, community.me(db, city, actor.principal, keep=False))
                return again(fresh, form, problems_by_field(lang, exc))
            joiner = "&" if "?" in back else "?"
            # the problems themselves say most ("larger than 10 MB"), else the refusal
            said = " ".join(dict.fromkeys(problems_by_field(lang, exc).values()))
            return go(request, f"{back}{joiner}problem={quote(said[:250])}")

        key = form.get(FORM_KEY)
        return gated_action(
            request,
            db,
            gate=gate,
            actor=lambda a: a.label,
            csrf=str(form.get("csrf", "")),
            change=lambda a: change(a, form),
            done=lambda path: with_lang(path, lang),
            refused=refused,
            key=key if isinstance(key, str) and key else None,
        )

    return await run_in_threadpool(run)


def text(form: FormData, name: str, limit: int = 20_000) -> str:
    value = form.get(name)
    return value.strip()[: limit + 1] if isinstance(value, str) else ""


def ints(form: FormData, name: str) -> list[int]:
    out = []
    for value in form.getlist(name):
        if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 10:
            out.append(int(value.strip()))
    return out


def strings(form: FormData, name: str, limit: int = 80) -> list[str]:
    return [v.strip()[:limit] for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def values(form: FormData) -> dict[str, str]:
    """The form as it was sent (text fields), to fill it in again."""
    return {k: v for k, v in form.items() if isinstance(v, str) and k not in ("csrf", FORM_KEY)}
