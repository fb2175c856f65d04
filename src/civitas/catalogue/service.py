"""Queries and commands for the catalogue. Plain functions, the city first."""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civitas.catalogue.models import Service
from civitas.catalogue.schemas import ServiceIn
from civitas.cities.models import City, Department
from civitas.cities.schemas import DepartmentCreate, DepartmentUpdate
from civitas.cities.service import create_department, enter_city, update_department
from civitas.core import audit, channels
from civitas.core.errors import Conflict, InvalidInput, NotFound, Problem
from civitas.core.i18n import N_, NP_


def service_fields(data: ServiceIn) -> dict[str, Any]:
    """The model's columns from a validated service (the department is resolved apart)."""
    dumped = data.model_dump(mode="json", exclude={"department", "open311", "code"})
    dumped["open311_type"] = data.open311.type
    dumped["eligibility"] = dumped.get("eligibility") or {}
    dumped["keywords"] = list(data.open311.keywords)
    dumped["group"] = data.open311.group
    dumped["attributes"] = [a.model_dump(mode="json") for a in data.open311.attributes]
    return dumped


def service_to_schema(service: Service) -> ServiceIn:
    return ServiceIn.model_validate(
        {
            "code": service.code,
            "name": service.name,
            "description": service.description,
            "category": service.category,
            "life_situation": service.life_situation,
            "channels": service.channels,
            "department": service.department.code,
            "fees": service.fees,
            "eligibility": service.eligibility or None,
            "documents": service.documents,
            "legal_basis": service.legal_basis,
            "target_hours": service.target_hours,
            "opening_hours": service.opening_hours,
            "open311": {
                "type": service.open311_type,
                "keywords": service.keywords,
                "group": service.group,
                "attributes": service.attributes,
            },
            "published": service.published,
            "at_home": service.at_home,
            "public_location": service.public_location,
        }
    )


def list_services(
    db: Session,
    city: City,
    *,
    include_unpublished: bool = False,
    category: str | None = None,
) -> list[Service]:
    enter_city(db, city)
    stmt = select(Service).order_by(Service.category, Service.code)
    if not include_unpublished:
        stmt = stmt.where(Service.published.is_(True))
    if category:
        stmt = stmt.where(Service.category == category)
    return list(db.scalars(stmt).unique())


def get_service(
    db: Session, city: City, *, code: str, include_unpublished: bool = False
) -> Service:
    enter_city(db, city)
    service = db.scalar(select(Service).where(Service.code == code))
    if service is None or (not service.published and not include_unpublished):
        raise NotFound("No service with code '{code}' in this city.", code=code)
    return service


def check_service(
    city: City, data: ServiceIn, departments: dict[str, int], where: str
) -> list[Problem]:
    """Checks that need the city: a known department, fees in the city's currency."""
    problems = []
    if data.department not in departments:
        problems.append(
            Problem(
                f"{where}.department",
                "Unknown department '{code}'; create it first or list it under departments.",
                {"code": data.department},
            )
        )
    for i, fee in enumerate(data.fees):
        if fee.currency != city.currency:
            problems.append(
                Problem(
                    f"{where}.fees[{i}].currency",
                    "Fees are charged in the city's currency {expected}, not {given}.",
                    {"expected": city.currency, "given": fee.currency},
                )
            )
    return problems


def department_ids(db: Session, city: City) -> dict[str, int]:
    enter_city(db, city)
    # a list of (code, id) rows: dict() of the Result itself would read it as a mapping
    return dict(db.execute(select(Department.code, Department.id)).all())


def online_route(db: Session, city: City, code: str, claimed: list[str]) -> bool:
    """Whether residents can really use the service online: it takes Open311 requests
    (the request form), or a domain gives it a route (a published application form)."""
    return "open311" in claimed or code in channels.codes_with(db, city, "online")


