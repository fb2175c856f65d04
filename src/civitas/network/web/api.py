"""The network space's open data over HTTP, addressing no city: the DCAT-AP catalogue,
the datasets as JSON-LD and the Atom feed (no sign-in: all of it is published)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response
from feedgen.feed import FeedGenerator

from civitas.core.db import utcnow
from civitas.core.i18n import pick
from civitas.network import opendata
from civitas.web.deps import AppSettings, DbSession
from civitas.web.routers import Router

router = Router(prefix="/api/v1/network", tags=["network"])
JSONLD = "application/ld+json"
AS_JSONLD: dict[int | str, dict[str, Any]] = {200: {"content": {JSONLD: {}}}}
AS_ATOM: dict[int | str, dict[str, Any]] = {200: {"content": {"application/atom+xml": {}}}}


def _published(body: object, media: str = JSONLD) -> Response:
    return Response(
        orjson.dumps(body, option=orjson.OPT_INDENT_2),
        media_type=media,
        headers={"access-control-allow-origin": "*"},
    )


@router.get("/catalog.jsonld", response_class=Response, responses=AS_JSONLD)
def catalog(db: DbSession, settings: AppSettings) -> Response:
    """The network's open data as a DCAT-AP 3.0 catalogue."""
    return _published(opendata.catalog(db, settings.public_url))


@router.get("/practices.jsonld", response_class=Response, responses=AS_JSONLD)
def practices(db: DbSession, settings: AppSettings) -> Response:
    """Published good practices with their measured effects and adoptions."""
    return _published(opendata.practices_jsonld(db, settings.public_url))


@router.get("/events.jsonld", response_class=Response, responses=AS_JSONLD)
def events(db: DbSession, settings: AppSettings) -> Response:
    """The communities' events (never who registered, never an online meeting's link)."""
    return _published(opendata.events_jsonld(db, settings.public_url))


@router.get("/projects.jsonld", response_class=Response, responses=AS_JSONLD)
def projects(db: DbSession, settings: AppSettings) -> Response:
    """Partnership projects with their aims' measured progress."""
    return _published(opendata.projects_jsonld(db, settings.public_url))


@router.get("/feed.atom", response_class=Response, responses=AS_ATOM)
def feed(request: Request, db: DbSession, settings: AppSettings) -> Response:
    """Published practices, events and projects, newest first."""
    lang = request.query_params.get("lang", "en")
    lang = lang if lang in ("es", "de", "en") else "en"
    base = opendata.base_of(settings.public_url)
    entries = opendata.feed_entries(db)[:100]
    out = FeedGenerator()
    out.id(f"{base}/feed.atom")
    out.title("Learning network")
    out.link(href=f"{base}/catalog.jsonld", rel="alternate")
    out.link(href=str(request.url), rel="self")
    out.language(lang)
    out.updated(max((e["updated"] for e in entries if e["updated"]), default=utcnow()))
    for item in reversed(entries):  # feedgen puts the last added first
        entry = out.add_entry()
        link = f"{base}/{item['kind']}.jsonld#{item['anchor']}"
        entry.id(f"{base}/{item['id']}")
        entry.link(href=link)
        entry.title(pick(item["title"], lang) or "–")
        entry.updated(item["updated"] or utcnow())
        entry.summary(pick(item["summary"], lang) or "–")
    return Response(out.atom_str(pretty=True), media_type="application/atom+xml; charset=utf-8")
