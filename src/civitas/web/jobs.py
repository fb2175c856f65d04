"""Hand work to the background worker after the transaction that needs it has committed."""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy.orm import Session

from civitas.core import background

log = structlog.get_logger("civitas.jobs")


def kick_outbox() -> None:
    """Ask the worker to send mail now; if the queue is unreachable, the minute sweep will."""
    from civitas.notifications.tasks import deliver_outbox

    try:
        deliver_outbox()
    except Exception as exc:  # the outbox row is committed; nothing is lost
        log.warning("could not enqueue outbox delivery", error=str(exc))


def start_job(
    db: Session, *, kind: str, params: dict[str, Any], actor: str
) -> tuple[background.Job, bool]:
    """The job doing this work (committed), handed to the worker if it is new."""
    from civitas.tasks import enqueue_job

    job, new = background.start(db, kind_name=kind, params=params, actor=actor)
    if new:
        enqueue_job(job.id)
    return job, new
