"""Queries and commands for cities and departments. Plain functions, the city first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.cities.models import City, Department
from civitas.cities.schemas import CityCreate, DepartmentCreate, DepartmentUpdate
from civitas.core import audit
from civitas.core.errors import Conflict, NotFound
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
