"""Run a write once per idempotency key and replay its answer to retries."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civitas.core import idempotency
from civitas.core.db import utcnow

REPLAY_HEADER = "Idempotent-Replayed"


def _replay(record: idempotency.IdempotencyRecord) -> Response:
    return Response(
        record.body,
        status_code=record.status_code,
        media_type=record.media_type,
        headers={REPLAY_HEADER: "true"},
    )


def run_once(
    db: Session, *, client: str, header: str | None, fp: str, produce: Callable[[], Response]
) -> tuple[Response, bool]:
    """The answer, and whether it is new. ``produce`` writes without committing; its
    answer is stored in the same transaction, so the change and its answer commit together."""
    now = utcnow()
    keys = idempotency.keys_for(header, fp, now)
    stored = idempotency.find(db, client=client, keys=keys, fp=fp, now=now)
    if stored is not None:
        return _replay(stored), False
    response = produce()
    idempotency.remember(
        db,
        client=client,
        key=keys[0],
        fp=fp,
        status_code=response.status_code,
        media_type=response.media_type or "application/octet-stream",
        body=bytes(response.body),
    )
    try:
        db.commit()
    except IntegrityError:  # a concurrent retry committed first: answer as it did
        db.rollback()
        stored = idempotency.find(db, client=client, keys=keys, fp=fp, now=now)
        if stored is None:
            raise
        return _replay(stored), False
    return response, True
