"""What people do with decisions, the city first.

Residents accept an offer (with an IBAN where the rule needs one) or decline it, object to
an automatic decision or ask for a person to review any decision, and opt out of a service
(or of all proactive processing). Staff review and override decisions, always with a reason.
Every change writes an audit entry in the same transaction; every staff read of a decision
is a read of the person's data and is logged with its purpose.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic_core import PydanticCustomError
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit, events
from civitas.core.db import utcnow
from civitas.core.errors import Conflict, InvalidInput, NotFound, Problem
from civitas.core.i18n import N_, pick
from civitas.proactive.models import Decision, OptOut, Payment, Rule, RuleRun, RuleVersion
from civitas.register.models import AccessLogEntry, Person, PersonState
from civitas.register.schemas import normalise_iban
from civitas.register.service import log_access

OPEN_FOR_REVIEW = ("referred", "review_requested")
Outcome = Literal["grant", "offer", "withdraw"]


@dataclass(frozen=True)
class DecisionView:
    """A decision with what is needed to show it: the rule as it was, who it is about."""

    decision: Decision
    definition: dict[str, Any]
    person_name: str
    register_number: str
    payment: Payment | None


def _views(db: Session, decisions: list[Decision]) -> list[DecisionView]:
    if not decisions:
        return []
    versions = {
        v.id: v.definition
        for v in db.scalars(
            select(RuleVersion).where(RuleVersion.id.in_({d.rule_version_id for d in decisions}))
        )
    }
    ids = {d.person_id for d in decisions}
    names = _names(db, ids)
    numbers = dict(
        db.execute(select(Person.id, Person.register_number).where(Person.id.in_(ids))).all()
    )
    payments = {
        p.decision_id: p
        for p in db.scalars(
            select(Payment).where(Payment.decision_id.in_([d.id for d in decisions]))
        )
    }
    return [
        DecisionView(
            d,
            versions[d.rule_version_id],
            names.get(d.person_id, ""),
            numbers.get(d.person_id, ""),
            payments.get(d.id),
        )
        for d in decisions
    ]


# -- the resident ---------------------------------------------------------------------------


def decisions_for(db: Session, city: City, person_ids: list[int]) -> list[DecisionView]:
    """Decisions about these persons or addressed to them (a parent sees a child's)."""
    enter_city(db, city)
    if not person_ids:
        return []
    found = list(
        db.scalars(
            select(Decision)
            .where(or_(Decision.addressee_id.in_(person_ids), Decision.person_id.in_(person_ids)))
            .order_by(Decision.created_at.desc(), Decision.id.desc())
        )
    )
    return _views(db, found)


def _own(db: Session, decision_id: int, person_ids: list[int]) -> Decision:
    decision = db.get(Decision, decision_id)
    if decision is None or (
        decision.addressee_id not in person_ids and decision.person_id not in person_ids
    ):
        raise NotFound("No such decision for you.")
    return decision


def _definition(db: Session, decision: Decision) -> dict[str, Any]:
    version = db.get(RuleVersion, decision.rule_version_id)
    assert version is not None
    return version.definition


def _change(
    db: Session, decision: Decision, status: str, *, actor: str, reason: str | None, action: str
) -> None:
    before = decision.status
    decision.status = status
    decision.updated_at = utcnow()
    audit.record(
        db,
        actor=actor,
        action=action,
        entity_type="decision",
        entity_id=decision.id,
        changes={"status": [before, status]},
        reason=reason,
    )


def accept(
    db: Session,
    city: City,
    decision_id: int,
    *,
    person_ids: list[int],
    iban: str | None,
    actor: str,
) -> Decision:
    """Accept an offer; where the rule needs an IBAN it is checked and kept with the payment."""
    enter_city(db, city)
    decision = _own(db, decision_id, person_ids)
    if decision.status != "offered":
        raise Conflict(
            "This offer cannot be accepted now (it is {status}).", status=decision.status
        )
    definition = _definition(db, decision)
    account = None
    if definition.get("needs_iban"):
        if not (iban or "").strip():
            raise InvalidInput(
                "Give your IBAN to accept this offer.",
                problems=[Problem("iban", N_("Give your IBAN, e.g. DE89 3704 0044 0532 0130 00."))],
            )
        try:
            account = normalise_iban(iban or "")
        except PydanticCustomError as exc:
            raise InvalidInput("The IBAN is not valid.", problems=[_iban_problem(exc)]) from None
    _change(db, decision, "accepted", actor=actor, reason=None, action="decision.accepted")
    decision.answered_at = utcnow()
    events.publish(  # how did it go? the offers page shows the survey link
        "benefit.delivered",
        db=db,
        city=city,
        decision=decision,
        language=city.default_language,
        service=pick(definition.get("name"), city.default_language),
        email=None,
    )
    if decision.amount_minor:
        db.add(payment_of(decision, definition, city, iban=account))
    return decision


def payment_of(
    decision: Decision, definition: dict[str, Any], city: City, *, iban: str | None
) -> Payment:
    """The payment an accepted offer with an amount brings (to or from the resident)."""
    return Payment(
        decision_id=decision.id,
        payee_id=decision.addressee_id,
        direction=definition.get("payment", "to_resident"),
        amount_minor=decision.amount_minor,
        currency=decision.currency or city.currency,
        iban=iban,
        status="ready" if iban else "awaiting_account",
    )


def _iban_problem(exc: PydanticCustomError) -> Problem:
    params = dict(exc.context or {})
    template = str(params.pop("template", exc.message_template))
    return Problem("iban", template, params)


def decline(
    db: Session, city: City, decision_id: int, *, person_ids: list[int], actor: str
) -> Decision:
    enter_city(db, city)
    decision = _own(db, decision_id, person_ids)
    if decision.status != "offered":
        raise Conflict(
            "This offer cannot be declined now (it is {status}).", status=decision.status
        )
    _change(db, decision, "declined", actor=actor, reason=None, action="decision.declined")
    decision.answered_at = utcnow()
    return decision


def request_review(
    db: Session, city: City, decision_id: int, *, person_ids: list[int], note: str, actor: str
) -> Decision:
    """Object to a decision, or ask that a person look at it again (GDPR art. 22 (3))."""
    enter_city(db, city)
    decision = _own(db, decision_id, person_ids)
    if decision.status in OPEN_FOR_REVIEW:
        raise Conflict("A member of staff is already looking at this.")
    text = note.strip()
    if len(text) > 2000:
        raise InvalidInput(
            "The note is too long.",
            problems=[
                Problem("note", N_("Use at most {max_length} characters."), {"max_length": 2000})
            ],
        )
    decision.review_note = text or None
    _change(
        db,
        decision,
        "review_requested",
        actor=actor,
        reason=text or None,
        action="decision.review_requested",
    )
    return decision


def opt_out(db: Session, city: City, person_id: int, *, rule_code: str, actor: str) -> None:
    """Stop proactive processing of a person for one service (``*``: for all)."""
    enter_city(db, city)
    if rule_code != "*" and db.scalar(select(Rule.id).where(Rule.code == rule_code)) is None:
        raise NotFound("No proactive service '{code}' in this city.", code=rule_code)
    exists = db.scalar(
        select(OptOut.id).where(OptOut.person_id == person_id, OptOut.rule_code == rule_code)
    )
    if exists is None:
        db.add(OptOut(person_id=person_id, rule_code=rule_code))
        audit.record(
            db,
            actor=actor,
            action="proactive.opt_out",
            entity_type="person",
            entity_id=person_id,
            changes={"rule": rule_code},
        )


def opt_in(db: Session, city: City, person_id: int, *, rule_code: str, actor: str) -> None:
    enter_city(db, city)
    gone = db.execute(
        delete(OptOut).where(OptOut.person_id == person_id, OptOut.rule_code == rule_code)
    )
    if getattr(gone, "rowcount", 0):
        audit.record(
            db,
            actor=actor,
            action="proactive.opt_in",
            entity_type="person",
            entity_id=person_id,
            changes={"rule": rule_code},
        )


def opt_outs(db: Session, city: City, person_id: int) -> set[str]:
    enter_city(db, city)
    return set(db.scalars(select(OptOut.rule_code).where(OptOut.person_id == person_id)))


@dataclass(frozen=True)
class Access:
    at: Any
    actor: str
    actor_kind: str
    purpose: str
    data: list[str]
    detail: str | None


def data_log(db: Session, city: City, person_id: int, *, limit: int = 200) -> list[Access]:
    """Who read this person's data: the single reads, and each batch run over everyone
    living in the city on a day the person lived here. Newest first."""
    enter_city(db, city)
    reads = [
        Access(e.at, e.actor, e.actor_kind, e.purpose, e.data, e.detail)
        for e in db.scalars(
            select(AccessLogEntry)
            .where(AccessLogEntry.person_id == person_id)
            .order_by(AccessLogEntry.at.desc())
            .limit(limit)
        )
    ]
    periods = db.execute(
        select(PersonState.valid_from, PersonState.valid_to).where(
            PersonState.person_id == person_id
        )
    ).all()
    runs = []
    for run in db.scalars(select(RuleRun).order_by(RuleRun.started_at.desc()).limit(limit)):
        if any(
            start <= run.on_date and (end is None or end > run.on_date) for start, end in periods
        ):
            runs.append(
                Access(
                    run.started_at,
                    run.actor,
                    "rule",
                    f"proactive:{run.trigger}",
                    run.fields,
                    ", ".join(run.rules),
                )
            )
    return sorted(reads + runs, key=lambda a: a.at, reverse=True)[:limit]


# -- staff ------------------------------------------------------------------------------------


def list_decisions(
    db: Session, city: City, *, statuses: tuple[str, ...] | None = None, limit: int = 200
) -> list[DecisionView]:
    enter_city(db, city)
    stmt = select(Decision).order_by(Decision.updated_at.desc(), Decision.id.desc()).limit(limit)
    if statuses:
        stmt = stmt.where(Decision.status.in_(statuses))
    return _views(db, list(db.scalars(stmt)))


def read_decision(
    db: Session, city: City, decision_id: int, *, actor: str, purpose: str
) -> DecisionView:
    """One decision for a member of staff; the read of the person's data is logged."""
    enter_city(db, city)
    decision = db.get(Decision, decision_id)
    if decision is None:
        raise NotFound("No decision {id} in this city.", id=decision_id)
    log_access(
        db,
        city,
        person_ids=[decision.person_id],
        actor=actor,
        actor_kind="staff",
        purpose=purpose,
        data=["decision", "explanation"],
        detail=f"decision {decision.id}",
    )
    return _views(db, [decision])[0]


def review(
    db: Session, city: City, decision_id: int, *, outcome: Outcome, reason: str, actor: str
) -> Decision:
    """A person's decision on a referred or contested case, or an override: always with a
    reason, always audited. Withdrawing cancels an unpaid payment; granting creates one."""
    enter_city(db, city)
    decision = db.get(Decision, decision_id)
    if decision is None:
        raise NotFound("No decision {id} in this city.", id=decision_id)
    if not reason.strip():
        raise InvalidInput(
            "Give the reason for this decision.",
            problems=[Problem("reason", N_("Give the reason; the resident will see it."))],
        )
    if outcome not in ("grant", "offer", "withdraw"):
        raise InvalidInput(
            "Choose grant, offer or withdraw.",
            problems=[
                Problem(
                    "outcome",
                    N_("Choose one of: {expected}."),
                    {"expected": "grant, offer, withdraw"},
                )
            ],
        )
    status = {"grant": "granted", "offer": "offered", "withdraw": "withdrawn"}[outcome]
    if status == decision.status:
        raise Conflict("The decision is {status} already.", status=status)
    _change(
        db, decision, status, actor=actor, reason=reason.strip()[:2000], action="decision.reviewed"
    )
    decision.review_note = reason.strip()[:2000]
    payment = db.scalar(select(Payment).where(Payment.decision_id == decision.id))
    if status == "withdrawn" and payment is not None and payment.status != "paid":
        payment.status = "cancelled"
        payment.updated_at = utcnow()
    if status == "granted" and payment is None and decision.amount_minor:
        iban = db.scalar(
            select(PersonState.iban).where(
                PersonState.person_id == decision.addressee_id, PersonState.valid_to.is_(None)
            )
        )
        db.add(
            Payment(
                decision_id=decision.id,
                payee_id=decision.addressee_id,
                direction="to_resident",
                amount_minor=decision.amount_minor,
                currency=decision.currency or city.currency,
                iban=iban,
                status="ready" if iban else "awaiting_account",
            )
        )
    return decision


def person_names(db: Session, city: City, person_ids: list[int]) -> dict[int, str]:
    """Current names of persons (for a resident's own view)."""
    enter_city(db, city)
    return _names(db, person_ids)


def _names(db: Session, person_ids: Iterable[int]) -> dict[int, str]:
    """Each person's latest name (later states overwrite earlier ones)."""
    return {
        pid: f"{given} {family}"
        for pid, given, family in db.execute(
            select(PersonState.person_id, PersonState.given_names, PersonState.family_name)
            .where(PersonState.person_id.in_(list(person_ids)))
            .order_by(PersonState.valid_from)
        ).all()
    }


def persons_of_account(db: Session, city: City, email: str) -> list[int]:
    """The register persons a signed-in resident may act for (see register.service)."""
    from civitas.register.service import persons_with_email

    return persons_with_email(db, city, email, today(city))


def today(city: City) -> date:
    """The date in the city now (its own time zone)."""
    return datetime.now(ZoneInfo(city.timezone)).date()
