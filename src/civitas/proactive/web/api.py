"""The proactive services' JSON API: rules (check, save, read), decisions (read, review),
and batch runs (started as a background job: the web request never waits on a batch)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import Body, Query, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from civitas.accounts.service import Principal
from civitas.core.errors import InvalidInput, Problem
from civitas.core.i18n import N_
from civitas.proactive import service
from civitas.proactive.permissions import ProactivePermission
from civitas.proactive.rules import check_rule, get_rule, list_rules, rule_file_yaml, save_rule
from civitas.proactive.schemas import RuleIn
from civitas.proactive.tasks import proactive_run
from civitas.web.deps import CurrentCity, DbSession, Requires, RowId
from civitas.web.routers import Router

router = Router(prefix="/api/v1/cities/{city}/proactive", tags=["proactive"])

RuleWriter = Annotated[Principal, Requires(ProactivePermission.PROACTIVE_RULE_WRITE)]
DecisionReader = Annotated[Principal, Requires(ProactivePermission.PROACTIVE_DECISION_READ)]
Reviewer = Annotated[Principal, Requires(ProactivePermission.PROACTIVE_DECISION_REVIEW)]
Runner = Annotated[Principal, Requires(ProactivePermission.PROACTIVE_RUN_START)]


class RuleRead(BaseModel):
    code: str
    version: int
    active: bool
    definition: dict[str, Any]
    updated_at: datetime


class RuleCheck(BaseModel):
    ok: bool = True
    fields: list[str]
    parameters: list[str]


class DecisionRead(BaseModel):
    id: int
    rule: str
    rule_version: int
    person: str
    status: str
    mode: str
    period: str
    amount_minor: int | None
    currency: str | None
    evaluated_on: date
    trigger: str
    explanation: dict[str, Any]
    review_note: str | None
    payment_status: str | None
    created_at: datetime
    updated_at: datetime


class Review(BaseModel):
    outcome: Literal["grant", "offer", "withdraw"]
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class RunStart(BaseModel):
    on: date | None = None
    rules: list[str] = Field(default_factory=list)


def _decision(view: service.DecisionView) -> DecisionRead:
    d = view.decision
    return DecisionRead(
        id=d.id,
        rule=str(d.explanation.get("rule")),
        rule_version=int(d.explanation.get("version", 0)),
        person=view.register_number,
        status=d.status,
        mode=d.mode,
        period=d.period,
        amount_minor=d.amount_minor,
        currency=d.currency,
        evaluated_on=d.evaluated_on,
        trigger=d.trigger,
        explanation=d.explanation,
        review_note=d.review_note,
        payment_status=view.payment.status if view.payment else None,
        created_at=d.created_at,
        updated_at=d.updated_at,
    )


@router.get("/rules", response_model=list[RuleRead])
def rules(city: CurrentCity, db: DbSession, _: DecisionReader) -> list[RuleRead]:
    return [
        RuleRead(
            code=r.code,
            version=r.version,
            active=r.active,
            definition=v.definition,
            updated_at=r.updated_at,
        )
        for r, v in list_rules(db, city)
    ]


@router.get(
    "/rules.yaml",
    response_class=PlainTextResponse,
    responses={200: {"content": {"application/yaml": {"schema": {"type": "object"}}}}},
)
def rules_yaml(city: CurrentCity, db: DbSession, _: DecisionReader) -> PlainTextResponse:
    """The city's parameters and rules as one YAML file (the format `load-rules` takes)."""
    return PlainTextResponse(rule_file_yaml(db, city), media_type="application/yaml")


@router.get("/rules/{code}", response_model=RuleRead)
def rule(city: CurrentCity, db: DbSession, code: str, _: DecisionReader) -> RuleRead:
    r, v = get_rule(db, city, code)
    return RuleRead(
        code=r.code,
        version=r.version,
        active=r.active,
        definition=v.definition,
        updated_at=r.updated_at,
    )


@router.post("/rules/check", response_model=RuleCheck)
def check(city: CurrentCity, db: DbSession, data: RuleIn, _: RuleWriter) -> RuleCheck:
    """Check a rule without saving it: unknown names and type errors come back with their
    line and column."""
    compiled = check_rule(db, city, data)
    return RuleCheck(fields=sorted(compiled.fields()), parameters=sorted(compiled.parameters()))


@router.put("/rules/{code}", response_model=RuleRead)
def put_rule(
    city: CurrentCity, db: DbSession, code: str, data: RuleIn, principal: RuleWriter
) -> RuleRead:
    """Save a rule; a changed rule becomes a new version (decisions cite their version)."""
    if data.code != code:
        raise InvalidInput(
            "The code in the address and in the body differ.",
            problems=[Problem("code", N_("Use the code of the address: {code}."), {"code": code})],
        )
    save_rule(db, city, data=data, actor=principal.label)
    db.commit()
    return rule(city, db, code, principal)


@router.get("/decisions", response_model=list[DecisionRead])
def decisions(
    city: CurrentCity,
    db: DbSession,
    _: DecisionReader,
    status_: Annotated[list[str] | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[DecisionRead]:
    """Decisions, newest change first (``status=referred&status=review_requested``: the
    ones waiting for a person)."""
    found = service.list_decisions(db, city, statuses=tuple(status_ or ()), limit=limit)
    return [_decision(v) for v in found]


@router.get("/decisions/{decision_id}", response_model=DecisionRead)
def decision(
    city: CurrentCity,
    db: DbSession,
    decision_id: RowId,
    principal: DecisionReader,
    purpose: Annotated[str, Query(min_length=3, max_length=200)] = "review of a decision",
) -> DecisionRead:
    view = service.read_decision(db, city, decision_id, actor=principal.label, purpose=purpose)
    db.commit()
    return _decision(view)


@router.post("/decisions/{decision_id}/review", response_model=DecisionRead)
def review(
    city: CurrentCity, db: DbSession, decision_id: RowId, data: Review, principal: Reviewer
) -> DecisionRead:
    """A person decides a referred or contested case, or overrides a decision, with a
    reason (audited; the resident sees it)."""
    service.review(
        db, city, decision_id, outcome=data.outcome, reason=data.reason, actor=principal.label
    )
    view = service.read_decision(
        db, city, decision_id, actor=principal.label, purpose="review of a decision"
    )
    db.commit()
    return _decision(view)


@router.post("/runs", status_code=status.HTTP_202_ACCEPTED)
def start_run(
    city: CurrentCity, principal: Runner, data: Annotated[RunStart | None, Body()] = None
) -> dict[str, Any]:
    """Queue a batch run over everyone living in the city (default: today's periodic rules).
    The answer comes at once; the run's decisions appear as it writes them."""
    data = data or RunStart()
    on = data.on or service.today(city)
    proactive_run(city.id, on.isoformat(), data.rules, principal.label)
    return {"queued": True, "on": on.isoformat(), "rules": data.rules}
