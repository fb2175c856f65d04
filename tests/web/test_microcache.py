"""Open311 lists may be served from a short cache, but never after a change in this process."""

from __future__ import annotations

from typing import Any

from civitas.cases.schemas import Status
from civitas.cases.service import change_status
from civitas.cities.service import enter_city, get_city_by_slug
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


def test_a_change_to_a_service_is_seen_at_once(client, two_cities):
    """Lists take the services they show from a per-city directory (10 s), but a committed
    change to a service clears it: a new rule for showing places applies to the next list."""
    from sqlalchemy import select

    from civitas.catalogue.models import Service
    from civitas.web.microcache import services

    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        change_status(db, city, number=1, status=Status.ACKNOWLEDGED, actor="t")
    listed = client.get(URL).json()[0]
    assert listed["address"] is not None
    assert two_cities.a.id in services._entries
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        service = db.scalar(select(Service).where(Service.code == "a-light"))
        assert service is not None
        service.public_location = "coarse"
        service.name = {**service.name, "es": "Alumbrado renombrado"}
    assert two_cities.a.id not in services._entries
    after = client.get(URL).json()[0]
    assert after["address"] is None  # coarse: a grid cell, never the address
    assert after["service_name"] == "Alumbrado renombrado"


def test_the_json_api_takes_its_city_from_the_directory(client, two_cities):
    """By slug, for the JSON API and the pages: each city its own, and a committed change
    to a city clears the directory."""
    from civitas.web.microcache import slugs

    a = client.get(
        "/api/v1/cities/trujillo/requests", headers=bearer(client, "trujillo", "a-agent")
    )
    b = client.get(
        "/api/v1/cities/musterstadt/requests", headers=bearer(client, "musterstadt", "b-agent")
    )
    assert a.status_code == b.status_code == 200
    assert {e["service_code"] for e in a.json()["items"]} == {"a-light"}
    assert {e["service_code"] for e in b.json()["items"]} == {"b-light"}
    known_a, known_b = slugs.get("trujillo"), slugs.get("musterstadt")
    assert known_a is not None
    assert known_b is not None
    assert known_a.id != known_b.id
    with session_scope() as db:
        get_city_by_slug(db, "musterstadt").name = "Musterstadt am See"
    assert slugs.get("trujillo") is None
    assert client.get("/api/v1/cities/nowhere/requests").status_code == 404


def test_blocking_work_runs_on_the_configured_threads(app, monkeypatch):
    """CIVITAS_THREADS threads per process, not the framework's forty; and the collector
    has been settled once the app started."""
    import gc

    import anyio.to_thread
    from fastapi.testclient import TestClient

    from civitas.core.config import get_settings
    from civitas.main import create_app

    async def tokens() -> float:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    monkeypatch.setenv("CIVITAS_THREADS", "3")
    get_settings.cache_clear()
    try:
        with TestClient(create_app()) as c:
            assert c.portal.call(tokens) == 3
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] == 10_000
