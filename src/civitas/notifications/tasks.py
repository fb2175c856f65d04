"""The outbox's tasks: mail now after a change, and a sweep every minute."""

from __future__ import annotations

import time

import structlog
from huey import crontab

from civitas.core.config import get_settings
from civitas.core.db import session_factory
from civitas.core.jobs import huey
from civitas.notifications.service import deliver_due

log = structlog.get_logger("civitas.jobs")


BATCH = 50
BUDGET_S = 45.0  # a run stops taking new batches after this long (the next one goes on)


def deliver(budget_s: float = BUDGET_S, *, newest_first: bool = False) -> dict[str, int]:
    """Send whatever mail is due, here and now: batch after batch while batches come full
    (a backlog drains in one run, not 50 a minute), until a batch fails or the time is up."""
    started = time.monotonic()
    total = {"sent": 0, "failed": 0}
    while True:
        counts = deliver_due(
            session_factory(), get_settings(), limit=BATCH, newest_first=newest_first
        )
        newest_first = False  # the change's own mail first; then the backlog, oldest first
        total = {k: total[k] + counts[k] for k in total}
        done = counts["sent"] + counts["failed"] < BATCH
        if done or counts["failed"] or time.monotonic() - started > budget_s:
            break
    if total["sent"] or total["failed"]:
        log.info("outbox delivered", **total)
    return total


@huey.task()  # type: ignore[untyped-decorator]
def deliver_outbox() -> dict[str, int]:
    """Send due mail now (enqueued after a change that wrote to the outbox): the newest
    first, which is the change's own."""
    return deliver(newest_first=True)


@huey.periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def sweep_outbox() -> dict[str, int]:
    """Every minute: retries after backoff, and messages whose sender crashed mid-send."""
    return deliver()
