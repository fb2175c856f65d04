from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request, status

from civitas.accounts.service import Principal
from civitas.cities import service
from civitas.cities.schemas import (
    CityRead,
    DepartmentCreate,
    DepartmentRead,
    DepartmentUpdate,
    DomainState,
    DomainSwitch,
)
from civitas.core.i18n import translate
from civitas.core.permissions import Permission
from civitas.web.deps import CurrentCity, DbSession, Requires
from civitas.web.routers import Router

router = Router(prefix="/api/v1", tags=["cities"])


@router.get("/cities", response_model=list[CityRead], summary="Cities served by this deployment")
def list_cities(db: DbSession) -> list[CityRead]:
    return [CityRead.model_validate(c) for c in service.list_cities(db)]


@router.get("/cities/{city}", response_model=CityRead)
def get_city(city: CurrentCity) -> CityRead:
    return CityRead.model_validate(city)


@router.get("/cities/{city}/departments", response_model=list[DepartmentRead])
def list_departments(
    city: CurrentCity,
    db: DbSession,
    _: Annotated[Principal, Requires(Permission.CITY_DEPARTMENT_READ)],
) -> list[DepartmentRead]:
    return [DepartmentRead.model_validate(d) for d in service.list_departments(db, city)]


@router.post(
    "/cities/{city}/departments", response_model=DepartmentRead, status_code=status.HTTP_201_CREATED
)
def create_department(
    city: CurrentCity,
    db: DbSession,
    data: DepartmentCreate,
    principal: Annotated[Principal, Requires(Permission.CITY_DEPARTMENT_WRITE)],
) -> DepartmentRead:
    dept = service.create_department(db, city, data=data, actor=principal.label)
    db.commit()
    return DepartmentRead.model_validate(dept)


@router.patch("/cities/{city}/departments/{code}", response_model=DepartmentRead)
def update_department(
    city: CurrentCity,
    db: DbSession,
    code: str,
    data: DepartmentUpdate,
    principal: Annotated[Principal, Requires(Permission.CITY_DEPARTMENT_WRITE)],
) -> DepartmentRead:
    dept = service.update_department(db, city, code=code, data=data, actor=principal.label)
    db.commit()
    return DepartmentRead.model_validate(dept)


def _states(city: CurrentCity, lang: str) -> list[DomainState]:
    return [
        DomainState(
            name=domain.name,
            title=translate(lang, domain.title),
            optional=domain.optional,
            enabled=on,
        )
        for domain, on in service.domain_states(city)
    ]


@router.get(
    "/cities/{city}/domains",
    response_model=list[DomainState],
    summary="The parts of Civitas this city runs (optional ones can be turned off)",
)
def list_domains(
    request: Request,
    city: CurrentCity,
    _: Annotated[Principal, Requires(Permission.CITY_SETTINGS_READ)],
) -> list[DomainState]:
    return _states(city, request.state.lang)


@router.put("/cities/{city}/domains/{name}", response_model=DomainState)
def switch_domain(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    name: Annotated[str, Path(max_length=60)],
    data: DomainSwitch,
    principal: Annotated[Principal, Requires(Permission.CITY_SETTINGS_WRITE)],
) -> DomainState:
    """Turn an optional domain on or off for the city: when off, its pages and API answer
    404 here, its links, panels and KPIs disappear and its jobs skip the city. Sending the
    same state again changes nothing."""
    service.switch_domain(db, city, name=name, on=data.enabled, actor=principal.label)
    db.commit()
    return next(s for s in _states(city, request.state.lang) if s.name == name)
