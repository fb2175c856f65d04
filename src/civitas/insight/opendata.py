"""Open data: what a city publishes for anyone to reuse, under an open licence.

* requests: the last twelve months of service requests, anonymised: no text, no
  address, no contact, nothing about who reported; the day only, not the hour; the
  place generalised to the centre of a grid cell of about 500 m;
* KPIs: every month's figures the city computed, per city and per service, with cells
  resting on fewer than five cases suppressed;
* the service catalogue (and its CPSV-AP export).

Each comes as CSV and JSON-LD (requests also as GeoJSON, KPIs also as JSON), described
by a DCAT-AP 3.0 catalogue document with stable URLs, the licence and the date of the
last change."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civitas.cases import publicity
from civitas.cases.models import ServiceRequest
from civitas.cases.publicity import cell
from civitas.catalogue.models import Service
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.db import utcnow
from civitas.core.i18n import N_, pick, translate
from civitas.core.opendata import FORMATS, Dataset, as_csv, published
from civitas.insight.models import KpiValue

DAYS = 365
LICENCE = "https://creativecommons.org/licenses/by/4.0/"
LICENCE_NAME = "Creative Commons Attribution 4.0 International (CC BY 4.0)"
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
MEDIA = "http://www.iana.org/assignments/media-types/"
REQUEST_FIELDS = [
    "number",
    "service_code",
    "service_name",
    "status",
    "channel",
    "requested_on",
    "closed_on",
    "days_open",
    "cell_lat",
    "cell_lon",
]
KPI_FIELDS = ["period", "kpi", "dimension", "key", "value", "n", "suppressed"]
SERVICE_FIELDS = [
    "code",
    "name",
    "description",
    "category",
    "department",
    "channels",
    "target_hours",
    "url",
]


def request_rows(
    db: Session, city: City, *, now: datetime | None = None
) -> Iterator[dict[str, Any]]:
    enter_city(db, city)
    now = now or utcnow()
    zone = ZoneInfo(city.timezone)
    stmt = (
        select(
            ServiceRequest.number,
            Service.code,
            Service.name,
            ServiceRequest.status,
            ServiceRequest.channel,
            ServiceRequest.requested_at,
            ServiceRequest.closed_at,
            ServiceRequest.lat,
            ServiceRequest.long,
            Service.public_location,
        )
        .join(Service, Service.id == ServiceRequest.service_id)
        .where(
            ServiceRequest.requested_at >= now - timedelta(days=DAYS),
            ServiceRequest.status != "duplicate",
            ServiceRequest.private.is_(False),
            Service.published.is_(True),
        )
        .order_by(ServiceRequest.number)
        .execution_options(yield_per=5000)
    )
    for number, code, name, status, channel, at, closed, lat, lon, shown in db.execute(stmt):
        lat_c: float | None = None
        lon_c: float | None = None
        if lat is not None and lon is not None and shown != publicity.NEVER:
            lat_c, lon_c = cell(lat, lon)
        yield {
            "number": number,
            "service_code": code,
            "service_name": pick(name, city.default_language),
            "status": status,
            "channel": channel,
            "requested_on": at.astimezone(zone).date().isoformat(),
            "closed_on": closed.astimezone(zone).date().isoformat() if closed else None,
            "days_open": round(((closed or now) - at).total_seconds() / 86400, 1),
            "cell_lat": lat_c,
            "cell_lon": lon_c,
        }


def kpi_rows(db: Session, city: City) -> Iterator[dict[str, Any]]:
    """Every stored figure for the city and per service, suppressed under five cases."""
    from civitas.core.kpis import MIN_PUBLISHED_N, catalogue

    enter_city(db, city)
    known = catalogue(city)
    stmt = (
        select(KpiValue)
        .where(KpiValue.dimension.in_(("all", "service")), KpiValue.source == "computed")
        .order_by(KpiValue.period, KpiValue.kpi, KpiValue.dimension, KpiValue.key)
    )
    for row in db.scalars(stmt):
        if row.kpi not in known:
            continue
        hidden = row.n < MIN_PUBLISHED_N
        yield {
            "period": row.period,
            "kpi": row.kpi,
            "dimension": row.dimension,
            "key": row.key,
            "value": None if hidden else row.value,
            "n": None if hidden else row.n,
            "suppressed": hidden,
        }


def service_rows(db: Session, city: City, base_url: str) -> Iterator[dict[str, Any]]:
    from civitas.catalogue.service import list_services

    lang = city.default_language
    for s in list_services(db, city):
        yield {
            "code": s.code,
            "name": pick(s.name, lang),
            "description": pick(s.description, lang),
            "category": s.category,
            "department": s.department.code,
            "channels": " ".join(s.channels),
            "target_hours": s.target_hours,
            "url": f"{base_url}/{city.slug}/services/{s.code}",
        }


def requests_geojson(rows: Iterator[dict[str, Any]]) -> dict[str, Any]:
    features = []
    for row in rows:
        lat, lon = row["cell_lat"], row["cell_lon"]
        properties = {k: v for k, v in row.items() if k not in ("cell_lat", "cell_lon")}
        features.append(
            {
                "type": "Feature",
                "geometry": None if lat is None else {"type": "Point", "coordinates": [lon, lat]},
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _base(base_url: str, city: City) -> str:
    return f"{base_url}/{city.slug}/open-data"


def requests_jsonld(rows: Iterator[dict[str, Any]], base_url: str, city: City) -> dict[str, Any]:
    base = _base(base_url, city)
    graph = []
    for row in rows:
        node: dict[str, Any] = {
            "@id": f"{base}/requests/{row['number']}",
            "@type": "schema:Event",
            "schema:identifier": str(row["number"]),
            "schema:name": row["service_name"],
            "schema:additionalType": row["service_code"],
            "schema:eventStatus": row["status"],
            "schema:startDate": {"@value": row["requested_on"], "@type": "xsd:date"},
        }
        if row["closed_on"]:
            node["schema:endDate"] = {"@value": row["closed_on"], "@type": "xsd:date"}
        if row["cell_lat"] is not None:
            node["schema:location"] = {
                "@type": "schema:GeoCoordinates",
                "schema:latitude": row["cell_lat"],
                "schema:longitude": row["cell_lon"],
            }
        graph.append(node)
    return {"@context": CONTEXT, "@graph": graph}


def kpis_jsonld(rows: Iterator[dict[str, Any]], base_url: str, city: City) -> dict[str, Any]:
    base = _base(base_url, city)
    graph = []
    for row in rows:
        key = row["key"] or "all"
        node: dict[str, Any] = {
            "@id": f"{base}/kpis/{row['period']}/{row['kpi']}/{row['dimension']}/{key}",
            "@type": "schema:Observation",
            "schema:variableMeasured": row["kpi"],
            "schema:observationDate": {"@value": row["period"], "@type": "xsd:gYearMonth"},
            "schema:observationAbout": f"{base_url}/{city.slug}"
            if row["dimension"] == "all"
            else f"{base_url}/{city.slug}/services/{row['key']}",
        }
        if row["suppressed"]:
            node["schema:measurementTechnique"] = "suppressed: fewer than five cases"
        else:
            node["schema:value"] = row["value"]
        graph.append(node)
    return {"@context": CONTEXT, "@graph": graph}


CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "schema": "https://schema.org/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
}


def modified(db: Session, city: City) -> dict[str, datetime | None]:
    """When each dataset the city publishes last changed (None: it holds nothing yet)."""
    enter_city(db, city)
    return {ds.code: ds.modified(db, city) for ds in published(city)}


def _stamp(moment: datetime) -> dict[str, str]:
    return {
        "@value": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "@type": "xsd:dateTime",
    }


def _when(moment: datetime | None) -> dict[str, Any]:
    return {} if moment is None else {"dct:modified": _stamp(moment)}


def catalog(db: Session, city: City, base_url: str) -> dict[str, Any]:
    """The city's open data as a DCAT-AP 3.0 catalogue (JSON-LD)."""
    base = _base(base_url, city)
    changed = modified(db, city)
    publisher = {
        "@id": f"{base_url}/{city.slug}#publisher",
        "@type": "foaf:Agent",
        "foaf:name": city.name,
    }
    licence = {"@id": LICENCE, "@type": "dct:LicenseDocument", "dct:title": LICENCE_NAME}
    langs = [
        {
            "@id": f"http://publications.europa.eu/resource/authority/language/{code}",
            "@type": "dct:LinguisticSystem",
        }
        for code in _eu_languages(city.languages)
    ]
    datasets = []
    shown = published(city)
    for ds in shown:
        distributions = []
        for fmt in ds.formats:
            kind, media = FORMATS[fmt]
            url = f"{base}/{ds.code}.{fmt}"
            distributions.append(
                {
                    "@id": f"{url}#distribution",
                    "@type": "dcat:Distribution",
                    "dct:title": f"{ds.title} ({kind.replace('_', '-')})",
                    # DCAT-AP's shapes check the class without inference: say it
                    "dcat:accessURL": {"@id": url, "@type": "rdfs:Resource"},
                    "dcat:downloadURL": {"@id": url, "@type": "rdfs:Resource"},
                    "dcat:mediaType": {"@id": MEDIA + media, "@type": "dct:MediaType"},
                    "dct:format": {"@id": FILE_TYPE + kind, "@type": "dct:MediaTypeOrExtent"},
                    "dct:license": licence,
                    **_when(changed[ds.code]),
                }
            )
        datasets.append(
            {
                "@id": f"{base}/{ds.code}",
                "@type": "dcat:Dataset",
                "dct:identifier": f"{city.slug}/{ds.code}",
                "dct:title": _texts(ds.title, city),
                "dct:description": _texts(ds.description, city),
                "dct:publisher": publisher,
                **_when(changed[ds.code]),
                "dcat:keyword": [{"@value": k, "@language": "en"} for k in ds.keywords],
                "dcat:landingPage": {"@id": f"{base}", "@type": "foaf:Document"},
                "dcat:contactPoint": {
                    "@id": f"{base_url}/{city.slug}#contact",
                    "@type": ["vcard:Kind", "vcard:Organization"],
                    "vcard:fn": city.name,
                },
                "dcat:distribution": distributions,
            }
        )
    document = {
        "@id": f"{base}/catalog",
        "@type": "dcat:Catalog",
        "dct:title": {"@value": f"Open data of {city.name}", "@language": "en"},
        "dct:description": {
            "@value": f"Datasets {city.name} publishes with Civitas: "
            + ", ".join(translate("en", ds.title) for ds in shown)
            + ".",
            "@language": "en",
        },
        "dct:publisher": publisher,
        "dct:license": licence,
        "dct:language": langs,
        **_when(max((c for c in changed.values() if c is not None), default=None)),
        "foaf:homepage": {"@id": f"{base}", "@type": "foaf:Document"},
        "dcat:dataset": datasets,
    }
    return {"@context": CONTEXT, **document}


