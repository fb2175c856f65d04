from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civitas.catalogue.models import Service
from civitas.cities.models import Department
from civitas.core.db import Base, utcnow
from civitas.core.tenancy import TenantMixin


class ServiceRequest(TenantMixin, Base):
    """One request of a resident, from any channel, handled as a case."""

    __tablename__ = "service_requests"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index("ix_service_requests_tenant_requested", "tenant_id", "requested_at"),
        Index("ix_service_requests_tenant_status", "tenant_id", "status"),
        Index("ix_service_requests_tenant_closed", "tenant_id", "closed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer)  # the public service_request_id, per city
    token: Mapped[str | None] = mapped_column(String(40), unique=True, default=None)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20), default="received")
    channel: Mapped[str] = mapped_column(String(10))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    lat: Mapped[float | None] = mapped_column(Float, default=None)
    long: Mapped[float | None] = mapped_column(Float, default=None)
    address: Mapped[str | None] = mapped_column(String(500), default=None)
    address_id: Mapped[str | None] = mapped_column(String(100), default=None)
    zipcode: Mapped[str | None] = mapped_column(String(20), default=None)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    media_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    # the reporter (never shown on public endpoints)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    first_name: Mapped[str | None] = mapped_column(String(100), default=None)
    last_name: Mapped[str | None] = mapped_column(String(100), default=None)
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    device_id: Mapped[str | None] = mapped_column(String(200), default=None)
    account_id: Mapped[str | None] = mapped_column(String(200), default=None)
    language: Mapped[str | None] = mapped_column(String(5), default=None)
    # handling
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"))
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    filed_by: Mapped[str] = mapped_column(String(200))  # api key, agent or "resident"
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    expected_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    # for the KPIs: when the case first left "received", how often it was reopened, and
    # whether a phone or office contact solved it there and then (first-contact resolution)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    first_contact_resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated_at: Mapped[datetime | None] = mapped_column(default=None)
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_requests.id", ondelete="SET NULL"), default=None
    )
    # a case filed as an application: nothing of it in public (lists, Open311, the status
    # page, open data), whatever its service shows of reports
    private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # the deadline stands still while the case waits for the resident (a payment, a
    # missing document): since when, and for what
    paused_at: Mapped[datetime | None] = mapped_column(default=None)
    waiting_for: Mapped[str | None] = mapped_column(String(20), default=None)

    # lists load only what they show (see cases.service.service_infos); single cases load lazily
    service: Mapped[Service] = relationship(lazy="select")
    department: Mapped[Department] = relationship(lazy="select")


class RequestNote(TenantMixin, Base):
    """A status note: public ones reach the reporter and Open311; internal ones stay with staff."""

    __tablename__ = "request_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_requests.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    author: Mapped[str] = mapped_column(String(200))
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(20))  # the status after this note
    text: Mapped[str] = mapped_column(Text, default="")


class RequestMedia(TenantMixin, Base):
    """A photo of a request: checked by content, stripped of metadata, stored under the
    media root (``<city id>/<sha256>.<ext>``)."""

    __tablename__ = "request_media"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_requests.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RequestFollower(TenantMixin, Base):
    """Someone kept informed of a request they did not file (e.g. the reporter of a duplicate
    merged into it)."""

    __tablename__ = "request_followers"
    __table_args__ = (UniqueConstraint("tenant_id", "request_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_requests.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    first_name: Mapped[str | None] = mapped_column(String(100), default=None)
    last_name: Mapped[str | None] = mapped_column(String(100), default=None)
    language: Mapped[str | None] = mapped_column(String(5), default=None)
    from_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_requests.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoutingRule(TenantMixin, Base):
    """Requests located inside an area (optionally only for one service) go to a department
    other than the service's own: a district office, a contractor's zone."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    area: Mapped[str] = mapped_column(String(120))
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), default=None
    )
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    min_lat: Mapped[float] = mapped_column(Float)
    min_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportDraft(TenantMixin, Base):
    """A web request in the making (see cases/drafts.py); purged after a day."""

    __tablename__ = "report_drafts"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    service_code: Mapped[str] = mapped_column(String(60))
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    photos: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    # the request filed from it: set once, so a second press of "Send" files nothing
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_requests.id", ondelete="CASCADE"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SavedFilter(TenantMixin, Base):
    """A member of staff's named view of the queue (its filters and order, as a query)."""

    __tablename__ = "saved_filters"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AreaAlert(TenantMixin, Base):
    """A resident's wish to hear, by e-mail, of new requests around a place. Sent only
    once confirmed from the address itself; the link in its mails (signed over its id and
    address) is the only way to confirm or stop it."""

    __tablename__ = "area_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    lat: Mapped[float] = mapped_column(Float)
    long: Mapped[float] = mapped_column(Float)
    radius_m: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(5))
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
