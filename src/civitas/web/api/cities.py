from __future__ import annotations

from typing import Annotated

from fastapi import status

from civitas.accounts.service import Principal
from civitas.cities import service
from civitas.cities.schemas import CityRead, DepartmentCreate, DepartmentRead, DepartmentUpdate
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
