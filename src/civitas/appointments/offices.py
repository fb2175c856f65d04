"""Offices: written as YAML by an administrator, checked, saved with their counters and
services in one transaction; read back as their checked definition."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.appointments.models import Counter, Office, OfficeService
from civitas.appointments.schemas import OfficeDefinition
from civitas.catalogue.models import Service
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit
from civitas.core.db import utcnow
from civitas.core.documents import located, model_of, parse_yaml
from civitas.core.errors import InvalidInput, NotFound
from civitas.core.i18n import N_, NP_

REFUSED = NP_(
    "The office has {count} problem; nothing was saved.",
    "The office has {count} problems; nothing was saved.",
)


def read_source(db: Session, city: City, text: str) -> OfficeDefinition:
    """The YAML as an office, or InvalidInput with every problem and its line (a service
    code the catalogue does not know, a member of staff who does not exist)."""
    parsed = parse_yaml(
        text, expected=N_("Expected an office: a mapping with code, name, hours, counters, …")
    )
    office = model_of(parsed, OfficeDefinition, REFUSED)
    enter_city(db, city)
    known = set(db.scalars(select(Service.code)))
    problems = [
        located(
            parsed,
            ("services", i, "service"),
            N_("No service with code '{code}' in this city's catalogue."),
            code=s.service,
        )
        for i, s in enumerate(office.services)
        if s.service not in known
    ]
    if problems:
        raise InvalidInput(REFUSED, problems=problems, count=len(problems))
    return office


def save_office(db: Session, city: City, *, text: str, actor: str) -> Office:
    """Create or replace an office from its YAML: its counters and services follow the
    text (a counter left out is retired, not deleted: its tickets keep it)."""
    definition = read_source(db, city, text)
    office = db.scalar(select(Office).where(Office.code == definition.code))
    if office is None:
        office = Office(code=definition.code, name={}, address="", lat=0, lon=0, source="")
        office.definition = {}
        db.add(office)
    office.name = {str(k): v for k, v in definition.name.items()}
    office.address = definition.address
    office.lat, office.lon = definition.lat, definition.lon
    office.source = text
    office.definition = definition.model_dump(mode="json")
    office.updated_at = utcnow()
    office.updated_by = actor
    db.flush()
    counters = {
        c.code: c for c in db.scalars(select(Counter).where(Counter.office_id == office.id))
    }
    for position, spec in enumerate(definition.counters):
        counter = counters.pop(spec.code, None)
        if counter is None:
            counter = Counter(office_id=office.id, code=spec.code)
            db.add(counter)
        counter.name = {str(k): v for k, v in spec.name.items()}
        counter.position = position
        counter.services = list(spec.services)
        counter.appointments = spec.appointments
        counter.active = True
    for retired in counters.values():
        retired.active = False
    services = {s.code: s.id for s in db.scalars(select(Service))}
    offered = {
        o.service_id: o
        for o in db.scalars(select(OfficeService).where(OfficeService.office_id == office.id))
    }
    for spec_service in definition.services:
        service_id = services[spec_service.service]
        row = offered.pop(service_id, None)
        if row is None:
            row = OfficeService(office_id=office.id, service_id=service_id)
            db.add(row)
        row.minutes = spec_service.minutes
        row.staff = list(spec_service.staff)
        row.letter = spec_service.letter
    for gone in offered.values():
        db.delete(gone)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="office.saved",
        entity_type="appointment_office",
        entity_id=definition.code,
        changes={"counters": len(definition.counters), "services": len(definition.services)},
    )
    return office


def offices(db: Session, city: City) -> list[Office]:
    enter_city(db, city)
    return list(db.scalars(select(Office).order_by(Office.code)))


def office_by_code(db: Session, city: City, code: str) -> Office:
    enter_city(db, city)
    found = db.scalar(select(Office).where(Office.code == code))
    if found is None:
        raise NotFound("No office with code '{code}' in this city.", code=code)
    return found


@functools.lru_cache(maxsize=256)
def _definition(office_id: int, stamp: str, raw: str) -> OfficeDefinition:
    return OfficeDefinition.model_validate_json(raw)


def definition_of(office: Office) -> OfficeDefinition:
    """The office's checked definition (parsed once per saved version)."""

    return _definition(office.id, office.updated_at.isoformat(), orjson.dumps(office.definition))


def counters_of(db: Session, city: City, office: Office) -> list[Counter]:
    enter_city(db, city)
    return list(
        db.scalars(
            select(Counter)
            .where(Counter.office_id == office.id, Counter.active.is_(True))
            .order_by(Counter.position)
        )
    )


def offered(db: Session, city: City, office: Office) -> list[tuple[OfficeService, Service]]:
    """The services the office offers, in the order its definition lists them."""
    enter_city(db, city)
    rows = db.execute(
        select(OfficeService, Service)
        .join(Service, Service.id == OfficeService.service_id)
        .where(OfficeService.office_id == office.id)
    ).all()
    order = {s.service: i for i, s in enumerate(definition_of(office).services)}
    return sorted(((o, s) for o, s in rows), key=lambda pair: order.get(pair[1].code, 999))


@dataclass(frozen=True)
class Offer:
    """What the queue needs of an office's service, as plain data (cached per saved
    version of the office: the queue asks on every call)."""

    service_id: int
    code: str
    minutes: int
    staff: tuple[str, ...]
    letter: str


_offers: dict[tuple[int, str], dict[int, Offer]] = {}


def offers(db: Session, city: City, office: Office) -> dict[int, Offer]:
    """The office's services by service id (read once per saved version of the office)."""
    key = (office.id, office.updated_at.isoformat())
    found = _offers.get(key)
    if found is None:
        found = {
            s.id: Offer(s.id, s.code, o.minutes, tuple(o.staff), o.letter or "A")
            for o, s in offered(db, city, office)
        }
        if len(_offers) > 512:
            _offers.clear()
        _offers[key] = found
    return found


def offices_for_service(db: Session, city: City, code: str) -> list[Office]:
    enter_city(db, city)
    return list(
        db.scalars(
            select(Office)
            .join(OfficeService, OfficeService.office_id == Office.id)
            .join(Service, Service.id == OfficeService.service_id)
            .where(Service.code == code)
            .order_by(Office.code)
        )
    )
