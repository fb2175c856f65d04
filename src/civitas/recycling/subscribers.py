"""Recycling's event subscribers: a request for the recycling service becomes a pickup.

Registered when the manifest's modules are loaded; a city that turned recycling off
files such requests as plain cases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.cases.models import ServiceRequest
from civitas.cities.models import City
from civitas.core import events, plugins
from civitas.core.errors import Problem
from civitas.core.i18n import N_, NP_
from civitas.recycling.models import Pickup, Programme, RecyclingHousehold
from civitas.recycling.pickups import check_pickup, contact_of
from civitas.recycling.programme import _refuse

_PROGRAMME_SERVICE = select(Programme.service_code)  # built once: asked on every new request


@events.subscribe("case.created")
def on_case_created(*, db: Session, city: City, request: ServiceRequest, **_: Any) -> None:
    """A request for the recycling service becomes a pickup, or is refused whole."""
    if not plugins.enabled(city, "recycling"):
        return
    code = db.scalar(_PROGRAMME_SERVICE)  # no programme: nothing to do
    if not code or request.service.code != code:
        return
    ask, problems = check_pickup(
        db,
        city,
        lat=request.lat,
        lon=request.long,
        attributes=request.attributes,
        now=request.requested_at,
    )
    contact = contact_of(request)
    if contact is None:
        problems.append(
            Problem(
                "email",
                N_(
                    "Give an e-mail address or a phone number, so the picker can tell you when "
                    "they come."
                ),
            )
        )
    _refuse(
        NP_(
            "The pickup cannot be accepted: {count} problem.",
            "The pickup cannot be accepted: {count} problems.",
        ),
        problems,
    )
    assert ask is not None
    assert contact is not None
    assert request.lat is not None
    assert request.long is not None
    household = db.scalar(select(RecyclingHousehold).where(RecyclingHousehold.contact == contact))
    name = " ".join(n for n in (request.first_name, request.last_name) if n) or contact
    if household is None:
        household = RecyclingHousehold(
            contact=contact,
            name=name,
            address=request.address or "",
            lat=request.lat,
            lon=request.long,
            zone_id=ask.zone.id,
        )
        db.add(household)
    else:  # the household moved its point, or says where now
        household.lat, household.lon, household.zone_id = request.lat, request.long, ask.zone.id
        household.address = request.address or household.address
    db.flush()
    pickup = Pickup(
        request_id=request.id,
        household_id=household.id,
        zone_id=ask.zone.id,
        lat=request.lat,
        lon=request.long,
        day=ask.day,
        window_start=ask.window_start,
        window_end=ask.window_end,
        materials=ask.materials,
        estimated_g=ask.estimated_g,
    )
    db.add(pickup)
    db.flush()
