"""Open data pages: the index residents and reusers read, the DCAT-AP catalogue, and
each dataset's files at stable addresses (no sign-in: everything here is published)."""

from __future__ import annotations

import orjson
from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from civitas.core.errors import NotFound
from civitas.core.opendata import FORMATS, published
from civitas.insight import opendata
from civitas.web.deps import AppSettings, CurrentCity, DbSession
from civitas.web.routers import Router
from civitas.web.templating import page

router = Router(include_in_schema=False)
JSONLD = "application/ld+json"


def _json(body: object, media: str) -> Response:
    return Response(
        orjson.dumps(body, option=orjson.OPT_INDENT_2),
        media_type=media,
        headers={"access-control-allow-origin": "*"},
    )


@router.get("/{city}/open-data", response_class=HTMLResponse, response_model=None)
def index(request: Request, city: CurrentCity, db: DbSession) -> Response:
    return page(
        request,
        "insight/open_data.html",
        {
            "datasets": published(city),
            "changed": opendata.modified(db, city),
            "licence": opendata.LICENCE,
            "licence_name": opendata.LICENCE_NAME,
            "formats": FORMATS,
        },
    )


@router.get("/{city}/open-data/catalog.{fmt}", response_model=None)
def catalog(city: CurrentCity, db: DbSession, settings: AppSettings, fmt: str) -> Response:
    document = opendata.catalog(db, city, settings.public_url)
    if fmt == "jsonld":
        return _published(orjson.dumps(document, option=orjson.OPT_INDENT_2), JSONLD)
    if fmt == "ttl":
        from rdflib import Graph

        graph = Graph().parse(data=orjson.dumps(document).decode(), format="json-ld")
        return Response(graph.serialize(format="turtle"), media_type="text/turtle")
    raise NotFound("The catalogue comes as catalog.jsonld or catalog.ttl, not .{fmt}.", fmt=fmt)


@router.get("/{city}/open-data/{dataset}.{fmt}", response_model=None)
def dataset(
    city: CurrentCity, db: DbSession, settings: AppSettings, dataset: str, fmt: str
) -> Response:
    """A dataset of a domain the city runs, in one of its formats."""
    known = {d.code: d for d in published(city)}
    if dataset not in known or fmt not in known[dataset].formats:
        raise NotFound(
            "There is no open dataset {name}. See /{city}/open-data for what there is.",
            name=f"{dataset}.{fmt}",
            city=city.slug,
        )
    body, media = known[dataset].make(db, city, fmt, settings.public_url)
    disposition = f'inline; filename="{city.slug}-{dataset}.csv"' if fmt == "csv" else None
    return _published(body, media, disposition)


def _published(body: str | bytes, media: str, disposition: str | None = None) -> Response:
    """Open data is for anyone, from any site (CORS)."""
    headers = {"access-control-allow-origin": "*"}
    if disposition:
        headers["content-disposition"] = disposition
    return Response(body, media_type=media, headers=headers)
