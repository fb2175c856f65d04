"""What public transport reads of the domains it requires: the address register's
points (places) and the requests about transport (cases, by the catalogue's category)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civitas.cases.models import ServiceRequest
from civitas.catalogue.models import Service
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.places.models import Address

TRANSPORT = "transport"  # the catalogue's category of transport services


def address_points(db: Session, city: City) -> list[tuple[float, float]]:
    """The register's addresses as points (public data: no person is named)."""
    enter_city(db, city)
    return [(float(a), float(b)) for a, b in db.execute(select(Address.lat, Address.lon))]


def transport_requests(db: Session, city: City, start: datetime, end: datetime) -> int:
    """Requests filed in [start, end) for a service of the transport category."""
    enter_city(db, city)
    return int(
        db.scalar(
            select(func.count())
            .select_from(ServiceRequest)
            .join(Service, Service.id == ServiceRequest.service_id)
            .where(
                Service.category == TRANSPORT,
                ServiceRequest.requested_at >= start,
                ServiceRequest.requested_at < end,
            )
        )
        or 0
    )
