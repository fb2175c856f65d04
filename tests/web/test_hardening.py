"""Regression tests of issue 14's defects: nulls in PATCH, the last administrator, ids out of
range, NUL and control characters, server errors as documented answers, and what an
Open311 POST with the wrong media type is told."""

from __future__ import annotations

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from tests.factories import bearer

A = "/api/v1/cities/trujillo"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/departments/roads", {"name": None}),
        ("/users/a-agent", {"roles": None}),
        ("/users/a-agent", {"password": None}),
        ("/users/a-agent", {"full_name": None}),
        ("/users/a-agent", {"is_active": None}),
    ],
)
def test_a_null_in_a_patch_is_refused_and_nothing_is_written(client, two_cities, path, body):
    admin = bearer(client, "trujillo", "a-administrator")
    listing = "/departments" if path.startswith("/departments") else "/users"
    before = client.get(A + listing, headers=admin).json()
    r = client.patch(A + path, json=body, headers=admin)
    assert r.status_code == 422, r.text
    (field,) = body
    assert [p["location"] for p in r.json()["error"]["problems"]] == [field]
    after = client.get(A + listing, headers=admin)
    assert after.status_code == 200
    assert after.json() == before


def test_a_null_may_clear_what_can_be_empty(client, two_cities):
    admin = bearer(client, "trujillo", "a-administrator")
    r = client.patch(A + "/departments/roads", json={"email": None}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["email"] is None


def test_the_last_active_administrator_stays(client, two_cities):
    admin = bearer(client, "trujillo", "a-administrator")
    for body in ({"is_active": False}, {"roles": ["manager"]}):
        r = client.patch(A + "/users/a-administrator", json=body, headers=admin)
        assert r.status_code == 409, r.text
        assert "administrator" in r.json()["error"]["message"]
    me = client.get(A + "/me", headers=admin).json()
    assert me["roles"] == ["administrator"]
    # with a second administrator, the first may step down
    r = client.patch(
        A + "/users/a-manager", json={"roles": ["manager", "administrator"]}, headers=admin
    )
    assert r.status_code == 200
    r = client.patch(A + "/users/a-administrator", json={"roles": ["manager"]}, headers=admin)
    assert r.status_code == 200, r.text


def test_the_last_administrator_in_spanish(client, two_cities):
    admin = bearer(client, "trujillo", "a-administrator")
    r = client.patch(A + "/users/a-administrator?lang=es", json={"is_active": False}, headers=admin)
    assert r.status_code == 409
    assert "administrador" in r.json()["error"]["message"]


HUGE = "9223372036854775808"


@pytest.mark.parametrize(
    "path",
    [
        f"/open311/v2/requests/{HUGE}.json?jurisdiction_id=trujillo.example",
        "/open311/v2/requests/99999999999.json?jurisdiction_id=trujillo.example",
        f"{A}/requests/{HUGE}",
        f"{A}/requests/99999999999",
        f"{A}/requests/99999999999/audit",
        f"{A}/proactive/decisions/99999999999",
        f"{A}/recycling/sales/99999999999",
    ],
)
def test_an_id_that_cannot_exist_is_not_found(client, two_cities, path):
    admin = bearer(client, "trujillo", "a-administrator")
    r = client.get(path, headers=admin)
    assert r.status_code == 404, r.text


def test_a_list_filter_with_an_impossible_id_matches_nothing(client, two_cities):
    for number in (HUGE, "99999999999", "1," + HUGE):
        r = client.get(
            "/open311/v2/requests.json",
            params={"jurisdiction_id": "trujillo.example", "service_request_id": number},
        )
        assert r.status_code == 200, r.text
        assert len(r.json()) == (1 if number.startswith("1,") else 0)


def post_open311(client, world, **fields):
    data = {
        "jurisdiction_id": "trujillo.example",
        "api_key": world.a.api_key,
        "service_code": world.a.published,
        "lat": str(world.a.extent[0] + 0.001),
        "long": str(world.a.extent[1] + 0.001),
        "description": "A lamp is out",
        "attribute[fault]": "out",
    }
    data.update(fields)
    return client.post("/open311/v2/requests.json", data=data)


@pytest.mark.parametrize("text", ["a\x00b", "bell\x07", "esc\x1b[31m"])
def test_control_characters_are_refused_naming_the_field(client, two_cities, text):
    r = post_open311(client, two_cities, description=text)
    assert r.status_code == 400, r.text
    assert r.json()[0]["description"].startswith("description:")
    r = client.get(
        "/open311/v2/requests.json", params={"jurisdiction_id": "trujillo.example", "keyword": text}
    )
    assert r.status_code == 400, r.text
    assert r.json()[0]["description"].startswith("keyword:")


def test_tabs_and_newlines_are_text(client, two_cities):
    r = post_open311(client, two_cities, description="Two lines:\n\tthe lamp\r\nis out")
    assert r.status_code == 200, r.text


def test_a_nul_in_json_is_refused(client, two_cities):
    admin = bearer(client, "trujillo", "a-administrator")
    r = client.patch(A + "/departments/roads", json={"name": {"en": "Ro\x00ads"}}, headers=admin)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["problems"][0]["location"] == "name.en"
    r = client.get(A + "/requests", params={"q": "x\x00"}, headers=admin)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["problems"][0]["location"] == "q"


def test_open311_post_names_the_wrong_body(client, two_cities):
    r = client.post(
        "/open311/v2/requests.json",
        json={"jurisdiction_id": "trujillo.example", "service_code": "x"},
    )
    assert r.status_code == 400
    assert "application/x-www-form-urlencoded" in r.json()[0]["description"]
    r = client.post(
        "/open311/v2/requests.json",
        content=b"--broken\r\nnonsense",
        headers={"content-type": "multipart/form-data; boundary=zzz"},
    )
    assert r.status_code == 400
    assert "multipart" in r.json()[0]["description"]


def _boom() -> None:
    raise RuntimeError("boom")


@pytest.mark.parametrize(
    ("path", "kind"),
    [("/api/v1/boom", "json"), ("/open311/v2/boom.json", "open311"), ("/trujillo/boom", "html")],
)
def test_a_server_error_is_a_documented_answer(app, two_cities, path, kind):
    router = APIRouter()
    router.add_api_route(path, _boom)
    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get(path, headers={"accept": "text/html"} if kind == "html" else {})
    assert r.status_code == 500
    request_id = r.headers["x-request-id"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    if kind == "json":
        assert r.json()["error"]["code"] == "server_error"
        assert r.json()["request_id"] == request_id
    elif kind == "open311":
        assert r.json()[0]["code"] == 500
        assert request_id in r.json()[0]["description"]
    else:
        assert r.headers["content-type"].startswith("text/html")
        assert request_id in r.text
    assert "boom" not in r.text


def test_what_the_fuzzer_found_is_a_clear_refusal(client, two_cities):
    """Two 500s Schemathesis found: a CSV with a bare carriage return in a field, and
    opening hours with a UTC offset (compared with local times)."""
    admin = bearer(client, "trujillo", "a-administrator")
    r = client.post(
        "/api/v1/cities/trujillo/services/import?format=csv",
        content='code,category,channels,department\r\n"a\rb',
        headers=admin | {"Content-Type": "text/plain"},
    )
    assert r.status_code == 400, r.text
    r = client.post(
        "/api/v1/cities/trujillo/services/import?format=csv",
        content="u\x9bÀ\r\x9ak",
        headers=admin | {"Content-Type": "text/plain"},
    )
    assert r.status_code == 400, r.text
    body = {
        "code": "a-light",
        "name": {"en": "Lamp"},
        "description": {"en": "Lamp."},
        "category": "roads",
        "channels": ["online"],
        "department": "roads",
        "opening_hours": [{"days": ["mo"], "opens": "08:00Z", "closes": "16:00"}],
    }
    r = client.put("/api/v1/cities/trujillo/services/a-light", json=body, headers=admin)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["problems"][0]["location"].endswith("opens")
    # in the city's language (Trujillo: Spanish)
    assert "sin desfase respecto de UTC" in r.json()["error"]["problems"][0]["message"]


def test_the_openapi_description_declares_what_the_api_answers(client):
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/open311/v2/requests.{fmt}"]["post"]
    forms = post["requestBody"]["content"]
    assert set(forms) == {"application/x-www-form-urlencoded", "multipart/form-data"}
    assert {"400", "403", "404", "500"} <= set(post["responses"])
    assert "422" not in post["responses"]  # Open311 says 400
    assert set(post["responses"]["200"]["content"]) == {"application/json", "text/xml"}
    patch = spec["paths"]["/api/v1/cities/{city}/departments/{code}"]["patch"]
    assert {"400", "401", "403", "404", "409", "413", "422", "500"} <= set(patch["responses"])
    assert patch["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    export = spec["paths"]["/api/v1/cities/{city}/services/export"]["get"]
    assert set(export["responses"]["200"]["content"]) == {
        "application/ld+json",
        "application/json",
        "application/yaml",
    }
    hours = spec["components"]["schemas"]["OpeningHours"]["properties"]["opens"]
    assert "format" not in hours
    assert hours["pattern"].startswith("^")


def test_a_client_that_left_is_no_server_error(monkeypatch):
    """A client gone while its body was read (a timeout, a closed tab) leaves nobody to
    answer: no 500 is sent and none is logged as the server's fault."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from starlette.requests import ClientDisconnect

    from civitas.web import errors

    logged: list[str] = []

    class Log:
        def info(self, event, **_):
            logged.append(event)

        def exception(self, event, **_):
            logged.append(event)

    monkeypatch.setattr(errors, "log", Log())

    async def gone(scope, receive, send):
        raise ClientDisconnect()

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.disconnect"}

    scope = {"type": "http", "method": "POST", "path": "/open311/v2/requests.json"}
    # a loop of its own, in a thread of its own (the suite may hold one in this thread)
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, errors.ServerErrors(gone)(scope, receive, send)).result()
    assert sent == []
    assert logged == ["client_disconnected"]
