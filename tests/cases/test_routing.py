"""Routing by service and area: a rule for a place sends requests there to another department."""

from __future__ import annotations

from civitas.cities.schemas import DepartmentCreate
from civitas.cities.service import create_department, get_city_by_slug
from civitas.core.db import session_scope
from tests.factories import bearer

CENTRE = {"min_lat": -8.12, "min_lon": -79.04, "max_lat": -8.10, "max_lon": -79.02}


def file(client, world, lat, long):
    r = client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": world.a.api_key,
            "jurisdiction_id": "trujillo.example",
            "service_code": "a-light",
            "attribute[fault]": "out",
            "lat": lat,
            "long": long,
            "description": f"{lat},{long}",
        },
    )
    assert r.status_code == 200, r.text
    return r.json()[0]["service_request_id"]


def department_of(client, number):
    case = client.get(
        f"/api/v1/cities/trujillo/requests/{number}",
        headers=bearer(client, "trujillo", "a-caseworker"),
    )
    return case.json()["department"]


def test_requests_inside_an_area_go_to_its_department(client, two_cities):
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        for code in ("centre-office", "lighting-contractor"):
            create_department(
                db, city, data=DepartmentCreate(code=code, name={"es": code}), actor="t"
            )
    admin = bearer(client, "trujillo", "a-administrator")
    general = client.post(
        "/api/v1/cities/trujillo/routing-rules",
        headers=admin,
        json={"area": "Centro histórico", "department": "centre-office", **CENTRE},
    )
    assert general.status_code == 201, general.text
    specific = client.post(
        "/api/v1/cities/trujillo/routing-rules",
        headers=admin,
        json={
            "area": "Centro histórico",
            "department": "lighting-contractor",
            "service_code": "a-light",
            **CENTRE,
            "priority": -5,
        },
    )
    assert specific.status_code == 201
    inside = file(client, two_cities, "-8.11", "-79.03")
    outside = file(client, two_cities, "-8.15", "-79.08")
    # a rule for this service beats a general rule, even with a lower priority
    assert department_of(client, inside) == "lighting-contractor"
    assert department_of(client, outside) == "roads"
    assert (
        client.delete(
            f"/api/v1/cities/trujillo/routing-rules/{specific.json()['id']}", headers=admin
        ).status_code
        == 204
    )
    assert department_of(client, file(client, two_cities, "-8.111", "-79.031")) == "centre-office"
    rules = client.get("/api/v1/cities/trujillo/routing-rules", headers=admin).json()
    assert [r["department"] for r in rules] == ["centre-office"]


def test_rules_are_validated(client, two_cities):
    admin = {**bearer(client, "trujillo", "a-administrator"), "Accept-Language": "en"}
    r = client.post(
        "/api/v1/cities/trujillo/routing-rules",
        headers=admin,
        json={
            "area": "Berlin",
            "department": "roads",
            "min_lat": 52.4,
            "min_lon": 13.3,
            "max_lat": 52.6,
            "max_lon": 13.5,
            "service_code": "nope",
        },
    )
    assert r.status_code == 400
    locations = sorted(p["location"] for p in r.json()["error"]["problems"])
    assert locations == ["min_lat", "service_code"]
    r = client.post(
        "/api/v1/cities/trujillo/routing-rules",
        headers=admin,
        json={"area": "x", "department": "nowhere", **CENTRE},
    )
    assert r.status_code == 404
    caseworker = bearer(client, "trujillo", "a-caseworker")
    r = client.post(
        "/api/v1/cities/trujillo/routing-rules",
        headers=caseworker,
        json={"area": "x", "department": "roads", **CENTRE},
    )
    assert r.status_code == 403
