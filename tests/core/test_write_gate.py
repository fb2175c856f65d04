"""SQLite writers of one process queue on a gate instead of SQLite's sleeping busy handler.

These tests make their own SQLite file, so they run (the same) in the PostgreSQL run too."""

from __future__ import annotations

import threading
import time

from sqlalchemy import text

from civitas.core.db import make_engine


def _engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'gate.db'}", pool_size=16)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE n (id INTEGER PRIMARY KEY, value INTEGER)"))
        conn.execute(text("INSERT INTO n (id, value) VALUES (1, 0)"))
    return engine


def test_many_concurrent_writers_all_commit_quickly(tmp_path):
    engine = _engine(tmp_path)
    waits: list[float] = []
    errors: list[BaseException] = []

    def writer() -> None:
        for _ in range(25):
            started = time.perf_counter()
            try:
                with engine.begin() as conn:
                    conn.execute(text("UPDATE n SET value = value + 1 WHERE id = 1"))
                    time.sleep(0.001)  # hold the lock a moment, as a real transaction does
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)
            waits.append(time.perf_counter() - started)

    threads = [threading.Thread(target=writer) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM n")).scalar() == 16 * 25
    waits.sort()
    # 16 writers queue in turn (about 16 x 1.5 ms each); SQLite's busy handler alone,
    # with its growing back-off pauses, let some wait half a second and more
    assert waits[int(len(waits) * 0.99) - 1] < 0.2


def test_the_gate_is_left_after_commit_rollback_and_error(tmp_path):
    engine = _engine(tmp_path)
    with engine.connect() as conn:
        conn.execute(text("UPDATE n SET value = 5"))
        raw = conn.connection.dbapi_connection
        assert raw.holding
        conn.rollback()
        assert not raw.holding
        conn.execute(text("UPDATE n SET value = 6"))
        conn.commit()
        assert not raw.holding
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE n SET value = 7"))
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    gate = raw.gate
    assert gate.acquire(timeout=0)  # free again
    gate.release()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM n")).scalar() == 6


def test_reads_do_not_wait_for_a_writer(tmp_path):
    engine = _engine(tmp_path)
    with engine.connect() as writer:
        writer.execute(text("UPDATE n SET value = 9"))  # holds the gate, not committed
        with engine.connect() as reader:
            assert reader.execute(text("SELECT value FROM n")).scalar() == 0
        writer.commit()


def test_the_gate_serves_waiters_in_order():
    from civitas.core.db import FairGate

    gate = FairGate()
    assert gate.acquire(timeout=1)
    order: list[int] = []

    def waiter(n: int) -> None:
        assert gate.acquire(timeout=5)
        order.append(n)
        gate.release()

    threads = []
    for n in range(5):
        t = threading.Thread(target=waiter, args=(n,))
        t.start()
        threads.append(t)
        time.sleep(0.02)  # each is queued before the next comes
    assert not gate.acquire(timeout=0.01)  # held: a newcomer times out
    gate.release()
    for t in threads:
        t.join()
    assert order == [0, 1, 2, 3, 4]
    assert gate.acquire(timeout=0)
