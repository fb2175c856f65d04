"""Open311 GeoReport v2 (open311.github.io, GeoReport_v2): discovery, services, service
definitions, requests and tokens, each in JSON and XML."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from civitas.accounts.service import verify_api_key
from civitas.cases import open311 as cases311
from civitas.cases import service as cases
from civitas.cases.schemas import MAX_DESCRIPTION, contains_markup
from civitas.catalogue import open311 as catalogue311
from civitas.catalogue import service as catalogue
from civitas.catalogue.models import Service
from civitas.cities.models import City
from civitas.cities.service import enter_city, get_city_by_jurisdiction
from civitas.core import idempotency
from civitas.core.config import Settings
from civitas.core.db import row_number, session_factory
from civitas.core.errors import InvalidInput, NotFound, Problem
from civitas.core.i18n import N_, NP_
from civitas.core.xml import to_xml
from civitas.notifications import service as outbox
from civitas.web import microcache
from civitas.web.deps import AppSettings, DbSession, choose_language, db_slots, in_session
from civitas.web.idempotent import run_once
from civitas.web.inputs import FORMS, form_of
from civitas.web.jobs import kick_outbox
from civitas.web.media import PhotoRef, clean_uploads, photo_url, read_uploads
from civitas.web.routers import Router

router = Router(prefix="/open311/v2", tags=["open311"])
Format = Literal["json", "xml"]
SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-23T00:00:00Z"


def find_city(db: Session, jurisdiction_id: str | None) -> City:
    """The city named by ``jurisdiction_id``; optional only where one city is served
    (Definitions: jurisdiction_id). Taken from the short-lived directory when known there,
    merged into this session without a query."""
    key = jurisdiction_id or ""
    known = microcache.cities.get(key)
    if known is not None:
        return db.merge(known, load=False)
    if jurisdiction_id:
        city = get_city_by_jurisdiction(db, jurisdiction_id)
    else:
        cities = list(db.scalars(select(City).limit(2)))
        if len(cities) != 1:
            count = db.scalar(select(func.count(City.id)))
            raise InvalidInput(
                "jurisdiction_id is required: this server serves {count} cities.", count=count
            )
        city = cities[0]
    microcache.cities.put(key, city)
    return city


def resolve_city(request: Request, db: Session, jurisdiction_id: str | None) -> City:
    city = find_city(db, jurisdiction_id)
    enter_city(db, city)
    choose_language(request, city.languages, city.default_language, city.country)
    return city


def open311_city(
    request: Request,
    db: DbSession,
    jurisdiction_id: Annotated[str | None, Query()] = None,
) -> City:
    return resolve_city(request, db, jurisdiction_id)


Open311City = Annotated[City, Depends(open311_city)]


def _list_of(required: list[str]) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {
            "type": "object",
            "required": required,
            "properties": {name: {"type": "string"} for name in required},
        },
    }


def documented(json_schema: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """The 200 answer in both of the spec's formats (the path's ``.json`` or ``.xml``);
    the errors each operation can answer are added by ``civitas.web.openapi``."""
    return {
        200: {
            "description": "JSON or XML, as the path's extension says",
            "content": {
                "application/json": {"schema": json_schema},
                "text/xml": {"schema": {"type": "string"}},
            },
        }
    }


def form_body(fields: dict[str, dict[str, Any]], required: list[str]) -> dict[str, Any]:
    """The form of a POST, urlencoded or multipart, for the OpenAPI description."""
    plain = {"type": "object", "properties": fields, "required": required}
    with_photos = {
        **plain,
        "properties": {
            **fields,
            "media": {
                "type": "array",
                "items": {"type": "string", "format": "binary"},
                "description": "Photos (JPEG, PNG or WebP)",
            },
        },
    }
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {"schema": plain},
                "multipart/form-data": {"schema": with_photos},
            },
        }
    }


TEXT: dict[str, Any] = {"type": "string"}
KEYED = {
    "api_key": {"type": "string", "description": "The city's key for this client"},
    "jurisdiction_id": {"type": "string", "description": "The city, e.g. trujillo.example"},
}
POST_REQUEST = form_body(
    {
        **KEYED,
        "service_code": TEXT,
        "lat": {"type": "string", "description": "WGS84 latitude, e.g. -8.1116"},
        "long": {"type": "string", "description": "WGS84 longitude, e.g. -79.0287"},
        "address_string": TEXT,
        "address_id": TEXT,
        "email": TEXT,
        "device_id": TEXT,
        "account_id": TEXT,
        "first_name": TEXT,
        "last_name": TEXT,
        "phone": TEXT,
        "description": TEXT,
        "media_url": TEXT,
        "zipcode": TEXT,
    },
    ["api_key", "jurisdiction_id", "service_code"],
)
POST_UPDATE = form_body(
    {
        **KEYED,
        "service_request_id": TEXT,
        "status": {"type": "string", "enum": sorted(cases311.FMS_INCOMING)},
        "description": TEXT,
        "updated_datetime": {"type": "string", "description": "ISO 8601 with offset"},
        "update_id": {"type": "string", "description": "The client's id; a resend is a no-op"},
        "first_name": TEXT,
        "last_name": TEXT,
    },
    ["api_key", "jurisdiction_id", "service_request_id", "status", "updated_datetime"],
)


def answer(fmt: Format, root: str, payload: Any) -> Response:
    if fmt == "xml":
        return Response(to_xml(root, payload), media_type="text/xml; charset=utf-8")
    return Response(orjson.dumps(payload), media_type="application/json; charset=utf-8")


@router.get(
    "/discovery.{fmt}",
    summary="Service discovery",
    responses=documented({"type": "object", "required": ["changeset", "endpoints"]}),
)
def discovery(fmt: Format, settings: AppSettings) -> Response:
    base = settings.public_url.rstrip("/") + "/open311/v2/"
    payload = {
        "changeset": CHANGESET,
        "contact": "Your city's service desk",
        "key_service": settings.public_url.rstrip("/") + "/docs#open311",
        "endpoints": [
            {
                "specification": SPEC,
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return answer(fmt, "discovery", payload)


@router.get(
    "/services.{fmt}",
    summary="List the services requests can be filed for",
    responses=documented(_list_of(["service_code", "service_name", "type"])),
)
def services(request: Request, fmt: Format, city: Open311City, db: DbSession) -> Response:
    items = catalogue311.service_list(city, catalogue.list_services(db, city), request.state.lang)
    return answer(fmt, "services", items)


@router.get(
    "/services/{service_code}.{fmt}",
    summary="A service definition (its attributes)",
    responses=documented({"type": "object", "required": ["service_code", "attributes"]}),
)
def service_definition(
    request: Request, service_code: str, fmt: Format, city: Open311City, db: DbSession
) -> Response:
    found = _open311_service(db, city, service_code)
    definition = catalogue311.service_definition(city, found, request.state.lang)
    return answer(fmt, "service_definition", definition)


def _open311_service(db: Session, city: City, code: str) -> Service:
    found = catalogue.get_service(db, city, code=code)
    if not found.is_open311:
        raise NotFound("No service with code '{code}' in this city.", code=code)
    return found


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _moment(name: str, value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "+"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidInput(
            NP_("The request has {count} problem.", "The request has {count} problems."),
            problems=[
                Problem(
                    name,
                    N_("Give a date and time as ISO 8601 with offset (2026-11-23T09:30:00-05:00)."),
                )
            ],
            count=1,
        )
    return moment


async def read_form(request: Request) -> FormData:
    """The POST's form; a body of another media type, or a multipart body that cannot be
    read, is named as such (rather than reported as a form without jurisdiction_id)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in FORMS:
        raise InvalidInput(
            "Send the fields as application/x-www-form-urlencoded (or multipart/form-data "
            "with photos), as GeoReport v2 asks; this body is '{media_type}'.",
            media_type=kind or "-",
        )
    return await form_of(request)


