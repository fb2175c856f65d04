"""Paying an application's fee, whatever the provider: a payment is started, confirmed by
the provider's signed notification or by asking its status, or recorded by the office for
a transfer; paid money is refunded when the application is withdrawn before handling.

Every way to "paid" goes through :func:`mark_paid`, which changes something only the first
time: a duplicate notification, a late one after the status query, a replay, or an office
recording a transfer twice all find the payment paid and leave it as it is."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civitas.applications import applying
from civitas.applications.applying import SUBMITTED, Opened
from civitas.applications.models import Application, Payment, PaymentNotification
from civitas.applications.payments import PROVIDERS, creditor_reference, offered
from civitas.cases import service as cases
from civitas.catalogue.models import Service
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit
from civitas.core.config import get_settings
from civitas.core.db import utcnow
from civitas.core.errors import Conflict, InvalidInput, NotFound, Problem
from civitas.core.i18n import N_, pick

PAYMENT_LABELS = {
    "open": N_("waiting for the money"),
    "paid": N_("paid"),
    "failed": N_("failed"),
    "cancelled": N_("cancelled"),
    "refund_due": N_("to be paid back"),
    "refunded": N_("paid back"),
}


def payments_of(db: Session, city: City, application_id: int) -> list[Payment]:
    enter_city(db, city)
    return list(
        db.scalars(
            select(Payment).where(Payment.application_id == application_id).order_by(Payment.id)
        )
    )


def due(application: Application) -> bool:
    return (
        application.status == SUBMITTED
        and application.fee_minor > 0
        and application.paid_at is None
    )


def start_payment(
    db: Session, city: City, opened: Opened, *, provider: str, site: str | None = None
) -> tuple[Payment, str | None]:
    """A payment of the fee through a provider the city offers; the address to send the
    resident to (None for a transfer: the page shows the account and the reference).
    ``site`` is where the resident's browser reached Civitas (the return address); the
    provider's notifications go to the public address."""
    application = opened.application
    if not due(application):
        raise Conflict("Nothing is to be paid for this application.")
    chosen = next((p for p in offered(db, city) if p.name == provider), None)
    if chosen is None:
        raise InvalidInput(
            "Choose how to pay.",
            problems=[Problem("provider", N_("Choose one of the ways to pay shown."))],
        )
    request = applying.case_of(db, city, application)
    assert request is not None
    found = db.scalar(
        select(Payment).where(
            Payment.application_id == application.id,
            Payment.provider == provider,
            Payment.status == "open",
        )
    )
    if found is not None and not chosen.redirects:
        return found, None
    payment = Payment(
        application_id=application.id,
        provider=provider,
        reference=creditor_reference(request.number, city.id),
        amount_minor=application.fee_minor,
        currency=application.currency or city.currency,
    )
    db.add(payment)
    db.flush()
    base = get_settings().public_url.rstrip("/")
    back = (site or base).rstrip("/")
    redirect = chosen.start(
        db,
        city,
        payment,
        description=(
            f"{city.name}: {pick(opened.service.name, application.language)} ({request.number})"
        ),
        return_url=f"{back}/{city.slug}/account/applications/{application.id}/paid"
        f"?payment={payment.id}",
        notify_url=f"{base}/api/v1/cities/{city.slug}/payments/{provider}/notifications",
    )
    audit.record(
        db,
        actor=f"resident:{application.account_id}",
        action="payment.started",
        entity_type="application",
        entity_id=application.id,
        changes={"provider": provider, "amount_minor": payment.amount_minor},
    )
    return payment, redirect


def mark_paid(db: Session, city: City, payment: Payment, *, actor: str) -> bool:
    """The money is there: the payment and the application are paid and the case's deadline
    runs. True only the first time."""
    if payment.status == "paid" or payment.paid_at is not None:
        return False
    now = utcnow()
    payment.status = "paid"
    payment.paid_at = now
    payment.recorded_by = actor
    application = db.get(Application, payment.application_id)
    assert application is not None
    audit.record(
        db,
        actor=actor,
        action="payment.paid",
        entity_type="application",
        entity_id=application.id,
        changes={
            "provider": payment.provider,
            "amount_minor": payment.amount_minor,
            "reference": payment.reference,
        },
    )
    if application.paid_at is not None:  # paid twice (two providers): the second goes back
        payment.status = PROVIDERS[payment.provider].refund(db, city, payment)
        payment.refunded_at = now if payment.status == "refunded" else None
        return True
    application.paid_at = now
    application.updated_at = now
    request = applying.case_of(db, city, application)
    if application.status == SUBMITTED and request is not None:
        cases.resume_deadline(db, city, request, actor=actor, now=now)
        applying.notify(db, city, application, "paid")
    elif application.status == applying.WITHDRAWN:  # paid after withdrawing: paid back
        payment.status = PROVIDERS[payment.provider].refund(db, city, payment)
        payment.refunded_at = now if payment.status == "refunded" else None
    return True


def check_payment(db: Session, city: City, application: Application, payment_id: int) -> Payment:
    """Ask the provider where a payment stands (the resident is back from its page, maybe
    before its notification) and take what it says."""
    enter_city(db, city)
    payment = db.get(Payment, payment_id)
    if payment is None or payment.application_id != application.id:
        raise NotFound("No payment {id} for this application.", id=payment_id)
    if payment.status == "open":
        said = PROVIDERS[payment.provider].status(db, city, payment)
        if said == "paid":
            mark_paid(db, city, payment, actor=f"payment:{payment.provider}")
        elif said in ("cancelled", "failed"):
            payment.status = said
    return payment


