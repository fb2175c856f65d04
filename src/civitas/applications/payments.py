"""Fees: the payment-provider interface, its two adapters, and what a notification does.

A provider has the shape real payment service providers (PSPs) use:

* ``start``: the city asks the provider for a payment and gets the page to send the
  resident to (a redirect), or ``None`` when the resident pays outside (a transfer);
* ``verify``: a server-to-server notification is checked by its signature and read;
* ``status``: the city asks the provider where a payment stands (when the resident comes
  back before the notification, or the notification never comes);
* ``refund``: money paid back when an application is withdrawn before it is handled.

Two adapters are built in:

* ``transfer``: a bank transfer or payment at the office, with a structured creditor
  reference (ISO 11649, ``RF…``) that the office matches the money with;
* ``testpsp``: a provider that behaves like a real PSP (its own checkout page, signed
  notifications that may come late and twice, a status query, refunds) and moves no money.
  It is for demos and tests and is not offered in production unless listed.

A real provider (pmPayment or ePayBL in Germany, Niubiz or Págalo.pe in Peru) plugs in as
one more class with these four methods, registered in :data:`PROVIDERS`;
``docs/operations.md`` says where and how.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

from civitas.applications.models import Payment, PaymentSettings, TestProviderPayment
from civitas.cities.models import City
from civitas.core.config import get_settings
from civitas.core.errors import Unauthenticated
from civitas.core.i18n import N_
from civitas.core.security import sign, signature_ok

SIGNATURE_HEADER = "x-testpsp-signature"
SIGNATURE_TOLERANCE_S = 600  # a notification signed longer ago is a replay


@dataclass(frozen=True)
class Notification:
    """What a verified notification says."""

    event_id: str
    provider_ref: str
    status: str  # paid | cancelled | failed | refunded
    amount_minor: int
    currency: str


class Provider(Protocol):
    name: str
    label: str  # N_() message id
    redirects: bool

    def start(
        self,
        db: Session,
        city: City,
        payment: Payment,
        *,
        description: str,
        return_url: str,
        notify_url: str,
    ) -> str | None: ...

    def verify(self, city: City, headers: dict[str, str], body: bytes) -> Notification: ...

    def status(self, db: Session, city: City, payment: Payment) -> str: ...

    def refund(self, db: Session, city: City, payment: Payment) -> str: ...


def creditor_reference(number: int, tenant_id: int) -> str:
    """An ISO 11649 structured creditor reference for an application: RF, two check digits,
    the city and the number."""
    body = f"{tenant_id:03d}{number:09d}"
    reference = f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"
    assert iso11649.is_valid(reference)
    return reference


class Transfer:
    """A bank transfer, or paying at the office's till, with the creditor reference; the
    office records the money when it arrives (``record_transfer``)."""

    name = "transfer"
    label = N_("Bank transfer or at the office")
    redirects = False

    def start(
        self,
        db: Session,
        city: City,
        payment: Payment,
        *,
        description: str,
        return_url: str,
        notify_url: str,
    ) -> str | None:
        return None

    def verify(self, city: City, headers: dict[str, str], body: bytes) -> Notification:
        raise Unauthenticated("This provider sends no notifications.")

    def status(self, db: Session, city: City, payment: Payment) -> str:
        return payment.status

    def refund(self, db: Session, city: City, payment: Payment) -> str:
        return "refund_due"  # the office pays it back to the account it came from


def merchant_secret(city: City) -> str:
    """The key the test provider signs a city's notifications with (shared by both sides,
    as a real PSP's webhook secret is)."""
    return sign(get_settings().secret_key, f"testpsp-merchant:{city.slug}")


class TestProvider:
    """The client side of the test PSP (``testpsp.py`` is the provider's own side)."""

    __test__ = False
    name = "testpsp"
    label = N_("Pay online (test provider, no real money)")
    redirects = True

    def start(
        self,
        db: Session,
        city: City,
        payment: Payment,
        *,
        description: str,
        return_url: str,
        notify_url: str,
    ) -> str | None:
        from civitas.applications import testpsp

        session = testpsp.create_session(
            db,
            merchant=city.slug,
            reference=payment.reference,
            amount_minor=payment.amount_minor,
            currency=payment.currency,
            description=description,
            return_url=return_url,
            notify_url=notify_url,
        )
        payment.provider_ref = session.id
        # the provider's page is on the host the resident came from (it stands for a PSP)
        parts = urlsplit(return_url)
        return f"{parts.scheme}://{parts.netloc}/{city.slug}/testpsp/checkout/{session.id}"

    def verify(self, city: City, headers: dict[str, str], body: bytes) -> Notification:
        header = headers.get(SIGNATURE_HEADER, "")
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        stamp, signature = parts.get("t", ""), parts.get("v1", "")
        if not stamp.isdigit() or not signature:
            raise Unauthenticated("The notification is not signed.")
        if not signature_ok(
            merchant_secret(city), f"{stamp}.{body.decode('utf-8', 'replace')}", signature
        ):
            raise Unauthenticated("The notification's signature does not match.")
        if abs(time.time() - int(stamp)) > SIGNATURE_TOLERANCE_S:
            raise Unauthenticated("The notification's signature has expired.")
        try:
            data = json.loads(body)
            return Notification(
                event_id=str(data["event_id"])[:100],
                provider_ref=str(data["payment_id"])[:100],
                status=str(data["status"]),
                amount_minor=int(data["amount_minor"]),
                currency=str(data["currency"]),
            )
        except (ValueError, KeyError, TypeError):
            raise Unauthenticated("The notification cannot be read.") from None

    def status(self, db: Session, city: City, payment: Payment) -> str:

        if payment.provider_ref is None:
            return payment.status
        found = db.get(TestProviderPayment, payment.provider_ref)
        return found.status if found else "open"  # the provider's states are the merchant's

    def refund(self, db: Session, city: City, payment: Payment) -> str:
        from civitas.applications import testpsp

        if payment.provider_ref is not None:
            testpsp.refund(db, payment.provider_ref)
        return "refunded"


PROVIDERS: dict[str, Provider] = {"transfer": Transfer(), "testpsp": TestProvider()}


def allowed_providers() -> list[str]:
    """The providers this deployment offers (``CIVITAS_PAYMENT_PROVIDERS``, comma separated;
    the test provider is not offered in production unless listed there)."""
    listed = os.environ.get("CIVITAS_PAYMENT_PROVIDERS", "")
    if listed.strip():
        return [p.strip() for p in listed.split(",") if p.strip() in PROVIDERS]
    if get_settings().env == "production":
        return ["transfer"]
    return list(PROVIDERS)


def settings_of(db: Session, city: City) -> PaymentSettings:
    found = db.scalar(select(PaymentSettings))
    if found is None:
        found = PaymentSettings(providers=list(PROVIDERS), payee=city.name)
    return found


def offered(db: Session, city: City) -> list[Provider]:
    """The providers this city offers its residents, in the order it lists them."""
    allowed = allowed_providers()
    return [PROVIDERS[p] for p in settings_of(db, city).providers if p in allowed]


def new_event_id() -> str:
    return "evt_" + secrets.token_urlsafe(12)


def signed(city: City, payload: dict[str, Any], *, at: int | None = None) -> tuple[bytes, str]:
    """A notification body and its signature header, as the test provider sends them."""
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    stamp = str(at if at is not None else int(time.time()))
    header = f"t={stamp},v1={sign(merchant_secret(city), f'{stamp}.{body.decode()}')}"
    return body, header