@router.post(
    "/requests.{fmt}",
    summary="POST Service Request (form-encoded; needs api_key)",
    responses=documented({"type": "array", "items": {"type": "object"}}),
    openapi_extra=POST_REQUEST,
)
async def post_request(request: Request, fmt: Format, settings: AppSettings) -> Response:
    """Form-encoded, or multipart with photos in ``media`` (JPEG, PNG or WebP)."""
    form = await read_form(request)
    fields = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    uploads = await read_uploads(form.multi_items(), settings)
    first = dict(reversed(fields))

    def work(db: Session) -> Response:
        city = resolve_city(
            request, db, first.get("jurisdiction_id") or request.query_params.get("jurisdiction_id")
        )
        key = verify_api_key(
            db, city, raw=first.get("api_key") or request.query_params.get("api_key")
        )
        raw = cases311.read_form(fields, language=request.state.lang)
        images = clean_uploads(uploads, settings)
        data, problems = cases311.validate_post(raw)
        if data is None:
            raise InvalidInput(
                NP_(
                    "The request has {count} problem; nothing was stored.",
                    "The request has {count} problems; nothing was stored.",
                ),
                problems=problems,
                count=len(problems),
            )
        location_fields = {"lat", "long", "address_string", "address_id"}

        def produce() -> Response:
            created = cases.create_request(
                db,
                city,
                data=data,
                filed_by=f"api_key:{key.id}",
                earlier_problems=problems,
                location_given=not any(p.location in location_fields for p in problems),
            )
            cases.attach_photos(
                db,
                city,
                created,
                images=images,
                media_root=settings.media_root,
                actor=f"api_key:{key.id}",
            )
            post = cases311.post_answer(created, created.service, request.state.lang)
            # the spec shows no status for a created request; 201 would surprise some clients
            return answer(fmt, "service_requests", [post])

        photo_hashes = [("media", hashlib.sha256(data).hexdigest()) for _, data in uploads]
        fp = idempotency.fingerprint(
            "POST", request.url.path, [(k, v) for k, v in fields if k != "api_key"] + photo_hashes
        )
        response, new = run_once(
            db,
            client=f"api_key:{key.id}",
            header=request.headers.get("idempotency-key"),
            fp=fp,
            produce=produce,
        )
        if new and outbox.written(db):
            kick_outbox()
        return response

    async with db_slots():
        return await run_in_threadpool(in_session, work)


