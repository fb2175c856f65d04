"""``create_app()``: the FastAPI application with every router, middleware and error handler.

Domain packages never import FastAPI; the web layer lists their routers here.
"""

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
from civitas.web.api import accounts as accounts_api
from civitas.web.api import cases as cases_api
from civitas.web.api import catalogue as catalogue_api
from civitas.web.api import cities as cities_api
from civitas.web.api import health, open311
from civitas.web.api import jobs as jobs_api
from civitas.web.api import proactive as proactive_api
from civitas.web.api import recycling as recycling_api
from civitas.web.api import register as register_api
from civitas.web.api import routing as routing_api
from civitas.web.errors import ServerErrors, install_error_handlers
from civitas.web.inputs import refuse_control_characters
from civitas.web.middleware import (
    BodyLimit,
    CachedStatic,
    RequestContext,
    SecurityHeaders,
)
from civitas.web.openapi import install_openapi
from civitas.web.pages import accounts as accounts_pages
from civitas.web.pages import admin as admin_pages
from civitas.web.pages import catalogue as catalogue_pages
from civitas.web.pages import catalogue_admin as catalogue_admin_pages
from civitas.web.pages import insight as insight_pages
from civitas.web.pages import media as media_pages
from civitas.web.pages import offers as offers_pages
from civitas.web.pages import opendata as opendata_pages
from civitas.web.pages import proactive_staff as proactive_staff_pages
from civitas.web.pages import recycling as recycling_pages
from civitas.web.pages import recycling_staff as recycling_staff_pages
from civitas.web.pages import report as report_pages
from civitas.web.pages import residents as residents_pages
from civitas.web.pages import rules_admin as rules_admin_pages
from civitas.web.pages import staff as staff_pages
from civitas.web.pages import surveys as survey_pages
from civitas.web.templating import TEMPLATES

API_ROUTERS = [
    health.router,
    cities_api.router,
    accounts_api.router,
    catalogue_api.router,
    cases_api.router,
    routing_api.router,
    register_api.router,
    proactive_api.router,
    recycling_api.router,
    jobs_api.router,
    open311.router,
]
PAGE_ROUTERS = [
    jobs_api.page_router,
    accounts_pages.router,
    media_pages.router,
    report_pages.router,
    residents_pages.router,
    offers_pages.router,
    proactive_staff_pages.router,
    recycling_pages.router,
    recycling_staff_pages.router,
    staff_pages.router,
    admin_pages.router,
    catalogue_admin_pages.router,
    rules_admin_pages.router,
    survey_pages.router,
    insight_pages.router,
    opendata_pages.router,
    catalogue_pages.router,
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
    )
    for router in API_ROUTERS + PAGE_ROUTERS:
        app.include_router(router)
    app.mount("/static", CachedStatic(directory=str(TEMPLATES.parent / "static")), name="static")
    install_error_handlers(app)
    install_openapi(app)
    app.add_middleware(ServerErrors)
    app.add_middleware(
        BodyLimit, max_bytes=settings.max_body_bytes, max_upload_bytes=settings.max_upload_bytes
    )
    app.add_middleware(SecurityHeaders, map_tiles=settings.map_tiles_url)
    app.add_middleware(GZipMiddleware, minimum_size=600)
    app.add_middleware(RequestContext)
    return app
