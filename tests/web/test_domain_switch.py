"""An administrator turns an optional domain (recycling) off for one city: its pages and
API answer 404 there, its links, panels, roles and KPIs disappear, its background jobs
refuse the city, and the other city sees no change. Turned on again, all is back."""

from __future__ import annotations

import re

from sqlalchemy import select

from civitas.cases.models import ServiceRequest
from civitas.cities.models import City
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core import background, kpis, plugins
from civitas.core.db import session_scope
from civitas.recycling.planning import PLAN_JOB
from tests.factories import bearer, form_token, run_queued_jobs, session_cookie
from tests.recycling.helpers import programme
from tests.recycling.test_routes_and_sales import filed

DOMAINS = "/api/v1/cities/{}/domains"


def switch(client, headers, slug, name, on):
    return client.put(f"{DOMAINS.format(slug)}/{name}", json={"enabled": on}, headers=headers)


def test_the_api_lists_and_switches_domains(client, two_cities):
    admin = bearer(client, "trujillo", two_cities.a.users["administrator"])
    listed = {d["name"]: d for d in client.get(DOMAINS.format("trujillo"), headers=admin).json()}
    assert listed["recycling"] == {
        "name": "recycling",
        "title": "Reciclaje con recicladores",  # in the city's language
        "optional": True,
        "enabled": True,
    }
    assert listed["cases"]["optional"] is False
    r = switch(client, admin, "trujillo", "recycling", False)
    assert r.status_code == 200, r.text
    assert r.json()["enabled"] is False
    assert switch(client, admin, "trujillo", "recycling", False).json()["enabled"] is False
    # the core cannot be turned off; an unknown name is named with what exists
    refused = switch(client, admin, "trujillo", "cases", False)
    assert refused.status_code == 400
    assert refused.json()["error"]["problems"][0]["location"] == "name"
    unknown = switch(client, admin, "trujillo", "nothing", False)
    assert unknown.status_code == 400
    assert "recycling" in unknown.json()["error"]["problems"][0]["message"]
    # a manager reads the list but may not switch
    manager = bearer(client, "trujillo", two_cities.a.users["manager"])
    assert client.get(DOMAINS.format("trujillo"), headers=manager).status_code == 200
    assert switch(client, manager, "trujillo", "recycling", True).status_code == 403
    # the switch is audited
    audit = client.get("/api/v1/cities/trujillo/audit", headers=admin).json()
    assert any(e["action"] == "city.domain_switched" for e in audit)


def test_a_city_without_recycling_has_none_of_it(client, engine, two_cities):
    prog = programme(engine)
    filed(client, two_cities, prog.day, n=1, kg="10")
    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        pickup = db.scalar(select(ServiceRequest).where(ServiceRequest.number == 2))
        pickup.token = "reporters-link"  # as a web filing would have it
        # the reporter's private link shows the pickup's facts
        status_url = "/trujillo/requests/2?token=reporters-link&lang=en"
    admin = bearer(client, "trujillo", two_cities.a.users["administrator"])
    manager_cookie = session_cookie(client, "trujillo", two_cities.a.users["manager"])
    other_cookie = session_cookie(client, "musterstadt", two_cities.b.users["manager"])

    def staff(path, cookie):
        client.cookies.clear()
        client.cookies.update(cookie)
        return client.get(path)

    home = staff("/trujillo/staff?lang=en", manager_cookie).text
    assert "Recycling: day plan" in home
    assert staff("/trujillo/staff/recycling?lang=en", manager_cookie).status_code == 200
    status_page = client.get(status_url).text
    assert "Pickup day" in status_page

    assert switch(client, admin, "trujillo", "recycling", False).status_code == 200

    home = staff("/trujillo/staff?lang=en", manager_cookie).text
    assert "Recycling" not in home
    assert "Cases" in home
    page = staff("/trujillo/staff/recycling?lang=en", manager_cookie)
    assert page.status_code == 404
    assert "There is nothing at this address." in page.text
    # a browser gets the error page, still showing the reader signed in
    page = client.get("/trujillo/staff/recycling?lang=en", headers={"accept": "text/html"})
    assert page.status_code == 404
    assert "There is nothing at this address." in page.text
    assert "Sign out" in page.text
    api = client.get("/api/v1/cities/trujillo/recycling/prices", headers=admin)
    assert api.status_code == 404
    assert "Pickup day" not in client.get(status_url).text
    # the other city keeps it
    assert staff("/musterstadt/staff/recycling?lang=en", other_cookie).status_code == 200
    # its roles are no longer offered to new users, and its KPIs are gone for this city
    admin_cookie = session_cookie(client, "trujillo", two_cities.a.users["administrator"])
    form = staff("/trujillo/staff/users/new?lang=en", admin_cookie).text
    assert "Waste picker" not in form
    assert "Case worker" in form
    with session_scope(engine) as db:
        city = db.scalars(select(City).where(City.slug == "trujillo")).one()
        other = db.scalars(select(City).where(City.slug == "musterstadt")).one()
        assert not plugins.enabled(city, "recycling")
        assert not any(k.domain == "recycling" for k in kpis.catalogue(city).values())
        assert any(k.domain == "recycling" for k in kpis.catalogue(other).values())
        # a day plan still queued for the city (asked before the switch) is refused when
        # the worker takes it
        enter_city(db, city)
        background.start(db, kind_name=PLAN_JOB, params={"day": prog.day.isoformat()}, actor="t")
        db.commit()
    assert run_queued_jobs() == ["failed"]

    assert switch(client, admin, "trujillo", "recycling", True).status_code == 200
    assert staff("/trujillo/staff/recycling?lang=en", manager_cookie).status_code == 200
    assert "Pickup day" in client.get(status_url).text


def test_the_settings_page_turns_a_domain_off_and_on(client, two_cities):
    client.cookies.update(session_cookie(client, "trujillo", two_cities.a.users["administrator"]))
    page = client.get("/trujillo/staff/settings?lang=es")
    assert page.status_code == 200
    assert "Reciclaje con recicladores" in page.text
    assert re.search(r'value="recycling" checked', page.text)
    csrf = form_token(client, "/trujillo/staff/settings?lang=es")
    r = client.post("/trujillo/staff/settings?lang=es", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "Guardado." in page
    assert not re.search(r'value="recycling" checked', page)
    assert client.get("/trujillo/staff/recycling").status_code == 404
    r = client.post(
        "/trujillo/staff/settings?lang=es",
        data={"csrf": csrf, "enabled": ["recycling"]},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert client.get("/trujillo/staff/recycling").status_code == 200
    # a manager may not open the settings
    client.cookies.clear()
    client.cookies.update(session_cookie(client, "trujillo", two_cities.a.users["manager"]))
    assert client.get("/trujillo/staff/settings").status_code == 403
