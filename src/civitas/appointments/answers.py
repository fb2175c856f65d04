"""What appointments answer for other domains (the resident assistant): where a service
can be booked, and the offices that offer it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from civitas.appointments.offices import offices_for_service
from civitas.cities.models import City
from civitas.core import lookups


@lookups.answer("service.booking", "appointments")
def booking(db: Session, city: City, *, code: str) -> dict[str, Any] | None:
    """The booking page of a service and the offices offering it (None: none does)."""
    offices = offices_for_service(db, city, code)
    if not offices:
        return None
    return {
        "url": "/appointments/book?" + urlencode({"service": code}),
        "offices": [{"code": o.code, "name": o.name, "address": o.address} for o in offices],
    }
