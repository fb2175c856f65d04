"""Open data pages: the index residents and reusers read, the DCAT-AP catalogue, and
each dataset's files at stable addresses (no sign-in: everything here is published)."""

from __future__ import annotations

import orjson
from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from civitas.catalogue.cpsv import export_cpsv
from civitas.catalogue.service import list_services
from civitas.core.errors import NotFound
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
    changed = opendata.modified(db, city)
    return page(
        request,
        "insight/open_data.html",
        {
            "datasets": opendata.DATASETS,
            "changed": changed,
            "licence": opendata.LICENCE,
            "licence_name": opendata.LICENCE_NAME,
            "formats": opendata.FORMATS,
        },
    )


@router.get("/{city}/open-data/catalog.{fmt}", response_model=None)
def catalog(city: CurrentCity, db: DbSession, settings: AppSettings, fmt: str) -> Response:
    document = opendata.catalog(db, city, settings.public_url)
    if fmt == "jsonld":
        return _json(document, JSONLD)
    if fmt == "ttl":
        from rdflib import Graph

        graph = Graph().parse(data=orjson.dumps(document).decode(), format="json-ld")
        return Response(graph.serialize(format="turtle"), media_type="text/turtle")
    raise NotFound("The catalogue comes as catalog.jsonld or catalog.ttl, not .{fmt}.", fmt=fmt)


@router.get("/{city}/open-data/{dataset}.{fmt}", response_model=None)
def dataset(
    city: CurrentCity, db: DbSession, settings: AppSettings, dataset: str, fmt: str
) -> Response:
    known = {d.code: d for d in opendata.DATASETS}
    if dataset not in known or fmt not in known[dataset].formats:
        raise NotFound(
            "There is no open dataset {name}. See /{city}/open-data for what there is.",
            name=f"{dataset}.{fmt}",
            city=city.slug,
        )
    base = settings.public_url
    if dataset == "requests":
        rows = opendata.request_rows(db, city)
        if fmt == "csv":
            return _csv(opendata.as_csv(opendata.REQUEST_FIELDS, rows), city.slug, dataset)
        if fmt == "geojson":
            return _json(opendata.requests_geojson(rows), "application/geo+json")
        return _json(opendata.requests_jsonld(rows, base, city), JSONLD)
    if dataset == "kpis":
        rows = opendata.kpi_rows(db, city)
        if fmt == "csv":
            return _csv(opendata.as_csv(opendata.KPI_FIELDS, rows), city.slug, dataset)
        if fmt == "json":
            return _json({"city": city.slug, "figures": list(rows)}, "application/json")
        return _json(opendata.kpis_jsonld(rows, base, city), JSONLD)
    if fmt == "csv":
        rows = opendata.service_rows(db, city, base)
        return _csv(opendata.as_csv(opendata.SERVICE_FIELDS, rows), city.slug, dataset)
    return _json(export_cpsv(city, list_services(db, city), base_url=base), JSONLD)


def _csv(text: str, slug: str, name: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'inline; filename="{slug}-{name}.csv"',
            "access-control-allow-origin": "*",
        },
    )
