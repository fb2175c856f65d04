"""``create_app()``: the FastAPI application with every installed domain's routers and
static files, the middleware and the error handlers.

The app names no domain: it loops over what the domains' web sub-packages registered
(``civitas.web.plugins``)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import Depends, FastAPI
from starlette.middleware.gzip import GZipMiddleware

from civitas import __version__
from civitas.core.config import Settings, get_settings
from civitas.core.db import get_engine
from civitas.core.logging import configure_logging
from civitas.web import plugins
from civitas.web.api import health, reference
from civitas.web.api import jobs as jobs_api
from civitas.web.errors import ServerErrors, install_error_handlers
from civitas.web.inputs import refuse_control_characters
from civitas.web.middleware import (
    BodyLimit,
    CachedStatic,
    RequestContext,
    SecurityHeaders,
)
from civitas.web.openapi import install_openapi
from civitas.web.templating import TEMPLATES


def routers() -> list[plugins.Included]:
    """Every router with the dependencies it is included with: the shared API ones
    (health, tracked jobs) around every installed domain's API (civitas.installed), then
    the pages, a catch-all page router last."""
    api, pages = plugins.routers()
    return [
        (health.router, []),
        *api,
        (jobs_api.router, []),
        (jobs_api.page_router, []),
        (reference.router, []),
        *pages,
    ]


_gc_settled = False


def settle_garbage_collector() -> None:
    """Once per process, when the app starts: what exists now (modules, mappers,
    templates, routes) lives as long as the process, so it leaves the collector's
    generations (gc.freeze), and young objects are collected every 10,000 allocations
    instead of 700. A full collection then walks only what requests made: under load the
    slowest percent of requests no longer waits for one (docs/benchmarks.md)."""
    global _gc_settled
    if _gc_settled:
        return
    _gc_settled = True
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 50, 100)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Blocking work is mostly Python: more threads only take turns at the GIL, and
        # every turn costs (SQLite hands it back on every row it reads). See docs/benchmarks.md
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        settle_garbage_collector()
        yield
        get_engine(settings).dispose()  # graceful shutdown: close pooled connections

    app = FastAPI(
        title="Civitas",
        version=__version__,
        description="Municipal services for residents: catalogue, Open311 GeoReport v2, staff API.",
        lifespan=lifespan,
        dependencies=[Depends(refuse_control_characters)],
        docs_url=None,  # served from this host: civitas.web.api.reference
        redoc_url=None,
    )
    # static files first: a domain's page route such as /{city}/climate/{year} would
    # otherwise take /static/climate/climate.css for a city called "static"
    for name, folder in plugins.static_folders().items():
        app.mount(f"/static/{name}", CachedStatic(directory=str(folder)), name=f"static-{name}")
    app.mount("/static", CachedStatic(directory=str(TEMPLATES.parent / "static")), name="static")
    for router, dependencies in routers():
        app.include_router(router, dependencies=dependencies)
    install_error_handlers(app)
    install_openapi(app)
    app.add_middleware(ServerErrors)
    app.add_middleware(
        BodyLimit, max_bytes=settings.max_body_bytes, max_upload_bytes=settings.max_upload_bytes
    )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(GZipMiddleware, minimum_size=600)
    app.add_middleware(RequestContext)
    return app
