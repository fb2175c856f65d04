"""Open311 lists may be served from a short cache, but never after a change in this process."""

from __future__ import annotations

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
