"""Engine, declarative Base with a naming convention, and session factories."""

from __future__ import annotations

import fcntl
import functools
import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import orjson
from sqlalchemy import JSON, DateTime, Engine, MetaData, Text, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from civitas.core.config import Settings, get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# ids and per-city numbers are INTEGER columns: 32 bits on PostgreSQL. A larger number
# names nothing, and is answered as "not found" before any query is made.
MAX_ROW_ID = 2**31 - 1


def row_number(text: str) -> int | None:
    """The id or number a text names (ASCII digits, 1 to MAX_ROW_ID), or None: no row can
    have it."""
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ROW_ID else None


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes stored in UTC on every database (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Civitas stores only aware datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class JSONValue(TypeDecorator[Any]):
    """Any JSON value (a number too) kept as text: SQLite's JSON column has numeric affinity
    and would hand back a bare number as a number, not as JSON."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else orjson.dumps(value).decode()

    def process_result_value(self, value: str | None, dialect: Any) -> Any:
        return None if value is None else orjson.loads(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # SQLAlchemy reads this class attribute once, when the mapping is configured
    type_annotation_map = {  # noqa: RUF012
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        dict[str, str]: JSON(),
        list[str]: JSON(),
        list[int]: JSON(),
        list[dict[str, Any]]: JSON(),
    }


BUSY_TIMEOUT_S = 10.0
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class FairGate:
    """A lock handed to its waiters in the order they came (threading.Lock lets a thread
    that just left take it again at once, so under load some waiters starve).

    With a ``lock_path`` the holder also takes an exclusive ``flock`` on that file, so
    that the writers of several processes on one SQLite database (``civitas serve
    --workers N``, the worker, the CLI) take turns the same way: one writer per process
    at a time meets the others at the file lock, which it polls briefly instead of
    sleeping in SQLite's busy handler. The kernel drops the lock of a process that dies."""

    def __init__(self, lock_path: str | None = None) -> None:
        self._lock = threading.Lock()
        self._waiters: deque[threading.Lock] = deque()
        self._held = False
        self._fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600) if lock_path else None

    def acquire(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        if not self._take(timeout):
            return False
        if self._fd is None or self._lock_file(deadline):
            return True
        self.release()
        return False

    def _take(self, timeout: float) -> bool:
        with self._lock:
            if not self._held:
                self._held = True
                return True
            me = threading.Lock()
            me.acquire()
            self._waiters.append(me)
        if me.acquire(timeout=timeout):
            return True  # handed over by release()
        with self._lock:
            try:
                self._waiters.remove(me)
            except ValueError:
                return True  # handed over just as the wait ran out
            return False

    def _lock_file(self, deadline: float) -> bool:
        assert self._fd is not None
        pause = 0.0001
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(pause)
                pause = min(pause * 2, 0.002)

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        with self._lock:
            if self._waiters:
                self._waiters.popleft().release()  # stays held, by the next in line
            else:
                self._held = False


_gates: dict[tuple[int, str], FairGate] = {}
_gates_lock = threading.Lock()


def _gate_for(path: str, lock_path: str | None = None) -> FairGate:
    # per process: a forked child must not share its parent's open lock file
    with _gates_lock:
        key = (os.getpid(), path)
        if key not in _gates:
            _gates[key] = FairGate(lock_path)
        return _gates[key]


class _GatedCursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> Self:
        self.connection._enter_write(sql)  # type: ignore[attr-defined]
        return super().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> Self:
        self.connection._enter_write(sql)  # type: ignore[attr-defined]
        return super().executemany(sql, seq_of_parameters)


class GatedConnection(sqlite3.Connection):
    """A SQLite connection that queues for its database's write gate before its first write
    and leaves it after commit or rollback.

    SQLite lets one writer in at a time; the others wait in its busy handler, which sleeps
    and retries with growing pauses, so under many concurrent writers some wait seconds
    while the lock stands free. Writers queue on a fair gate instead and go in the moment
    it is free: in order within a process, and across processes (several server workers,
    the background worker, the CLI) through the gate's lock file next to the database.
    SQLite's own lock and busy timeout stay as the last guard."""

    gate: FairGate
    holding = False

    def cursor(self, factory: Any = _GatedCursor) -> Any:
        return super().cursor(factory)

    def _enter_write(self, sql: str) -> None:
        if self.holding or not sql.lstrip()[:7].upper().startswith(_WRITES):
            return
        if not self.gate.acquire(timeout=BUSY_TIMEOUT_S):
            raise sqlite3.OperationalError("database is locked (waited for the write gate)")
        self.holding = True

    def _leave_write(self) -> None:
        if self.holding:
            self.holding = False
            self.gate.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._leave_write()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._leave_write()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._leave_write()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged commit survives power loss
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    cursor.close()


def _attach_gate(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, GatedConnection):
        path = dbapi_connection.execute("PRAGMA database_list").fetchone()[2]
        # every in-memory database is its own: it gets its own gate (and no lock file)
        if path:
            dbapi_connection.gate = _gate_for(path, f"{path}-writer.lock")
        else:
            dbapi_connection.gate = _gate_for(f"memory:{id(dbapi_connection)}")


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def make_engine(url: str, *, echo: bool = False, pool_size: int = 40) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "factory": GatedConnection},
            pool_size=pool_size,
            max_overflow=10,
            json_serializer=_dumps,
            json_deserializer=orjson.loads,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "connect", _attach_gate)
        return engine
    return create_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=10,
        json_serializer=_dumps,
        json_deserializer=orjson.loads,
    )


@functools.cache
def engine_for(url: str, echo: bool = False, pool_size: int = 40) -> Engine:
    return make_engine(url, echo=echo, pool_size=pool_size)


def get_engine(settings: Settings | None = None) -> Engine:
    settings = settings or get_settings()
    return engine_for(settings.database_url, settings.database_echo, settings.db_pool_size)


@functools.cache
def _factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    return _factory(engine or get_engine())


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error: one transaction."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def refresh_statistics(engine: Engine | None = None) -> None:
    """Let the query planner see the data as it now is (``ANALYZE``), after a bulk load
    such as the demo or an import. Until autovacuum gets to it, PostgreSQL plans with the
    statistics of an empty table: the staff queue then sorts every row of a city instead of
    reading the newest fifty from its index (4 ms instead of 0.5 ms a page)."""
    with (engine or get_engine()).connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
