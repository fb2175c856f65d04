"""Service requests handled as cases. Plain functions, the city first; every change audited."""

from __future__ import annotations

import functools
import math
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from civitas.accounts.models import User
from civitas.cases import publicity
from civitas.cases.attributes import check_attributes
from civitas.cases.media import CleanImage, store
from civitas.cases.models import RequestFollower, RequestMedia, RequestNote, ServiceRequest
from civitas.cases.routing import route
from civitas.cases.schemas import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    STATUS_LABELS,
    TRANSITIONS,
    RequestChannel,
    RequestCreate,
    Status,
)
from civitas.catalogue.models import Service
from civitas.cities.models import City, Department
from civitas.cities.service import enter_city
from civitas.core import audit, events
from civitas.core.db import row_number, utcnow
from civitas.core.errors import InvalidInput, NotFound, Problem
from civitas.core.i18n import N_, pick, translate
from civitas.core.sequences import next_value
from civitas.core.tenancy import bind_all_cities
from civitas.notifications.service import enqueue_email

MAX_RANGE = timedelta(days=90)
# a phone call or office visit that ends with the case solved within this time was
# resolved at first contact (the agent closes it during or right after the contact)
FIRST_CONTACT_CHANNELS = frozenset({RequestChannel.PHONE, RequestChannel.OFFICE})
FIRST_CONTACT_WINDOW = timedelta(hours=1)
DEFAULT_LIMIT = 1000


def _problems_or_raise(problems: list[Problem]) -> None:
    if problems:
        raise InvalidInput(
            "The request has {count} problem(s); nothing was stored.",
            problems=problems,
            count=len(problems),
        )


_PUBLISHED_SERVICE = select(Service).where(
    Service.code == bindparam("code"), Service.published.is_(True)
)


def find_service_for_request(
    db: Session, city: City, *, code: str, channel: RequestChannel
) -> Service:
    """The published service a request names; Open311 clients see only Open311 services."""
    enter_city(db, city)
    service = db.scalar(_PUBLISHED_SERVICE, {"code": code})
    if service is None or (channel == RequestChannel.OPEN311 and not service.is_open311):
        raise NotFound("No service with code '{code}' in this city.", code=code)
    return service


def check_location(city: City, data: RequestCreate) -> list[Problem]:
    problems = []
    has_point = data.lat is not None or data.long is not None
    if has_point and (data.lat is None or data.long is None):
        missing = "long" if data.long is None else "lat"
        problems.append(Problem(missing, N_("Give lat and long together.")))
    elif (
        has_point
        and data.lat is not None
        and data.long is not None
        and not city.contains(data.lat, data.long)
    ):
        problems.append(
            Problem(
                "lat",
                N_("The point {lat}, {long} lies outside {city}."),
                {"lat": data.lat, "long": data.long, "city": city.name},
            )
        )
    if not has_point and not data.address_string and not data.address_id:
        problems.append(
            Problem("location", N_("Give a location: lat and long, address_string or address_id."))
        )
    return problems


def create_request(
    db: Session,
    city: City,
    *,
    data: RequestCreate,
    filed_by: str,
    now: datetime | None = None,
    earlier_problems: list[Problem] | None = None,
    location_given: bool = True,
    token: bool = False,
) -> ServiceRequest:
    """Check everything, then store the request in the caller's transaction. Problems the
    caller found in the raw input come in ``earlier_problems`` and are reported together
    with these; ``location_given`` is false when the location fields themselves were wrong."""
    service = find_service_for_request(db, city, code=data.service_code, channel=data.channel)
    problems = list(earlier_problems or [])
    if location_given:
        problems += check_location(city, data)
    attributes, attribute_problems = check_attributes(service.attributes, data.attributes)
    given_attributes = {p.location for p in problems if p.location.startswith("attribute[")}
    problems += [p for p in attribute_problems if p.location not in given_attributes]
    _problems_or_raise(problems)
    now = now or utcnow()
    department_id = route(db, city, service, data.lat, data.long)
    # the counter takes the write lock: from here on only writes, up to the commit
    request = ServiceRequest(
        number=next_value(db, "service_request"),
        # a token for batch services (Open311) and where the caller wants a private link
        token=secrets.token_urlsafe(12) if token or service.open311_type == "batch" else None,
        service=service,  # set, not only its id: the answer and the e-mail need no reload
        status=Status.RECEIVED,
        channel=data.channel,
        description=data.description or None,
        lat=data.lat,
        long=data.long,
        address=data.address_string,
        address_id=data.address_id,
        zipcode=data.zipcode,
        attributes=attributes,
        media_url=str(data.media_url) if data.media_url else None,
        email=data.email,
        first_name=data.first_name,
        last_name=data.last_name,
        phone=data.phone,
        device_id=data.device_id,
        account_id=data.account_id,
        language=data.language or city.default_language,
        department_id=department_id,
        filed_by=filed_by,
        requested_at=now,
        updated_at=now,
        expected_at=now + timedelta(hours=service.target_hours) if service.target_hours else None,
    )
    db.add(request)  # flushed with the rest of the transaction
    # a domain that owns the service (recycling pickups) adds its part or refuses the whole
    events.publish("case.created", db=db, city=city, request=request)
    notify_reporter(db, city, request, event="received")
    audit.record(
        db,
        actor=filed_by,
        action="request.created",
        entity_type="service_request",
        entity_id=request.number,
        changes={
            "service": service.code,
            "channel": str(data.channel),
            "status": Status.RECEIVED.value,
        },
    )
    return request


