"""Cases: a request comes in over any channel (checked, routed, numbered, announced)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from civitas.cases import alerts
from civitas.cases.attributes import check_attributes
from civitas.cases.models import ServiceRequest
from civitas.cases.routing import route
from civitas.cases.schemas import (
    RequestChannel,
    RequestCreate,
    Status,
)
from civitas.cases.statuses import notify_reporter
from civitas.catalogue.models import Service
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit, events
from civitas.core.db import utcnow
from civitas.core.errors import InvalidInput, NotFound, Problem
from civitas.core.i18n import N_, NP_
from civitas.core.sequences import next_value
from civitas.places import service as places


def _problems_or_raise(problems: list[Problem]) -> None:
    if problems:
        raise InvalidInput(
            NP_(
                "The request has {count} problem; nothing was stored.",
                "The request has {count} problems; nothing was stored.",
            ),
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
    private: bool = False,
) -> ServiceRequest:
    """Check everything, then store the request in the caller's transaction. Problems the
    caller found in the raw input come in ``earlier_problems`` and are reported together
    with these; ``location_given`` is false when the location fields themselves were wrong."""
    service = find_service_for_request(db, city, code=data.service_code, channel=data.channel)
    problems = list(earlier_problems or [])
    lat, long, address, address_id = data.lat, data.long, data.address_string, data.address_id
    if location_given:
        problems += check_location(city, data)
        if not problems:  # the register resolves an address_id or a typed address
            settled = places.settle(
                db, city, address=address, address_id=address_id, lat=lat, long=long
            )
            problems += settled.problems
            lat, long = settled.lat, settled.long
            address, address_id = settled.address, settled.address_id
    attributes, attribute_problems = check_attributes(service.attributes, data.attributes)
    given_attributes = {p.location for p in problems if p.location.startswith("attribute[")}
    problems += [p for p in attribute_problems if p.location not in given_attributes]
    _problems_or_raise(problems)
    now = now or utcnow()
    department_id = route(db, city, service, lat, long)
    # the counter takes the write lock: from here on only writes, up to the commit
    request = ServiceRequest(
        number=next_value(db, "service_request"),
        # a token for batch services (Open311) and where the caller wants a private link
        token=secrets.token_urlsafe(12) if token or service.open311_type == "batch" else None,
        service=service,  # set, not only its id: the answer and the e-mail need no reload
        status=Status.RECEIVED,
        channel=data.channel,
        description=data.description or None,
        lat=lat,
        long=long,
        address=address,
        address_id=address_id,
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
        private=private,
    )
    db.add(request)  # flushed with the rest of the transaction
    # a domain that owns the service (recycling pickups) adds its part or refuses the whole
    events.publish("case.created", db=db, city=city, request=request)
    notify_reporter(db, city, request, event="received")
    alerts.announce(db, city, request)  # residents who follow the area hear of it
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


def file_request(
    db: Session, city: City, *, data: RequestCreate, actor: str, now: datetime | None = None
) -> ServiceRequest:
    """A member of staff files a request for a caller, a walk-in or an e-mail."""
    return create_request(db, city, data=data, filed_by=actor, now=now)
