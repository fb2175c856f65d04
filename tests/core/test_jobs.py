"""Background jobs run in a real Huey consumer, on the embedded SQLite queue and on Redis."""

from __future__ import annotations

import threading
import uuid

import pytest
from huey.consumer import Consumer

from civitas.core.config import Settings
from civitas.core.jobs import build_huey


def _run_with_consumer(huey):
    done = threading.Event()
    results = []

    @huey.task()
    def add(a, b):
        results.append(a + b)
        done.set()
        return a + b

    consumer = Consumer(
        huey, workers=1, worker_type="thread", periodic=False, check_worker_health=False
    )
    consumer.start()
    try:
        result = add(2, 3)
        assert result.get(blocking=True, timeout=15) == 5
        assert done.wait(5)
    finally:
        consumer.stop(graceful=True)
    return results


def test_embedded_sqlite_queue(tmp_root):
    huey = build_huey(Settings(jobs_backend="sqlite", jobs_path=tmp_root / "jobs-test.db"))
    assert type(huey).__name__ == "SqliteHuey"
    assert _run_with_consumer(huey) == [5]


def test_redis_queue():
    # a queue of this run's own: suites running side by side share the Redis server
    huey = build_huey(
        Settings(jobs_backend="redis", redis_url="redis://127.0.0.1:6379/15"),
        name=f"civitas-test-{uuid.uuid4().hex[:8]}",
    )
    try:
        huey.storage.conn.ping()
    except Exception as exc:  # Redis is part of the platform; its absence is a failure
        pytest.fail(f"Redis is not reachable on 127.0.0.1:6379: {exc}")
    huey.flush()
    assert _run_with_consumer(huey) == [5]
    huey.flush()


def test_nightly_token_purge_is_registered():
    from civitas import tasks
    from civitas.accounts.tasks import purge_tokens

    periodic = tasks.huey._registry._periodic_tasks
    assert purge_tokens.task_class in periodic