def _eu_languages(codes: list[str]) -> list[str]:
    table = {"de": "DEU", "es": "SPA", "en": "ENG", "fr": "FRA", "qu": "QUE", "pt": "POR"}
    return [table[c] for c in codes if c in table]


def _texts(msgid: str, city: City) -> list[dict[str, str]]:
    """A text in English and in each of the city's languages."""
    langs = dict.fromkeys(["en", *city.languages])
    return [{"@value": translate(lang, msgid), "@language": lang} for lang in langs]


def pretty(body: object) -> bytes:
    return orjson.dumps(body, option=orjson.OPT_INDENT_2)


CSV = "text/csv; charset=utf-8"


def _make_requests(db: Session, city: City, fmt: str, base_url: str) -> tuple[str | bytes, str]:
    rows = request_rows(db, city)
    if fmt == "csv":
        return as_csv(REQUEST_FIELDS, rows), CSV
    if fmt == "geojson":
        return pretty(requests_geojson(rows)), FORMATS["geojson"][1]
    return pretty(requests_jsonld(rows, base_url, city)), FORMATS["jsonld"][1]


def _make_kpis(db: Session, city: City, fmt: str, base_url: str) -> tuple[str | bytes, str]:
    rows = kpi_rows(db, city)
    if fmt == "csv":
        return as_csv(KPI_FIELDS, rows), CSV
    if fmt == "json":
        return pretty({"city": city.slug, "figures": list(rows)}), FORMATS["json"][1]
    return pretty(kpis_jsonld(rows, base_url, city)), FORMATS["jsonld"][1]


