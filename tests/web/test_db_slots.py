"""Open311 endpoints take one of ``CIVITAS_DB_SLOTS`` before their database work: many
concurrent requests are all answered, never more than that many at work at once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from civitas.cases.web import open311
from civitas.core.config import get_settings
from civitas.web import deps


def test_concurrent_posts_are_all_stored_two_at_a_time(client, two_cities, monkeypatch):
    assert get_settings().db_slots == 2
    active = 0
    most = 0
    lock = threading.Lock()
    real = deps.in_session

    def counted(work):
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
        try:
            time.sleep(0.02)  # long enough for the others to pile up
            return real(work)
        finally:
            with lock:
                active -= 1

    monkeypatch.setattr(open311, "in_session", counted)

    def post(n: int) -> int:
        response = client.post(
            "/open311/v2/requests.json",
            data={
                "api_key": two_cities.a.api_key,
                "jurisdiction_id": "trujillo.example",
                "service_code": "a-light",
                "address_string": f"Plaza {n}",
                "attribute[fault]": "out",
            },
        )
        return int(response.status_code)

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(post, range(8)))
    assert codes == [200] * 8
    assert most == 2
    listed = client.get("/open311/v2/requests.json?jurisdiction_id=trujillo.example").json()
    assert len(listed) == 9  # the world's request 1 and these eight
    assert sorted(int(e["service_request_id"]) for e in listed) == list(range(1, 10))
