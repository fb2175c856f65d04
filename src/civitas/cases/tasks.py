"""Cases' periodic work: escalation of overdue cases, clean-up of unsent drafts."""

from __future__ import annotations

import structlog
from huey import crontab

from civitas.cases import drafts
from civitas.cases import service as cases
from civitas.core.db import session_factory, session_scope
from civitas.core.jobs import huey
from civitas.notifications.tasks import deliver

log = structlog.get_logger("civitas.jobs")


@huey.periodic_task(crontab(minute="37", hour="3"))  # type: ignore[untyped-decorator]
def purge_report_drafts() -> int:
    """Nightly: drop residents' unsent request drafts older than a day."""
    with session_scope() as db:
        removed = drafts.purge_drafts(db)
    log.info("purged report drafts", removed=removed)
    return removed


@huey.periodic_task(crontab(minute="*/15"))  # type: ignore[untyped-decorator]
def escalate_overdue() -> int:
    """Every 15 minutes: escalate open cases past their target time to their managers."""
    count = cases.escalate_overdue(session_factory())
    if count:
        log.info("escalated overdue cases", count=count)
        deliver()
    return count
