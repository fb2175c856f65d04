"""The JSON API: any index from a concentration, the stations now (a resident's sensor
only on its grid cell), a station's day and hours; bad input named by its field."""

from __future__ import annotations

from tests.air.helpers import with_sensors


def test_index_endpoint(client, two_cities):
    answer = client.get(
        "/api/v1/air/index",
        params={"scale": "inca-pe", "pollutant": "pm25", "value": 12.6, "lang": "es"},
    )
    assert answer.status_code == 200
    assert answer.json() | {"colour": None} == {
        "scale": "inca-pe",
        "version": "RM 181-2016-MINAM",
        "pollutant": "pm25",
        "value": 12.6,
        "index": 51,
        "category": "moderate",
        "category_label": "Moderada",
        "colour": None,
    }
    us = client.get("/api/v1/air/index", params={"scale": "us-epa-2024", "value": 35.5}).json()
    assert (us["index"], us["category"]) == (101, "unhealthy_sensitive")


def test_index_refusals_name_the_field(client, two_cities):
    unknown = client.get("/api/v1/air/index", params={"scale": "aqi-mars", "value": 10})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["problems"][0]["location"] == "scale"
    assert "aqi-mars" in unknown.json()["error"]["message"]
    beyond = client.get("/api/v1/air/index", params={"scale": "eaqi", "value": 900})
    assert beyond.status_code == 400
    assert beyond.json()["error"]["problems"][0]["location"] == "value"
    negative = client.get("/api/v1/air/index", params={"scale": "uba", "value": -1})
    assert negative.status_code == 400
    nan = client.get("/api/v1/air/index", params={"scale": "uba", "value": "NaN"})
    assert nan.status_code == 400
    pollutant = client.get(
        "/api/v1/air/index", params={"scale": "uba", "value": 3, "pollutant": "o3"}
    )
    assert pollutant.status_code == 400
    assert pollutant.json()["error"]["problems"][0]["location"] == "pollutant"


def test_stations_hide_a_residents_home(client, two_cities):
    from civitas.air.sensors import add_sensor
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope

    with_sensors()
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        add_sensor(
            db,
            city,
            chip_id="777",
            kind="sds011",
            lat=-8.1123456,
            lon=-79.0301234,
            name="Roof",
            host="resident",
        )
        add_sensor(
            db,
            city,
            chip_id="778",
            kind="sds011",
            lat=-8.11,
            lon=-79.03,
            name="Kitchen",
            indoor=True,
        )
    body = client.get("/api/v1/cities/trujillo/air/stations").json()
    assert body["scale"] == "inca-pe"
    by_id = {s["id"]: s for s in body["stations"]}
    assert "sds011-778" not in by_id  # indoor: never public
    roof = by_id["sds011-777"]
    assert roof["position"] == "approximate"
    assert (roof["lat"], roof["lon"]) != (-8.1123456, -79.0301234)
    assert abs(roof["lat"] + 8.1123456) < 0.002
    assert abs(roof["lon"] + 79.0301234) < 0.002
    assert "-8.1123456" not in client.get("/trujillo/air").text
    assert client.get("/api/v1/cities/trujillo/air/stations/sds011-778/daily").status_code == 404


def test_daily_refuses_a_bad_date(client, two_cities):
    codes = with_sensors()
    answer = client.get(
        f"/api/v1/cities/trujillo/air/stations/{codes['node']}/daily", params={"date": "2026-13-01"}
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["problems"][0]["location"] == "date"
    empty = client.get(
        f"/api/v1/cities/trujillo/air/stations/{codes['node']}/daily", params={"date": "2020-01-01"}
    ).json()
    assert empty == {
        "station": codes["node"],
        "date": "2020-01-01",
        "hours": 0,
        "complete": False,
        "pm25_raw": None,
        "pm25": None,
        "correction": None,
        "indices": {},
    }
    assert client.get("/api/v1/cities/trujillo/air/stations/nobody/daily").status_code == 404
