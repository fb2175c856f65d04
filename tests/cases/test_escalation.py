"""Overdue cases are escalated once to their managers, by e-mail, and audited."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from civitas.accounts.models import User
from civitas.cases.models import ServiceRequest
from civitas.cases.service import escalate_overdue
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_factory, session_scope, utcnow
from civitas.core.tenancy import bind_all_cities
from civitas.notifications.models import OutboxMessage
from tests.factories import bearer


def test_overdue_case_is_escalated_once_to_the_manager(client, two_cities):
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        manager = db.scalar(select(User).where(User.username == "a-manager"))
        manager.email = "jefa@trujillo.example"
        request = db.scalar(select(ServiceRequest).where(ServiceRequest.number == 1))
        request.expected_at = utcnow() - timedelta(hours=3)
    assert escalate_overdue(session_factory()) == 1
    assert escalate_overdue(session_factory()) == 0  # once only
    with session_scope() as db:
        bind_all_cities(db)
        mails = [
            m for m in db.scalars(select(OutboxMessage)) if m.recipient == "jefa@trujillo.example"
        ]
    assert len(mails) == 1
    assert mails[0].subject.startswith("Vencida: solicitud 1")
    worker = bearer(client, "trujillo", "a-caseworker")
    case = client.get("/api/v1/cities/trujillo/requests/1", headers=worker).json()
    assert case["escalated_at"] is not None
    assert case["overdue"] is True
    audit = client.get("/api/v1/cities/trujillo/requests/1/audit", headers=worker).json()
    assert audit[-1]["action"] == "request.escalated"
    # the other city's case, not overdue, is untouched
    b = client.get(
        "/api/v1/cities/musterstadt/requests/1",
        headers=bearer(client, "musterstadt", "b-caseworker"),
    )
    assert b.json()["escalated_at"] is None


def test_closed_cases_are_never_escalated(client, two_cities):
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        request = db.scalar(select(ServiceRequest).where(ServiceRequest.number == 1))
        request.expected_at = utcnow() - timedelta(hours=3)
        request.status = "resolved"
    assert escalate_overdue(session_factory()) == 0
