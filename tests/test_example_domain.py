"""A domain added with no edit to any central file: tests/example_domain, installed only
through the installed list (``CIVITAS_PLUGINS``), gets its table (from its own branch of
migrations), its page, its role, its navigation, its static files, its job (which skips
a city that turned it off) and its isolation-walk entry. docs/architecture.md walks
through the same example."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import select

from civitas.accounts.models import User
from civitas.cities.models import City
from civitas.core import permissions, plugins
from civitas.core.db import session_scope
from civitas.core.jobs import huey
from civitas.core.migrate import alembic_config, current_revision, head_revision, upgrade
from civitas.models import Base
from civitas.web import plugins as web_plugins
from tests.factories import bearer, password_hash, session_cookie


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch, engine) -> Iterator[None]:
    """The example installed (its tables made by its own branch of migrations), then
    taken out again: its tables dropped and forgotten, as if it had never been there."""
    monkeypatch.setenv("CIVITAS_PLUGINS", "tests.example_domain")
    web_plugins.reload()
    upgrade(engine)
    yield
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "example@base")
    from tests.example_domain.models import Notice

    Base.metadata.remove(Notice.__table__)  # type: ignore[arg-type]
    monkeypatch.delenv("CIVITAS_PLUGINS")
    web_plugins.reload()


def keeper(engine, slug: str) -> str:
    """A user of the example's own role, made as any staff user is."""
    with session_scope(engine) as db:
        from civitas.cities.service import enter_city, get_city_by_slug

        enter_city(db, get_city_by_slug(db, slug))
        db.add(
            User(
                username=f"{slug}-keeper",
                full_name="Keeper",
                password_hash=password_hash(),
                roles=["notice_keeper"],
            )
        )
    return f"{slug}-keeper"


def test_a_domain_on_the_installed_list_gets_its_whole_slice(example, engine, two_cities):
    from civitas import tasks
    from civitas.main import create_app
    from tests.example_domain.models import Notice
    from tests.test_isolation import cases_module, owned_routes, walk

    # the manifest is loaded after the installed list, its role registered; its own
    # migrations made its table, a branch beside the schema's chain
    assert plugins.domains()[-1].name == "example"
    assert head_revision() == "0030+example_0001"
    assert current_revision(engine) == head_revision()
    with session_scope(engine) as db:
        from civitas.cities.service import enter_city, get_city_by_slug

        enter_city(db, get_city_by_slug(db, "trujillo"))
        db.add(Notice(text="The market moves to the square on Sunday"))
    assert "notice_keeper" in permissions.roles()
    assert permissions.permissions_for(["notice_keeper"]) == {"example:notices:read"}
    assert "example:notices:read" in permissions.permissions_for(["manager"])
    assert "example:notices:read" in permissions.permissions_for(["administrator"])

    with TestClient(create_app()) as client:
        # its page, with its template and its static file
        client.cookies.update(session_cookie(client, "trujillo", keeper(engine, "trujillo")))
        page = client.get("/trujillo/staff/notices?lang=en")
        assert page.status_code == 200, page.text
        assert "1 open requests in Trujillo" in page.text
        assert "The market moves to the square on Sunday" in page.text
        assert client.get("/static/example/pin.svg").status_code == 200
        # its navigation entry, for those with its permission
        assert "Notice board" in client.get("/trujillo/staff?lang=en").text
        client.cookies.clear()
        client.cookies.update(session_cookie(client, "trujillo", two_cities.a.users["agent"]))
        assert "Notice board" not in client.get("/trujillo/staff?lang=en").text
        assert client.get("/trujillo/staff/notices").status_code == 403
        client.cookies.clear()

        # its job: registered with the worker, it skips a city that turned it off
        tasks.load_domain_tasks()
        from tests.example_domain.tasks import count_notices

        assert count_notices.task_class in huey._registry._periodic_tasks
        assert count_notices.call_local() == {"musterstadt": 1, "trujillo": 1}
        admin = bearer(client, "musterstadt", two_cities.b.users["administrator"])
        r = client.put(
            "/api/v1/cities/musterstadt/domains/example", json={"enabled": False}, headers=admin
        )
        assert r.status_code == 200, r.text
        assert count_notices.call_local() == {"trujillo": 1}
        client.cookies.update(session_cookie(client, "musterstadt", keeper(engine, "musterstadt")))
        assert client.get("/musterstadt/staff/notices").status_code == 404
        client.cookies.clear()
        r = client.put(
            "/api/v1/cities/musterstadt/domains/example", json={"enabled": True}, headers=admin
        )
        assert r.status_code == 200, r.text

        # its isolation-walk entry: found from its manifest, covering its one route, and
        # the route walked with city B's credentials on city A's address
        domain = plugins.domain("example")
        cases = cases_module(domain)
        assert owned_routes()["example"] == set(cases.ROUTES)
        for (method, route), case in cases.ROUTES.items():
            walk(method, route, case, cases.PUBLIC, client, engine, two_cities)
    with session_scope(engine) as db:
        assert db.scalar(select(City.disabled_domains).where(City.slug == "musterstadt")) == []


def test_without_it_on_the_list_there_is_none_of_it(engine, two_cities):
    from civitas.main import create_app

    assert "example" not in {d.name for d in plugins.domains()}
    assert "example_notices" not in Base.metadata.tables
    assert head_revision() == "0030"
    assert "notice_keeper" not in permissions.roles()
    with TestClient(create_app()) as client:
        headers = bearer(client, "trujillo", two_cities.a.users["administrator"])
        assert client.get("/trujillo/staff/notices", headers=headers).status_code == 404
