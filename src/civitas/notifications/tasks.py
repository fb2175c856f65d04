"""The outbox's tasks: mail now after a change, and a sweep every minute."""

from __future__ import annotations

import structlog
from huey import crontab

from civitas.core.config import get_settings
from civitas.core.db import session_factory
from civitas.core.jobs import huey
from civitas.notifications.service import deliver_due

log = structlog.get_logger("civitas.jobs")


def deliver() -> dict[str, int]:
    """Send whatever mail is due, here and now."""
    counts = deliver_due(session_factory(), get_settings())
    if counts["sent"] or counts["failed"]:
        log.info("outbox delivered", **counts)
    return counts


@huey.task()  # type: ignore[untyped-decorator]
def deliver_outbox() -> dict[str, int]:
    """Send due mail now (enqueued after a change that wrote to the outbox)."""
    return deliver()


@huey.periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def sweep_outbox() -> dict[str, int]:
    """Every minute: retries after backoff, and messages whose sender crashed mid-send."""
    return deliver()
