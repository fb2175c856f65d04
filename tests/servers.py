"""A real `civitas serve` process on a free loopback port, for tests that need one (a kill -9,
a pile-up of clients)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx2 as httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(port: int, **settings: str) -> subprocess.Popen[bytes]:
    """Start the server with the test settings (plus ``settings``, e.g. CIVITAS_THREADS) and
    return once it is ready."""
    child = subprocess.Popen(
        [sys.executable, "-m", "civitas", "serve", "--port", str(port)],
        env={**os.environ, "CIVITAS_LOG_LEVEL": "WARNING", **settings},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # importing ~300 routes takes seconds, and on a machine running two suites at once
    # (five test processes on two cores) several times that
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return child
        except httpx.HTTPError:
            time.sleep(0.1)
    child.kill()
    raise RuntimeError("the server did not start")
