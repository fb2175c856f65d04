"""Test harness: the suite runs against a fresh SQLite file or a fresh PostgreSQL database.

``pytest --db sqlite`` (default) or ``pytest --db postgresql``; the PostgreSQL server comes
from ``CIVITAS_TEST_POSTGRES_URL``. An unreachable PostgreSQL fails the run; it is never
skipped. The schema is built by the Alembic migrations, once per run.
"""

from __future__ import annotations

import copy
import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["tests.mailserver"]

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_state: dict[str, Any] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", choices=("sqlite", "postgresql"), default="sqlite")


def _admin_url() -> str:
    return os.environ.get("CIVITAS_TEST_POSTGRES_URL", DEFAULT_PG)


def pytest_configure(config: pytest.Config) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="civitas-test-"))
    _state["tmp"] = tmp
    kind = config.getoption("--db")
    if kind == "postgresql":
        import psycopg
        from sqlalchemy.engine import make_url

        admin = make_url(_admin_url())
        name = f"civitas_test_{uuid.uuid4().hex[:10]}"
        dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
        try:
            with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
                # a commit does not wait for its WAL to reach the disk: a throw-away
                # database, and the server is never crashed by a test
                conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit TO off')
        except psycopg.OperationalError as exc:
            raise pytest.UsageError(
                f"PostgreSQL is not reachable at {admin.render_as_string()}: {exc}. "
                "Start it (scripts/ensure-postgres.sh); the PostgreSQL run is never skipped."
            ) from None
        _state["pg"] = (dsn, name)
        url = admin.set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp / 'civitas.db'}"
    os.environ.update(
        {
            "CIVITAS_ENV": "test",
            "CIVITAS_DATABASE_URL": url,
            # tasks are queued, not run: the web request never waits on them; job tests
            # run a real consumer
            "CIVITAS_JOBS_BACKEND": "sqlite",
            "CIVITAS_JOBS_PATH": str(tmp / "jobs.db"),
            "CIVITAS_MEDIA_ROOT": str(tmp / "media"),
            "CIVITAS_LOG_LEVEL": "WARNING",
            "CIVITAS_PUBLIC_URL": "https://civitas.test",
        }
    )
    for key in ("CIVITAS_DEMO_API_KEY", "CIVITAS_DEMO_PASSWORD", "CIVITAS_REDIS_URL"):
        os.environ.pop(key, None)
    config.stash[db_kind_key] = kind


db_kind_key = pytest.StashKey[str]()


def pytest_unconfigure(config: pytest.Config) -> None:
    if "pg" in _state:
        import psycopg

        from civitas.core.db import engine_for

        engine_for.cache_clear()
        dsn, name = _state.pop("pg")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# The longest modules first (pytest-xdist hands out whole modules in the order they were
