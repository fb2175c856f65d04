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
from civitas.core.background import Job
from civitas.core.db import Base
from civitas.core.idempotency import IdempotencyRecord
from civitas.core.sequences import Counter
from civitas.insight.models import (
    KpiValue,
    NetworkFigure,
    PageFeedback,
    ScorecardVersion,
    SurveyInvitation,
    SurveyResponse,
)
from civitas.notifications.models import OutboxMessage
from civitas.proactive.models import (
    Decision,
    OptOut,
    Parameter,
    Payment,
    Rule,
    RuleRun,
    RuleVersion,
)
from civitas.recycling.models import (
    Absence,
    Allocation,
    Association,
    Buyer,
    BuyerPrice,
    CollectedWeight,
    Material,
    Picker,
    Pickup,
    PlanRun,
    Programme,
    RecyclingHousehold,
    Sale,
    SaleLine,
    Zone,
)
from civitas.register.models import (
    AccessLogEntry,
    Address,
    Household,
    LifeEvent,
    Person,
    PersonState,
    Relation,
)
from civitas.residents.models import ResidentAccount, ResidentToken

__all__ = [
    "Absence",
    "AccessLogEntry",
    "Address",
    "Allocation",
    "ApiKey",
    "Association",
    "AuditEntry",
    "AuthToken",
    "Base",
    "Buyer",
    "BuyerPrice",
    "City",
    "CollectedWeight",
    "Counter",
    "Decision",
    "Department",
    "Household",
    "IdempotencyRecord",
    "Job",
    "KpiValue",
    "LifeEvent",
    "LoginFailure",
    "Material",
    "NetworkFigure",
    "OptOut",
    "OutboxMessage",
    "PageFeedback",
    "Parameter",
    "Payment",
    "Person",
    "PersonState",
    "Picker",
    "Pickup",
    "PlanRun",
    "Programme",
    "RecyclingHousehold",
    "Relation",
    "ReportDraft",
    "RequestFollower",
    "RequestMedia",
    "RequestNote",
    "ResidentAccount",
    "ResidentToken",
    "RoutingRule",
    "Rule",
    "RuleRun",
    "RuleVersion",
    "Sale",
    "SaleLine",
    "ScorecardVersion",
    "Service",
    "ServiceRequest",
    "SurveyInvitation",
    "SurveyResponse",
    "User",
    "Zone",
]
