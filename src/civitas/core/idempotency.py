"""Idempotent POSTs: the first answer to a key is stored with the change it made, in the same
transaction, and replayed for every retry. A unique constraint settles concurrent retries.

Without an ``Idempotency-Key`` header, an identical POST from the same client within
``WINDOW`` counts as a retry too (keys per time bucket, the current and the previous one)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Integer, LargeBinary, String, UniqueConstraint, bindparam, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from civitas.core.db import Base, utcnow
from civitas.core.errors import Conflict
from civitas.core.tenancy import TenantMixin, bind_all_cities

WINDOW = timedelta(seconds=60)
MAX_KEY = 200


class IdempotencyRecord(TenantMixin, Base):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("tenant_id", "client", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(260))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(100))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def fingerprint(method: str, path: str, fields: Iterable[tuple[str, str]]) -> str:
    digest = hashlib.sha256(f"{method} {path}\n".encode())
    for name, value in sorted(fields):
        digest.update(f"{name}={value}\n".encode())
    return digest.hexdigest()


def keys_for(header: str | None, fp: str, now: datetime) -> list[str]:
    """The keys to look up, the first being the one to store under."""
    if header:
        return [f"key:{header[:MAX_KEY]}"]
    bucket = int(now.timestamp() // WINDOW.total_seconds())
    return [f"auto:{fp}:{bucket}", f"auto:{fp}:{bucket - 1}"]


# built once (every write through the API asks it)
_BY_CLIENT_AND_KEYS = select(IdempotencyRecord).where(
    IdempotencyRecord.client == bindparam("client"),
    IdempotencyRecord.key.in_(bindparam("keys", expanding=True)),
)


def find(
    db: Session, *, client: str, keys: list[str], fp: str, now: datetime | None = None
) -> IdempotencyRecord | None:
    """The stored answer to replay, or None. Reusing a key for another request is refused."""
    records = db.scalars(_BY_CLIENT_AND_KEYS, {"client": client, "keys": keys}).all()
    now = now or utcnow()
    for record in records:
        if record.key.startswith("key:"):
            if record.fingerprint != fp:
                raise Conflict(
                    "This Idempotency-Key was used for a different request; use a new key."
                )
            return record
        if record.created_at >= now - WINDOW:
            return record
    return None


def remember(
    db: Session, *, client: str, key: str, fp: str, status_code: int, media_type: str, body: bytes
) -> None:
    """Store the answer in the caller's transaction (commits with the change itself)."""
    db.add(
        IdempotencyRecord(
            client=client,
            key=key,
            fingerprint=fp,
            status_code=status_code,
            media_type=media_type,
            body=body,
        )
    )


def purge(db: Session, *, older_than: timedelta = timedelta(days=2)) -> int:
    """Forget answers older than two days (a system job over every city)."""
    bind_all_cities(db)
    result = db.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - older_than)
    )
    return int(getattr(result, "rowcount", 0) or 0)
