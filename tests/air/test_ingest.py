"""Data in: the sensor.community push over HTTP (its JSON, X-Sensor and X-Pin, basic
auth), and CSV files; every refusal names what is wrong and stores nothing."""

from __future__ import annotations

import base64

from sqlalchemy import func, select

from civitas.air.models import Reading
from tests.air.helpers import NODE, PURPLE, message, with_sensors

PUSH = "/api/v1/cities/trujillo/air/push/sensor-community"


def readings(engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Reading)).scalar_one())


def test_a_node_pushes_in_sensor_community_format(client, engine, two_cities):
    with_sensors()
    answer = client.post(
        PUSH, json=message(12.3), headers={"X-Sensor": f"esp8266-{NODE}", "X-Pin": "1"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["stored"] is True
    assert answer.json()["values"] == {
        "pm10": 20.0,
        "pm25": 12.3,
        "temperature": 21.5,
        "humidity": 60.0,
    }
    # the firmware retries when the answer got lost: the same values again are one reading
    again = client.post(PUSH, json=message(12.3), headers={"X-Sensor": f"esp8266-{NODE}"})
    assert again.status_code == 200
    assert again.json()["stored"] is False
    assert readings(engine) == 1
    # the chip from X-Sensor alone (a body without esp8266id), as sensor.community sends
    body = message(13.0)
    del body["esp8266id"]
    assert (
        client.post(
            PUSH, json=body, headers={"X-Sensor": f"esp8266-{NODE}", "X-Pin": "1"}
        ).status_code
        == 200
    )
    assert readings(engine) == 2


def test_unknown_chips_are_refused(client, engine, two_cities):
    with_sensors()
    answer = client.post(PUSH, json=message(12.0, chip="99999999"))
    assert answer.status_code == 403
    assert "99999999" in answer.text
    # a chip of the other city is unknown here
    with_sensors("musterstadt")
    assert readings(engine) == 0


def test_values_out_of_range_are_refused_whole(client, engine, two_cities):
    with_sensors()
    answer = client.post(PUSH, json=message(1200.0))
    assert answer.status_code == 400
    problems = answer.json()["error"]["problems"]
    assert any(p["location"] == "SDS_P2" for p in problems), problems
    humid = client.post(PUSH, json=message(10.0, rh=130.0))
    assert humid.status_code == 400
    assert any(p["location"] == "humidity" for p in humid.json()["error"]["problems"])
    bad = client.post(
        PUSH,
        json={"esp8266id": NODE, "sensordatavalues": [{"value_type": "SDS_P2", "value": "ten"}]},
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["problems"][0]["location"] == "sensordatavalues[0].value"
    assert (
        client.post(
            PUSH, content=b"{not json", headers={"content-type": "application/json"}
        ).status_code
        == 400
    )
    assert client.post(PUSH, json=[1, 2]).status_code == 400
    assert readings(engine) == 0


def test_basic_auth_per_sensor(client, engine, two_cities):
    with_sensors(password="s3cret-pass")
    assert client.post(PUSH, json=message(10.0)).status_code == 401
    wrong = base64.b64encode(b"node:nope").decode()
    assert (
        client.post(
            PUSH, json=message(10.0), headers={"Authorization": f"Basic {wrong}"}
        ).status_code
        == 401
    )
    right = base64.b64encode(b"node:s3cret-pass").decode()
    assert (
        client.post(
            PUSH, json=message(10.0), headers={"Authorization": f"Basic {right}"}
        ).status_code
        == 200
    )
    assert readings(engine) == 1


ARCHIVE = (
    "sensor_id;sensor_type;location;lat;lon;timestamp;P1;durP1;ratioP1;P2;durP2;ratioP2\n"
    "60000;SDS011;4000;-8.11;-79.02;2026-11-30T00:01:24;20.5;;;10.2;;\n"
    "60000;SDS011;4000;-8.11;-79.02;2026-11-30T00:03:50;21.5;;;11.0;;\n"
)
CLIMATE = (
    "sensor_id;sensor_type;location;lat;lon;timestamp;pressure;altitude;pressure_sealevel;temperature;humidity\n"
    "60001;BME280;4000;-8.11;-79.02;2026-11-30T00:01:25;100812;;;19.1;81.5\n"
)
PURPLE_CSV = (
    "time_stamp,humidity,temperature,pm2.5_cf_1_a,pm2.5_cf_1_b\n"
    "2026-11-30T00:00:00Z,45,70,30.1,29.5\n"
)


def test_archives_and_purpleair_csv(engine, two_cities):
    from civitas.air import ingest
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope

    with_sensors()
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        assert ingest.import_csv(db, city, ARCHIVE, filename="a.csv").rows == 2
        assert ingest.import_csv(db, city, CLIMATE, filename="b.csv").rows == 1
        found = ingest.import_csv(db, city, PURPLE_CSV, filename="p.csv", sensor_chip=PURPLE)
        assert found.format == "purpleair"
        assert found.rows == 1
        # the same file again changes nothing
        ingest.import_csv(db, city, ARCHIVE, filename="a.csv")
    assert readings(engine) == 4
    with engine.connect() as conn:
        row = conn.execute(
            select(Reading.pm25, Reading.pm25_b, Reading.temperature).where(
                Reading.pm25_b.is_not(None)
            )
        ).one()
    assert row.pm25 == 30.1
    assert row.pm25_b == 29.5
    assert abs(row.temperature - 21.111) < 0.01  # PurpleAir writes °F


def test_csv_problems_name_file_line_and_column(engine, two_cities):
    import pytest

    from civitas.air import ingest
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope
    from civitas.core.errors import InvalidInput

    with_sensors()
    wrong = ARCHIVE.replace("10.2", "1000.5").replace("21.5;;;11.0", "21.5;;;x")
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        with pytest.raises(InvalidInput) as refused:
            ingest.import_csv(db, city, wrong, filename="day.csv")
        locations = [p.location for p in refused.value.problems]
        assert locations == ["day.csv:2:P2", "day.csv:3:P2"]
        with pytest.raises(InvalidInput) as columns:
            ingest.import_csv(db, city, "when;value\n1;2\n", filename="other.csv")
        assert columns.value.problems[0].location == "other.csv:1"
        with pytest.raises(InvalidInput) as unknown:
            ingest.import_csv(db, city, ARCHIVE.replace("60000", "77777"), filename="x.csv")
        assert unknown.value.problems[0].location == "x.csv:2:sensor_id"
        with pytest.raises(InvalidInput) as time:
            ingest.import_csv(
                db, city, ARCHIVE.replace("2026-11-30T00:01:24", "yesterday"), filename="t.csv"
            )
        assert time.value.problems[0].location == "t.csv:2:timestamp"
        with pytest.raises(InvalidInput):  # whose file? a PurpleAir CSV without a sensor named
            ingest.import_csv(db, city, PURPLE_CSV, filename="p.csv")
    assert readings(engine) == 0