class RequestFilters(BaseModel):
    """The spec's filters, and the common extensions: ``page``/``page_size``,
    ``extensions=true``, and the CitySDK filters ``updated_after``, ``updated_before``,
    ``lat``/``long``/``radius`` (metres), ``keyword`` and ``agency_responsible``. All are
    read as text and checked by the endpoint, so every problem is reported at once."""

    jurisdiction_id: str | None = None
    service_request_id: str | None = None
    service_code: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    status: str | None = None
    updated_after: str | None = None
    updated_before: str | None = None
    lat: str | None = None
    long: str | None = None
    radius: str | None = None
    keyword: str | None = None
    agency_responsible: str | None = None
    page: str | None = None
    page_size: str | None = None
    extensions: str | None = None


@router.get(
    "/requests.{fmt}",
    summary="GET Service Requests (filters; last 90 days, 1000 at most)",
    responses=documented(_list_of(["service_request_id", "status"])),
)
async def get_requests(
    request: Request,
    fmt: Format,
    filters: Annotated[RequestFilters, Query()],
    settings: AppSettings,
) -> Response:
    """Lists are answered from the short per-city cache when they can be, without leaving
    the event loop; otherwise from the database in a worker thread."""
    seconds = settings.open311_list_cache_seconds
    known = microcache.cities.get(filters.jurisdiction_id or "") if seconds else None
    if known is None:
        async with db_slots():
            return await run_in_threadpool(_list_requests, request, fmt, filters, settings)
    lang = choose_language(request, known.languages, known.default_language, known.country)
    key = _cache_key(request, fmt, lang)
    hit = microcache.lists.get(known.id, key)
    if hit is not None:
        return Response(hit.body, media_type=hit.media_type)

    async def work() -> tuple[bytes, str]:
        async with db_slots():
            made = await run_in_threadpool(_list_requests, request, fmt, filters, settings)
        return bytes(made.body), made.media_type or ""

    body, media_type = await microcache.flights.run((known.id, key), work)
    return Response(body, media_type=media_type)


def _cache_key(request: Request, fmt: str, lang: str) -> str:
    return f"{fmt}|{lang}|{sorted(request.query_params.multi_items())}"


def _list_requests(
    request: Request, fmt: Format, filters: RequestFilters, settings: Settings
) -> Response:
    with session_factory()() as db:
        city = resolve_city(request, db, filters.jurisdiction_id)
        query = _request_query(filters)
        found = cases.query_requests(db, city, query)
        items = _entries(request, db, city, found, settings, extended=query.with_attributes)
    response = answer(fmt, "service_requests", items)
    if seconds := settings.open311_list_cache_seconds:
        key = _cache_key(request, fmt, request.state.lang)
        microcache.lists.put(city.id, key, bytes(response.body), response.media_type or "", seconds)
    return response


