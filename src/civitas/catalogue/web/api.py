from __future__ import annotations

from typing import Annotated

from fastapi import Body, Query, Request, Response, status

from civitas.accounts.service import Principal
from civitas.catalogue import service
from civitas.catalogue.formats import MEDIA_TYPES, ExportFormat, export_catalogue
from civitas.catalogue.importer import import_catalogue
from civitas.catalogue.permissions import CataloguePermission
from civitas.catalogue.schemas import ServiceIn, ServiceRead
from civitas.core.errors import InvalidInput, PermissionDenied
from civitas.web.deps import AppSettings, CurrentCity, DbSession, OptionalPrincipal, Requires
from civitas.web.routers import Router

router = Router(prefix="/api/v1/cities/{city}", tags=["catalogue"])


def _may_see_unpublished(principal: Principal | None, asked: bool) -> bool:
    if not asked:
        return False
    if principal is None or not principal.can(
        CataloguePermission.CATALOGUE_SERVICE_READ_UNPUBLISHED
    ):
        raise PermissionDenied(
            "Your role does not allow this ({permission}).",
            permission=str(CataloguePermission.CATALOGUE_SERVICE_READ_UNPUBLISHED),
        )
    return True


@router.get("/services", response_model=list[ServiceRead], summary="The city's service catalogue")
def list_services(
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    category: str | None = None,
    include_unpublished: bool = False,
) -> list[ServiceRead]:
    unpublished = _may_see_unpublished(principal, include_unpublished)
    return [
        ServiceRead.model_validate(service.service_to_schema(s).model_dump())
        for s in service.list_services(db, city, include_unpublished=unpublished, category=category)
    ]


@router.get(
    "/services/export",
    summary="Export as CPSV-AP 3.2 JSON-LD, Open311 or YAML",
    responses={
        200: {
            "description": "The catalogue in the format asked for",
            "content": {
                MEDIA_TYPES["cpsv-ap"]: {"schema": {"type": "object"}},
                MEDIA_TYPES["open311"]: {"schema": {"type": "array"}},
                MEDIA_TYPES["yaml"]: {"schema": {"type": "object"}},
            },
        }
    },
)
def export(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    settings: AppSettings,
    format: Annotated[ExportFormat, Query()] = "cpsv-ap",
    include_unpublished: bool = False,
) -> Response:
    unpublished = _may_see_unpublished(principal, include_unpublished)
    body = export_catalogue(
        db,
        city,
        fmt=format,
        base_url=settings.public_url,
        lang=request.state.lang,
        include_unpublished=unpublished,
    )
    return Response(body, media_type=MEDIA_TYPES[format] + "; charset=utf-8")


@router.post("/services/import", summary="Import a catalogue file; all or nothing")
def import_services(
    city: CurrentCity,
    db: DbSession,
    principal: Annotated[Principal, Requires(CataloguePermission.CATALOGUE_SERVICE_IMPORT)],
    body: Annotated[str, Body(media_type="text/plain")],
    format: Annotated[str, Query(pattern="^(yaml|csv)$")] = "yaml",
) -> dict[str, int]:
    counts = import_catalogue(db, city, text=body, fmt=format, actor=principal.label)
    db.commit()
    return counts


@router.get("/services/{code}", response_model=ServiceRead)
def get_service(
    city: CurrentCity, db: DbSession, principal: OptionalPrincipal, code: str
) -> ServiceRead:
    visible = principal is not None and principal.can(
        CataloguePermission.CATALOGUE_SERVICE_READ_UNPUBLISHED
    )
    found = service.get_service(db, city, code=code, include_unpublished=visible)
    return ServiceRead.model_validate(service.service_to_schema(found).model_dump())


@router.put(
    "/services/{code}",
    response_model=ServiceRead,
    responses={201: {"model": ServiceRead, "description": "Created"}},
)
def put_service(
    response: Response,
    city: CurrentCity,
    db: DbSession,
    code: str,
    data: ServiceIn,
    principal: Annotated[Principal, Requires(CataloguePermission.CATALOGUE_SERVICE_WRITE)],
) -> ServiceRead:
    """Create the service or replace it whole."""
    if data.code != code:
        raise InvalidInput(
            "The code in the body ({body}) differs from the code in the address ({path}).",
            body=data.code,
            path=code,
        )
    saved, created = service.save_service(db, city, data=data, actor=principal.label)
    db.commit()
    if created:
        response.status_code = status.HTTP_201_CREATED
    return ServiceRead.model_validate(service.service_to_schema(saved).model_dump())


@router.delete("/services/{code}", status_code=status.HTTP_204_NO_CONTENT)
def delete_service(
    city: CurrentCity,
    db: DbSession,
    code: str,
    principal: Annotated[Principal, Requires(CataloguePermission.CATALOGUE_SERVICE_WRITE)],
) -> Response:
    service.delete_service(db, city, code=code, actor=principal.label)
    db.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
