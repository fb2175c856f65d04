"""Cases: open cases past their target time escalated to their department's managers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.accounts.models import User
from civitas.cases.models import ServiceRequest
from civitas.cases.queries import get_request
from civitas.cases.schemas import (
    OPEN_STATUSES,
    STATUS_LABELS,
    Status,
)
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit
from civitas.core.db import utcnow
from civitas.core.i18n import pick, translate
from civitas.core.tenancy import bind_all_cities
from civitas.notifications.service import enqueue_email


def managers_for(db: Session, city: City, department_id: int) -> list[User]:
    """Active managers of the department, else every active manager of the city."""
    enter_city(db, city)
    managers = [
        u
        for u in db.scalars(select(User).where(User.is_active.is_(True)).order_by(User.id))
        if "manager" in u.roles
    ]
    own = [u for u in managers if u.department_id == department_id]
    return own or managers


def escalate_overdue(session_factory: Callable[[], Session], *, now: datetime | None = None) -> int:
    """A system job: open cases past their deadline are escalated once, city by city —
    marked, audited, and their managers told by e-mail."""
    now = now or utcnow()
    with session_factory() as db:
        bind_all_cities(db)
        due = db.execute(
            select(ServiceRequest.tenant_id, ServiceRequest.number).where(
                ServiceRequest.status.in_([s.value for s in OPEN_STATUSES]),
                ServiceRequest.expected_at < now,
                ServiceRequest.escalated_at.is_(None),
                ServiceRequest.paused_at.is_(None),  # waiting for the resident
            )
        ).all()
    by_city: dict[int, list[int]] = {}
    for tenant_id, number in due:
        by_city.setdefault(tenant_id, []).append(number)
    escalated = 0
    for city_id, numbers in by_city.items():
        with session_factory() as db:
            city = db.get(City, city_id)
            assert city is not None
            for number in numbers:
                request = get_request(db, city, number=number)
                if request.escalated_at is None:
                    _escalate(db, city, request, now)
                    escalated += 1
            db.commit()
    return escalated


def _escalate(db: Session, city: City, request: ServiceRequest, now: datetime) -> None:
    request.escalated_at = now
    audit.record(
        db,
        actor="system:escalation",
        action="request.escalated",
        entity_type="service_request",
        entity_id=request.number,
        changes={"expected_at": request.expected_at.isoformat() if request.expected_at else None},
    )
    for manager in managers_for(db, city, request.department_id):
        if not manager.email:
            continue
        lang = manager.language if manager.language in city.languages else city.default_language
        service_name = pick(request.service.name, lang, city.default_language)
        enqueue_email(
            db,
            city,
            dedupe_key=f"request:{request.number}:escalated:{manager.id}",
            recipient=manager.email,
            subject=translate(
                lang,
                "Overdue: request {number} ({service})",
                number=request.number,
                service=service_name,
            ),
            body=translate(
                lang,
                "Request {number} ({service}) is past its target time and still {status}.",
                number=request.number,
                service=service_name,
                status=translate(lang, STATUS_LABELS[Status(request.status)]),
            )
            + "\n",
            language=lang,
        )
