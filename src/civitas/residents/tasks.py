"""Residents' accounts: nightly clean-up of spent sign-in links and sessions."""

from __future__ import annotations

import structlog
from huey import crontab

from civitas.core.db import session_scope
from civitas.core.jobs import huey
from civitas.residents import service as residents

log = structlog.get_logger("civitas.jobs")


@huey.periodic_task(crontab(minute="37", hour="3"))  # type: ignore[untyped-decorator]
def purge_resident_tokens() -> int:
    """Nightly: drop residents' spent or expired sign-in links and sessions."""
    with session_scope() as db:
        removed = residents.purge_tokens(db)
    log.info("purged resident sign-in tokens", removed=removed)
    return removed
