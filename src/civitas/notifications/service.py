"""The outbox: enqueue in the caller's transaction; deliver with leases and backoff."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.config import Settings
from civitas.core.db import utcnow
from civitas.core.tenancy import bind_all_cities
from civitas.notifications import mail
from civitas.notifications.models import OutboxMessage

log = structlog.get_logger("civitas.outbox")

LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)

Sender = Callable[[Settings, EmailMessage], None]


_WRITTEN = "civitas_outbox_written"


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after each failed attempt, at most six hours."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def enqueue_email(
    db: Session,
    city: City,
    *,
    dedupe_key: str,
    recipient: str,
    subject: str,
    body: str,
    language: str,
    new_key: bool = False,
    attachments: list[dict[str, str]] | None = None,
) -> OutboxMessage | None:
    """Add an e-mail to the outbox in the caller's transaction (once per dedupe key; with
    ``new_key`` the caller vouches the key is new and the look-up is skipped, while the
    unique constraint still refuses a second message)."""
    enter_city(db, city)
    if (
        not new_key
        and db.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key))
        is not None
    ):
        return None
    message = OutboxMessage(
        dedupe_key=dedupe_key,
        recipient=recipient,
        subject=subject,
        body=body,
        language=language,
        attachments=list(attachments or []),
    )
    db.add(message)
    db.info[_WRITTEN] = True
    return message


def written(db: Session) -> bool:
    """Whether this session wrote to the outbox since the last ask (then a delivery job is
    worth enqueuing)."""
    return bool(db.info.pop(_WRITTEN, False))


def claim_due(
    db: Session, *, now: datetime, limit: int, newest_first: bool = False
) -> list[OutboxMessage]:
    """Take a lease on due, unsent messages of every city (a system task): oldest first,
    or (``newest_first``) the latest, for the run a change asked for, so that its mail
    does not wait behind a backlog that the minute's sweep drains."""
    bind_all_cities(db)
    stmt = (
        select(OutboxMessage)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.next_attempt_at <= now,
            (OutboxMessage.lease_until.is_(None)) | (OutboxMessage.lease_until < now),
        )
        .order_by(
            *(
                (OutboxMessage.id.desc(),)
                if newest_first
                else (OutboxMessage.next_attempt_at, OutboxMessage.id)
            )
        )
        .limit(limit)
    )
    if db.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    claimed = list(db.scalars(stmt))
    for message in claimed:
        message.lease_until = now + LEASE
        message.attempts += 1
    return claimed


def deliver_due(
    session_factory: Callable[[], Session],
    settings: Settings,
    *,
    now: datetime | None = None,
    limit: int = 50,
    sender: Sender = mail.send,
    newest_first: bool = False,
) -> dict[str, int]:
    """Send what is due. The lease is committed before sending, the outcome after each
    message: a crash between the two leaves the lease to run out, and the message is sent
    again (at least once, never lost)."""
    now = now or utcnow()
    with session_factory() as db:
        claimed = claim_due(db, now=now, limit=limit, newest_first=newest_first)
        db.commit()
        jobs = [
            (m.id, _stable_id(m), m.recipient, m.subject, m.body, list(m.attachments or []))
            for m in claimed
        ]
    counts = {"sent": 0, "failed": 0}
    for message_id, stable_id, recipient, subject, body, attachments in jobs:
        email = mail.build(
            settings,
            message_id=stable_id,
            recipient=recipient,
            subject=subject,
            body=body,
            attachments=attachments,
        )
        try:
            sender(settings, email)
        except Exception as exc:  # any failure of the mail path is retried later
            _record(session_factory, message_id, now=now, error=f"{type(exc).__name__}: {exc}")
            counts["failed"] += 1
            log.warning("mail not sent", outbox_id=message_id, error=str(exc))
        else:
            _record(session_factory, message_id, now=now, error=None)
            counts["sent"] += 1
    return counts


def _stable_id(message: OutboxMessage) -> str:
    """The same for every attempt at one outbox row, different for every row anywhere."""
    return f"civitas.{message.tenant_id}.{message.id}.{int(message.created_at.timestamp())}"


def _record(
    session_factory: Callable[[], Session], message_id: int, *, now: datetime, error: str | None
) -> None:
    with session_factory() as db:
        bind_all_cities(db)
        message = db.get(OutboxMessage, message_id)
        if message is None:
            return
        message.lease_until = None
        if error is None:
            message.sent_at = utcnow()
            message.last_error = None
        else:
            message.last_error = error[:2000]
            message.next_attempt_at = now + backoff(message.attempts)
        db.commit()


def pending(db: Session, city: City) -> list[OutboxMessage]:
    enter_city(db, city)
    return list(
        db.scalars(
            select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id)
        )
    )
