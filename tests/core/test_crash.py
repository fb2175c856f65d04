"""Nothing acknowledged is lost: ``kill -9`` of a real server process in the middle of a
load of Open311 POSTs, a restart, then every request that was answered is there, and a
resend with the same Idempotency-Key answers the same number (and files nothing new)."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import func, select

from civitas.cases.models import ServiceRequest
from civitas.core.db import session_scope
from civitas.core.tenancy import bind_all_cities
from tests.servers import free_port, serve

pytestmark = pytest.mark.slow

CLIENTS = 4


def _form(world: Any, n: int) -> dict[str, str]:
    return {
        "api_key": world.a.api_key,
        "jurisdiction_id": world.a.jurisdiction_id,
        "service_code": world.a.published,
        "lat": "-8.11",
        "long": "-79.03",
        "attribute[fault]": "out",
        "description": f"Crash test report {n}",
    }


def test_kill_9_during_load_loses_no_acknowledged_request(two_cities):
    port = free_port()
    url = f"http://127.0.0.1:{port}/open311/v2/requests.json"
    server = serve(port)
    acknowledged: dict[str, tuple[int, str]] = {}  # key -> (n, number)
    lock = threading.Lock()
    stop = threading.Event()

    def load(client_no: int) -> None:
        n = 0
        with httpx.Client(timeout=10) as http:
            while not stop.is_set():
                n += 1
                key = f"crash-{client_no}-{n}"
                number = client_no * 100_000 + n
                try:
                    r = http.post(
                        url, data=_form(two_cities, number), headers={"Idempotency-Key": key}
                    )
                except httpx.HTTPError:
                    return  # the server is gone
                if r.status_code == 200:
                    with lock:
                        acknowledged[key] = (number, r.json()[0]["service_request_id"])

    threads = [threading.Thread(target=load, args=(c,)) for c in range(CLIENTS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.send_signal(signal.SIGKILL)  # mid-load, as a power cut or an OOM kill would
    server.wait()
    stop.set()
    for t in threads:
        t.join(timeout=15)
    assert len(acknowledged) >= 40, "the load did not get going"

    server = serve(port)
    try:
        with session_scope() as db:
            bind_all_cities(db)
            stored = set(db.scalars(select(ServiceRequest.number)))
            before = db.scalar(select(func.count(ServiceRequest.id)))
        missing = [key for key, (_, num) in acknowledged.items() if int(num) not in stored]
        assert missing == [], f"{len(missing)} acknowledged requests lost: {missing[:5]}"
        # a client that never saw its answer sends again with the same key: the same number
        with httpx.Client(timeout=10) as http:
            for key, (n, number) in sorted(acknowledged.items())[:25]:
                r = http.post(url, data=_form(two_cities, n), headers={"Idempotency-Key": key})
                assert r.status_code == 200, r.text
                assert r.json()[0]["service_request_id"] == number
                assert r.headers.get("idempotent-replayed") == "true"
        with session_scope() as db:
            bind_all_cities(db)
            assert db.scalar(select(func.count(ServiceRequest.id))) == before
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
