"""Per-city counters (e.g. request numbers 1, 2, 3 … in each city), safe under concurrency:
an UPDATE … RETURNING takes the row lock, and the first use inserts the row."""

from __future__ import annotations

from sqlalchemy import Integer, String, UniqueConstraint, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from civitas.core.db import Base
from civitas.core.tenancy import TenantMixin


class Counter(TenantMixin, Base):
    __tablename__ = "counters"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    value: Mapped[int] = mapped_column(Integer, default=0)


# built once (the tenancy hook adds the city)
_ADVANCE = (
    update(Counter)
    .where(Counter.name == bindparam("counter_name"))
    .values(value=Counter.value + 1)
    .returning(Counter.value)
    .execution_options(synchronize_session=False)  # no Counter objects are loaded
)


def next_value(db: Session, name: str) -> int:
    """The next value of the named counter of the session's city (in its transaction)."""
    for _ in range(3):
        value = db.scalar(_ADVANCE, {"counter_name": name})
        if value is not None:
            return int(value)
        try:
            with db.begin_nested():
                db.add(Counter(name=name, value=1))
            return 1
        except IntegrityError:  # another transaction created it first; update it now
            continue
    raise RuntimeError(f"could not advance counter {name!r}")


def current_value(db: Session, name: str) -> int:
    return int(db.scalar(select(Counter.value).where(Counter.name == name)) or 0)
