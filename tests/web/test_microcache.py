"""Open311 lists may be served from a short cache, but never after a change in this process."""

from __future__ import annotations

from typing import Any

from civitas.cases.schemas import Status
from civitas.cases.service import change_status
from civitas.cities.service import get_city_by_slug
from civitas.core.db import session_scope
from tests.factories import bearer

URL = "/open311/v2/requests.json?jurisdiction_id=trujillo.example"


def test_a_change_is_visible_at_once(client, two_cities):
    first = client.get(URL).json()
    assert client.get(URL).json() == first  # now cached
    with session_scope() as db:
        change_status(
            db,
            get_city_by_slug(db, "trujillo"),
            number=1,
            status=Status.RESOLVED,
            actor="t",
            note="Done.",
        )
    after = client.get(URL).json()
    assert after[0]["status"] == "closed"
    assert after[0]["status_notes"] == "Done."


def test_new_requests_and_staff_actions_clear_it(client, two_cities):
    client.get(URL)
    r = client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": two_cities.a.api_key,
            "jurisdiction_id": "trujillo.example",
            "service_code": "a-light",
            "address_string": "Plaza",
            "attribute[fault]": "out",
        },
    )
    assert r.status_code == 200
    assert [e["service_request_id"] for e in client.get(URL).json()] == ["2", "1"]
    worker = bearer(client, "trujillo", "a-caseworker")
    client.post(
        "/api/v1/cities/trujillo/requests/2/status",
        json={"status": "rejected", "note": "No."},
        headers=worker,
    )
    assert client.get(URL).json()[0]["status"] == "closed"


def test_one_citys_change_leaves_the_other_citys_cache(client, two_cities):
    other = "/open311/v2/requests.json?jurisdiction_id=musterstadt.example"
    client.get(other)
    from civitas.web.microcache import lists

    with session_scope() as db:
        change_status(
            db, get_city_by_slug(db, "trujillo"), number=1, status=Status.ACKNOWLEDGED, actor="t"
        )
    city_b = two_cities.b.id
    assert any(key[0] == city_b for key in lists._entries)


def test_the_cache_can_be_turned_off(client, two_cities, monkeypatch):
    from civitas.core.config import get_settings
    from civitas.web.microcache import lists

    monkeypatch.setenv("CIVITAS_OPEN311_LIST_CACHE_SECONDS", "0")
    get_settings.cache_clear()
    try:
        lists.clear()
        client.get(URL)
        assert not lists._entries
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_a_change_to_the_city_is_seen_at_once(client, two_cities):
    """The directory of cities keeps them 30 s, but a committed change clears it."""
    from civitas.web.microcache import cities

    assert client.get(URL).status_code == 200
    assert cities.get("trujillo.example") is not None
    with session_scope() as db:
        get_city_by_slug(db, "trujillo").jurisdiction_id = "trujillo.renamed"
    assert cities.get("trujillo.example") is None
    assert client.get(URL).status_code == 404
    renamed = "/open311/v2/requests.json?jurisdiction_id=trujillo.renamed"
    assert client.get(renamed).status_code == 200


def test_the_directory_keeps_a_copy_the_requests_cannot_share(client, two_cities):
    """Each request merges the cached city into its own session; the copy stays detached."""
    from sqlalchemy import inspect

    from civitas.web.microcache import cities

    client.get(URL)
    client.get(URL + "&page_size=5")
    cached = cities.get("trujillo.example")
    assert cached is not None
    state = inspect(cached)
    assert state.detached
    assert state.session is None
    assert cached.slug == "trujillo"


def run_apart(coro: Any) -> Any:
    """asyncio.run in a thread of its own (the browser tests keep a loop in this one)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_one_computation_per_key_when_many_wait():
    import asyncio

    from civitas.web.microcache import Flights

    flights = Flights()
    calls = 0

    async def work() -> tuple[bytes, str]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return b"list", "application/json"

    async def main() -> list[tuple[bytes, str]]:
        return await asyncio.gather(*(flights.run("k", work) for _ in range(10)))

    answers = run_apart(main())
    assert calls == 1
    assert answers == [(b"list", "application/json")] * 10


def test_a_failed_computation_fails_only_its_own_request():
    import asyncio

    import pytest

    from civitas.web.microcache import Flights

    flights = Flights()
    calls = 0

    async def work() -> tuple[bytes, str]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.02)
        if calls == 1:
            raise RuntimeError("first one fails")
        return b"ok", "text/plain"

    async def main() -> list[object]:
        return await asyncio.gather(
            *(flights.run("k", work) for _ in range(3)), return_exceptions=True
        )

    first, *others = run_apart(main())
    assert isinstance(first, RuntimeError)
    assert others == [(b"ok", "text/plain")] * 2
    with pytest.raises(KeyError):
        flights._running["k"]
