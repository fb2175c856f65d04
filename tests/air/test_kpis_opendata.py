"""The KPIs (days at each level, completeness) and the open data (hourly and daily, raw
and corrected, with each correction named; a resident's sensor on its grid cell)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from civitas.air.ingest import Row, store
from civitas.core.kpis import Period
from tests.air.helpers import with_sensors

# November 2026 in Lima (UTC−5): day d starts at d 05:00 UTC
NOV = datetime(2026, 11, 1, 5, tzinfo=UTC)


def _day(db, city, sensor, day: int, pm: float, hours: int = 24) -> None:
    start = NOV + timedelta(days=day)
    store(
        db,
        city,
        sensor,
        [
            Row(
                at=start + timedelta(hours=h, minutes=5),
                channel="node",
                pm25=pm + (h % 4) / 10,
                humidity=40.0,
            )
            for h in range(hours)
        ],
    )


def test_days_at_each_level_and_completeness(engine, two_cities):
    from civitas.air import rollup
    from civitas.air.kpis import compute
    from civitas.air.sensors import by_code, settings_of
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope

    codes = with_sensors()
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        settings_of(db, city)  # INCA
        node, purple = by_code(db, city, codes["node"]), by_code(db, city, codes["purple"])
        _day(db, city, node, 0, 8.0)  # good
        _day(db, city, node, 1, 20.0)  # moderate (corrected ~16)
        _day(db, city, node, 2, 90.0)  # bad
        _day(db, city, node, 3, 90.0, hours=10)  # bad but incomplete: never counted
        _day(db, city, purple, 1, 80.0)  # the worst station decides the day: bad
        rollup.rollup(db, city)
        city_id, zone = city.id, city.timezone
    with engine.connect() as conn:
        cells = {c.kpi: c for c in compute(conn, city_id, Period.of("2026-11", zone))}
        december = list(compute(conn, city_id, Period.of("2026-12", zone)))
    assert cells["air_days_moderate"].value == 2.0  # days 1 and 2
    assert cells["air_days_sensitive"].value == 2.0  # INCA's "bad" is level 4
    assert cells["air_days_unhealthy"].value == 2.0
    assert cells["air_days_moderate"].n == 3  # three days with a complete station-day
    # two outdoor low-cost stations, four days so far: 4 complete station-days of 8
    assert cells["air_completeness_pct"].value == 50.0
    assert december == []  # no data: no figure, not a zero


def test_open_data_raw_and_corrected(client, two_cities):
    from civitas.air import rollup
    from civitas.air.sensors import add_sensor, by_code
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope

    codes = with_sensors()
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        roof = add_sensor(
            db,
            city,
            chip_id="999",
            kind="sds011",
            lat=-8.1123456,
            lon=-79.0301234,
            name="Roof",
            host="resident",
        )
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=30)
        for sensor in (by_code(db, city, codes["node"]), roof):
            store(
                db,
                city,
                sensor,
                [
                    Row(
                        at=now + timedelta(hours=h, minutes=3),
                        channel="node",
                        pm25=12.0 + h % 5,
                        humidity=60.0,
                    )
                    for h in range(26)
                ],
            )
        rollup.rollup(db, city)
    hourly = client.get("/trujillo/open-data/air-quality-hourly.csv")
    assert hourly.status_code == 200
    rows = list(csv.DictReader(io.StringIO(hourly.text)))
    assert rows
    assert {r["correction"] for r in rows} == {"kappa-koehler/1"}
    assert all(float(r["pm25"]) < float(r["pm25_raw"]) for r in rows)
    daily = client.get("/trujillo/open-data/air-quality-daily.json").json()
    assert {"us_epa_2024", "inca_pe", "eaqi", "uba"} <= set(daily["days"][0])
    roof_row = next(s for s in daily["stations"] if s["id"] == "sds011-999")
    assert (roof_row["lat"], roof_row["lon"]) != (-8.1123456, -79.0301234)
    assert (
        "-8.1123456"
        not in hourly.text + client.get("/trujillo/open-data/air-quality-daily.json").text
    )
    catalogue = client.get("/trujillo/open-data")
    assert "air-quality-daily" in catalogue.text
