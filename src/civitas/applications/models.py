"""Online applications: each service's form and its versions, applications with their
documents and messages, and payments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
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


class ApplicationForm(TenantMixin, Base):
    """A service's online form: published or not, and its newest version."""

    __tablename__ = "application_forms"
    __table_args__ = (UniqueConstraint("tenant_id", "service_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=0)  # the newest saved version
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FormVersion(TenantMixin, Base):
    """One saved version of a form, never changed: an application keeps the one it was
    filled in, and its JSON Schema stays published."""

    __tablename__ = "application_form_versions"
    __table_args__ = (UniqueConstraint("tenant_id", "form_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("application_forms.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)  # the YAML as the administrator wrote it
    definition: Mapped[dict[str, Any]]  # as checked (definition.FormDefinition)
    saved_by: Mapped[str] = mapped_column(String(200))
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)


class Application(TenantMixin, Base):
    """A resident's application: a draft until sent, then a case of its service (the
    request's number is its reference)."""

    __tablename__ = "applications"
    __table_args__ = (
        Index("ix_applications_tenant_account", "tenant_id", "account_id"),
        UniqueConstraint("tenant_id", "request_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="RESTRICT"))
    version_id: Mapped[int] = mapped_column(
        ForeignKey("application_form_versions.id", ondelete="RESTRICT")
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("resident_accounts.id", ondelete="RESTRICT"))
    # draft | submitted | withdrawn | approved | refused
    status: Mapped[str] = mapped_column(String(12), default="draft")
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # what the register said when it prefilled a question (the applicant may correct it)
    prefilled: Mapped[dict[str, Any]] = mapped_column(default=dict)
    person_id: Mapped[int | None] = mapped_column(Integer, default=None)  # register person
    language: Mapped[str] = mapped_column(String(5))
    email: Mapped[str] = mapped_column(String(254))
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_requests.id", ondelete="RESTRICT"), default=None
    )
    fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    paid_at: Mapped[datetime | None] = mapped_column(default=None)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_by: Mapped[str | None] = mapped_column(String(200), default=None)
    reasons: Mapped[str | None] = mapped_column(Text, default=None)
    notice_path: Mapped[str | None] = mapped_column(String(300), default=None)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApplicationDocument(TenantMixin, Base):
    """A file of an application, checked by its content and stored durably under the media
    root (``<city id>/applications/<sha256>.<ext>``)."""

    __tablename__ = "application_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    step: Mapped[str] = mapped_column(String(40))  # the document's code or file question
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(300))
    # the office's request this file answers (a document asked for later)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("application_messages.id", ondelete="SET NULL"), default=None
    )
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApplicationMessage(TenantMixin, Base):
    """A message between the office and the applicant; the office's may ask for a document,
    which pauses the case's deadline until the applicant uploads it."""

    __tablename__ = "application_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    sender: Mapped[str] = mapped_column(String(10))  # office | applicant
    author: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    # a document asked for: what (a name) and when it was given
    asks_for: Mapped[str | None] = mapped_column(String(200), default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)


class Payment(TenantMixin, Base):
    """The fee of an application, through one provider. ``reference`` is the structured
    creditor reference (ISO 11649) a transfer carries; ``provider_ref`` the provider's id."""

    __tablename__ = "application_payments"
    __table_args__ = (
        Index("ix_application_payments_reference", "tenant_id", "reference"),
        UniqueConstraint("provider", "provider_ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(35))
    provider_ref: Mapped[str | None] = mapped_column(String(100), default=None)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # open | paid | failed | cancelled | refund_due | refunded
    status: Mapped[str] = mapped_column(String(12), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(default=None)
    refunded_at: Mapped[datetime | None] = mapped_column(default=None)
    recorded_by: Mapped[str | None] = mapped_column(String(200), default=None)


class PaymentNotification(TenantMixin, Base):
    """A provider's server-to-server notification, kept once by its event id: a duplicate
    or a replay finds it here and changes nothing."""

    __tablename__ = "application_payment_notifications"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(100))
    payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("application_payments.id", ondelete="CASCADE"), default=None
    )
    status: Mapped[str] = mapped_column(String(12))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class TestProviderPayment(Base):
    """The test payment provider's own books (it stands for a PSP's system, so it belongs to
    no city): a checkout session per payment, its state and the merchant's callback."""

    __tablename__ = "testpsp_payments"
    __test__ = False  # not a pytest class

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    merchant: Mapped[str] = mapped_column(String(60))  # the city's slug
    reference: Mapped[str] = mapped_column(String(35))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(String(200))
    return_url: Mapped[str] = mapped_column(String(500))
    notify_url: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(12), default="open")  # open|paid|cancelled|refunded
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PaymentSettings(TenantMixin, Base):
    """How a city takes fees: which providers it offers and the account a transfer goes
    to (an IBAN, or a national account number such as Peru's CCI)."""

    __tablename__ = "application_payment_settings"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    providers: Mapped[list[str]] = mapped_column(default=list)
    payee: Mapped[str] = mapped_column(String(200), default="")
    account: Mapped[str] = mapped_column(String(60), default="")
    bank: Mapped[str] = mapped_column(String(200), default="")
    # an application not paid within so many days is withdrawn
    unpaid_days: Mapped[int] = mapped_column(Integer, default=30)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
