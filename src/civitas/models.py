"""Every model, imported once so that ``Base.metadata`` is complete (Alembic, tests)."""

from civitas.accounts.models import ApiKey, AuthToken, LoginFailure, User
from civitas.cases.models import (
    ReportDraft,
    RequestFollower,
    RequestMedia,
    RequestNote,
    RoutingRule,
    ServiceRequest,
)
from civitas.catalogue.models import Service
from civitas.cities.models import City, Department
from civitas.core.audit import AuditEntry
from civitas.core.db import Base
from civitas.core.idempotency import IdempotencyRecord
from civitas.core.sequences import Counter
from civitas.notifications.models import OutboxMessage
from civitas.residents.models import ResidentAccount, ResidentToken

__all__ = [
    "ApiKey",
    "AuditEntry",
    "AuthToken",
    "Base",
    "City",
    "Counter",
    "Department",
    "IdempotencyRecord",
    "LoginFailure",
    "OutboxMessage",
    "ReportDraft",
    "RequestFollower",
    "RequestMedia",
    "RequestNote",
    "ResidentAccount",
    "ResidentToken",
    "RoutingRule",
    "Service",
    "ServiceRequest",
    "User",
]
