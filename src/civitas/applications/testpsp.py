"""The test payment provider's own side: what a PSP's system does, in a few tables and
functions, so the whole flow runs (and is tested) without moving money.

A merchant (the city) opens a checkout session; the resident pays or cancels on the
provider's page (``/testpsp/checkout/{id}``, ``web/testpsp.py``) and is sent back to the
merchant's return address; the provider then notifies the merchant server to server,
signed with the merchant's secret, later and more than once, as real providers do (the
worker posts each notification twice, the second a few seconds after the first). The
merchant may ask for a session's status at any time and may refund a paid session."""

from __future__ import annotations

import secrets
import urllib.error
import urllib.request

from sqlalchemy.orm import Session

from civitas.applications.models import TestProviderPayment
from civitas.core.db import utcnow
from civitas.core.errors import Conflict, NotFound

DELIVERY_TIMEOUT_S = 10


def create_session(
    db: Session,
    *,
    merchant: str,
    reference: str,
    amount_minor: int,
    currency: str,
    description: str,
    return_url: str,
    notify_url: str,
) -> TestProviderPayment:
    session = TestProviderPayment(
        id="tp_" + secrets.token_urlsafe(16),
        merchant=merchant,
        reference=reference,
        amount_minor=amount_minor,
        currency=currency,
        description=description[:200],
        return_url=return_url,
        notify_url=notify_url,
    )
    db.add(session)
    db.flush()
    return session


def get_session(
    db: Session, session_id: str, *, merchant: str | None = None
) -> TestProviderPayment:
    found = db.get(TestProviderPayment, session_id[:40])
    if found is None or (merchant is not None and found.merchant != merchant):
        raise NotFound("No payment {id} at this provider.", id=session_id[:40])
    return found


def settle(db: Session, session_id: str, *, pay: bool) -> TestProviderPayment:
    """The resident pays (or cancels) on the checkout page; a second press changes nothing."""
    found = get_session(db, session_id)
    if found.status == "open":
        found.status = "paid" if pay else "cancelled"
        found.updated_at = utcnow()
    return found


def refund(db: Session, session_id: str) -> TestProviderPayment:
    found = get_session(db, session_id)
    if found.status not in ("paid", "refunded"):
        raise Conflict("Only a paid payment can be refunded.")
    found.status = "refunded"
    found.updated_at = utcnow()
    return found


def notification(found: TestProviderPayment, event_id: str) -> dict[str, object]:
    return {
        "event_id": event_id,
        "payment_id": found.id,
        "reference": found.reference,
        "merchant": found.merchant,
        "status": found.status,
        "amount_minor": found.amount_minor,
        "currency": found.currency,
    }


def post(url: str, body: bytes, signature: str) -> int:
    """Deliver one notification; the HTTP status of the merchant's answer (0: no answer)."""
    request = urllib.request.Request(  # noqa: S310 - the merchant's own https/http address
        url,
        data=body,
        method="POST",
        headers={"content-type": "application/json", "x-testpsp-signature": signature},
    )
    try:
        with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT_S) as answer:  # noqa: S310
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError):
        return 0