def _make_services(db: Session, city: City, fmt: str, base_url: str) -> tuple[str | bytes, str]:
    from civitas.catalogue.cpsv import export_cpsv
    from civitas.catalogue.service import list_services, shown_channels

    if fmt == "csv":
        return as_csv(SERVICE_FIELDS, service_rows(db, city, base_url)), CSV
    services = list_services(db, city)
    shown = {s.code: shown_channels(db, city, s) for s in services}
    graph = export_cpsv(city, services, base_url=base_url, shown=shown)
    return pretty(graph), FORMATS["jsonld"][1]


def _latest(column: Any) -> Any:
    def latest(db: Session, city: City) -> datetime | None:
        enter_city(db, city)
        return db.scalar(select(func.max(column)))

    return latest


# what insight publishes (its manifest names them); other domains publish their own
DATASETS = (
    Dataset(
        "requests",
        N_("Service requests (anonymised)"),
        N_(
            "Requests residents made over every channel in the last twelve months: service, "
            "status, channel, the day it was made and closed, and a grid cell of about 500 m "
            "instead of the place. No text, no address, nothing about who reported."
        ),
        ("csv", "geojson", "jsonld"),
        ("service requests", "Open311", "city services"),
        _make_requests,
        _latest(ServiceRequest.updated_at),
    ),
    Dataset(
        "kpis",
        N_("Key performance indicators"),
        N_(
            "Monthly figures of the city's services: volume, time to answer and to close, "
            "deadline compliance, channels, satisfaction and more, for the whole city and per "
            "service. Figures resting on fewer than five cases are suppressed."
        ),
        ("csv", "json", "jsonld"),
        ("performance", "satisfaction", "KPI"),
        _make_kpis,
        _latest(KpiValue.computed_at),
    ),
    Dataset(
        "services",
        N_("Service catalogue"),
        N_(
            "The services the city offers, with their channels, department and target time. "
            "The JSON-LD follows the EU Core Public Service Vocabulary (CPSV-AP)."
        ),
        ("csv", "jsonld"),
        ("public services", "catalogue", "CPSV-AP"),
        _make_services,
        _latest(Service.updated_at),
    ),
)
