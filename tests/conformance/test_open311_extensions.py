"""Widely used GeoReport v2 extensions: page/page_size, extensions=true, and the CitySDK
filters updated_after/updated_before, lat/long/radius, keyword, agency_responsible."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree as ET

from sqlalchemy import select

from civitas.cases.models import ServiceRequest
from civitas.cases.schemas import Status
from civitas.cases.service import add_note, change_status
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope, utcnow

Q = {"jurisdiction_id": "trujillo.example"}


def file(client, world, **fields):
    data = {
        "api_key": world.a.api_key,
        "jurisdiction_id": "trujillo.example",
        "service_code": "a-light",
        "attribute[fault]": "out",
        **fields,
    }
    r = client.post("/open311/v2/requests.json", data=data)
    assert r.status_code == 200, r.text
    return r.json()[0]["service_request_id"]


def ids(response):
    assert response.status_code == 200, response.text
    return [e["service_request_id"] for e in response.json()]


def test_paging(client, two_cities):
    for i in range(5):
        file(client, two_cities, address_string=f"Calle {i}")
    first = ids(client.get("/open311/v2/requests.json", params={**Q, "page_size": 2}))
    second = ids(client.get("/open311/v2/requests.json", params={**Q, "page_size": 2, "page": 2}))
    assert first == ["6", "5"]
    assert second == ["4", "3"]
    bad = client.get("/open311/v2/requests.json", params={**Q, "page_size": 5000})
    assert bad.status_code == 400
    assert bad.json()[0]["description"].startswith("page_size:")


def test_radius_filter_finds_nearby_requests_only(client, two_cities):
    file(client, two_cities, lat="-8.1116", long="-79.0287", description="Plaza de Armas")
    file(client, two_cities, lat="-8.1120", long="-79.0290", description="50 m away")
    file(client, two_cities, lat="-8.1300", long="-79.0500", description="3 km away")
    near = client.get(
        "/open311/v2/requests.json",
        params={**Q, "lat": "-8.1116", "long": "-79.0287", "radius": "100"},
    )
    assert sorted(ids(near)) == ["2", "3"]
    wide = client.get(
        "/open311/v2/requests.json",
        params={**Q, "lat": "-8.1116", "long": "-79.0287", "radius": "5000"},
    )
    assert sorted(ids(wide)) == ["2", "3", "4"]
    bad = client.get("/open311/v2/requests.json", params={**Q, "lat": "-8.1", "long": "x"})
    assert bad.status_code == 400
    too_far = client.get(
        "/open311/v2/requests.json", params={**Q, "lat": "-8.1", "long": "-79", "radius": "99999"}
    )
    assert too_far.json()[0]["description"].startswith("radius:")


def test_keyword_agency_and_updated_filters(client, two_cities):
    file(client, two_cities, address_string="x", description="Lamp is broken")
    file(client, two_cities, address_string="y", description="Cable hanging")
    assert ids(client.get("/open311/v2/requests.json", params={**Q, "keyword": "CABLE"})) == ["3"]
    assert (
        len(
            ids(
                client.get("/open311/v2/requests.json", params={**Q, "agency_responsible": "roads"})
            )
        )
        == 3
    )
    assert (
        ids(client.get("/open311/v2/requests.json", params={**Q, "agency_responsible": "parks"}))
        == []
    )
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        for r in db.scalars(select(ServiceRequest)):
            r.updated_at = utcnow() - timedelta(days=5 if r.number != 3 else 1)
    after = (utcnow() - timedelta(days=2)).isoformat()
    assert ids(client.get("/open311/v2/requests.json", params={**Q, "updated_after": after})) == [
        "3"
    ]
    assert sorted(
        ids(client.get("/open311/v2/requests.json", params={**Q, "updated_before": after}))
    ) == ["1", "2"]


def test_extensions_true_adds_history_photos_attributes_and_detailed_status(client, two_cities):
    number = file(client, two_cities, address_string="z")
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        change_status(
            db,
            city,
            number=int(number),
            status=Status.ON_HOLD,
            actor="t",
            note="Waiting for parts.",
        )
        add_note(db, city, number=int(number), text="secret", public=False, actor="t")
    plain = client.get(f"/open311/v2/requests/{number}.json", params=Q).json()[0]
    assert "extended_attributes" not in plain
    (entry,) = client.get(
        f"/open311/v2/requests/{number}.json", params={**Q, "extensions": "true"}
    ).json()
    ext = entry["extended_attributes"]
    assert ext["detailed_status"] == "on_hold"
    assert ext["channel"] == "open311"
    assert ext["attributes"] == [{"code": "fault", "value": "out"}]
    assert [n["text"] for n in ext["notes"]] == ["Waiting for parts."]
    assert "secret" not in str(entry)
    world = client.get("/open311/v2/requests/1.json", params={**Q, "extensions": "true"}).json()[0]
    assert world["extended_attributes"]["photos"][0].startswith(
        "https://civitas.test/media/trujillo/1/"
    )
    root = ET.fromstring(
        client.get("/open311/v2/requests.xml", params={**Q, "extensions": "true"}).content
    )
    assert root.find("request/extended_attributes/detailed_status") is not None
