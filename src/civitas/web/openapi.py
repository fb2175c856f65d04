"""The OpenAPI description as the API answers, not only as its handlers return.

FastAPI describes what a handler returns and FastAPI's own 422. The answers that come
from elsewhere are added here, per operation, from what the route depends on:

- every operation can answer 400 (a control character in any text, ``web/inputs.py``)
  and 500 (``web/errors.ServerErrors``), both with the error body;
- a path with parameters answers 404 (nothing there, or an id out of range);
- input (parameters or a body) can be invalid: 422 on the JSON API;
- a route that reads the signed-in staff member answers 401; one that needs a permission,
  403 as well;
- a write can conflict (409) and can be too large (413);
- Open311 answers the spec's error list (400, 403, 404) in JSON or XML, as the path's
  extension says, never 401 or 422 (``web/errors.render``).

Routes add what only they answer (a media type, a 202, a 429) with ``responses=``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from civitas.web.deps import get_principal
from civitas.web.templating import SESSION_COOKIE

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "e.g. invalid_input, not_found"},
                "message": {"type": "string", "description": "In the reader's language"},
                "problems": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["location", "message"],
                        "properties": {
                            "location": {"type": "string", "description": "The field"},
                            "message": {"type": "string"},
                        },
                    },
                },
            },
        },
        "request_id": {"type": "string", "description": "Also in the X-Request-ID header"},
    },
}
OPEN311_ERRORS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}
MEANING = {
    400: "The input cannot be read (a control character, a wrong media type, a bad value)",
    401: "Not signed in, or the token has expired",
    403: "The role does not allow this (Open311: no valid api_key)",
    404: "Nothing at this address, or nothing of this city",
    409: "The change conflicts with what is stored; nothing was written",
    413: "The body is too large",
    422: "The input does not fit; each problem names its field",
    429: "Too many attempts; wait before trying again",
    500: "Something went wrong on the server; the body gives the number it was logged under",
}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def _needs_permission(call: Any) -> bool:
    return getattr(call, "permission", None) is not None  # made by deps.require


def _statuses(route: RouteContext, method: str) -> set[int]:
    calls = list(_calls(route.dependant))
    path = route.path_format or ""
    found = {400, 500}
    if route.dependant.path_params or "{" in path:
        found.add(404)
    writes = method in WRITES
    if writes:
        found |= {409, 413}
    if path.startswith("/open311/"):
        return found | {403} if writes else found
    dep = route.dependant
    if dep.query_params or dep.body_params or dep.path_params or dep.header_params:
        found.add(422)
    if get_principal in calls:
        found.add(401)
    if any(_needs_permission(c) for c in calls):
        found |= {401, 403}
    return found


def _error_answer(status: int, open311: bool) -> dict[str, Any]:
    if open311:
        content = {
            "application/json": {"schema": OPEN311_ERRORS},
            "text/xml": {"schema": {"type": "string"}},
        }
    else:
        content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {"description": MEANING[status], "content": content}


def describe(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = ERROR
    for unused in ("HTTPValidationError", "ValidationError"):
        components["schemas"].pop(unused, None)
    components["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "POST …/auth/token"},
        "session": {
            "type": "apiKey",
            "in": "cookie",
            "name": SESSION_COOKIE,
            "description": "The back office's session; reads only on the JSON API",
        },
    }
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        path = route.path_format or ""
        open311 = path.startswith("/open311/")
        for method in route.methods or ():
            operation = schema["paths"][path].get(method.lower())
            if operation is None:
                continue
            answers = operation.setdefault("responses", {})
            answers.pop("422", None)  # FastAPI's shape; ours is the Error body
            statuses = _statuses(route, method)
            for status in sorted(statuses):
                answers.setdefault(str(status), _error_answer(status, open311))
            for code, answer in answers.items():  # a route's own error statuses, e.g. 429
                if int(code) >= 400 and "content" not in answer and int(code) in MEANING:
                    answer.update(_error_answer(int(code), open311))
            if 401 in statuses:
                ways: list[dict[str, list[str]]] = [{"bearer": []}]
                if method not in WRITES:
                    ways.append({"session": []})
                if 403 not in statuses:
                    ways.insert(0, {})  # signing in is optional: it shows more
                operation["security"] = ways
    return schema


# descriptions already made in this process, by the routes they describe: an app made
# again on the same routes (the test suite makes one per test) reuses its description,
# which takes about a second to build (the routes are kept with it, so that their ids in
# the key are never another function's)
_DESCRIBED: dict[tuple[Any, ...], tuple[list[Any], dict[str, Any]]] = {}


def _route_keys(routes: list[Any]) -> tuple[Any, ...]:
    """What a description depends on, route by route: a plain route by its path, methods
    and endpoint; a router included in the app (FastAPI keeps the router itself, and
    builds its routes on first use) by its own routes, recursively. Routes left out of
    the description (the description's own route, a closure made per app) are left out
    of the key too."""
    found: list[Any] = []
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            found.append(("router", id(included), _route_keys(included.routes)))
        elif getattr(route, "include_in_schema", True):
            found.append(
                (
                    getattr(route, "path", None),
                    tuple(sorted(getattr(route, "methods", None) or ())),
                    id(getattr(route, "endpoint", None)),
                )
            )
    return tuple(found)


def _routes_key(app: FastAPI) -> tuple[Any, ...]:
    return (app.title, app.version, _route_keys(app.routes))


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            key = _routes_key(app)
            if key not in _DESCRIBED:
                _DESCRIBED[key] = (list(app.routes), describe(app))
            app.openapi_schema = _DESCRIBED[key][1]
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