def _request_query(f: RequestFilters) -> cases.RequestQuery:
    problems: list[Problem] = []
    numbers: list[int] = []
    for part in _csv(f.service_request_id):
        if part.isascii() and part.isdigit():
            # a number no request can have matches nothing
            if (number := row_number(part)) is not None:
                numbers.append(number)
        else:
            problems.append(
                Problem(
                    "service_request_id",
                    N_("'{value}' is not a service request id."),
                    {"value": part},
                )
            )
    statuses = _csv(f.status)
    if any(s not in ("open", "closed") for s in statuses):
        problems.append(
            Problem("status", N_("Choose one of: {expected}."), {"expected": "open, closed"})
        )
    near = _near(f.lat, f.long, f.radius, problems)
    page_number = _whole("page", f.page, 1, 1, 10**6, problems)
    size = _whole("page_size", f.page_size, cases.DEFAULT_LIMIT, 1, cases.DEFAULT_LIMIT, problems)
    if problems:
        raise InvalidInput(
            NP_("The request has {count} problem.", "The request has {count} problems."),
            problems=problems,
            count=len(problems),
        )
    keyword = (f.keyword or "").strip()
    agency = (f.agency_responsible or "").strip()
    return cases.RequestQuery(
        numbers=numbers if _csv(f.service_request_id) else None,
        service_codes=_csv(f.service_code) or None,
        start=_moment("start_date", f.start_date),
        end=_moment("end_date", f.end_date),
        statuses=statuses or None,
        updated_after=_moment("updated_after", f.updated_after),
        updated_before=_moment("updated_before", f.updated_before),
        near=near,
        keyword=keyword or None,
        agency=agency or None,
        page=page_number,
        page_size=size,
        with_attributes=(f.extensions or "").lower() == "true",
        public=True,
    )


def _whole(
    name: str, value: str | None, default: int, low: int, high: int, problems: list[Problem]
) -> int:
    if not value:
        return default
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        problems.append(
            Problem(
                name, N_("Give a whole number from {low} to {high}."), {"low": low, "high": high}
            )
        )
        return default
    return int(value)


def _near(
    lat: str | None, long: str | None, radius: str | None, problems: list[Problem]
) -> cases.Near | None:
    if not lat and not long:
        return None
    try:
        point = (float(lat or ""), float(long or ""))
    except ValueError:
        problems.append(Problem("lat", N_("Give lat and long together, as numbers.")))
        return None
    if not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180):
        problems.append(Problem("lat", N_("Give lat and long together, as numbers.")))
        return None
    metres = 200.0
    if radius:
        try:
            metres = float(radius)
        except ValueError:
            metres = -1
        if not 0 < metres <= 50_000:
            problems.append(Problem("radius", N_("Give a radius in metres from 1 to 50000.")))
            return None
    return cases.Near(point[0], point[1], metres)


def _entries(
    request: Request,
    db: Session,
    city: City,
    found: list[cases.PublicListed],
    settings: Settings,
    *,
    extended: bool,
) -> list[dict[str, Any]]:
    lang = request.state.lang
    infos = microcache.service_infos(db, city, {r.service_id for r in found})
    items = [
        cases311.request_entry(
            city, r, infos[r.service_id], lang, r.latest_note, _media_url(city, r, settings)
        )
        for r in found
    ]
    if extended:
        photos = cases.photos_of(db, city, [r.id for r in found])
        history = cases.public_notes(db, city, [r.id for r in found])
        for item, r in zip(items, found, strict=True):
            item["extended_attributes"] = cases311.extended_attributes(
                city,
                r,
                photos=[photo_url(settings, city.slug, r, m) for m in photos.get(r.id, [])],
                notes=history.get(r.id, []),
                public_location=infos[r.service_id].public_location,
            )
    return items


def _media_url(city: City, r: cases.PublicListed, settings: Settings) -> str | None:
    """media_url: the client's own link, else the first photo uploaded with the request."""
    if r.media_url:
        return r.media_url
    if r.first_photo_id is not None and r.first_photo_path is not None:
        return photo_url(settings, city.slug, r, PhotoRef(r.first_photo_id, r.first_photo_path))
    return None


