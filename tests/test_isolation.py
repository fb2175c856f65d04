"""Two-city isolation, walked over every route of every installed domain.

For each route that addresses a city, city B's credentials (bearer token, session cookie,
API key, user name and password) used on city A's address must be worth exactly what no
credentials are worth: the same status, the same body, and no change in the database.
City A's own credentials must succeed, which shows each sample request is a valid one.

The sample requests come from the domains: each installed domain's routes (from its
manifest's web sub-package) must have a case in its isolation module (the manifest's
``isolation``, else ``tests/isolation/<domain>.py``). A route without one fails the walk,
so no route, and no domain added later, can skip this check.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import pytest
import time_machine
from fastapi.routing import APIRoute
from sqlalchemy import select, text

from civitas.core import plugins
from civitas.core.config import get_settings
from civitas.core.security import sign
from civitas.main import create_app
from civitas.models import Base
from civitas.web import plugins as web_plugins
from civitas.web.api import health
from civitas.web.api import jobs as jobs_api
from tests.factories import CityWorld, World, bearer, session_cookie
from tests.isolation import Case
from tests.tables import non_empty


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for route in routes:
        if isinstance(route, APIRoute):
            for method in sorted(route.methods or ()):
                yield method, prefix + route.path
        elif hasattr(route, "original_router"):
            yield from _walk(route.original_router.routes, prefix + route.include_context.prefix)


def cases_module(domain: plugins.Domain) -> ModuleType:
    return importlib.import_module(domain.isolation or f"tests.isolation.{domain.name}")


def owned_routes() -> dict[str, set[tuple[str, str]]]:
    """Each installed domain's routes (and the shared web layer's), from the manifests."""
    owned: dict[str, set[tuple[str, str]]] = {}
    for web in web_plugins.installed():
        routers = web.api + [router for router, _ in web.pages]
        owned[web.domain.name] = {key for router in routers for key in _walk(router.routes)}
    shared = (health.router, jobs_api.router, jobs_api.page_router)
    owned["shared"] = {key for router in shared for key in _walk(router.routes)}
    return owned


def _modules() -> dict[str, ModuleType]:
    found = {d.name: cases_module(d) for d in plugins.domains() if d.web}
    found["shared"] = importlib.import_module("tests.isolation.shared")
    return found


ROUTES: dict[tuple[str, str], Case] = {
    key: case for module in _modules().values() for key, case in module.ROUTES.items()
}
PUBLIC: set[str] = {path for module in _modules().values() for path in module.PUBLIC}


# routes that address no city at all
GLOBAL = {
    ("GET", "/api/v1/air/index"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/api/v1/cities"),
    ("GET", "/"),
    ("GET", "/open311/v2/discovery.{fmt}"),
    ("GET", "/docs"),
    ("GET", "/favicon.ico"),
}


def all_routes() -> Iterator[tuple[str, str]]:
    yield from _walk(create_app().routes)


def test_every_route_is_covered():
    """Every route of the app belongs to an installed domain (or the shared layer), and
    has a sample request in that domain's isolation module; none is left over."""
    owned = owned_routes()
    modules = _modules()
    app_routes = set(all_routes())
    assert app_routes - GLOBAL <= set().union(*owned.values()), "a route no domain owns"
    for name, routes in owned.items():
        missing = sorted(r for r in routes if r not in modules[name].ROUTES and r not in GLOBAL)
        assert not missing, f"add these routes to {modules[name].__name__} ROUTES: {missing}"
        stale = sorted(r for r in modules[name].ROUTES if r not in routes)
        assert not stale, f"{modules[name].__name__}: these routes are not {name}'s: {stale}"


# a failed sign-in is recorded, for throttling, in the city where it was tried; it grants
# nothing, and leaving it out of the comparison is the only exception
NOT_COMPARED = {"login_failures"}


def snapshot(engine: Any) -> dict[str, Any]:
    """Every row of every table that holds one (a table empty before and after a request
    is unchanged by it). PostgreSQL sends each table's rows as one JSON text, ordered by
    the key, all tables in one query (10 ms instead of 17-22 ms with a query per table)."""
    tables = [t for t in Base.metadata.sorted_tables if t.name not in NOT_COMPARED]
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            return dict(conn.execute(text(_pg_snapshot(tuple(tables)))).all())
    with engine.connect() as conn:
        found = non_empty(conn, [t.name for t in tables])
        return {
            table.name: [
                tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key))
            ]
            for table in tables
            if table.name in found
        }


@functools.cache
def _pg_snapshot(tables: tuple[Any, ...]) -> str:
    """The query: (table, its rows as JSON) for each table that holds a row."""
    return " UNION ALL ".join(
        f"SELECT '{t.name}', rows FROM (SELECT json_agg(r ORDER BY "
        + ", ".join(f"r.{c.name}" for c in t.primary_key)
        + f")::text AS rows FROM {t.name} r) AS {t.name}_rows WHERE rows IS NOT NULL"
        for t in tables
    )


