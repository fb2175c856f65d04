"""Proactive services: rules with versions, dated parameters, decisions, payments, opt-outs
and rule runs. A decision is unique per (city, rule, person, period): that key is what makes
a re-run or a retried event create nothing twice."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from civitas.core.db import Base, JSONValue, utcnow
from civitas.core.tenancy import TenantMixin


class Rule(TenantMixin, Base):
    """A proactive service of the city; what it decides is in its versions."""

    __tablename__ = "proactive_rules"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)  # the current version
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RuleVersion(TenantMixin, Base):
    """One saved version of a rule (never changed afterwards): decisions cite it."""

    __tablename__ = "proactive_rule_versions"
    __table_args__ = (UniqueConstraint("rule_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("proactive_rules.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]]
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Parameter(TenantMixin, Base):
    """A named value of the city's rules, valid from a date until the next value's date,
    with its legal reference (thresholds and amounts change by date, not by code)."""

    __tablename__ = "proactive_parameters"
    __table_args__ = (UniqueConstraint("tenant_id", "name", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    valid_from: Mapped[date] = mapped_column(Date)
    value: Mapped[Any] = mapped_column(JSONValue)
    label: Mapped[dict[str, str]]
    reference: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RuleRun(TenantMixin, Base):
    """A batch evaluation over everyone living in the city on a date. The run is what the
    access log of each of those persons shows (one entry a run, not a row a person)."""

    __tablename__ = "proactive_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    on_date: Mapped[date] = mapped_column(Date)
    trigger: Mapped[str] = mapped_column(String(20))  # periodic | manual
    rules: Mapped[list[str]]
    fields: Mapped[list[str]]  # what the run read
    actor: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="running")
    persons: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class Decision(TenantMixin, Base):
    """What a rule decided for a person in a period, with the reason it was decided."""

    __tablename__ = "proactive_decisions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "rule_id", "person_id", "period"),
        Index("ix_proactive_decisions_addressee", "addressee_id"),
        Index("ix_proactive_decisions_status", "tenant_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("proactive_rules.id", ondelete="CASCADE"))
    rule_version_id: Mapped[int] = mapped_column(ForeignKey("proactive_rule_versions.id"))
    person_id: Mapped[int] = mapped_column(
        ForeignKey("register_persons.id", ondelete="CASCADE"), index=True
    )
    # who is told and who answers: the person, or for a child a parent in the household
    addressee_id: Mapped[int] = mapped_column(ForeignKey("register_persons.id"))
    period: Mapped[str] = mapped_column(String(10))  # once | 2026 | 2026-11
    status: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(10))  # offer | automatic
    amount_minor: Mapped[int | None] = mapped_column(BigInteger, default=None)
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    evaluated_on: Mapped[date] = mapped_column(Date)
    explanation: Mapped[dict[str, Any]]
    trigger: Mapped[str] = mapped_column(String(40))  # event:birth | run
    run_id: Mapped[int | None] = mapped_column(ForeignKey("proactive_runs.id"), default=None)
    notified_at: Mapped[datetime | None] = mapped_column(default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    review_note: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Payment(TenantMixin, Base):
    """A payment instruction for a granted or accepted decision (one per decision)."""

    __tablename__ = "proactive_payments"
    __table_args__ = (UniqueConstraint("decision_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        ForeignKey("proactive_decisions.id", ondelete="CASCADE")
    )
    payee_id: Mapped[int] = mapped_column(ForeignKey("register_persons.id"))
    direction: Mapped[str] = mapped_column(String(14))  # to_resident | from_resident
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    iban: Mapped[str | None] = mapped_column(String(34), default=None)
    status: Mapped[str] = mapped_column(String(20))  # awaiting_account | ready | cancelled
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class OptOut(TenantMixin, Base):
    """A resident's 'do not process me for this service' (rule code, or * for all)."""

    __tablename__ = "proactive_opt_outs"
    __table_args__ = (UniqueConstraint("tenant_id", "person_id", "rule_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("register_persons.id", ondelete="CASCADE"))
    rule_code: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