@router.get(
    "/requests/{service_request_id}.{fmt}",
    summary="GET Service Request",
    responses=documented(_list_of(["service_request_id", "status"])),
)
def get_request(
    request: Request,
    service_request_id: str,
    fmt: Format,
    city: Open311City,
    db: DbSession,
    settings: AppSettings,
    extensions: str | None = None,
) -> Response:
    number = row_number(service_request_id)
    if number is None:
        raise NotFound("No service request {number} in this city.", number=service_request_id)
    found = cases.query_requests(db, city, cases.RequestQuery(numbers=[number], public=True))
    if not found:
        raise NotFound("No service request {number} in this city.", number=number)
    extended = (extensions or "").lower() == "true"
    entry = _entries(request, db, city, found, settings, extended=extended)[0]
    return answer(fmt, "service_requests", [entry])


@router.get(
    "/servicerequestupdates.{fmt}",
    summary="Service request updates (FixMyStreet)",
    responses=documented(_list_of(["update_id", "service_request_id", "status"])),
)
def get_updates(
    fmt: Format,
    city: Open311City,
    db: DbSession,
    start_date: str | None = None,
    end_date: str | None = None,
) -> Response:
    """Public updates in a time range, for a council back end or FixMyStreet to follow."""
    found = cases.public_updates(
        db, city, start=_moment("start_date", start_date), end=_moment("end_date", end_date)
    )
    items = [cases311.update_entry(city, r, n) for r, n in found]
    return answer(fmt, "service_request_updates", items)


@router.post(
    "/servicerequestupdates.{fmt}",
    summary="Post an update (FixMyStreet; needs api_key)",
    responses=documented(_list_of(["update_id"])),
    openapi_extra=POST_UPDATE,
)
async def post_update(request: Request, fmt: Format) -> Response:
    form = await read_form(request)
    fields = [(k, v.strip()) for k, v in form.multi_items() if isinstance(v, str)]
    first = dict(reversed(fields))

    def work(db: Session) -> Response:
        city = resolve_city(
            request, db, first.get("jurisdiction_id") or request.query_params.get("jurisdiction_id")
        )
        key = verify_api_key(
            db, city, raw=first.get("api_key") or request.query_params.get("api_key")
        )
        problems: list[Problem] = []
        number = first.get("service_request_id", "")
        if not number:
            problems.append(Problem("service_request_id", N_("This field is required.")))
        elif row_number(number) is None:
            problems.append(
                Problem(
                    "service_request_id",
                    N_("'{value}' is not a service request id."),
                    {"value": number},
                )
            )
        word = first.get("status", "").lower()
        if word not in cases311.FMS_INCOMING:
            problems.append(
                Problem(
                    "status",
                    N_("Choose one of: {expected}."),
                    {"expected": ", ".join(sorted(cases311.FMS_INCOMING))},
                )
            )
        text = first.get("description", "")
        if len(text) > MAX_DESCRIPTION or contains_markup(text):
            problems.append(
                Problem("description", N_("Write plain text: HTML or code is not accepted here."))
            )
        when = first.get("updated_datetime")
        if not when:
            problems.append(Problem("updated_datetime", N_("This field is required.")))
        if problems:
            raise InvalidInput(
                NP_("The request has {count} problem.", "The request has {count} problems."),
                problems=problems,
                count=len(problems),
            )
        moment = _moment("updated_datetime", when)
        author = " ".join(p for p in (first.get("first_name"), first.get("last_name")) if p)

        def produce() -> Response:
            note = cases.resident_update(
                db,
                city,
                number=int(number),
                status_word=word,
                text=text,
                actor=f"api_key:{key.id}" + (f" ({author})" if author else ""),
                now=moment,
            )
            return answer(fmt, "service_request_updates", [{"update_id": str(note.id)}])

        client_id = first.get("update_id") or request.headers.get("idempotency-key")
        fp = idempotency.fingerprint(
            "POST", request.url.path, [(k, v) for k, v in fields if k != "api_key"]
        )
        response, new = run_once(
            db, client=f"api_key:{key.id}", header=client_id, fp=fp, produce=produce
        )
        if new and outbox.written(db):
            kick_outbox()
        return response

    async with db_slots():
        return await run_in_threadpool(in_session, work)


@router.get(
    "/tokens/{token}.{fmt}",
    summary="GET service_request_id from a token",
    responses=documented(_list_of(["service_request_id", "token"])),
)
def get_token(token: str, fmt: Format, city: Open311City, db: DbSession) -> Response:
    found = cases.get_request_by_token(db, city, token=token)
    return answer(
        fmt, "service_requests", [{"service_request_id": str(found.number), "token": token}]
    )
