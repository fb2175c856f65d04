"""Quality control and the means: humid hours, PurpleAir's A/B disagreement and a stuck
sensor are left out; a day needs 18 valid hours; the corrected value is the published
formula of the hour's means, and the API says which correction it is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from civitas.air import corrections
from civitas.air.ingest import Row, store
from tests.air.helpers import with_sensors


def _city(db):
    from civitas.cities.service import get_city_by_slug

    return get_city_by_slug(db, "trujillo")


def _sensor(db, city, code):
    from civitas.air.sensors import by_code

    return by_code(db, city, code)


def _hours(db, sensor):
    from sqlalchemy import select

    from civitas.air.models import Hour

    return {h.hour: h for h in db.scalars(select(Hour).where(Hour.sensor_id == sensor.id))}


DAY = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)  # midnight in Lima (UTC−5)


def test_qc_flags_and_the_corrected_hour(engine, two_cities):
    from civitas.air import rollup
    from civitas.core.db import session_scope

    codes = with_sensors()
    with session_scope() as db:
        city = _city(db)
        node = _sensor(db, city, codes["node"])
        rows = []
        for i in range(3):  # hour 0: fine, two readings a few minutes apart
            rows.append(
                Row(
                    at=DAY + timedelta(minutes=5 + 20 * i),
                    channel="node",
                    pm25=20.0 + i,
                    humidity=80.0,
                )
            )
        # hour 1: fog
        rows += [
            Row(at=DAY + timedelta(hours=1, minutes=m), channel="node", pm25=40.0, humidity=99.0)
            for m in (5, 25)
        ]
        # hour 2: the same value three times
        rows += [
            Row(at=DAY + timedelta(hours=2, minutes=m), channel="node", pm25=17.3, humidity=60.0)
            for m in (5, 25, 45)
        ]
        store(db, city, node, rows)
        purple = _sensor(db, city, codes["purple"])
        store(
            db,
            city,
            purple,
            [
                Row(
                    at=DAY + timedelta(minutes=10),
                    channel="node",
                    pm25=30.0,
                    pm25_b=29.0,
                    humidity=50.0,
                ),
                # channels 12 µg/m³ and 100 % apart: both limits passed
                Row(
                    at=DAY + timedelta(hours=1, minutes=10),
                    channel="node",
                    pm25=18.0,
                    pm25_b=6.0,
                    humidity=50.0,
                ),
                # 8 µg/m³ apart but only 6 %: kept
                Row(
                    at=DAY + timedelta(hours=2, minutes=10),
                    channel="node",
                    pm25=134.0,
                    pm25_b=126.0,
                    humidity=50.0,
                ),
            ],
        )
        rollup.rollup(db, city)
        hours = _hours(db, node)
        first = hours[DAY]
        assert first.valid
        assert first.pm25_raw == pytest.approx(21.0)
        assert first.pm25 == pytest.approx(corrections.kappa_koehler(21.0, 80.0), abs=1e-9)
        assert first.correction == "kappa-koehler/1"
        assert hours[DAY + timedelta(hours=1)].flags == "humid"
        assert not hours[DAY + timedelta(hours=1)].valid
        assert hours[DAY + timedelta(hours=2)].flags == "stuck"
        purple_hours = _hours(db, purple)
        assert purple_hours[DAY].pm25_raw == pytest.approx(29.5)
        assert purple_hours[DAY].pm25 == pytest.approx(0.524 * 29.5 - 0.0862 * 50 + 5.75, abs=1e-9)
        assert purple_hours[DAY].correction == "epa-2022/1"
        assert purple_hours[DAY + timedelta(hours=1)].flags == "ab"
        assert purple_hours[DAY + timedelta(hours=2)].valid


def _hourly(db, city, sensor, count, *, start=DAY, pm=10.0):
    store(
        db,
        city,
        sensor,
        [
            Row(
                at=start + timedelta(hours=h, minutes=3),
                channel="node",
                pm25=pm + h % 3,
                humidity=50.0,
            )
            for h in range(count)
        ],
    )


def test_a_day_needs_eighteen_valid_hours(client, engine, two_cities):
    from civitas.air import rollup
    from civitas.core.db import session_scope

    codes = with_sensors()
    with session_scope() as db:
        city = _city(db)
        node = _sensor(db, city, codes["node"])
        _hourly(db, city, node, 17)
        _hourly(db, city, _sensor(db, city, codes["purple"]), 18)
        rollup.rollup(db, city)
    day = client.get(
        f"/api/v1/cities/trujillo/air/stations/{codes['node']}/daily", params={"date": "2026-11-20"}
    )
    assert day.status_code == 200
    body = day.json()
    assert (body["hours"], body["complete"]) == (17, False)
    assert body["correction"] == "kappa-koehler/1"
    assert body["pm25_raw"] == pytest.approx(10.0 + sum(h % 3 for h in range(17)) / 17, abs=0.005)
    assert set(body["indices"]) == {"us-epa-2024", "inca-pe", "eaqi", "uba"}
    purple = client.get(
        f"/api/v1/cities/trujillo/air/stations/{codes['purple']}/daily",
        params={"date": "2026-11-20"},
    ).json()
    assert (purple["hours"], purple["complete"]) == (18, True)
    expected = sum(0.524 * (10.0 + h % 3) - 0.0862 * 50 + 5.75 for h in range(18)) / 18
    assert purple["pm25"] == pytest.approx(expected, abs=0.005)
    assert purple["indices"]["inca-pe"]["index"] == -(
        -round(expected, 1) * 4 // 1
    )  # ceil(C·100/25)


def test_a_late_reading_recomputes_its_hour_and_day(engine, two_cities):
    from civitas.air import rollup
    from civitas.core.db import session_scope

    codes = with_sensors()
    with session_scope() as db:
        city = _city(db)
        node = _sensor(db, city, codes["node"])
        _hourly(db, city, node, 3)
        rollup.rollup(db, city)
        assert _hours(db, node)[DAY].pm25_raw == pytest.approx(10.0)
        store(
            db,
            city,
            node,
            [Row(at=DAY + timedelta(minutes=30), channel="node", pm25=20.0, humidity=50.0)],
        )
        assert rollup.rollup(db, city) >= 1
        assert _hours(db, node)[DAY].pm25_raw == pytest.approx(15.0)
        assert rollup.rollup(db, city) == 0  # nothing new, nothing done
