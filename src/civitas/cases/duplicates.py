"""Cases: duplicates found near a new request, and merging them into one case."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.cases.models import RequestFollower, ServiceRequest
from civitas.cases.queries import Near, get_request, within
from civitas.cases.schemas import (
    OPEN_STATUSES,
    Status,
)
from civitas.cases.statuses import change_status
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit
from civitas.core.errors import InvalidInput
from civitas.core.i18n import translate


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
    service_id: int | None,
    lat: float,
    lon: float,
    radius_m: float = 150.0,
    limit: int = 5,
    besides: int | None = None,
) -> list[ServiceRequest]:
    """Open requests for a service (``None``: of any) near a point, oldest first (offered
    to a reporter before filing, to staff for merging, and on a case's map)."""
    enter_city(db, city)
    stmt = (
        select(ServiceRequest)
        .where(
            ServiceRequest.status.in_([s.value for s in OPEN_STATUSES]),
            within(Near(lat, lon, radius_m)),
        )
        .order_by(ServiceRequest.requested_at)
        .limit(limit)
    )
    if service_id is not None:
        stmt = stmt.where(ServiceRequest.service_id == service_id)
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
