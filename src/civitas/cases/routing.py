"""Routing: which department handles a request — the service's own, unless a routing rule
for the place (and possibly the service) says otherwise."""

from __future__ import annotations

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from civitas.cases.models import RoutingRule
from civitas.cases.schemas import RoutingRuleIn, RoutingRuleRead
from civitas.catalogue.models import Service
from civitas.cities.models import City, Department
from civitas.cities.service import enter_city, get_department
from civitas.core import audit
from civitas.core.errors import InvalidInput, NotFound, Problem
from civitas.core.i18n import N_, NP_

# built once: every request with a point is routed
_BEST_RULE = (
    select(RoutingRule.department_id)
    .where(
        or_(RoutingRule.service_id == bindparam("service_id"), RoutingRule.service_id.is_(None)),
        RoutingRule.min_lat <= bindparam("lat"),
        RoutingRule.max_lat >= bindparam("lat"),
        RoutingRule.min_lon <= bindparam("lon"),
        RoutingRule.max_lon >= bindparam("lon"),
    )
    # a rule for this service beats a general one; then the higher priority
    .order_by(RoutingRule.service_id.is_(None), RoutingRule.priority.desc(), RoutingRule.id)
    .limit(1)
)


def route(db: Session, city: City, service: Service, lat: float | None, lon: float | None) -> int:
    """The department for a request: the best matching rule's, else the service's."""
    if lat is None or lon is None:
        return service.department_id
    enter_city(db, city)
    department_id = db.scalar(_BEST_RULE, {"service_id": service.id, "lat": lat, "lon": lon})
    return department_id if department_id is not None else service.department_id


def _read(
    rule: RoutingRule, services: dict[int, str], departments: dict[int, str]
) -> RoutingRuleRead:
    return RoutingRuleRead(
        id=rule.id,
        area=rule.area,
        service_code=services.get(rule.service_id) if rule.service_id else None,
        department=departments[rule.department_id],
        min_lat=rule.min_lat,
        min_lon=rule.min_lon,
        max_lat=rule.max_lat,
        max_lon=rule.max_lon,
        priority=rule.priority,
    )


def list_rules(db: Session, city: City) -> list[RoutingRuleRead]:
    enter_city(db, city)
    rules = list(
        db.scalars(select(RoutingRule).order_by(RoutingRule.priority.desc(), RoutingRule.id))
    )
    services = dict(db.execute(select(Service.id, Service.code)).all())
    departments = dict(db.execute(select(Department.id, Department.code)).all())
    return [_read(r, services, departments) for r in rules]


def create_rule(db: Session, city: City, *, data: RoutingRuleIn, actor: str) -> RoutingRuleRead:
    enter_city(db, city)
    problems = []
    if data.min_lat >= data.max_lat or data.min_lon >= data.max_lon:
        problems.append(
            Problem(
                "max_lat",
                N_("The extent's minimum must be below its maximum (south-west corner first)."),
            )
        )
    elif not (
        city.contains(data.min_lat, data.min_lon) and city.contains(data.max_lat, data.max_lon)
    ):
        problems.append(
            Problem("min_lat", N_("The area must lie inside {city}."), {"city": city.name})
        )
    service_id = None
    if data.service_code:
        service_id = db.scalar(select(Service.id).where(Service.code == data.service_code))
        if service_id is None:
            problems.append(
                Problem(
                    "service_code",
                    N_("No service with code '{code}' in this city."),
                    {"code": data.service_code},
                )
            )
    if problems:
        raise InvalidInput(
            NP_("The routing rule has {count} problem.", "The routing rule has {count} problems."),
            problems=problems,
            count=len(problems),
        )
    department = get_department(db, city, code=data.department)
    rule = RoutingRule(
        area=data.area,
        service_id=service_id,
        department_id=department.id,
        min_lat=data.min_lat,
        min_lon=data.min_lon,
        max_lat=data.max_lat,
        max_lon=data.max_lon,
        priority=data.priority,
    )
    db.add(rule)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="routing_rule.created",
        entity_type="routing_rule",
        entity_id=rule.id,
        changes=data.model_dump(mode="json"),
    )
    return _read(
        rule,
        {service_id: data.service_code} if service_id and data.service_code else {},
        {department.id: department.code},
    )


def delete_rule(db: Session, city: City, *, rule_id: int, actor: str) -> None:
    enter_city(db, city)
    rule = db.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound("No routing rule {rule_id} in this city.", rule_id=rule_id)
    db.delete(rule)
    audit.record(
        db,
        actor=actor,
        action="routing_rule.deleted",
        entity_type="routing_rule",
        entity_id=rule_id,
    )