@dataclass(frozen=True)
class Recipient:
    key: str
    email: str
    first_name: str | None
    last_name: str | None
    language: str | None
    own_number: int | None = None  # a follower's own (merged) request


def recipients(db: Session, request: ServiceRequest, *, new: bool = False) -> list[Recipient]:
    """The reporter, if they left an address, and everyone following the request (a
    ``new`` request has no followers yet)."""
    found = []
    if request.email:
        found.append(
            Recipient(
                "reporter", request.email, request.first_name, request.last_name, request.language
            )
        )
    if new:
        return found
    followers = db.scalars(
        select(RequestFollower)
        .where(RequestFollower.request_id == request.id)
        .order_by(RequestFollower.id)
    )
    for f in followers:
        own = db.get(ServiceRequest, f.from_request_id) if f.from_request_id else None
        found.append(
            Recipient(
                f"follower:{f.id}",
                f.email,
                f.first_name,
                f.last_name,
                f.language,
                own.number if own else None,
            )
        )
    return found


def notify_reporter(
    db: Session, city: City, request: ServiceRequest, *, event: str, note: str = ""
) -> None:
    """Write an e-mail to the reporter and every follower to the outbox, each in their own
    language (nobody without an address gets one)."""
    for person in recipients(db, request, new=event == "received"):
        lang = person.language if person.language in city.languages else city.default_language
        status = translate(lang, STATUS_LABELS[Status(request.status)])
        service_name = pick(request.service.name, lang, city.default_language)
        if event == "received":
            subject = translate(lang, "We received your request {number}", number=request.number)
            lines = [
                translate(
                    lang,
                    "Thank you. We received your request about: {service}.",
                    service=service_name,
                )
            ]
        else:
            subject = translate(
                lang, "Your request {number}: {status}", number=request.number, status=status
            )
            lines = [
                translate(
                    lang,
                    "Your request about {service} is now: {status}.",
                    service=service_name,
                    status=status,
                )
            ]
        if person.own_number:
            lines.append(
                translate(
                    lang,
                    "You reported this as request {own}; it is handled with request {number}.",
                    own=person.own_number,
                    number=request.number,
                )
            )
        if note:
            lines.append(note)
        if request.address:
            lines.append(translate(lang, "Place: {address}", address=request.address))
        lines.append(translate(lang, "Your request number is {number}.", number=request.number))
        name = " ".join(p for p in (person.first_name, person.last_name) if p)
        greeting = (
            translate(lang, "Hello {name},", name=name) if name else translate(lang, "Hello,")
        )
        body = "\n\n".join([greeting, *lines, city.name])
        key = f"request:{request.number}:{event}"
        enqueue_email(
            db,
            city,
            dedupe_key=key if person.key == "reporter" else f"{key}:{person.key}",
            recipient=person.email,
            subject=subject,
            body=body + "\n",
            language=lang,
        )


def duplicate_candidates(
    db: Session, city: City, *, number: int, radius_m: float = 150.0, limit: int = 10
) -> list[ServiceRequest]:
    """Open requests for the same service near this one: likely the same problem."""
    request = get_request(db, city, number=number)
    if request.lat is None or request.long is None:
        return []
    return nearby_open(
        db,
        city,
        service_id=request.service_id,
        lat=request.lat,
        lon=request.long,
        radius_m=radius_m,
        limit=limit,
        besides=request.id,
    )