def receive_notification(
    db: Session, city: City, *, provider: str, headers: dict[str, str], body: bytes
) -> str:
    """A provider's server-to-server notification. A forged or unreadable one is refused
    (Unauthenticated) and a payment this city does not know is NotFound, both changing
    nothing; a duplicate is acknowledged and changes nothing. Returns what happened."""
    enter_city(db, city)
    handler = PROVIDERS.get(provider)
    if handler is None or not handler.redirects:
        raise NotFound("No payment provider '{provider}'.", provider=provider)
    note = handler.verify(city, headers, body)
    seen = db.scalar(
        select(PaymentNotification.id).where(
            PaymentNotification.provider == provider, PaymentNotification.event_id == note.event_id
        )
    )
    if seen is not None:
        return "duplicate"
    payment = db.scalar(
        select(Payment).where(
            Payment.provider == provider, Payment.provider_ref == note.provider_ref
        )
    )
    if payment is None:
        raise NotFound("No payment {id} in this city.", id=note.provider_ref)
    if note.amount_minor != payment.amount_minor or note.currency != payment.currency:
        raise InvalidInput(
            "The notification's amount does not match the payment.",
            problems=[
                Problem("amount_minor", N_("Expected {amount}."), {"amount": payment.amount_minor})
            ],
        )
    try:
        with db.begin_nested():
            db.add(
                PaymentNotification(
                    provider=provider,
                    event_id=note.event_id,
                    payment_id=payment.id,
                    status=note.status,
                )
            )
    except IntegrityError:  # the same notification, at the same moment, on another thread
        return "duplicate"
    if note.status == "paid":
        return (
            "paid" if mark_paid(db, city, payment, actor=f"payment:{provider}") else "already paid"
        )
    if note.status in ("cancelled", "failed") and payment.status == "open":
        payment.status = note.status
        return note.status
    return "noted"


def record_transfer(
    db: Session, city: City, *, reference: str, amount_minor: int, actor: str
) -> Payment:
    """The office saw a transfer (or took the fee at its till) with this reference."""
    enter_city(db, city)
    wanted = reference.replace(" ", "").upper()
    payment = db.scalar(
        select(Payment)
        .where(Payment.reference == wanted, Payment.provider == "transfer")
        .order_by(Payment.id.desc())
    )
    if payment is None:
        raise InvalidInput(
            "No transfer is expected with this reference.",
            problems=[
                Problem(
                    "reference",
                    N_("No open application has the reference {reference}."),
                    {"reference": wanted},
                )
            ],
        )
    if amount_minor != payment.amount_minor:
        raise InvalidInput(
            "The amount does not match the fee.",
            problems=[
                Problem(
                    "amount",
                    N_("The fee is {amount} (in minor units); check the amount."),
                    {"amount": payment.amount_minor},
                )
            ],
        )
    mark_paid(db, city, payment, actor=actor)
    return payment


def refund_paid(db: Session, city: City, application: Application, *, actor: str) -> str:
    """Pay back what was paid for an application withdrawn before it was handled; the
    message for the applicant ('' when nothing was paid)."""
    refunded = ""
    for payment in payments_of(db, city, application.id):
        if payment.status == "open":
            payment.status = "cancelled"
        elif payment.status == "paid":
            payment.status = PROVIDERS[payment.provider].refund(db, city, payment)
            payment.refunded_at = utcnow() if payment.status == "refunded" else None
            audit.record(
                db,
                actor=actor,
                action="payment.refund",
                entity_type="application",
                entity_id=application.id,
                changes={
                    "provider": payment.provider,
                    "status": payment.status,
                    "amount_minor": payment.amount_minor,
                },
            )
            refunded = N_(" The fee you paid is being paid back to you.")
    return refunded


def mark_refunded(db: Session, city: City, *, payment_id: int, actor: str) -> Payment:
    """The office paid a transfer back."""
    enter_city(db, city)
    payment = db.get(Payment, payment_id)
    if payment is None:
        raise NotFound("No payment {id} in this city.", id=payment_id)
    if payment.status != "refund_due":
        raise Conflict("This payment is not waiting to be paid back.")
    payment.status = "refunded"
    payment.refunded_at = utcnow()
    payment.recorded_by = actor
    audit.record(
        db,
        actor=actor,
        action="payment.refunded",
        entity_type="application",
        entity_id=payment.application_id,
        changes={"amount_minor": payment.amount_minor},
    )
    return payment


def open_transfers(db: Session, city: City) -> list[tuple[Payment, Application, dict[str, str]]]:
    """Transfers the office waits for or owes, with the application and service name."""
    enter_city(db, city)
    rows = db.execute(
        select(Payment, Application, Service.name)
        .join(Application, Application.id == Payment.application_id)
        .join(Service, Service.id == Application.service_id)
        .where(Payment.provider == "transfer", Payment.status.in_(["open", "refund_due"]))
        .order_by(Payment.created_at)
    ).all()
    return [(p, a, n) for p, a, n in rows]
