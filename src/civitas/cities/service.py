"""Queries and commands for cities and departments. Plain functions, the city first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.cities.models import City, Department
from civitas.cities.schemas import CityCreate, DepartmentCreate, DepartmentUpdate
from civitas.core import audit, plugins
from civitas.core.errors import Conflict, InvalidInput, NotFound, Problem
from civitas.core.i18n import N_
from civitas.core.tenancy import bind_city


def list_cities(db: Session) -> list[City]:
    return list(db.scalars(select(City).order_by(City.name)))


def get_city_by_slug(db: Session, slug: str) -> City:
    city = db.scalar(select(City).where(City.slug == slug))
    if city is None:
        raise NotFound("No city '{slug}' is served here.", slug=slug)
    return city


def get_city_by_jurisdiction(db: Session, jurisdiction_id: str) -> City:
    city = db.scalar(select(City).where(City.jurisdiction_id == jurisdiction_id))
    if city is None:
        raise NotFound(
            "No city has the jurisdiction_id '{jurisdiction_id}'.",
            jurisdiction_id=jurisdiction_id,
        )
    return city


def enter_city(db: Session, city: City) -> City:
    """Bind the session to the city: all later reads and writes are scoped to it."""
    bind_city(db, city.id)
    return city


def create_city(db: Session, data: CityCreate) -> City:
    clash = db.scalar(
        select(City).where(
            (City.slug == data.slug) | (City.jurisdiction_id == data.jurisdiction_id)
        )
    )
    if clash is not None:
        raise Conflict(
            "A city with slug '{slug}' or jurisdiction_id '{jurisdiction_id}' exists already.",
            slug=data.slug,
            jurisdiction_id=data.jurisdiction_id,
        )
    city = City(
        **data.model_dump(exclude={"extent"}),
        **data.extent.model_dump(),
    )
    db.add(city)
    db.flush()
    return city


def list_departments(db: Session, city: City) -> list[Department]:
    enter_city(db, city)
    return list(db.scalars(select(Department).order_by(Department.code)))


def get_department(db: Session, city: City, *, code: str) -> Department:
    enter_city(db, city)
    dept = db.scalar(select(Department).where(Department.code == code))
    if dept is None:
        raise NotFound("No department '{code}' in this city.", code=code)
    return dept


def create_department(db: Session, city: City, *, data: DepartmentCreate, actor: str) -> Department:
    enter_city(db, city)
    if db.scalar(select(Department.id).where(Department.code == data.code)) is not None:
        raise Conflict("A department with code '{code}' exists already.", code=data.code)
    dept = Department(**data.model_dump())
    db.add(dept)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="department.created",
        entity_type="department",
        entity_id=data.code,
        changes=data.model_dump(mode="json"),
    )
    return dept


def update_department(
    db: Session, city: City, *, code: str, data: DepartmentUpdate, actor: str
) -> Department:
    dept = get_department(db, city, code=code)
    asked = data.model_dump(exclude_unset=True, mode="json")
    changes = {k: v for k, v in asked.items() if getattr(dept, k) != v}
    if not changes:
        return dept
    for key, value in changes.items():
        setattr(dept, key, value)
    audit.record(
        db,
        actor=actor,
        action="department.updated",
        entity_type="department",
        entity_id=code,
        changes=changes,
    )
    return dept


def domain_states(city: City) -> list[tuple[plugins.Domain, bool]]:
    """Every installed domain and whether it serves this city."""
    return [(domain, plugins.enabled(city, domain.name)) for domain in plugins.domains()]


def switch_domain(db: Session, city: City, *, name: str, on: bool, actor: str) -> bool:
    """Turn an optional domain on or off for the city (audited); answers whether it
    changed. Its pages and API then answer 404 for the city, its links, panels and KPIs
    disappear and its jobs skip the city; its data stays, to be back when it is on."""
    try:
        domain = plugins.domain(name)
    except KeyError:
        raise InvalidInput(
            N_("There is no such part of Civitas."),
            problems=[
                Problem(
                    "name",
                    N_("{name} is not installed; choose one of: {expected}."),
                    {
                        "name": name,
                        "expected": ", ".join(d.name for d in plugins.optional_domains()),
                    },
                )
            ],
        ) from None
    if not domain.optional:
        raise InvalidInput(
            N_("This part of Civitas cannot be turned off."),
            problems=[
                Problem(
                    "name",
                    N_("{name} is part of every city; only these can be turned off: {expected}."),
                    {
                        "name": name,
                        "expected": ", ".join(d.name for d in plugins.optional_domains()),
                    },
                )
            ],
        )
    off = list(city.disabled_domains or [])
    if (name not in off) == on:
        return False
    city.disabled_domains = [d for d in off if d != name] if on else [*off, name]
    audit.record(
        db,
        actor=actor,
        action="city.domain_switched",
        entity_type="city",
        entity_id=city.slug,
        changes={"domain": name, "enabled": on},
    )
    return True


def each_city(domain: str, work: Callable[[Session, City, datetime], int]) -> int:
    """A domain's job: ``work`` for every city that runs ``domain``, each city in its own
    transaction (the session bound to it); returns the sum of what ``work`` counted."""
    from civitas.core.db import session_scope, utcnow
    from civitas.core.tenancy import bind_all_cities

    with session_scope() as db:
        bind_all_cities(db)
        cities = [c for c in db.scalars(select(City)) if plugins.enabled(c, domain)]
    count = 0
    for city in cities:
        with session_scope() as db:
            city = db.merge(city, load=False)
            enter_city(db, city)
            count += work(db, city, utcnow())
    return count