def nearby_open(
    db: Session,
    city: City,
    *,
    service_id: int,
    lat: float,
    lon: float,
    radius_m: float = 150.0,
    limit: int = 5,
    besides: int | None = None,
) -> list[ServiceRequest]:
    """Open requests for a service near a point, oldest first (offered to a reporter before
    filing, and to staff for merging)."""
    enter_city(db, city)
    stmt = (
        select(ServiceRequest)
        .where(
            ServiceRequest.service_id == service_id,
            ServiceRequest.status.in_([s.value for s in OPEN_STATUSES]),
            within(Near(lat, lon, radius_m)),
        )
        .order_by(ServiceRequest.requested_at)
        .limit(limit)
    )
    if besides is not None:
        stmt = stmt.where(ServiceRequest.id != besides)
    return list(db.scalars(stmt))


def merge(
    db: Session, city: City, *, number: int, into: int, actor: str, note: str = ""
) -> ServiceRequest:
    """Close a duplicate in favour of the original; its reporter follows the original."""
    if number == into:
        raise InvalidInput("A request cannot be merged into itself.")
    duplicate = get_request(db, city, number=number)
    original = get_request(db, city, number=into)
    if original.duplicate_of_id is not None:
        raise InvalidInput(
            "Request {into} is itself a duplicate; merge into the request it duplicates.", into=into
        )
    lang = duplicate.language if duplicate.language in city.languages else city.default_language
    text = note or translate(
        lang,
        "This is the same as request {into}; we will keep you informed about it.",
        into=into,
    )
    change_status(db, city, number=number, status=Status.DUPLICATE, actor=actor, note=text)
    duplicate.duplicate_of_id = original.id
    if duplicate.email:
        exists = db.scalar(
            select(RequestFollower.id).where(
                RequestFollower.request_id == original.id, RequestFollower.email == duplicate.email
            )
        )
        if exists is None and duplicate.email != original.email:
            db.add(
                RequestFollower(
                    request_id=original.id,
                    email=duplicate.email,
                    first_name=duplicate.first_name,
                    last_name=duplicate.last_name,
                    language=duplicate.language,
                    from_request_id=duplicate.id,
                )
            )
    audit.record(
        db,
        actor=actor,
        action="request.merged",
        entity_type="service_request",
        entity_id=number,
        changes={"into": into},
    )
    audit.record(
        db,
        actor=actor,
        action="request.duplicate_received",
        entity_type="service_request",
        entity_id=into,
        changes={"from": number},
    )
    return duplicate


def get_request(db: Session, city: City, *, number: int) -> ServiceRequest:
    enter_city(db, city)
    request = db.scalar(select(ServiceRequest).where(ServiceRequest.number == number))
    if request is None:
        raise NotFound("No service request {number} in this city.", number=number)
    return request


def get_request_by_token(db: Session, city: City, *, token: str) -> ServiceRequest:
    enter_city(db, city)
    request = db.scalar(select(ServiceRequest).where(ServiceRequest.token == token))
    if request is None:
        raise NotFound("No service request has the token '{token}'.", token=token)
    return request


@dataclass(frozen=True)
class ServiceInfo:
    """What a list of requests shows of their service and department."""

    code: str
    name: dict[str, str]
    target_hours: int | None
    department_code: str
    department_name: dict[str, str]
    public_location: str = "exact"  # how its requests may be shown in public (publicity.py)


def service_infos(db: Session, city: City, service_ids: set[int] | None) -> dict[int, ServiceInfo]:
    """The services of a page of requests, in one small query (a page names only a few);
    ``None``: every service of the city (a catalogue is tens of services)."""
    enter_city(db, city)
    if service_ids is not None and not service_ids:
        return {}
    stmt = select(
        Service.id,
        Service.code,
        Service.name,
        Service.target_hours,
        Department.code,
        Department.name,
        Service.public_location,
    ).join(Department, Service.department_id == Department.id)
    if service_ids is not None:
        stmt = stmt.where(Service.id.in_(service_ids))
    return {row[0]: ServiceInfo(*row[1:]) for row in db.execute(stmt).all()}


def info_of(request: ServiceRequest) -> ServiceInfo:
    """The same for one request, through its relationships."""
    service, department = request.service, request.department
    return ServiceInfo(
        service.code,
        service.name,
        service.target_hours,
        department.code,
        department.name,
        service.public_location,
    )