def credentials(client: Any, case: Case, city: CityWorld, route: str) -> dict[str, Any]:
    """Request arguments carrying ``city``'s administrator credentials, as the route takes them."""
    if case.auth == "body":
        return case.request(city)
    if case.auth == "api_key":
        return {"api_key": city.api_key}
    if case.auth == "cookie":
        cookies = session_cookie(client, city.slug, city.users["administrator"])
        req: dict[str, Any] = {"cookies": cookies}
        if case.extra.get("csrf"):
            req["data"] = {
                **case.request(city).get("data", {}),
                "csrf": sign(get_settings().secret_key, "csrf:" + cookies["civitas_session"]),
            }
        return req
    return {"headers": bearer(client, city.slug, city.users["administrator"])}


def call(client: Any, method: str, path: str, req: dict[str, Any]) -> Any:
    if "api_key" in req:
        key = req.pop("api_key")
        if "data" in req:
            req["data"] = {**req["data"], "api_key": key}
        else:
            req["params"] = {**req.get("params", {}), "api_key": key}
    cookies = req.pop("cookies", None)
    client.cookies.clear()
    if cookies:
        client.cookies.update(cookies)
    try:
        return client.request(method, path, follow_redirects=False, **req)
    finally:
        client.cookies.clear()


def own_response(
    client: Any, method: str, path: str, case: Case, city: CityWorld, route: str
) -> Any:
    """A's own call on a read-only route (used to show the sample needs credentials)."""
    if method != "GET":
        return None
    return call(
        client, method, path, {**case.request(city), **credentials(client, case, city, route)}
    )


def comparable(response: Any) -> Any:
    if response is None:
        return None
    if response.headers.get("content-type", "").startswith("application/x-protobuf"):
        # a GTFS-Realtime feed is stamped with the second it was made: not content
        from google.transit import gtfs_realtime_pb2

        feed = gtfs_realtime_pb2.FeedMessage()
        feed.ParseFromString(response.content)
        feed.header.ClearField("timestamp")
        return feed.SerializeToString()
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        if isinstance(body, dict):
            body.pop("request_id", None)
        return body
    # a form token is bound to whoever asks (a fresh visitor each time): not content
    return re.sub(r'name="csrf" value="[0-9a-f]*"', 'name="csrf" value=""', response.text)


@pytest.mark.parametrize(("method", "route"), sorted(ROUTES), ids=lambda v: str(v))
def test_city_b_credentials_are_worth_nothing_in_city_a(
    method, route, client, engine, two_cities: World
):
    walk(method, route, ROUTES[(method, route)], PUBLIC, client, engine, two_cities)


def walk(
    method: str, route: str, case: Case, public: set[str], client: Any, engine: Any, world: World
) -> None:
    """One route walked with city B's credentials on city A's address (the module's doc).
    The clock stands still while the answers are compared: a live page (a stop's next
    departures, a feed's time stamp) must not differ by the minute between two calls."""
    a, b = world.a, world.b
    if case.setup:
        case.setup(a)
    with time_machine.travel(datetime.now(UTC), tick=False):
        _compare(method, route, case, public, client, engine, a, b)


def _compare(
    method: str,
    route: str,
    case: Case,
    public: set[str],
    client: Any,
    engine: Any,
    a: CityWorld,
    b: CityWorld,
) -> None:
    path = route.format(city=a.slug, **case.params(a))

    # B's credentials on A's address
    foreign_request = credentials(client, case, b, route)
    if case.auth != "body":
        foreign_request = {**case.request(a), **foreign_request}
    before = snapshot(engine)
    foreign = call(client, method, path, dict(foreign_request))
    assert snapshot(engine) == before, "city B's credentials changed city A's data"

    if case.auth == "body":  # the credentials are the request: B's must simply be wrong here
        assert foreign.status_code == 401, foreign.text
        assert "access_token" not in foreign.text
        assert "civitas_session" not in foreign.headers.get("set-cookie", "")
    else:
        anonymous = call(client, method, path, dict(case.request(a)))
        assert snapshot(engine) == before, "an anonymous request changed city A's data"
        # refused outright (RFC 6750: an unknown token is 401), or treated exactly as anonymous
        if foreign.status_code != 401:
            assert foreign.status_code == anonymous.status_code, foreign.text
            assert comparable(foreign) == comparable(anonymous)
        assert (
            anonymous.status_code != case.own_status
            or comparable(anonymous)
            != comparable(own_response(client, method, path, case, a, route))
            or route in public
        ), "the sample request shows nothing that needs credentials"

    own = call(client, method, path, {**case.request(a), **credentials(client, case, a, route)})
    assert own.status_code == case.own_status, own.text
