"""Routing rules: which department handles requests in an area."""

from __future__ import annotations

from typing import Annotated

from fastapi import Response, status

from civitas.accounts.service import Principal
from civitas.cases import routing
from civitas.cases.schemas import RoutingRuleIn, RoutingRuleRead
from civitas.core.permissions import Permission
from civitas.web.deps import CurrentCity, DbSession, Requires, RowId
from civitas.web.routers import Router

router = Router(prefix="/api/v1/cities/{city}/routing-rules", tags=["cases"])


@router.get("", response_model=list[RoutingRuleRead])
def list_rules(
    city: CurrentCity,
    db: DbSession,
    _: Annotated[Principal, Requires(Permission.CITY_DEPARTMENT_READ)],
) -> list[RoutingRuleRead]:
    return routing.list_rules(db, city)


@router.post("", response_model=RoutingRuleRead, status_code=status.HTTP_201_CREATED)
def create_rule(
    city: CurrentCity,
    db: DbSession,
    data: RoutingRuleIn,
    principal: Annotated[Principal, Requires(Permission.CITY_DEPARTMENT_WRITE)],
) -> RoutingRuleRead:
    """Send requests located in an area (optionally of one service) to a department."""
    rule = routing.create_rule(db, city, data=data, actor=principal.label)
    db.commit()
    return rule


@router.delete("/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_rule(
    city: CurrentCity,
    db: DbSession,
    rule_id: RowId,
    principal: Annotated[Principal, Requires(Permission.CITY_DEPARTMENT_WRITE)],
) -> Response:
    routing.delete_rule(db, city, rule_id=rule_id, actor=principal.label)
    db.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
