"""Map domain errors and invalid requests to HTTP answers in the reader's language."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from civitas.cities.models import City
from civitas.core.db import session_factory
from civitas.core.errors import CivitasError, Problem
from civitas.core.i18n import LANGUAGES, N_, negotiate, translate, translate_plural
from civitas.core.validation import location, template_for
from civitas.core.xml import to_xml
from civitas.web import microcache
from civitas.web.templating import render_error_page

log = structlog.get_logger("civitas.errors")

NOTHING_HERE = N_("There is nothing at this address.")


def request_language(request: Request) -> str:
    """The reader's language; on errors raised before the city was loaded, the city's."""
    lang = getattr(request.state, "lang", None)
    if lang:
        return str(lang)
    available, default = LANGUAGES, "en"
    slug = request.path_params.get("city")
    if slug:
        # the directory of cities first: an error answer needs no second connection
        city = microcache.slugs.get(str(slug))
        if city is None:
            with session_factory()() as db:
                city = db.scalar(select(City).where(City.slug == str(slug)))
        if city is not None:
            available, default = tuple(city.languages), city.default_language
    return negotiate(
        request.query_params.get("lang"), request.headers.get("accept-language"), available, default
    )


def _wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/open311/", "/healthz", "/readyz", "/docs", "/openapi")):
        return False
    return "text/html" in request.headers.get("accept", "")


def problem_json(lang: str, problem: Problem) -> dict[str, str]:
    return {
        "location": problem.location,
        "message": translate(lang, problem.message, **problem.params),
    }


def error_body(
    request: Request, code: str, message: str, problems: list[dict[str, str]]
) -> dict[str, Any]:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if problems:
        body["error"]["problems"] = problems
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    return body


def open311_errors(
    request: Request, status: int, message: str, problems: list[dict[str, str]]
) -> Response:
    """GeoReport v2 errors: a list of ``code`` + ``description``, in the requested format."""
    errors = [{"code": status, "description": f"{p['location']}: {p['message']}"} for p in problems]
    if not errors:
        errors = [{"code": status, "description": message}]
    if request.url.path.endswith(".xml"):
        return Response(
            to_xml("errors", errors), status_code=status, media_type="text/xml; charset=utf-8"
        )
    return JSONResponse(errors, status_code=status)


def render(
    request: Request, status: int, code: str, message: str, problems: list[dict[str, str]]
) -> Response:
    if request.url.path.startswith("/open311/"):
        # the spec knows 400, 403 and 404: a missing key is "forbidden", bad input is 400
        return open311_errors(request, {401: 403, 422: 400}.get(status, status), message, problems)
    if _wants_html(request):
        return render_error_page(request, status, message, problems)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        error_body(request, code, message, problems), status_code=status, headers=headers
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CivitasError)
    async def _domain(request: Request, exc: CivitasError) -> Response:
        lang = request_language(request)
        message = exc.text(lang)
        problems = [problem_json(lang, p) for p in exc.problems]
        return render(request, exc.status, exc.code, message, problems)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        lang = request_language(request)
        if all(err["loc"][:1] == ("path",) for err in exc.errors()):
            # a path whose parts cannot name anything (an id out of range, a format that
            # does not exist) is an address with nothing at it
            message = translate(lang, NOTHING_HERE)
            return render(request, 404, "not_found", message, [])
        problems = []
        for err in exc.errors():
            template, params = template_for(err)
            problems.append(
                {"location": location(err["loc"]), "message": translate(lang, template, **params)}
            )
        message = translate_plural(
            lang,
            "The request has {count} problem.",
            "The request has {count} problems.",
            len(problems),
        )
        return render(request, 422, "invalid_input", message, problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        lang = request_language(request)
        messages = {
            404: NOTHING_HERE,
            405: N_("This method is not allowed here."),
            413: N_("The request body is too large."),
        }
        message = translate(lang, messages.get(exc.status_code, str(exc.detail)))
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            exc.status_code, "error"
        )
        return render(request, exc.status_code, code, message, [])


SERVER_ERROR = N_(
    "Something went wrong on our side. It was logged under the number {request_id}: try "
    "again in a moment, or give that number to the city's service desk."
)


class ServerErrors:
    """Answer an unexpected error like every other error: the documented JSON body, the
    Open311 error list or an error page, with the request id, inside the middleware that
    adds the request id and the security headers (Starlette's own handler sits outside
    them and answers in plain text). The traceback goes to the log, never to the reader."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except ClientDisconnect:
            # the client left while its body was being read: nobody to answer, no fault here
            log.info("client_disconnected", path=scope.get("path"))
        except Exception:
            log.exception("server_error", path=scope.get("path"))
            if started:
                raise
            response = _server_error(Request(scope))
            await response(scope, receive, send)


def _server_error(request: Request) -> Response:
    request_id = str(getattr(request.state, "request_id", "") or "-")
    try:
        lang = request_language(request)
        message = translate(lang, SERVER_ERROR, request_id=request_id)
        return render(request, 500, "server_error", message, [])
    except Exception:
        log.exception("server_error_page_failed")
        message = SERVER_ERROR.format(request_id=request_id)
        if request.url.path.startswith("/open311/"):
            return JSONResponse([{"code": 500, "description": message}], status_code=500)
        return JSONResponse(error_body(request, "server_error", message, []), status_code=500)