def shown_channels(db: Session, city: City, service: Service) -> list[str]:
    """The channels a service claims that work today: "online" with a route, "phone" with
    a number, "office" with an address, "chatbot" once an assistant answers for it."""
    online = channels.codes_with(db, city, "online")
    shown = []
    for channel in service.channels:
        if channel == "online":
            works = service.is_open311 or service.code in online
        elif channel == "phone":
            works = bool(service.department.phone)
        elif channel == "office":
            works = bool(service.department.address)
        elif channel == "open311":
            works = True
        else:
            works = service.code in channels.codes_with(db, city, channel)
        if works:
            shown.append(channel)
    return shown


def save_service(db: Session, city: City, *, data: ServiceIn, actor: str) -> tuple[Service, bool]:
    """Create the service or replace it whole; returns it and whether it is new. A service
    may claim "online" only with a route (an Open311 service, or a published form)."""
    enter_city(db, city)
    departments = department_ids(db, city)
    problems = check_service(city, data, departments, "service")
    claimed = [str(c) for c in data.channels]
    if "online" in claimed and not online_route(db, city, data.code, claimed):
        problems.append(
            Problem(
                "channels",
                N_(
                    "'online' needs a route: publish the service's application form first "
                    "(Online applications: forms), or take requests for it (open311)."
                ),
            )
        )
    if problems:
        raise InvalidInput(
            NP_("The service has {count} problem.", "The service has {count} problems."),
            problems=problems,
            count=len(problems),
        )
    return _upsert(db, data, departments[data.department], actor)


def _upsert(db: Session, data: ServiceIn, department_id: int, actor: str) -> tuple[Service, bool]:
    fields = service_fields(data)
    service = db.scalar(select(Service).where(Service.code == data.code))
    created = service is None
    if service is None:
        service = Service(code=data.code, department_id=department_id, **fields)
        db.add(service)
        changes: dict[str, Any] = {"code": data.code}
    else:
        changes = {k: v for k, v in fields.items() if getattr(service, k) != v}
        if service.department_id != department_id:
            changes["department"] = data.department
        for key, value in fields.items():
            setattr(service, key, value)
        service.department_id = department_id
    db.flush()
    db.refresh(service)
    if created or changes:
        audit.record(
            db,
            actor=actor,
            action="service.created" if created else "service.updated",
            entity_type="service",
            entity_id=data.code,
            changes=changes,
        )
    return service, created


def delete_service(db: Session, city: City, *, code: str, actor: str) -> None:
    """Delete a service nothing refers to; one with requests can only be unpublished."""
    service = get_service(db, city, code=code, include_unpublished=True)
    try:
        with db.begin_nested():
            db.delete(service)
    except IntegrityError:
        raise Conflict(
            "The service '{code}' has requests and cannot be deleted; unpublish it instead.",
            code=code,
        ) from None
    audit.record(db, actor=actor, action="service.deleted", entity_type="service", entity_id=code)


def apply_import(
    db: Session,
    city: City,
    *,
    departments: list[DepartmentCreate],
    services: list[ServiceIn],
    actor: str,
) -> dict[str, int]:
    """Write already validated departments and services (the caller's transaction)."""
    enter_city(db, city)
    counts = {"departments_created": 0, "departments_updated": 0, "created": 0, "updated": 0}
    existing = department_ids(db, city)
    for dept in departments:
        if dept.code in existing:
            update_department(
                db,
                city,
                code=dept.code,
                data=DepartmentUpdate(**dept.model_dump(exclude={"code"})),
                actor=actor,
            )
            counts["departments_updated"] += 1
        else:
            create_department(db, city, data=dept, actor=actor)
            counts["departments_created"] += 1
    ids = department_ids(db, city)
    for data in services:
        _, created = _upsert(db, data, ids[data.department], actor)
        counts["created" if created else "updated"] += 1
    return counts


def fold(text: str) -> str:
    """Text for matching: lower case, accents removed (é → e, ü → u, ñ → n)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_services(db: Session, city: City, text: str) -> list[Service]:
    """Published services whose name, description or keywords contain every word of the
    text, in any of the city's languages, ignoring accents and case."""
    words = fold(text).split()
    services = list_services(db, city)
    if not words:
        return services

    def haystack(s: Service) -> str:
        parts = [*s.name.values(), *s.description.values(), *s.keywords, s.code]
        return fold(" ".join(parts))

    return [s for s in services if all(w in haystack(s) for w in words)]
