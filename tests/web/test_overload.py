"""More clients at once than the process has database connections: every request waits its
turn and is answered, none stands still until the pool gives up (a real server process,
a small pool and two threads, so that the pile-up comes quickly)."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx2 as httpx
import pytest

from tests.factories import PASSWORD
from tests.servers import free_port, serve

pytestmark = pytest.mark.slow

CLIENTS = 24  # six times the pool


def test_more_clients_than_connections_are_all_answered(two_cities: Any) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}/api/v1/cities/{two_cities.a.slug}"
    server = serve(port, CIVITAS_DB_POOL_SIZE="4", CIVITAS_THREADS="2")
    try:
        login = httpx.post(
            f"{base}/auth/token",
            json={"username": two_cities.a.users["manager"], "password": PASSWORD},
            timeout=10,
        )
        assert login.status_code == 201, login.text
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        answers: list[int | str] = []
        lock = threading.Lock()
        start = threading.Barrier(CLIENTS)

        def client(n: int) -> None:
            start.wait()  # all at once
            try:
                with httpx.Client(timeout=20) as http:
                    for k in range(3):
                        r = http.get(f"{base}/requests?page_size=50&_={n}-{k}", headers=headers)
                        with lock:
                            answers.append(r.status_code)
            except httpx.HTTPError as exc:  # a timeout: the process stood still
                with lock:
                    answers.append(type(exc).__name__)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        began = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=90)
        assert answers == [200] * (CLIENTS * 3), sorted(set(map(str, answers)))
        # one at a time these take milliseconds; the pool's own timeout is 30 s
        assert time.monotonic() - began < 20
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_clients_that_send_slowly_hold_no_connection(two_cities: Any) -> None:
    """Slow senders (a form's body trickling in) wait on their own socket: they take no
    database connection while they send, so everyone else is still served."""
    import socket

    port = free_port()
    server = serve(port, CIVITAS_DB_POOL_SIZE="2", CIVITAS_THREADS="2")
    slow: list[socket.socket] = []
    try:
        for _ in range(6):  # three times the pool, each with half a body sent
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(
                f"POST /{two_cities.a.slug}/report/{two_cities.a.published}/check HTTP/1.1\r\n"
                f"Host: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: 200\r\n\r\ncsrf=abc".encode()
            )
            slow.append(s)
        time.sleep(0.5)
        began = time.monotonic()
        r = httpx.get(
            f"http://127.0.0.1:{port}/open311/v2/services.json",
            params={"jurisdiction_id": two_cities.a.jurisdiction_id},
            timeout=10,
        )
        assert r.status_code == 200
        r = httpx.get(f"http://127.0.0.1:{port}/{two_cities.a.slug}/requests", timeout=10)
        assert r.status_code == 200
        assert time.monotonic() - began < 5
    finally:
        for s in slow:
            s.close()
        server.terminate()
        server.wait(timeout=30)
