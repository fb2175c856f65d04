"""Shared by the benchmarks: a demo server on loopback, and a keep-alive load generator."""

from __future__ import annotations

import http.client
import itertools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

# (client index, request index) -> method, path, body, headers
MakeRequest = Callable[[int, int], tuple[str, str, str | None, dict[str, str]]]
CIVITAS = [sys.executable, "-m", "civitas"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_env(database_url: str | None, **extra: str) -> dict[str, str]:
    """Settings for a fresh demo in a temporary folder (or on the given database)."""
    tmp = Path(tempfile.mkdtemp(prefix="civitas-bench-"))
    return {
        **os.environ,
        "CIVITAS_DATABASE_URL": database_url or f"sqlite:///{tmp / 'bench.db'}",
        "CIVITAS_JOBS_PATH": str(tmp / "jobs.db"),
        "CIVITAS_MEDIA_ROOT": str(tmp / "media"),
        "CIVITAS_LOG_LEVEL": "WARNING",
        **extra,
    }


@contextmanager
def demo_server(env: dict[str, str]) -> Iterator[int]:
    """Migrate, load the demo and serve it; yields the port, stops the server after."""
    subprocess.run([*CIVITAS, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([*CIVITAS, "demo"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [*CIVITAS, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def get(path: str) -> MakeRequest:
    return lambda _client, _n: ("GET", path, None, {})


def load(port: int, make_request: MakeRequest, seconds: float, clients: int) -> dict[str, float]:
    """``clients`` keep-alive connections for ``seconds``: req/s, p50/p99 ms, errors."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker(index: int) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        bad = 0
        for n in itertools.count():
            if time.perf_counter() >= stop:
                break
            method, path, body, headers = make_request(index, n)
            started = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            if response.status != 200:
                bad += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000,
        "errors": errors,
        "n": len(latencies),
    }


def table(results: dict[str, dict[str, float]], bare: str = "bare") -> None:
    base = results[bare]["rps"]
    print(f"{'endpoint':<18}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'% bare':>9}{'errors':>8}")
    for name, r in results.items():
        print(
            f"{name:<18}{r['rps']:>9.0f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
            f"{100 * r['rps'] / base:>8.0f}%{r['errors']:>8.0f}"
        )
