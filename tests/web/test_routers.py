"""The gated router finds exactly the routes FastAPI's own would, and rules itself out
for every path none of its routes has."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Match

from civitas.web.routers import Router


def _scope(path: str, method: str = "GET") -> dict[str, object]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}


def _app() -> tuple[FastAPI, Router]:
    router = Router(prefix="/things/{city}")

    @router.get("/list.{fmt}")
    def listing(city: str, fmt: str) -> dict[str, str]:
        return {"fmt": fmt}

    @router.get("/{number}")
    def one(city: str, number: int) -> dict[str, object]:
        return {"city": city, "number": number}

    app = FastAPI()
    app.include_router(router)
    return app, router


def test_rules_itself_out_only_for_paths_it_does_not_have() -> None:
    app, router = _app()
    assert router.matches(_scope("/other/x"))[0] is Match.NONE
    assert router.matches(_scope("/things/a/b/c"))[0] is Match.NONE
    with TestClient(app) as client:
        assert client.get("/things/lima/7").json() == {"city": "lima", "number": 7}
        assert client.get("/things/lima/list.xml").json() == {"fmt": "xml"}
        assert client.post("/things/lima/7").status_code == 405  # path known, method not
        assert client.get("/things/lima/7/more").status_code == 404


def test_routes_added_later_are_found() -> None:
    app, router = _app()
    with TestClient(app) as client:
        assert client.get("/things/lima/7").status_code == 200
    assert router.matches(_scope("/things/lima/extra/path"))[0] is Match.NONE

    @router.get("/extra/path")
    def extra(city: str) -> dict[str, str]:
        return {"extra": city}

    gate = router._gate_for_routes()
    assert gate is not None
    assert gate.match("/things/lima/extra/path")


def test_every_route_of_the_app_is_still_reached() -> None:
    """Each route of the real app, with its parameters filled in, is found by the app's
    router as the same route it was declared as."""
    from fastapi.routing import APIRoute

    from civitas.main import create_app

    app = create_app()
    seen = 0
    for route in app.routes:
        candidates = [route]
        original = getattr(route, "original_router", None)
        if original is not None:
            candidates = list(original.routes)
        for declared in candidates:
            if not isinstance(declared, APIRoute):
                continue
            path = declared.path_format
            for name in declared.param_convertors:
                path = path.replace("{" + name + "}", "1")
            method = sorted(declared.methods or {"GET"})[0]
            scope = _scope(path, method)
            if isinstance(original, Router):
                gate = original._gate_for_routes()
                assert gate is not None
                assert gate.match(path), f"{path} ruled out"
            found = [r for r in app.routes if r.matches(scope)[0] is Match.FULL]
            assert found, f"{method} {path} reaches no route"
            seen += 1
    assert seen > 150
