"""Resident accounts, the city first. An account is created by asking for a sign-in link
(the link proves the address); a password can be set afterwards. "My requests" are the
requests filed with the account's verified address."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from civitas.accounts.models import LoginFailure
from civitas.accounts.service import forget_failures, record_failure, throttle
from civitas.cases.models import ServiceRequest
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit
from civitas.core.db import utcnow
from civitas.core.errors import InvalidInput, Problem, Unauthenticated
from civitas.core.i18n import N_, NP_, translate
from civitas.core.security import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    new_token,
    token_digest,
    verify_password,
)
from civitas.core.tenancy import bind_all_cities
from civitas.notifications.service import enqueue_email
from civitas.residents.models import ResidentAccount, ResidentToken

# the cookie of a signed-in resident (path /<city>): any domain's pages may read it
COOKIE = "civitas_resident"

LINK_LIFETIME = timedelta(minutes=30)
SESSION_LIFETIME = timedelta(days=30)
LINK = "link"
SESSION = "session"


def normalised_email(raw: str) -> str:
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise InvalidInput(
            "Enter a valid e-mail address.",
            problems=[Problem("email", N_("Enter an e-mail address like name@example.org."))],
        ) from None


def send_link(
    db: Session, city: City, *, email: str, base_url: str, language: str, next_path: str = ""
) -> None:
    """Write a one-time sign-in link to the outbox (the account is made on first use).
    The answer is the same whether or not the address is known."""
    enter_city(db, city)
    address = normalised_email(email)
    # at most five links per address in 15 minutes: nobody's mailbox is flooded from here
    key = f"link:{address}"[:80]
    throttle(
        db,
        key,
        message=NP_(
            "Too many sign-in links for this address; try again in {count} minute.",
            "Too many sign-in links for this address; try again in {count} minutes.",
        ),
    )
    db.add(LoginFailure(username=key, at=utcnow()))
    account = db.scalar(select(ResidentAccount).where(ResidentAccount.email == address))
    if account is None:
        account = ResidentAccount(email=address, language=language)
        db.add(account)
        db.flush()
    raw = new_token("cvl")
    token = ResidentToken(
        account_id=account.id,
        kind=LINK,
        token_hash=token_digest(raw),
        expires_at=utcnow() + LINK_LIFETIME,
    )
    db.add(token)
    db.flush()
    link = f"{base_url.rstrip('/')}/{city.slug}/account/link/{raw}?lang={language}"
    if next_path:
        link += "&next=" + quote(next_path, safe="/")
    enqueue_email(
        db,
        city,
        dedupe_key=f"resident-link:{token.id}",
        recipient=address,
        subject=translate(language, "Your sign-in link for {city}", city=city.name),
        body="\n\n".join(
            [
                translate(language, "Hello,"),
                translate(
                    language,
                    "Open this link within 30 minutes to sign in; it works once:",
                ),
                link,
                translate(language, "If you did not ask for it, ignore this message."),
                city.name,
            ]
        )
        + "\n",
        language=language,
    )


def _session(db: Session, account: ResidentAccount) -> str:
    raw = new_token("cvr")
    db.add(
        ResidentToken(
            account_id=account.id,
            kind=SESSION,
            token_hash=token_digest(raw),
            expires_at=utcnow() + SESSION_LIFETIME,
        )
    )
    return raw


def use_link(db: Session, city: City, *, raw: str) -> tuple[ResidentAccount, str]:
    """Sign in with a one-time link: it is spent, the address is verified, and a session
    token is returned."""
    enter_city(db, city)
    token = db.scalar(
        select(ResidentToken).where(
            ResidentToken.token_hash == token_digest(raw), ResidentToken.kind == LINK
        )
    )
    now = utcnow()
    if token is None or token.used_at is not None or token.expires_at < now:
        raise Unauthenticated("This sign-in link is unknown, used or expired; ask for a new one.")
    token.used_at = now
    account = db.get(ResidentAccount, token.account_id)
    assert account is not None
    if account.verified_at is None:
        account.verified_at = now
        audit.record(
            db,
            actor=f"resident:{account.id}",
            action="resident.verified",
            entity_type="resident_account",
            entity_id=account.id,
        )
    return account, _session(db, account)


def sign_in(db: Session, city: City, *, email: str, password: str) -> tuple[ResidentAccount, str]:
    """Sign in with a password (throttled like staff sign-ins)."""
    enter_city(db, city)
    address = email.strip().lower()[:254]
    key = f"resident:{address}"[:80]
    throttle(db, key)
    account = db.scalar(select(ResidentAccount).where(ResidentAccount.email == address))
    usable = account is not None and account.verified_at is not None
    if not verify_password(account.password_hash if usable and account else None, password):
        record_failure(db, key)
        raise Unauthenticated("Wrong e-mail address or password.")
    assert account is not None
    forget_failures(db, key)
    return account, _session(db, account)


def signed_in(db: Session, city: City, *, raw: str | None) -> ResidentAccount | None:
    if not raw:
        return None
    enter_city(db, city)
    token = db.scalar(
        select(ResidentToken).where(
            ResidentToken.token_hash == token_digest(raw), ResidentToken.kind == SESSION
        )
    )
    if token is None or token.expires_at < utcnow() or token.used_at is not None:
        return None
    return db.get(ResidentAccount, token.account_id)


def sign_out(db: Session, city: City, *, raw: str) -> None:
    enter_city(db, city)
    token = db.scalar(select(ResidentToken).where(ResidentToken.token_hash == token_digest(raw)))
    if token is not None:
        token.used_at = utcnow()


def set_password(db: Session, city: City, account: ResidentAccount, *, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            "Choose a longer password.",
            problems=[
                Problem(
                    "password",
                    N_("Use at least {n} characters."),
                    {"n": MIN_PASSWORD_LENGTH},
                )
            ],
        )
    account.password_hash = hash_password(password)
    audit.record(
        db,
        actor=f"resident:{account.id}",
        action="resident.password_set",
        entity_type="resident_account",
        entity_id=account.id,
    )


def my_requests(db: Session, city: City, account: ResidentAccount) -> list[ServiceRequest]:
    """The requests filed with the account's verified address, newest first."""
    if account.verified_at is None:
        return []
    enter_city(db, city)
    return list(
        db.scalars(
            select(ServiceRequest)
            .where(func.lower(ServiceRequest.email) == account.email)
            .order_by(ServiceRequest.requested_at.desc())
            .limit(200)
        )
    )


def purge_tokens(db: Session) -> int:
    """Drop spent or expired resident tokens of every city (a system job)."""
    bind_all_cities(db)
    now = utcnow()
    result = db.execute(
        delete(ResidentToken)
        .where((ResidentToken.expires_at < now) | (ResidentToken.used_at < now - timedelta(days=1)))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
