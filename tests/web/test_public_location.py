"""A home address never appears in public: each service says how its requests may be shown
(exactly, on a coarse grid, or never), and the public list and map, the status page, Open311
answers, the updates feed and open data obey it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civitas.cases.models import ServiceRequest
from civitas.catalogue.service import save_service
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope
from tests.factories import bearer, service_data
from tests.recycling.helpers import pickup_form, programme

HOME = "Calle Secreta 77"
DOORBELL = "Doorbell-blue-42"
OPEN311 = "/open311/v2"


@pytest.fixture
def pickup(client, engine, two_cities):
    prog = programme(engine)
    form = pickup_form(
        two_cities, prog.day, address_string=HOME, description=DOORBELL, lat="-8.1123456"
    )
    r = client.post(f"{OPEN311}/requests.json", data=form)
    assert r.status_code == 200, r.text
    number = r.json()[0]["service_request_id"]
    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        filed = db.scalar(select(ServiceRequest).where(ServiceRequest.number == int(number)))
        assert filed.address == HOME  # stored for the programme's staff and the picker
        return number


def public_answers(client, number: str) -> dict[str, str]:
    jur = "jurisdiction_id=trujillo.example"
    paths = [
        "/trujillo/requests?lang=en",
        f"/trujillo/requests/{number}?lang=en",
        f"{OPEN311}/requests.json?{jur}",
        f"{OPEN311}/requests.xml?{jur}",
        f"{OPEN311}/requests.json?{jur}&extensions=true",
        f"{OPEN311}/requests.json?{jur}&service_request_id={number}&extensions=true",
        f"{OPEN311}/requests/{number}.json?{jur}&extensions=true",
        f"{OPEN311}/requests/{number}.xml?{jur}",
        f"{OPEN311}/requests.json?{jur}&lat=-8.1123456&long=-79.03&radius=5",
        f"{OPEN311}/requests.json?{jur}&keyword=Doorbell",
        f"{OPEN311}/servicerequestupdates.json?{jur}",
        "/trujillo/open-data/requests.csv",
        "/trujillo/open-data/requests.geojson",
        "/trujillo/open-data/requests.jsonld",
    ]
    answers = {}
    for path in paths:
        r = client.get(path)
        assert r.status_code == 200, (path, r.text)
        answers[path] = r.text
    return answers


def test_a_pickups_home_appears_nowhere_public(client, pickup):
    number = pickup
    for path, text in public_answers(client, number).items():
        assert HOME not in text, path
        assert "Secreta" not in text, path
        assert DOORBELL not in text, path
        assert "8.1123" not in text, path  # not even the point
    single = client.get(f"{OPEN311}/requests/{number}.json?jurisdiction_id=trujillo.example")
    (entry,) = single.json()
    assert (entry["address"], entry["lat"], entry["long"], entry["description"]) == (None,) * 4
    assert entry["status"] == "open"  # its status stays public
    listed = client.get(f"{OPEN311}/requests.json?jurisdiction_id=trujillo.example").json()
    assert number not in {e["service_request_id"] for e in listed}  # not in lists at all
    # the city's staff see it whole
    staff = bearer(client, "trujillo", "a-manager")
    case = client.get(f"/api/v1/cities/trujillo/requests/{number}", headers=staff).json()
    assert case["address"] == HOME
    assert case["description"] == DOORBELL


def test_the_exact_and_coarse_rules(client, engine, two_cities):
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "trujillo")
        data = service_data("a-tree", "PEN", public_location="coarse")
        save_service(db, city, data=data, actor="test")
    lat, long = two_cities.a.extent[0] + 0.0012345, two_cities.a.extent[1] + 0.0012345
    base = {
        "jurisdiction_id": "trujillo.example",
        "api_key": two_cities.a.api_key,
        "lat": str(lat),
        "long": str(long),
        "address_string": "Plaza 1",
        "description": "Fallen tree",
        "attribute[fault]": "out",
    }
    numbers = {}
    for code in ("a-light", "a-tree"):
        r = client.post(f"{OPEN311}/requests.json", data={**base, "service_code": code})
        assert r.status_code == 200, r.text
        numbers[code] = r.json()[0]["service_request_id"]
    listed = {
        e["service_request_id"]: e
        for e in client.get(f"{OPEN311}/requests.json?jurisdiction_id=trujillo.example").json()
    }
    exact, coarse = listed[numbers["a-light"]], listed[numbers["a-tree"]]
    assert (exact["lat"], exact["address"], exact["description"]) == (lat, "Plaza 1", "Fallen tree")
    assert coarse["address"] is None
    assert coarse["description"] is None
    assert coarse["lat"] != lat
    assert abs(coarse["lat"] - lat) < 0.005
    near = client.get(
        f"{OPEN311}/requests.json",
        params={"jurisdiction_id": "trujillo.example", "lat": lat, "long": long, "radius": 2},
    ).json()
    assert {e["service_request_id"] for e in near} == {numbers["a-light"]}


def test_a_service_at_home_cannot_be_shown_exactly(client, engine, two_cities):
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "trujillo")
        saved, _ = save_service(
            db, city, data=service_data("a-visit", "PEN", at_home=True), actor="test"
        )
        assert saved.public_location == "never"
    with pytest.raises(ValueError, match="delivered at home"):
        service_data("a-visit", "PEN", at_home=True, public_location="exact")
