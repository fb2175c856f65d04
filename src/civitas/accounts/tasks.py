"""Accounts' nightly clean-up."""

from __future__ import annotations

import structlog
from huey import crontab

from civitas.accounts.service import purge_expired_tokens
from civitas.core.db import session_scope
from civitas.core.jobs import huey

log = structlog.get_logger("civitas.jobs")


@huey.periodic_task(crontab(minute="17", hour="3"))  # type: ignore[untyped-decorator]
def purge_tokens() -> int:
    """Nightly: delete expired sessions and bearer tokens of every city."""
    with session_scope() as db:
        removed = purge_expired_tokens(db)
    log.info("purged expired tokens", removed=removed)
    return removed