# the columns a list shows; the reporter's never leave the database for it
LIST_COLUMNS = (
    ServiceRequest.id,
    ServiceRequest.number,
    ServiceRequest.status,
    ServiceRequest.channel,
    ServiceRequest.service_id,
    ServiceRequest.department_id,
    ServiceRequest.description,
    ServiceRequest.lat,
    ServiceRequest.long,
    ServiceRequest.address,
    ServiceRequest.address_id,
    ServiceRequest.zipcode,
    ServiceRequest.media_url,
    ServiceRequest.requested_at,
    ServiceRequest.updated_at,
    ServiceRequest.expected_at,
    ServiceRequest.assignee_id,
    ServiceRequest.tenant_id,
)


class Listed(publicity.Placed, Protocol):
    """A request as a list shows it: a row of ``LIST_COLUMNS`` (lists read rows, not ORM
    objects, which cost more to make than the query does), or a ServiceRequest."""

    @property
    def id(self) -> int: ...
    @property
    def number(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def service_id(self) -> int: ...
    @property
    def department_id(self) -> int: ...
    @property
    def media_url(self) -> str | None: ...
    @property
    def requested_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...
    @property
    def expected_at(self) -> datetime | None: ...
    @property
    def assignee_id(self) -> int | None: ...


class PublicListed(Listed, Protocol):
    """A row of a public list: with the attribute values, the newest public note that has
    text, and the first photo, read in the same query."""

    @property
    def attributes(self) -> dict[str, Any]: ...
    @property
    def latest_note(self) -> str | None: ...
    @property
    def first_photo_id(self) -> int | None: ...
    @property
    def first_photo_path(self) -> str | None: ...


@functools.cache
def _public_columns() -> tuple[Any, ...]:
    """LIST_COLUMNS and what a public list adds, as correlated subqueries (one round trip
    instead of three); made once, on the first list."""
    of_request = RequestNote.request_id == ServiceRequest.id
    note = (
        select(RequestNote.text)
        .where(of_request, RequestNote.public.is_(True), RequestNote.text != "")
        .order_by(RequestNote.at.desc(), RequestNote.id.desc())
        .limit(1)
        .correlate(ServiceRequest)
        .scalar_subquery()
    )
    first_photo = (
        select(RequestMedia.id)
        .where(RequestMedia.request_id == ServiceRequest.id)
        .order_by(RequestMedia.id)
        .limit(1)
        .correlate(ServiceRequest)
    )
    photo_path = (
        select(RequestMedia.path)
        .where(RequestMedia.id == first_photo.scalar_subquery())
        .correlate(ServiceRequest)
        .scalar_subquery()
    )
    return (
        *LIST_COLUMNS,
        ServiceRequest.attributes,
        note.label("latest_note"),
        first_photo.scalar_subquery().label("first_photo_id"),
        photo_path.label("first_photo_path"),
    )


@dataclass(frozen=True)
class Near:
    lat: float
    long: float
    radius_m: float


@dataclass(frozen=True)
class RequestQuery:
    """GeoReport v2 filters, and the common extensions (CitySDK filters, paging)."""

    numbers: list[int] | None = None
    service_codes: list[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    statuses: list[str] | None = None  # open311 statuses: open, closed
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    near: Near | None = None
    keyword: str | None = None
    agency: str | None = None  # department code or name
    page: int = 1
    page_size: int = DEFAULT_LIMIT
    with_attributes: bool = False
    # a public list: no request of a service never shown in public, and a search near a
    # point only among services shown exactly (a small radius would find a coarse one's)
    public: bool = False


METRES_PER_DEGREE = 111_320.0


def within(near: Near) -> ColumnElement[bool]:
    """Requests within the radius: a bounding box the indexes can use, then the distance on
    an equirectangular projection (exact enough within a city)."""
    scale = math.cos(math.radians(near.lat))
    dlat = near.radius_m / METRES_PER_DEGREE
    dlon = near.radius_m / (METRES_PER_DEGREE * max(scale, 0.01))
    dy = (ServiceRequest.lat - near.lat) * METRES_PER_DEGREE
    dx = (ServiceRequest.long - near.long) * (METRES_PER_DEGREE * scale)
    return and_(
        ServiceRequest.lat.between(near.lat - dlat, near.lat + dlat),
        ServiceRequest.long.between(near.long - dlon, near.long + dlon),
        dx * dx + dy * dy <= near.radius_m * near.radius_m,
    )


def _date_range(
    start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    if start and end and end - start > MAX_RANGE:
        raise InvalidInput(
            "The date range is too long.",
            problems=[Problem("end_date", N_("start_date and end_date may span at most 90 days."))],
        )
    if start and end and end < start:
        raise InvalidInput(
            "The date range is empty.",
            problems=[Problem("end_date", N_("end_date must not be before start_date."))],
        )
    if start is None and end is None:
        return now - MAX_RANGE, now
    if start is None:
        assert end is not None
        return end - MAX_RANGE, end
    if end is None:
        return start, start + MAX_RANGE
    return start, end


def query_requests(
    db: Session, city: City, query: RequestQuery, *, now: datetime | None = None
) -> list[PublicListed]:
    """GeoReport v2 GET Service Requests: ids override everything; else codes, dates, status;
    by default the last 90 days and at most 1000 requests, newest first."""
    enter_city(db, city)
    stmt = select(*_public_columns()).order_by(
        ServiceRequest.requested_at.desc(), ServiceRequest.id.desc()
    )
    page_size = min(query.page_size, DEFAULT_LIMIT)
    if query.numbers is not None:
        stmt = stmt.where(ServiceRequest.number.in_(query.numbers))
        return _rows(db, stmt.limit(DEFAULT_LIMIT))
    start, end = _date_range(query.start, query.end, now or utcnow())
    stmt = stmt.where(ServiceRequest.requested_at >= start, ServiceRequest.requested_at <= end)
    if query.service_codes or query.public:
        stmt = stmt.join(Service, ServiceRequest.service_id == Service.id)
    if query.service_codes:
        stmt = stmt.where(Service.code.in_(query.service_codes))
    if query.public:
        shown = (
            [publicity.EXACT]
            if query.near or query.keyword
            else [publicity.EXACT, publicity.COARSE]
        )
        stmt = stmt.where(Service.public_location.in_(shown))
    if query.statuses:
        wanted: set[str] = set()
        if "open" in query.statuses:
            wanted |= {s.value for s in OPEN_STATUSES}
        if "closed" in query.statuses:
            wanted |= {s.value for s in CLOSED_STATUSES}
        stmt = stmt.where(ServiceRequest.status.in_(wanted))
    if query.updated_after:
        stmt = stmt.where(ServiceRequest.updated_at > query.updated_after)
    if query.updated_before:
        stmt = stmt.where(ServiceRequest.updated_at < query.updated_before)
    if query.near:
        stmt = stmt.where(within(query.near))
    if query.keyword:
        stmt = stmt.where(func.lower(ServiceRequest.description).like(f"%{query.keyword.lower()}%"))
    if query.agency:
        stmt = stmt.join(Department, ServiceRequest.department_id == Department.id).where(
            Department.code == query.agency
        )
    return _rows(db, stmt.offset((query.page - 1) * page_size).limit(page_size))


def _rows(db: Session, stmt: Any) -> list[Any]:
    """The rows of a list query (named tuples: read by attribute, as the protocols say)."""
    return list(db.execute(stmt).all())


def public_notes(db: Session, city: City, request_ids: list[int]) -> dict[int, list[RequestNote]]:
    """Every public note per request, oldest first (the status history residents may see)."""
    enter_city(db, city)
    if not request_ids:
        return {}
    return _by_request(
        db.scalars(
            select(RequestNote)
            .where(RequestNote.request_id.in_(request_ids), RequestNote.public.is_(True))
            .order_by(RequestNote.at, RequestNote.id)
        )
    )


class _OfRequest(Protocol):
    request_id: int


RowT = TypeVar("RowT", bound=_OfRequest)


def _by_request(rows: Iterable[RowT]) -> dict[int, list[RowT]]:
    found: dict[int, list[RowT]] = {}
    for row in rows:
        found.setdefault(row.request_id, []).append(row)
    return found


def change_status(
    db: Session,
    city: City,
    *,
    number: int,
    status: Status,
    actor: str,
    note: str = "",
    public: bool = True,
    now: datetime | None = None,
) -> ServiceRequest:
    """Move a case to a new status with a note (public notes reach the reporter)."""
    request = get_request(db, city, number=number)
    current = Status(request.status)
    if status not in TRANSITIONS[current]:
        raise InvalidInput(
            "A request that is {current} cannot become {status}.",
            current=current.value,
            status=status.value,
        )
    now = now or utcnow()
    request.status = status
    request.updated_at = now
    if request.acknowledged_at is None:  # the first answer to the request
        request.acknowledged_at = now
        request.first_contact_resolved = (
            request.channel in FIRST_CONTACT_CHANNELS
            and status in (Status.RESOLVED, Status.CLOSED)
            and now - request.requested_at <= FIRST_CONTACT_WINDOW
        )
    if status in CLOSED_STATUSES:
        request.closed_at = now
    elif current in CLOSED_STATUSES:  # reopened
        request.closed_at = None
        request.reopen_count += 1
    entry = RequestNote(
        request_id=request.id, author=actor, public=public, status=status, text=note, at=now
    )
    db.add(entry)
    db.flush()
    if public:
        notify_reporter(db, city, request, event=f"note:{entry.id}", note=note)
    if status in CLOSED_STATUSES and current not in CLOSED_STATUSES:
        events.publish("case.closed", db=db, city=city, request=request)
    audit.record(
        db,
        actor=actor,
        action="request.status_changed",
        entity_type="service_request",
        entity_id=number,
        changes={"from": current.value, "to": status.value, "public": public},
        reason=note or None,
    )
    return request


def add_note(
    db: Session,
    city: City,
    *,
    number: int,
    text: str,
    public: bool,
    actor: str,
    now: datetime | None = None,
) -> RequestNote:
    request = get_request(db, city, number=number)
    now = now or utcnow()
    note = RequestNote(
        request_id=request.id, author=actor, public=public, status=request.status, text=text, at=now
    )
    db.add(note)
    request.updated_at = now
    audit.record(
        db,
        actor=actor,
        action="request.note_added",
        entity_type="service_request",
        entity_id=number,
        changes={"public": public},
    )
    return note


def assign(
    db: Session, city: City, *, number: int, username: str | None, actor: str
) -> ServiceRequest:
    request = get_request(db, city, number=number)
    user = None
    if username:
        user = db.scalar(select(User).where(User.username == username, User.is_active.is_(True)))
        if user is None:
            raise NotFound("No user '{username}' in this city.", username=username)
    request.assignee_id = user.id if user else None
    request.updated_at = utcnow()
    audit.record(
        db,
        actor=actor,
        action="request.assigned",
        entity_type="service_request",
        entity_id=number,
        changes={"assignee": username},
    )
    return request


def notes_of(db: Session, city: City, *, number: int, public_only: bool) -> list[RequestNote]:
    request = get_request(db, city, number=number)
    stmt = (
        select(RequestNote)
        .where(RequestNote.request_id == request.id)
        .order_by(RequestNote.at, RequestNote.id)
    )
    if public_only:
        stmt = stmt.where(RequestNote.public.is_(True))
    return list(db.scalars(stmt))


def is_overdue(request: Listed, now: datetime | None = None) -> bool:
    return (
        Status(request.status) in OPEN_STATUSES
        and request.expected_at is not None
        and request.expected_at < (now or utcnow())
    )


@dataclass(frozen=True)
class CaseFilter:
    """What a member of staff asks of the queue."""

    statuses: list[Status] | None = None
    open_only: bool = False
    department: str | None = None
    assignee: str | None = None
    service_code: str | None = None
    overdue: bool = False
    text: str | None = None
    channel: str | None = None
    page: int = 1
    page_size: int = 50


def list_cases(
    db: Session, city: City, flt: CaseFilter, *, now: datetime | None = None
) -> tuple[list[Listed], int]:
    """One page of the queue, newest first, and the number of cases matching."""
    enter_city(db, city)
    stmt = select(*LIST_COLUMNS)
    if flt.statuses:
        stmt = stmt.where(ServiceRequest.status.in_([s.value for s in flt.statuses]))
    if flt.open_only or flt.overdue:
        stmt = stmt.where(ServiceRequest.status.in_([s.value for s in OPEN_STATUSES]))
    if flt.overdue:
        stmt = stmt.where(ServiceRequest.expected_at < (now or utcnow()))
    if flt.channel:
        stmt = stmt.where(ServiceRequest.channel == flt.channel)
    if flt.department:
        stmt = stmt.join(Department, ServiceRequest.department_id == Department.id).where(
            Department.code == flt.department
        )
    if flt.assignee:
        stmt = stmt.join(User, ServiceRequest.assignee_id == User.id).where(
            User.username == flt.assignee
        )
    if flt.service_code:
        stmt = stmt.join(Service, ServiceRequest.service_id == Service.id).where(
            Service.code == flt.service_code
        )
    if flt.text:
        needle = f"%{flt.text.lower()}%"
        conditions: list[ColumnElement[bool]] = [
            func.lower(ServiceRequest.description).like(needle),
            func.lower(ServiceRequest.address).like(needle),
        ]
        if (number := row_number(flt.text)) is not None:
            conditions.append(ServiceRequest.number == number)
        stmt = stmt.where(or_(*conditions))
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    page = (
        stmt.order_by(ServiceRequest.requested_at.desc(), ServiceRequest.id.desc())
        .offset((flt.page - 1) * flt.page_size)
        .limit(flt.page_size)
    )
    return _rows(db, page), int(total)


def queue_counts(db: Session, city: City, *, now: datetime | None = None) -> dict[str, int]:
    """Cases per status, and how many open ones are overdue (the queue's headline)."""
    enter_city(db, city)
    counts = {s.value: 0 for s in Status}
    for status, n in db.execute(
        select(ServiceRequest.status, func.count()).group_by(ServiceRequest.status)
    ):
        counts[status] = int(n)
    counts["open"] = sum(counts[s.value] for s in OPEN_STATUSES)
    counts["overdue"] = int(
        db.scalar(
            select(func.count()).where(
                ServiceRequest.status.in_([s.value for s in OPEN_STATUSES]),
                ServiceRequest.expected_at < (now or utcnow()),
            )
        )
        or 0
    )
    return counts


def usernames(db: Session, city: City, user_ids: set[int]) -> dict[int, str]:
    enter_city(db, city)
    if not user_ids:
        return {}
    return dict(db.execute(select(User.id, User.username).where(User.id.in_(user_ids))).all())


def file_request(
    db: Session, city: City, *, data: RequestCreate, actor: str, now: datetime | None = None
) -> ServiceRequest:
    """A member of staff files a request for a caller, a walk-in or an e-mail."""
    return create_request(db, city, data=data, filed_by=actor, now=now)


def stored_photo(media_root: Path, city: City, image: CleanImage) -> dict[str, Any]:
    """Write a checked photo to the media store; returns the columns of its row."""
    path, digest = store(media_root, city.id, image)
    return {
        "path": path,
        "sha256": digest,
        "content_type": image.content_type,
        "size": len(image.data),
        "width": image.width,
        "height": image.height,
    }


def link_photos(
    db: Session, city: City, request: ServiceRequest, *, photos: list[dict[str, Any]], actor: str
) -> list[RequestMedia]:
    """Link stored photos to the request, with one audit entry (in the caller's transaction)."""
    enter_city(db, city)
    if not photos:
        return []
    if request.id is None:
        db.flush()  # the photos need the request's id
    linked = [RequestMedia(request_id=request.id, **photo) for photo in photos]
    db.add_all(linked)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="request.photos_added",
        entity_type="service_request",
        entity_id=request.number,
        changes={"photos": [m.id for m in linked]},
    )
    return linked


def attach_photos(
    db: Session,
    city: City,
    request: ServiceRequest,
    *,
    images: list[CleanImage],
    media_root: Path,
    actor: str,
) -> list[RequestMedia]:
    """Store checked photos and link them to the request (in the caller's transaction)."""
    photos = [stored_photo(media_root, city, image) for image in images]
    return link_photos(db, city, request, photos=photos, actor=actor)


def photos_of(db: Session, city: City, request_ids: list[int]) -> dict[int, list[RequestMedia]]:
    enter_city(db, city)
    if not request_ids:
        return {}
    return _by_request(
        db.scalars(
            select(RequestMedia)
            .where(RequestMedia.request_id.in_(request_ids))
            .order_by(RequestMedia.id)
        )
    )


def get_photo(db: Session, city: City, *, number: int, media_id: int) -> RequestMedia:
    request = get_request(db, city, number=number)
    media = db.scalar(
        select(RequestMedia).where(
            RequestMedia.id == media_id, RequestMedia.request_id == request.id
        )
    )
    if media is None:
        raise NotFound("No photo {media_id} on request {number}.", media_id=media_id, number=number)
    return media


def public_updates(
    db: Session,
    city: City,
    *,
    start: datetime | None,
    end: datetime | None,
    now: datetime | None = None,
) -> list[tuple[ServiceRequest, RequestNote]]:
    """Public notes in a time range (at most 90 days; the last 90 days by default)."""
    enter_city(db, city)
    first, last = _date_range(start, end, now or utcnow())
    rows = db.execute(
        select(ServiceRequest, RequestNote)
        .join(RequestNote, RequestNote.request_id == ServiceRequest.id)
        .where(RequestNote.public.is_(True), RequestNote.at >= first, RequestNote.at <= last)
        .order_by(RequestNote.at, RequestNote.id)
        .limit(DEFAULT_LIMIT)
    ).all()
    return [(r, n) for r, n in rows]


def resident_update(
    db: Session,
    city: City,
    *,
    number: int,
    status_word: str,
    text: str,
    actor: str,
    now: datetime | None = None,
) -> RequestNote:
    """An update from a resident through an app: a comment; "fixed"/"closed" resolves an open
    request; "open"/"reopen" reopens a closed one. It is public and audited."""
    request = get_request(db, city, number=number)
    current = Status(request.status)
    word = status_word.lower()
    if word in ("fixed", "closed") and current in OPEN_STATUSES:
        change_status(
            db, city, number=number, status=Status.RESOLVED, actor=actor, note=text, now=now
        )
    elif word in ("open", "reopen") and current in CLOSED_STATUSES:
        change_status(
            db, city, number=number, status=Status.IN_PROGRESS, actor=actor, note=text, now=now
        )
    else:
        add_note(db, city, number=number, text=text, public=True, actor=actor, now=now)
    db.flush()
    note = db.scalar(
        select(RequestNote)
        .where(RequestNote.request_id == request.id)
        .order_by(RequestNote.id.desc())
        .limit(1)
    )
    assert note is not None
    return note


def managers_for(db: Session, city: City, department_id: int) -> list[User]:
    """Active managers of the department, else every active manager of the city."""
    enter_city(db, city)
    managers = [
        u
        for u in db.scalars(select(User).where(User.is_active.is_(True)).order_by(User.id))
        if "manager" in u.roles
    ]
    own = [u for u in managers if u.department_id == department_id]
    return own or managers


def escalate_overdue(session_factory: Callable[[], Session], *, now: datetime | None = None) -> int:
    """A system job: open cases past their deadline are escalated once, city by city —
    marked, audited, and their managers told by e-mail."""
    now = now or utcnow()
    with session_factory() as db:
        bind_all_cities(db)
        due = db.execute(
            select(ServiceRequest.tenant_id, ServiceRequest.number).where(
                ServiceRequest.status.in_([s.value for s in OPEN_STATUSES]),
                ServiceRequest.expected_at < now,
                ServiceRequest.escalated_at.is_(None),
            )
        ).all()
    by_city: dict[int, list[int]] = {}
    for tenant_id, number in due:
        by_city.setdefault(tenant_id, []).append(number)
    escalated = 0
    for city_id, numbers in by_city.items():
        with session_factory() as db:
            city = db.get(City, city_id)
            assert city is not None
            for number in numbers:
                request = get_request(db, city, number=number)
                if request.escalated_at is None:
                    _escalate(db, city, request, now)
                    escalated += 1
            db.commit()
    return escalated


def _escalate(db: Session, city: City, request: ServiceRequest, now: datetime) -> None:
    request.escalated_at = now
    audit.record(
        db,
        actor="system:escalation",
        action="request.escalated",
        entity_type="service_request",
        entity_id=request.number,
        changes={"expected_at": request.expected_at.isoformat() if request.expected_at else None},
    )
    for manager in managers_for(db, city, request.department_id):
        if not manager.email:
            continue
        lang = manager.language if manager.language in city.languages else city.default_language
        service_name = pick(request.service.name, lang, city.default_language)
        enqueue_email(
            db,
            city,
            dedupe_key=f"request:{request.number}:escalated:{manager.id}",
            recipient=manager.email,
            subject=translate(
                lang,
                "Overdue: request {number} ({service})",
                number=request.number,
                service=service_name,
            ),
            body=translate(
                lang,
                "Request {number} ({service}) is past its target time and still {status}.",
                number=request.number,
                service=service_name,
                status=translate(lang, STATUS_LABELS[Status(request.status)]),
            )
            + "\n",
            language=lang,
        )
