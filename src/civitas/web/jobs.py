"""Hand work to the background worker after the transaction that needs it has committed."""

from __future__ import annotations

import structlog

log = structlog.get_logger("civitas.jobs")


def kick_outbox() -> None:
    """Ask the worker to send mail now; if the queue is unreachable, the minute sweep will."""
    from civitas.tasks import deliver_outbox

    try:
        deliver_outbox()
    except Exception as exc:  # the outbox row is committed; nothing is lost
        log.warning("could not enqueue outbox delivery", error=str(exc))
