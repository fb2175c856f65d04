"""Every background task, registered on the one Huey instance. ``civitas worker`` runs them."""

from __future__ import annotations

import structlog
from huey import crontab

from civitas.accounts.service import purge_expired_tokens
from civitas.cases import drafts
from civitas.cases import service as cases
from civitas.core import idempotency
from civitas.core.config import get_settings
from civitas.core.db import session_factory, session_scope
from civitas.core.jobs import huey
from civitas.notifications.service import deliver_due
from civitas.residents import service as residents

__all__ = [
    "deliver_outbox",
    "escalate_overdue",
    "huey",
    "purge_idempotency",
    "purge_tokens",
    "sweep_outbox",
]

log = structlog.get_logger("civitas.jobs")


@huey.periodic_task(crontab(minute="17", hour="3"))  # type: ignore[untyped-decorator]
def purge_tokens() -> int:
    """Nightly: delete expired sessions and bearer tokens of every city."""
    with session_scope() as db:
        removed = purge_expired_tokens(db)
    log.info("purged expired tokens", removed=removed)
    return removed


def _deliver() -> dict[str, int]:
    counts = deliver_due(session_factory(), get_settings())
    if counts["sent"] or counts["failed"]:
        log.info("outbox delivered", **counts)
    return counts


@huey.task()  # type: ignore[untyped-decorator]
def deliver_outbox() -> dict[str, int]:
    """Send due mail now (enqueued after a change that wrote to the outbox)."""
    return _deliver()


@huey.periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def sweep_outbox() -> dict[str, int]:
    """Every minute: retries after backoff, and messages whose sender crashed mid-send."""
    return _deliver()


@huey.periodic_task(crontab(minute="27", hour="3"))  # type: ignore[untyped-decorator]
def purge_idempotency() -> int:
    """Nightly: forget stored answers to retries older than two days."""
    with session_scope() as db:
        removed = idempotency.purge(db)
    log.info("purged idempotency records", removed=removed)
    return removed


@huey.periodic_task(crontab(minute="37", hour="3"))  # type: ignore[untyped-decorator]
def purge_report_drafts() -> int:
    """Nightly: drop residents' unsent request drafts older than a day, and their spent or
    expired sign-in links and sessions."""
    with session_scope() as db:
        removed = drafts.purge_drafts(db)
    with session_scope() as db:
        removed += residents.purge_tokens(db)
    log.info("purged report drafts", removed=removed)
    return removed


@huey.periodic_task(crontab(minute="*/15"))  # type: ignore[untyped-decorator]
def escalate_overdue() -> int:
    """Every 15 minutes: escalate open cases past their target time to their managers."""
    count = cases.escalate_overdue(session_factory())
    if count:
        log.info("escalated overdue cases", count=count)
        _deliver()
    return count
