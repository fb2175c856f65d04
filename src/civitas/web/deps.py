"""FastAPI dependencies as ``Annotated`` aliases: the session, the city, who is acting."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Path, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from civitas.accounts.service import BEARER, SESSION, Principal, principal_for, resolve_token
from civitas.cities.models import City
from civitas.cities.schemas import CityView
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.config import Settings, get_settings
from civitas.core.db import MAX_ROW_ID, session_factory
from civitas.core.errors import PermissionDenied, Unauthenticated
from civitas.core.i18n import locale_for, negotiate, reader_locale
from civitas.web import microcache
from civitas.web.templating import LANG_COOKIE, SESSION_COOKIE

T = TypeVar("T")


async def get_db() -> AsyncIterator[Session]:
    """A session for the request, once one of the process's connection slots is free.

    A request takes its connection in one thread turn (looking up the principal) and needs
    another turn later (the endpoint) while it still holds it. With more such requests than
    connections, every thread could wait for a connection while every connection waited
    for a thread: 80 clients on the staff queue stood a process still until the pool's 30 s
    timeout. So no more sessions are open at once than the pool has connections
    (``CIVITAS_DB_POOL_SIZE``); the others wait here, on the event loop, holding nothing.
    The slot is taken after the body was read, so a slow client holds none of them."""
    async with connection_slots():
        session = session_factory()()
        try:
            yield session
        finally:
            if session.in_transaction():  # it holds a connection: closing is I/O
                await run_in_threadpool(session.close)
            else:
                session.close()


async def app_settings() -> Settings:
    """Async, so that FastAPI does not send this lookup to the thread pool."""
    return get_settings()


def in_session(work: Callable[[Session], T]) -> T:
    """Run ``work`` with a session of its own, closed after (for endpoints that do their
    database work in one worker thread instead of through dependencies)."""
    with session_factory()() as db:
        return work(db)


class LoopSlots:
    """An asyncio semaphore per event loop, sized from a setting when first asked for
    (each test's app runs its own loop)."""

    def __init__(self, size: Callable[[Settings], int]) -> None:
        self._size = size
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def __call__(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = asyncio.Semaphore(self._size(get_settings()))
        return slots


# How many request sessions may be open at once in this process: the pool's size
# (background threads and the Open311 endpoints' own sessions use its overflow).
connection_slots = LoopSlots(lambda s: s.db_pool_size)

# How many requests work in the database at once in this process (``CIVITAS_DB_SLOTS``),
# for endpoints that take a slot around their worker thread. Their work is mostly Python
# (the ORM), so threads beyond a few only take turns at the GIL, and each turn costs: a
# write holds a lock in the database (SQLite's one writer, a city's counter row in
# PostgreSQL) until it commits, and its holder waits for the GIL again and again while
# everyone behind it waits for the lock. The others wait here, holding nothing.
db_slots = LoopSlots(lambda s: s.db_slots)


DbSession = Annotated[Session, Depends(get_db)]
AppSettings = Annotated[Settings, Depends(app_settings)]


def choose_language(
    request: Request,
    available: tuple[str, ...] | list[str],
    default: str,
    country: str | None = None,
) -> str:
    """``?lang=``, then the language the reader chose before (a cookie), then the
    browser's wishes, then the city's default."""
    asked = request.query_params.get("lang")
    if not asked or asked not in available:
        asked = request.cookies.get(LANG_COOKIE)
    lang = negotiate(asked, request.headers.get("accept-language"), available, default)
    use_language(request, lang, country)
    return lang


def use_language(request: Request, lang: str, country: str | None) -> None:
    """The reader's language for the pages, and their locale for numbers in messages."""
    request.state.lang = lang
    reader_locale.set(locale_for(lang, country))


async def get_city(
    request: Request,
    db: DbSession,
    city: Annotated[str, Path(description="The city's slug, e.g. trujillo")],
) -> City:
    """Async, so that a city known to the directory costs no thread-pool hop: merging it
    into the session does not query (cities change rarely, see microcache)."""
    known = microcache.slugs.get(city)
    if known is not None:
        found = db.merge(known, load=False)
    else:
        found = await run_in_threadpool(get_city_by_slug, db, city)
        microcache.slugs.put(city, found)
    enter_city(db, found)
    request.state.city = CityView.model_validate(found)
    choose_language(request, found.languages, found.default_language, found.country)
    return found


CurrentCity = Annotated[City, Depends(get_city)]

# A row id or per-city number in a path; one out of range names nothing: 404 (errors.py)
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _cookie_allowed(request: Request) -> bool:
    """The session cookie signs in pages; on the JSON API it only reads (writes need a
    bearer token, so no other site can make a signed-in browser change data)."""
    return not request.url.path.startswith("/api/") or request.method in ("GET", "HEAD")


def get_principal(request: Request, db: DbSession, city: CurrentCity) -> Principal | None:
    """The staff member behind a bearer token or a session cookie of *this* city, or None."""
    bearer = _bearer(request)
    if bearer:
        user = resolve_token(db, city, raw=bearer, kind=BEARER)
    elif (cookie := request.cookies.get(SESSION_COOKIE)) and _cookie_allowed(request):
        try:
            user = resolve_token(db, city, raw=cookie, kind=SESSION)
        except Unauthenticated:
            return None
    else:
        return None
    if request.query_params.get("lang") is None and user.language in city.languages:
        use_language(request, user.language, city.country)
    principal = principal_for(user)
    request.state.principal = principal
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(get_principal)]


def require(permission: str) -> Callable[..., Awaitable[Principal]]:
    async def dependency(principal: OptionalPrincipal) -> Principal:  # no thread hop
        return _permitted(principal, permission)

    dependency.permission = permission  # type: ignore[attr-defined]  # read by web/openapi.py
    return dependency


def Requires(permission: str) -> object:  # noqa: N802 - reads like a type in signatures
    return Depends(require(permission))


@dataclass(frozen=True)
class StaffCheck:
    """Who may do this, asked in the endpoint's own worker thread: for a busy endpoint
    that does all its database work in one thread turn (``one_turn``) instead of one turn
    for the principal and another for the endpoint."""

    request: Request
    city: City
    permission: str

    def principal(self, db: Session) -> Principal:
        return _permitted(get_principal(self.request, db, self.city), self.permission)


def _permitted(principal: Principal | None, permission: str) -> Principal:
    if principal is None:
        raise Unauthenticated("Sign in first: send a bearer token or a session cookie.")
    if not principal.can(permission):
        raise PermissionDenied(
            "Your role does not allow this ({permission}).", permission=str(permission)
        )
    return principal


def Checks(permission: str) -> object:  # noqa: N802 - reads like a type in signatures
    """A ``StaffCheck`` for the endpoint to run (documented in OpenAPI like ``Requires``)."""

    async def dependency(request: Request, city: CurrentCity) -> StaffCheck:
        return StaffCheck(request, city, permission)

    dependency.permission = permission  # type: ignore[attr-defined]  # read by web/openapi.py
    return Depends(dependency)


async def one_turn(db: Session, work: Callable[[], T]) -> T:
    """``work`` in one worker thread turn, the request's session ended in the same turn
    (its connection goes back to the pool there, not in a turn of its own)."""

    def run() -> T:
        try:
            return work()
        finally:
            db.close()

    return await run_in_threadpool(run)


def staff_page(
    city: City, principal: Principal | None, permission: str
) -> Principal | RedirectResponse:
    """For a back-office page: the member of staff allowed to do this, or a redirect to
    sign in; a role without the permission gets PermissionDenied."""
    if principal is None:
        return RedirectResponse(f"/{city.slug}/login", status_code=303)
    return _permitted(principal, permission)


def client_address(request: Request) -> str | None:
    """The client's address, for sign-in throttling (behind a proxy, run uvicorn with
    --proxy-headers so that this is the client's, not the proxy's)."""
    return request.client.host if request.client else None
