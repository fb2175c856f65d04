"""The once-only resident register of one city.

A person's identity (register number, birth date) is one row in ``persons``. Everything
that changes over time is a *state*: one row of ``person_states`` per period in which all
the person's facts held (address, household, names, marital status, income, …), valid from
a date up to, not including, another (``valid_to`` open while current). The state on any
date is the one row with ``valid_from <= date < valid_to``. A life event closes the current
state and opens the next in one transaction, so the register can be asked about any date.

Relations (parent–child, partners) are time-bounded in the same way.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from civitas.core.db import Base, utcnow
from civitas.core.tenancy import TenantMixin


class Address(TenantMixin, Base):
    """An address of the city's address register, with its district and parking zone."""

    __tablename__ = "register_addresses"
    __table_args__ = (UniqueConstraint("tenant_id", "street", "number", "postcode"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    street: Mapped[str] = mapped_column(String(200))
    number: Mapped[str] = mapped_column(String(20))
    postcode: Mapped[str] = mapped_column(String(12))
    district: Mapped[str | None] = mapped_column(String(100), default=None)
    lat: Mapped[float | None] = mapped_column(Float, default=None)
    lon: Mapped[float | None] = mapped_column(Float, default=None)
    parking_zone: Mapped[str | None] = mapped_column(String(20), default=None)


class Household(TenantMixin, Base):
    """A household: the people registered as living together (members are in the states)."""

    __tablename__ = "register_households"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Person(TenantMixin, Base):
    """A person known to the register; the facts that change are in :class:`PersonState`."""

    __tablename__ = "register_persons"
    __table_args__ = (UniqueConstraint("tenant_id", "register_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    register_number: Mapped[str] = mapped_column(String(40))
    birth_date: Mapped[date] = mapped_column(Date)
    death_date: Mapped[date | None] = mapped_column(Date, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PersonState(TenantMixin, Base):
    """Everything about a person that held from ``valid_from`` until ``valid_to``.

    ``resident_since`` is the day the person's current stay in the city began (birth or
    moving in; a move within the city keeps it); ``address_since`` the day they began to
    live at this address. Money is integer minor units of the city's currency."""

    __tablename__ = "register_person_states"
    __table_args__ = (
        Index("ix_register_person_states_person_valid", "person_id", "valid_from"),
        Index("ix_register_person_states_household", "household_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("register_persons.id", ondelete="CASCADE"))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, default=None, index=True)
    family_name: Mapped[str] = mapped_column(String(120))
    given_names: Mapped[str] = mapped_column(String(200))
    sex: Mapped[str] = mapped_column(String(12))  # female | male | diverse | unspecified
    nationality: Mapped[str | None] = mapped_column(String(2), default=None)
    marital_status: Mapped[str] = mapped_column(String(20), default="single")
    email: Mapped[str | None] = mapped_column(String(254), default=None, index=True)
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    language: Mapped[str | None] = mapped_column(String(5), default=None)
    address_id: Mapped[int] = mapped_column(ForeignKey("register_addresses.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("register_households.id"))
    resident_since: Mapped[date] = mapped_column(Date)
    address_since: Mapped[date] = mapped_column(Date)
    monthly_income_minor: Mapped[int | None] = mapped_column(BigInteger, default=None)
    student: Mapped[bool] = mapped_column(Boolean, default=False)
    iban: Mapped[str | None] = mapped_column(String(34), default=None)  # a known bank account


class Relation(TenantMixin, Base):
    """``person`` is ``kind`` of ``other``: parent (of a child) or partner, in a period."""

    __tablename__ = "register_relations"
    __table_args__ = (Index("ix_register_relations_other", "other_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # parent | partner
    person_id: Mapped[int] = mapped_column(
        ForeignKey("register_persons.id", ondelete="CASCADE"), index=True
    )
    other_id: Mapped[int] = mapped_column(ForeignKey("register_persons.id", ondelete="CASCADE"))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, default=None)


class LifeEvent(TenantMixin, Base):
    """A life event as it arrived (API, import, demo), once per ``event_id`` of its source."""

    __tablename__ = "register_life_events"
    __table_args__ = (UniqueConstraint("tenant_id", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(80))
    type: Mapped[str] = mapped_column(String(20), index=True)
    occurred_on: Mapped[date] = mapped_column(Date)
    person_id: Mapped[int] = mapped_column(ForeignKey("register_persons.id", ondelete="CASCADE"))
    payload: Mapped[dict[str, Any]]
    source: Mapped[str] = mapped_column(String(40))
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccessLogEntry(TenantMixin, Base):
    """One read of one person's data: who, when, why (the purpose) and what."""

    __tablename__ = "register_access_log"
    __table_args__ = (Index("ix_register_access_log_person_at", "person_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("register_persons.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    actor_kind: Mapped[str] = mapped_column(String(20))  # staff | rule | api | resident
    purpose: Mapped[str] = mapped_column(String(200))
    data: Mapped[list[str]]  # which parts were read: identity, address, household, income …
    detail: Mapped[str | None] = mapped_column(Text, default=None)
    rule_run_id: Mapped[int | None] = mapped_column(Integer, default=None)
