"""A city's sensors for the air tests: an SDS011 node, a PurpleAir and a reference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

NODE = "13501001"
PURPLE = "183422"
REFERENCE = "ref-1"


def with_sensors(slug: str = "trujillo", *, password: str | None = None) -> dict[str, str]:
    from civitas.air.sensors import add_sensor
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope

    with session_scope() as db:
        city = get_city_by_slug(db, slug)
        lat, lon = city.center_lat, city.center_lon
        node = add_sensor(
            db,
            city,
            chip_id=NODE,
            kind="sds011",
            lat=lat,
            lon=lon,
            name="Plaza",
            archive_id="60000",
            humidity_chip="60001",
            password=password,
        )
        purple = add_sensor(
            db, city, chip_id=PURPLE, kind="purpleair", lat=lat + 0.01, lon=lon, name="Uni"
        )
        ref = add_sensor(
            db, city, chip_id=REFERENCE, kind="reference", lat=lat, lon=lon, name="Ref"
        )
        return {"node": node.code, "purple": purple.code, "reference": ref.code}


def message(pm25: float, pm10: float = 20.0, rh: float = 60.0, chip: str = NODE) -> dict[str, Any]:
    return {
        "esp8266id": chip,
        "software_version": "NRZ-2020-133",
        "sensordatavalues": [
            {"value_type": "SDS_P1", "value": str(pm10)},
            {"value_type": "SDS_P2", "value": str(pm25)},
            {"value_type": "BME280_temperature", "value": "21.5"},
            {"value_type": "BME280_humidity", "value": str(rh)},
            {"value_type": "BME280_pressure", "value": "100812.00"},
            {"value_type": "samples", "value": "871234"},
        ],
    }


def hours_ago(n: float, now: datetime | None = None) -> datetime:
    base = (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
    return base - timedelta(hours=n)
