"""Run a write once per idempotency key and replay its answer to retries."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.responses import RedirectResponse, Response
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


# --- HTML forms that create something --------------------------------------------------
# Each such form carries a key made when it is shown (``form_key()`` in templates). The
# redirect that answered it is stored under that key in the same transaction as what the
# form created, so a second press, or a resend after a slow answer, is shown the first
# result instead of creating a second one.

FORM_KEY = "form_key"


def _form_client(actor: str) -> str:
    return f"form:{actor}"[:200]


def _form_keys(key: str) -> list[str]:
    return [f"form:{key[: idempotency.MAX_KEY]}"]


def replay_form(db: Session, *, actor: str, key: str | None) -> Response | None:
    """The answer this form got before, if it was sent before."""
    if not key:
        return None
    fp = idempotency.fingerprint("FORM", key, [])
    stored = idempotency.find(db, client=_form_client(actor), keys=_form_keys(key), fp=fp)
    if stored is None:
        return None
    return RedirectResponse(stored.body.decode(), status_code=303)


def commit_form(db: Session, *, actor: str, key: str | None, answer: str) -> Response:
    """Commit what the form created with its answer (a redirect to ``answer``); if a
    simultaneous press committed first, undo this one and answer as it did."""
    if key:
        idempotency.remember(
            db,
            client=_form_client(actor),
            key=_form_keys(key)[0],
            fp=idempotency.fingerprint("FORM", key, []),
            status_code=303,
            media_type="text/uri-list",
            body=answer.encode(),
        )
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        earlier = replay_form(db, actor=actor, key=key)
        if earlier is None:
            raise
        return earlier
    return RedirectResponse(answer, status_code=303)
