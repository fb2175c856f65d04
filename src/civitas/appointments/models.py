"""Offices with counters and the services they offer, appointments, and the tickets of
the waiting room's one queue (walk-ins and checked-in appointments)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
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


class Office(TenantMixin, Base):
    """An office residents visit: where it is, its hours and booking rules (``definition``,
    checked from the YAML an administrator wrote, ``source``)."""

    __tablename__ = "appointment_offices"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[dict[str, str]]
    address: Mapped[str] = mapped_column(String(300))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(Text)
    definition: Mapped[dict[str, Any]]  # schemas.OfficeDefinition, as checked
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class Counter(TenantMixin, Base):
    """A counter (or workstation) of an office; ``services`` narrows what it calls (empty:
    every service of the office). ``appointments`` is False for a walk-in-only counter."""

    __tablename__ = "appointment_counters"
    __table_args__ = (UniqueConstraint("tenant_id", "office_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("appointment_offices.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[dict[str, str]]
    position: Mapped[int] = mapped_column(Integer, default=0)
    services: Mapped[list[str]] = mapped_column(default=list)
    appointments: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class OfficeService(TenantMixin, Base):
    """A service an office offers: how long it takes, and who may serve it (user names;
    empty: anyone who works the office's counters)."""

    __tablename__ = "appointment_office_services"
    __table_args__ = (UniqueConstraint("tenant_id", "office_id", "service_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("appointment_offices.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    minutes: Mapped[int] = mapped_column(Integer)
    staff: Mapped[list[str]] = mapped_column(default=list)
    letter: Mapped[str] = mapped_column(String(2), default="")  # its tickets' prefix


class OfficeDay(TenantMixin, Base):
    """One office's day: the row every booking of that day locks first (so two bookings of
    its last place take turns) and the counter its ticket numbers come from."""

    __tablename__ = "appointment_office_days"
    __table_args__ = (UniqueConstraint("tenant_id", "office_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("appointment_offices.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    last_ticket: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=0)


class Appointment(TenantMixin, Base):
    """A booked time at an office for one or more services.

    held (for a few minutes, while the resident confirms) → booked → checked_in (a ticket
    in the queue) → done; or cancelled, expired (a hold not confirmed), no_show."""

    __tablename__ = "appointments"
    __table_args__ = (
        Index("ix_appointments_office_start", "tenant_id", "office_id", "start"),
        Index("ix_appointments_email", "tenant_id", "email"),
        Index("ix_appointments_status_start", "status", "start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("appointment_offices.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="RESTRICT"))
    # every service of the visit, the first being service_id: [{"id", "code", "minutes"}]
    services: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    start: Mapped[datetime] = mapped_column()
    end: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(12), default="held")
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    person_key: Mapped[str] = mapped_column(String(200))  # the name, folded: one person
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    language: Mapped[str] = mapped_column(String(5))
    channel: Mapped[str] = mapped_column(String(12))  # online | api | staff | hotline
    booked_by: Mapped[str | None] = mapped_column(String(200), default=None)  # a staff user
    account_id: Mapped[int | None] = mapped_column(Integer, default=None)
    application_id: Mapped[int | None] = mapped_column(Integer, default=None)
    hold_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # iCalendar SEQUENCE
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    booked_at: Mapped[datetime | None] = mapped_column(default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)
    reminded_at: Mapped[datetime | None] = mapped_column(default=None)
    checked_in_at: Mapped[datetime | None] = mapped_column(default=None)


class Ticket(TenantMixin, Base):
    """A visit in the waiting room: a walk-in's ticket, or an appointment checked in.

    waiting → called (number on the display) → serving → done; called → no_show; a
    transfer sends it back to waiting, for another counter or service, with its place
    kept. The waiting time runs from arrival (an appointment's time, when it came early)
    to the first call; the processing time sums every stretch of serving."""

    __tablename__ = "appointment_tickets"
    __table_args__ = (
        UniqueConstraint("tenant_id", "office_id", "day", "number"),
        Index("ix_appointment_tickets_office_day", "tenant_id", "office_id", "day", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("appointment_offices.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    number: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(8))  # what the display shows: "A012"
    kind: Mapped[str] = mapped_column(String(12))  # walk_in | appointment
    channel: Mapped[str] = mapped_column(String(12))  # kiosk | desk | appointment
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL"), default=None
    )
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(10), default="waiting")
    arrived_at: Mapped[datetime] = mapped_column()
    due_at: Mapped[datetime] = mapped_column()  # its place in line
    first_called_at: Mapped[datetime | None] = mapped_column(default=None)
    called_at: Mapped[datetime | None] = mapped_column(default=None)
    calls: Mapped[int] = mapped_column(Integer, default=0)
    counter_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment_counters.id", ondelete="SET NULL"), default=None
    )
    # after a transfer to a counter: only that counter calls it
    wanted_counter_id: Mapped[int | None] = mapped_column(Integer, default=None)
    served_by: Mapped[str | None] = mapped_column(String(200), default=None)
    serving_since: Mapped[datetime | None] = mapped_column(default=None)
    served_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    transfers: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class SlotSnapshot(TenantMixin, Base):
    """Each morning, per office and service, the days until the next free slot (None: none
    within the booking window): the KPI is the month's mean of these."""

    __tablename__ = "appointment_slot_snapshots"
    __table_args__ = (UniqueConstraint("tenant_id", "office_id", "service_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("appointment_offices.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    days_to_free: Mapped[float | None] = mapped_column(Float, default=None)


class BookingAttempt(TenantMixin, Base):
    """A hold or booking tried, by client address and by e-mail: what the rate limits count."""

    __tablename__ = "appointment_attempts"
    __table_args__ = (Index("ix_appointment_attempts_key_at", "tenant_id", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(default=utcnow)
