"""SQLite writers queue on a gate instead of SQLite's sleeping busy handler: in order within
a process, and across processes through the gate's lock file.

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


def test_many_concurrent_writers_all_commit_in_turn(tmp_path):
    """Fairness counted in turns, not measured on the clock: between asking for the gate and
    getting it, a writer lets through at most the writers that were already queued. SQLite's
    busy handler alone, with its growing back-off pauses, let some writers watch hundreds
    of others go first while the lock stood free between them."""
    engine = _engine(tmp_path)
    raw = engine.raw_connection()
    gate = raw.dbapi_connection.gate
    raw.close()
    granted = [0]  # grants so far; only the holder of the gate counts up
    overtaken: list[int] = []
    take = gate._take

    def counting_take(timeout: float) -> bool:
        asked_at = granted[0]
        ok = bool(take(timeout))
        if ok:
            overtaken.append(granted[0] - asked_at)
            granted[0] += 1
        return ok

    gate._take = counting_take
    errors: list[BaseException] = []
    writers = 16

    def writer() -> None:
        for _ in range(25):
            try:
                with engine.begin() as conn:
                    conn.execute(text("UPDATE n SET value = value + 1 WHERE id = 1"))
                    time.sleep(0.001)  # hold the lock a moment, as a real transaction does
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM n")).scalar() == writers * 25
    assert len(overtaken) == writers * 25
    # in line behind at most the other 15; one more turn of slack for a writer that read
    # the count, lost the processor and queued a moment later than it asked
    assert max(overtaken) <= 2 * (writers - 1), sorted(overtaken)[-10:]


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


_CHILD = """
import sys, threading, time
from sqlalchemy import text
from civitas.core.db import make_engine

engine = make_engine(f"sqlite:///{sys.argv[1]}", pool_size=8)
mode = sys.argv[2]
if mode == "count":
    def writer():
        for _ in range(20):
            with engine.begin() as conn:
                conn.execute(text("UPDATE n SET value = value + 1 WHERE id = 1"))
                time.sleep(0.001)
    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
elif mode == "hold":
    conn = engine.connect()
    conn.execute(text("UPDATE n SET value = -1 WHERE id = 1"))
    print("holding", flush=True)
    time.sleep(60)
elif mode == "try":
    raw = engine.raw_connection()
    gate = raw.dbapi_connection.gate
    taken = gate.acquire(timeout=0.2)
    print("taken" if taken else "refused", flush=True)
"""


def _child(tmp_path, *args):
    import subprocess
    import sys

    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    return subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "gate.db"), *args],
        stdout=subprocess.PIPE,
        text=True,
    )


def test_writers_of_several_processes_take_turns(tmp_path):
    engine = _engine(tmp_path)
    children = [_child(tmp_path, "count") for _ in range(3)]
    for child in children:
        assert child.wait(timeout=120) == 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM n")).scalar() == 3 * 4 * 20


def test_a_writer_in_another_process_waits_at_the_lock_file(tmp_path):
    engine = _engine(tmp_path)
    with engine.connect() as conn:
        conn.execute(text("UPDATE n SET value = 3"))  # holds this process's gate and the file
        child = _child(tmp_path, "try")
        out, _ = child.communicate(timeout=60)
        assert out.strip() == "refused"
        conn.commit()
    child = _child(tmp_path, "try")
    out, _ = child.communicate(timeout=60)
    assert out.strip() == "taken"


def test_a_killed_writer_leaves_the_lock_to_the_next(tmp_path):
    import signal

    engine = _engine(tmp_path)
    child = _child(tmp_path, "hold")
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "holding"
    started = time.perf_counter()
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    with engine.begin() as conn:
        conn.execute(text("UPDATE n SET value = value + 1"))
    assert time.perf_counter() - started < 5
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM n")).scalar() == 1  # the kill rolled back
