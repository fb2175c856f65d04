"""Cases: finding requests (by number, token, place, time, status) for the APIs and the queue."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from civitas.accounts.models import User
from civitas.cases import publicity
from civitas.cases.models import RequestMedia, RequestNote, ServiceRequest
from civitas.cases.schemas import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Status,
)
from civitas.catalogue.models import Service
from civitas.cities.models import City, Department
from civitas.cities.service import enter_city
from civitas.core.db import row_number, utcnow
from civitas.core.errors import InvalidInput, NotFound, Problem
from civitas.core.i18n import N_

MAX_RANGE = timedelta(days=90)


DEFAULT_LIMIT = 1000


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
    ServiceRequest.waiting_for,
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
    if query.public:  # an application is nobody else's business
        stmt = stmt.where(ServiceRequest.private.is_(False))
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


class _OfRequest(Protocol):
    request_id: int


RowT = TypeVar("RowT", bound=_OfRequest)


def _by_request(rows: Iterable[RowT]) -> dict[int, list[RowT]]:
    found: dict[int, list[RowT]] = {}
    for row in rows:
        found.setdefault(row.request_id, []).append(row)
    return found


def is_overdue(request: Listed, now: datetime | None = None) -> bool:
    """Open past its deadline, and not waiting for the resident (whose deadline stands)."""
    return (
        getattr(request, "waiting_for", None) is None
        and Status(request.status) in OPEN_STATUSES
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
    # a column of SORTS in its natural order (newest received, nearest due first …), or
    # with a "-" before it the other way round
    sort: str = "received"
    page: int = 1
    page_size: int = 50


# the queue's sortable columns and whether each runs descending when first asked for
SORTS: dict[str, tuple[Any, bool]] = {
    "number": (ServiceRequest.number, True),
    "status": (
        case({st.value: i for i, st in enumerate(Status)}, value=ServiceRequest.status, else_=99),
        False,
    ),
    "due": (ServiceRequest.expected_at, False),
    "received": (ServiceRequest.requested_at, True),
}


def sort_of(asked: str) -> tuple[str, bool] | None:
    """A sort asked for as (column, descending), or None when there is no such column."""
    column = asked.removeprefix("-")
    if column not in SORTS:
        return None
    natural = SORTS[column][1]
    return column, natural != asked.startswith("-")


def queue_order(asked: str) -> list[Any]:
    """ORDER BY for a sort: the column (cases without a value last), then newest first."""
    column, descending = sort_of(asked) or ("received", True)
    expression = SORTS[column][0]
    first = expression.desc() if descending else expression.asc()
    return [first.nulls_last(), ServiceRequest.requested_at.desc(), ServiceRequest.id.desc()]


def list_cases(
    db: Session, city: City, flt: CaseFilter, *, now: datetime | None = None
) -> tuple[list[Listed], int]:
    """One page of the queue (newest first, or the nearest target time first), and the
    number of cases matching."""
    enter_city(db, city)
    stmt = select(*LIST_COLUMNS)
    if flt.statuses:
        stmt = stmt.where(ServiceRequest.status.in_([s.value for s in flt.statuses]))
    if flt.open_only or flt.overdue:
        stmt = stmt.where(ServiceRequest.status.in_([s.value for s in OPEN_STATUSES]))
    if flt.overdue:
        stmt = stmt.where(
            ServiceRequest.expected_at < (now or utcnow()), ServiceRequest.paused_at.is_(None)
        )
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
        stmt.order_by(*queue_order(flt.sort))
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
                ServiceRequest.paused_at.is_(None),
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
        .where(
            RequestNote.public.is_(True),
            RequestNote.at >= first,
            RequestNote.at <= last,
            ServiceRequest.private.is_(False),
        )
        .order_by(RequestNote.at, RequestNote.id)
        .limit(DEFAULT_LIMIT)
    ).all()
    return [(r, n) for r, n in rows]