# collected): the demo's load alone is a third of a process's run, and started last it
# would leave the other processes idle at the end. Order only; every test still runs.
LONGEST_FIRST = (
    "tests/test_cli.py",
    "tests/test_isolation.py",
    "tests/browser/",
    "tests/conformance/test_openapi_fuzz.py",
    "tests/assistant/",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        return next(
            (n for n, start in enumerate(LONGEST_FIRST) if item.nodeid.startswith(start)),
            len(LONGEST_FIRST),
        )

    items.sort(key=rank)  # stable: the order within each group stays


def pytest_report_header(config: pytest.Config) -> str:
    url = os.environ.get("CIVITAS_DATABASE_URL", "")
    return f"civitas database: {config.getoption('--db')} ({url})"


@pytest.fixture(scope="session")
def db_kind(request: pytest.FixtureRequest) -> str:
    return request.config.stash[db_kind_key]


@pytest.fixture(scope="session")
def tmp_root() -> Path:
    return Path(_state["tmp"])


@pytest.fixture(scope="session")
def engine() -> Any:
    from civitas.core.db import get_engine
    from civitas.core.migrate import upgrade

    eng = get_engine()
    upgrade(eng)
    return eng


def _empty_tables(engine: Any) -> None:
    """Every table emptied without the ORM, and the caches that would not notice: only
    the tables a test wrote (one query finds them), by DELETE in dependency order, and on
    PostgreSQL only the sequences it moved restarted (a TRUNCATE of every table cost
    0.3 s a test there, a DELETE of each of them 10 ms on SQLite)."""
    from sqlalchemy import text

    from civitas.models import Base
    from civitas.web.microcache import cities, lists, services, slugs
    from tests.tables import non_empty

    lists.clear()  # the tables are emptied below without the ORM, which would clear them
    cities.clear()
    slugs.clear()
    services.clear()
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        found = non_empty(conn, tables)
        written = [name for name in tables if name in found]
        if engine.dialect.name == "postgresql":
            # one round trip: the DELETEs in dependency order, then every sequence that
            # moved set back to its start (as ALTER SEQUENCE … RESTART would)
            conn.exec_driver_sql(
                "".join(f"DELETE FROM {name};" for name in written)
                + "SELECT setval((quote_ident(schemaname) || '.' || quote_ident(sequencename))"
                "::regclass, start_value, false) FROM pg_sequences WHERE last_value IS NOT NULL"
            )
        else:
            for name in written:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty every table after each test that touched the database."""
    yield
    if "engine" not in request.fixturenames:
        return
    _empty_tables(request.getfixturevalue("engine"))


@dataclass
class WorldSnapshot:
    """The two-city world as built once by the real service functions: the World handed
    to tests, every row it wrote, and the files it stored."""

    world: Any
    rows: dict[str, list[dict[str, Any]]]
    media: Path


@pytest.fixture(scope="session")
def _world_snapshot(engine: Any, tmp_root: Path) -> WorldSnapshot:
    """Build the world once per run through the services (users, keys, a request with a
    photo …), keep its rows and files, and empty the database again."""
    from sqlalchemy import select

    from civitas.core.config import get_settings
    from civitas.models import Base
    from tests.factories import build_world

    _empty_tables(engine)
    world = build_world(engine)
    with engine.connect() as conn:
        rows = {
            table.name: [dict(r._mapping) for r in conn.execute(select(table))]
            for table in Base.metadata.sorted_tables
        }
    media = tmp_root / "world-media"
    shutil.copytree(get_settings().media_root, media, dirs_exist_ok=True)
    _empty_tables(engine)
    return WorldSnapshot(world, {name: found for name, found in rows.items() if found}, media)


def _restore(engine: Any, snapshot: WorldSnapshot) -> None:
    """Write the world's rows back into the empty tables, with each table's id sequence
    moved past them (PostgreSQL), and its files back into the media folder."""
    from sqlalchemy import text

    from civitas.core.config import get_settings
    from civitas.models import Base

    with engine.begin() as conn:
        moved = []
        for table in Base.metadata.sorted_tables:
            found = snapshot.rows.get(table.name)
            if not found:
                continue
            conn.execute(table.insert(), found)
            if "id" in table.c:
                moved.append(
                    f"setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT max(id) FROM {table.name}))"
                )
        if engine.dialect.name == "postgresql" and moved:
            conn.execute(text("SELECT " + ", ".join(moved)))  # one round trip
    shutil.copytree(snapshot.media, get_settings().media_root, dirs_exist_ok=True)


@pytest.fixture
def db(engine: Any) -> Iterator[Any]:
    """A plain session (bound to no city); commit explicitly where the test needs it."""
    from civitas.core.db import session_factory

    session = session_factory(engine)()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


_app: list[tuple[Any, Any]] = []  # (the settings, their app): one at a time


def shared_app() -> Any:
    """One app per process for as long as the settings stay the same object (a test that
    changes them clears ``get_settings``' cache and gets an app of its own). The app holds
    no state between requests, and FastAPI works out each included route's effective
    settings once per app, when a request first walks past it: 20-60 ms a test with an
    app of its own."""
    from civitas.core.config import get_settings
    from civitas.main import create_app

    settings = get_settings()
    if not _app or _app[0][0] is not settings:
        _app[:] = [(settings, create_app(settings))]
    return _app[0][1]


@pytest.fixture
def app(engine: Any) -> Any:
    return shared_app()


@pytest.fixture(scope="session")
def _portal() -> Iterator[Any]:
    """One event loop, in a thread, for every test's client, with the app's start-up run
    once: entering a TestClient starts a thread and a loop, 25 ms a test."""
    from fastapi.testclient import TestClient

    from civitas.main import create_app

    with TestClient(create_app()) as first:
        yield first.portal


@pytest.fixture
def client(app: Any, _portal: Any) -> Iterator[Any]:
    """A client of its own (cookies, headers) on the shared loop."""
    from fastapi.testclient import TestClient

    c = TestClient(app)
    c.portal = _portal
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def two_cities(engine: Any, _world_snapshot: WorldSnapshot) -> Any:
    """City A (trujillo) and city B (musterstadt), each with a department, a published and an
    unpublished service, one user per role and an API key. Built once per run through the
    services; each test gets it written back into its empty database (fast, and the same
    rows every time: commits, ids and sequences behave as after a real build)."""
    _restore(engine, _world_snapshot)
    return copy.deepcopy(_world_snapshot.world)


@pytest.fixture
def daytime() -> Iterator[Any]:
    """``daytime(slug)``: this process's clock (the tests' and an in-process server's)
    moved eight hours back while it is the city's late evening (20:00 or later), and
    ticking on from there, so that a test of today's office hours finds time left in the
    day whenever the suite runs. Outside the evening it changes nothing."""
    import time_machine

    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope, utcnow

    started: list[Any] = []

    def keep(slug: str) -> None:
        from zoneinfo import ZoneInfo

        with session_scope() as db:
            zone = ZoneInfo(get_city_by_slug(db, slug).timezone)
        now = utcnow()
        if now.astimezone(zone).hour >= 20:
            traveller = time_machine.travel(now - timedelta(hours=8), tick=True)
            traveller.start()
            started.append(traveller)

    yield keep
    for traveller in reversed(started):
        traveller.stop()


@pytest.fixture
def live_server(engine: Any) -> Iterator[str]:
    """The app on a free loopback port, served by uvicorn in a thread (the browser tests
    share one for as long as they run one after the other: tests/browser/conftest.py)."""
    with serving() as base:
        yield base


@contextmanager
def serving() -> Iterator[str]:
    """The app on a free loopback port, served by uvicorn in a thread while the block runs."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = shared_app()
    # the OpenAPI description is built once and kept: built here, before any client asks,
    # so that a loaded machine's first /openapi.json is not a ten-second wait
    app.openapi()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
