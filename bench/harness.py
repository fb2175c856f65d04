"""Shared by the benchmarks: a demo server on loopback, and a keep-alive load generator.

The load comes from Debian's ``wrk`` (a C program; ``make bench`` installs it) when it is
on the machine, so that the client does not compete with the server for the GIL; else
from Python threads in this process, which flatters nothing but caps what can be measured.
"""

from __future__ import annotations

import http.client
import itertools
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

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
    with server_on(env) as port:
        yield port


@contextmanager
def server_on(env: dict[str, str], *args: str) -> Iterator[int]:
    """Serve what the database holds (e.g. a second server with other settings or
    ``--workers 2``)."""
    port = free_port()
    server = subprocess.Popen(
        [*CIVITAS, "serve", "--port", str(port), *args],
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


@dataclass(frozen=True)
class Shot:
    """One kind of request. A form is sent url-encoded; ``unique`` names a form field that
    gets a different value on every request (so that no POST is taken as a retry)."""

    method: str
    path: str
    form: dict[str, str] = field(default_factory=dict)
    unique: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def target(self, tag: str) -> str:
        """The path; a GET with ``unique`` gets that query parameter, different each time
        (a cache-buster, as browsers' ``_=`` is: every list is computed afresh)."""
        if self.method == "GET" and self.unique:
            return f"{self.path}&{self.unique}={tag}"
        return self.path

    def body(self, tag: str) -> str | None:
        if self.method == "GET":
            return None
        if not self.form and not self.unique:
            return None
        fields = dict(self.form)
        if self.unique:
            fields[self.unique] = f"{fields.get(self.unique, '')} {tag}".strip()
        return urllib.parse.urlencode(fields)


def get(path: str) -> Shot:
    return Shot("GET", path)


def load(port: int, shot: Shot, seconds: float, clients: int) -> dict[str, float]:
    """``clients`` keep-alive connections for ``seconds``: req/s, p50/p99 ms, errors."""
    if shutil.which("wrk"):
        return wrk_load(port, shot, seconds, clients)
    return python_load(port, shot, seconds, clients)


WRK_SCRIPT = """
local counter = 0
local thread_count = 0
setup = function(thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count)
end
request = function()
  counter = counter + 1
  local body = nil
  if METHOD == "GET" then
    local path = PATH
    if UNIQUE ~= "" then
      path = path .. "&" .. UNIQUE .. "=w" .. tid .. "-" .. counter
    end
    return wrk.format(METHOD, path, HEADERS, nil)
  end
  if BODY ~= "" or UNIQUE ~= "" then
    body = BODY
    if UNIQUE ~= "" then
      local sep = (body ~= "" and "&" or "")
      body = body .. sep .. UNIQUE .. "=" .. PREFIX .. "+w" .. tid .. "-" .. counter
    end
  end
  return wrk.format(METHOD, PATH, HEADERS, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d socket_errors=%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def _lua(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk_load(port: int, shot: Shot, seconds: float, clients: int) -> dict[str, float]:
    unique = shot.unique or ""
    form = {k: v for k, v in shot.form.items() if k != unique}
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if shot.form else {}
    headers |= shot.headers
    lua_headers = "{" + ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in headers.items()) + "}"
    prelude = (
        f"METHOD = {_lua(shot.method)}\nPATH = {_lua(shot.path)}\n"
        f"BODY = {_lua(urllib.parse.urlencode(form))}\nUNIQUE = {_lua(unique)}\n"
        f"PREFIX = {_lua(urllib.parse.quote_plus(shot.form.get(unique, 'bench')))}\n"
        f"HEADERS = {lua_headers}\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(prelude + WRK_SCRIPT)
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{clients}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "30s",
                "-s",
                script.name,
                f"http://127.0.0.1:{port}",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(script.name)
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    got = {k: int(v) for k, v in (part.split("=") for part in line.split()[1:])}
    return {
        "rps": got["requests"] / (got["duration_us"] / 1e6),
        "p50_ms": got["p50_us"] / 1000,
        "p99_ms": got["p99_us"] / 1000,
        "errors": got["non2xx"] + got["socket_errors"],
        "n": got["requests"],
        "seconds": got["duration_us"] / 1e6,
    }


def python_load(port: int, shot: Shot, seconds: float, clients: int) -> dict[str, float]:
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
            body = shot.body(f"c{index}-{n}")
            headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
            headers |= shot.headers
            started = time.perf_counter()
            conn.request(shot.method, shot.target(f"c{index}-{n}"), body=body, headers=headers)
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
        "seconds": elapsed,
    }


def interleaved(
    jobs: dict[str, tuple[int, Shot]], seconds: float, clients: int, rounds: int = 4
) -> dict[str, dict[str, float]]:
    """Each job (a port and a shot) for ``seconds`` in all, in ``rounds`` turns taken one
    after the other (bare, list, POST, bare, list, POST, …), so that a machine whose speed
    drifts during the run (this one moves by a factor of two within a minute) slows every
    row alike. Requests per second over all turns; p50 and p99 are the median of the
    turns' figures."""
    turns: dict[str, list[dict[str, float]]] = {name: [] for name in jobs}
    for _ in range(rounds):
        for name, (port, shot) in jobs.items():
            turns[name].append(load(port, shot, seconds / rounds, clients))
    return {
        name: {
            "rps": sum(t["n"] for t in got) / sum(t["seconds"] for t in got),
            "p50_ms": statistics.median(t["p50_ms"] for t in got),
            "p99_ms": statistics.median(t["p99_ms"] for t in got),
            "errors": sum(t["errors"] for t in got),
            "n": sum(t["n"] for t in got),
        }
        for name, got in turns.items()
    }


def table(results: dict[str, dict[str, float]], bare: str = "bare") -> None:
    """One row per endpoint; "% bare" against the bare endpoint of the same server (a row
    named ``…_2w`` against ``bare_2w`` when there is one)."""
    print(f"{'endpoint':<18}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'% bare':>9}{'errors':>8}")
    for name, r in results.items():
        suffix = name.rsplit("_", 1)[-1]
        own = f"{bare}_{suffix}"
        base = results[own if suffix.endswith("w") and own in results else bare]["rps"]
        print(
            f"{name:<18}{r['rps']:>9.0f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
            f"{100 * r['rps'] / base:>8.0f}%{r['errors']:>8.0f}"
        )


DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_database() -> tuple[str, str, str]:
    """A fresh PostgreSQL database for one run: (its URL, the admin DSN, its name)."""
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(os.environ.get("CIVITAS_TEST_POSTGRES_URL", DEFAULT_PG))
    name = f"civitas_bench_{uuid.uuid4().hex[:8]}"
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin.set(database=name).render_as_string(hide_password=False), dsn, name


def drop_postgres(dsn: str, name: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def child_json(script: str, url: str) -> dict[str, object]:
    """Run ``script --child URL`` in its own process (so its peak memory is its own) and
    read the JSON object it prints last."""
    import json

    out = subprocess.run(
        [sys.executable, script, "--child", url],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ.copy(),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@contextmanager
def database(kind: str, folder: Path, name: str) -> Iterator[str]:
    """A fresh database for one run: a SQLite file in ``folder``, or a PostgreSQL database
    dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / name}"
        return
    url, dsn, db_name = postgres_database()
    try:
        yield url
    finally:
        drop_postgres(dsn, db_name)


def figure_line(kind: str, figures: dict[str, object]) -> str:
    return f"{kind:<10} " + " ".join(
        f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()
    )
