"""The isolation walk's sample requests for air quality (tests/test_isolation.py). City A
gets an SDS011 node, a PurpleAir and a reference station. The push is open to any
sensor, so the sample push is one every caller is refused (a chip nobody registered);
an alert's page needs its link's key, here a wrong one."""

from __future__ import annotations

from typing import Any

from tests.isolation import Case

API = "/api/v1/cities/{city}/air"
MADE: dict[str, str] = {}


def air_world(world: Any) -> None:
    from tests.air.helpers import with_sensors

    MADE.update(with_sensors(world.slug))


def _station(w: Any) -> dict[str, Any]:
    return {"station": MADE.get("node", "sds011-13501001")}


UNKNOWN_CHIP = {
    "json": {
        "esp8266id": "999999",
        "sensordatavalues": [{"value_type": "SDS_P2", "value": "10.0"}],
    }
}

ROUTES: dict[tuple[str, str], Case] = {
    ("POST", API + "/push/sensor-community"): Case(
        403, request=lambda w: UNKNOWN_CHIP, setup=air_world
    ),
    ("GET", API + "/stations"): Case(200, setup=air_world),
    ("GET", API + "/stations/{station}/daily"): Case(200, params=_station, setup=air_world),
    ("GET", API + "/stations/{station}/hourly"): Case(200, params=_station, setup=air_world),
    ("GET", "/{city}/air"): Case(200, setup=air_world),
    ("GET", "/{city}/air/bands.css"): Case(200),
    ("POST", "/{city}/air/alerts"): Case(403, auth="cookie"),
    ("GET", "/{city}/air/alerts/{alert_id}/{key}"): Case(
        404, params=lambda w: {"alert_id": 1, "key": "0" * 64}
    ),
    ("POST", "/{city}/air/alerts/{alert_id}/{key}/stop"): Case(
        403, auth="cookie", params=lambda w: {"alert_id": 1, "key": "0" * 64}
    ),
    ("GET", "/{city}/air/stations/{code}"): Case(
        200, params=lambda w: {"code": MADE.get("node", "sds011-13501001")}, setup=air_world
    ),
    ("GET", "/{city}/staff/air"): Case(200, auth="cookie", setup=air_world),
    ("POST", "/{city}/staff/air/settings"): Case(
        400, auth="cookie", extra={"csrf": True}, request=lambda w: {"data": {"scale": "mars"}}
    ),
    ("POST", "/{city}/staff/air/sensors"): Case(
        400,
        auth="cookie",
        extra={"csrf": True},
        request=lambda w: {"data": {"chip_id": "x y", "type": "sds011", "lat": "1", "lon": "1"}},
    ),
    ("POST", "/{city}/staff/air/import"): Case(
        400, auth="cookie", extra={"csrf": True}, request=lambda w: {"data": {"sensor": ""}}
    ),
    ("POST", "/{city}/staff/air/calibrate"): Case(
        400,
        auth="cookie",
        extra={"csrf": True},
        request=lambda w: {
            "data": {
                "sensor": MADE.get("node", ""),
                "reference": MADE.get("reference", ""),
                "from": "2026-11-01",
                "to": "2026-11-02",
            }
        },
        setup=air_world,
    ),
}

PUBLIC: set[str] = {
    API + "/push/sensor-community",
    API + "/stations",
    API + "/stations/{station}/daily",
    API + "/stations/{station}/hourly",
    "/{city}/air",
    "/{city}/air/bands.css",
    "/{city}/air/alerts",
    "/{city}/air/alerts/{alert_id}/{key}",
    "/{city}/air/alerts/{alert_id}/{key}/stop",
    "/{city}/air/stations/{code}",
}
