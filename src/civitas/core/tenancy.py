"""Per-row tenancy, enforced in one place.

Every tenant-owned model inherits :class:`TenantMixin` (a ``tenant_id`` column pointing at
``cities.id``). A session is bound to one city with :func:`bind_city`; from then on

* every ORM SELECT, UPDATE and DELETE gets ``tenant_id = <city>`` added to every tenant-owned
  entity it touches, including joins and relationship loads (``with_loader_criteria``);
* every flush checks that new objects belong to that city (filling ``tenant_id`` when unset)
  and that no object changes city;
* a session that is not bound refuses to read or write tenant-owned rows at all (fail closed).

Work that must span cities (the demo loader, a network coordinator's benchmark) opens a
session with :func:`bind_all_cities`, which is explicit and greppable.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, event, inspect
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    with_loader_criteria,
)

from civitas.core.errors import TenancyViolation

_KEY = "civitas_city_id"
ALL_CITIES = -1


class TenantMixin:
    """A row that belongs to exactly one city."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:  # noqa: N805 - SQLAlchemy passes the class
        return mapped_column(
            ForeignKey("cities.id", ondelete="CASCADE"), index=True, nullable=False
        )


def bind_city(session: Session, city_id: int) -> Session:
    """Bind the session to one city. Rebinding to another city is refused."""
    current = session.info.get(_KEY)
    if current is not None and current != city_id:
        raise TenancyViolation(f"session already bound to city {current}, not {city_id}")
    session.info[_KEY] = city_id
    return session


def bind_all_cities(session: Session) -> Session:
    """Explicitly let this session see every city (system tasks only)."""
    session.info[_KEY] = ALL_CITIES
    return session


def bound_city(session: Session) -> int | None:
    value = session.info.get(_KEY)
    return None if value is None else int(value)


def _touches_tenant_rows(state: ORMExecuteState) -> bool:
    return any(issubclass(m.class_, TenantMixin) for m in state.all_mappers)


@event.listens_for(Session, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the criteria of the originating statement propagate to these loads
    city = state.session.info.get(_KEY)
    if city == ALL_CITIES:
        return
    if city is None:
        if _touches_tenant_rows(state):
            raise TenancyViolation("query on city-owned rows from a session bound to no city")
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantMixin,
            lambda cls: cls.tenant_id == city,
            include_aliases=True,
        )
    )


@event.listens_for(Session, "before_flush")
def _check_writes(session: Session, _ctx: Any, _instances: Any) -> None:
    city = session.info.get(_KEY)
    for obj in session.new:
        if not isinstance(obj, TenantMixin):
            continue
        if city is None:
            raise TenancyViolation(f"cannot add {type(obj).__name__}: session bound to no city")
        if city == ALL_CITIES:
            if obj.tenant_id is None:
                raise TenancyViolation(f"{type(obj).__name__} added without tenant_id")
            continue
        if obj.tenant_id is None:
            obj.tenant_id = city
        elif obj.tenant_id != city:
            raise TenancyViolation(
                f"cannot add {type(obj).__name__} of city {obj.tenant_id} in city {city}"
            )
    for obj in list(session.dirty) + list(session.deleted):
        if not isinstance(obj, TenantMixin):
            continue
        history = inspect(obj).attrs.tenant_id.history
        if history.deleted and history.deleted[0] is not None:
            raise TenancyViolation(f"{type(obj).__name__} cannot move to another city")
        if city is None:
            raise TenancyViolation(f"cannot change {type(obj).__name__}: no city bound")
        if city != ALL_CITIES and obj.tenant_id != city:
            raise TenancyViolation(f"cannot change {type(obj).__name__} of another city")
