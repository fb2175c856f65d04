"""A collocation fit: recovers a known linear relation, is judged against EPA's targets,
is stored as a dated calibration and from then on corrects the sensor's values."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from civitas.air import calibration
from civitas.air.ingest import Row, store
from tests.air.helpers import with_sensors


def test_regression_figures_against_a_brute_force_computation():
    x = [1.0, 2.0, 3.0, 4.0, 5.0]
    y = [2.1, 3.9, 6.2, 7.8, 10.1]
    found = calibration.regression(x, y)
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    slope = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True)) / sum(
        (a - mx) ** 2 for a in x
    )
    intercept = my - slope * mx
    ss_res = sum((b - (slope * a + intercept)) ** 2 for a, b in zip(x, y, strict=True))
    ss_tot = sum((b - my) ** 2 for b in y)
    rmse = (sum((b - a) ** 2 for a, b in zip(x, y, strict=True)) / n) ** 0.5
    assert found["slope"] == pytest.approx(slope, abs=1e-9)
    assert found["intercept"] == pytest.approx(intercept, abs=1e-9)
    assert found["r2"] == pytest.approx(1 - ss_res / ss_tot, abs=1e-9)
    assert found["rmse"] == pytest.approx(rmse, abs=1e-9)


def test_judged_against_epas_targets():
    good = {"r2": 0.8, "slope": 1.1, "intercept": -2.0, "rmse": 3.0, "nrmse": 25.0}
    assert all(calibration.judge(good).values())
    assert calibration.judge({**good, "r2": 0.69})["r2"] is False
    assert calibration.judge({**good, "slope": 1.36})["slope"] is False
    assert calibration.judge({**good, "intercept": 5.1})["intercept"] is False
    assert calibration.judge({**good, "rmse": 8.0, "nrmse": 31.0})["error"] is False
    assert calibration.judge({**good, "rmse": 8.0, "nrmse": 29.0})["error"] is True


def test_collocation_recovers_the_relation_and_corrects_from_then_on(client, engine, two_cities):
    from sqlalchemy import select

    from civitas.air import rollup
    from civitas.air.models import Hour
    from civitas.air.sensors import by_code
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope
    from civitas.core.errors import InvalidInput

    codes = with_sensors()
    rng = random.Random(7)  # noqa: S311 - test data
    start = datetime(2026, 11, 1, 5, tzinfo=UTC)
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        node, ref = by_code(db, city, codes["node"]), by_code(db, city, codes["reference"])
        node_rows, ref_rows = [], []
        for h in range(24 * 6):
            truth = 8 + 20 * rng.random()
            rh = 40 + 50 * rng.random()
            at = start + timedelta(hours=h, minutes=10)
            # the sensor reads truth·1.4 + 0.1·RH − 2 (with a little noise)
            node_rows.append(
                Row(
                    at=at,
                    channel="node",
                    pm25=truth * 1.4 + 0.1 * rh - 2 + rng.gauss(0, 0.2),
                    humidity=rh,
                )
            )
            ref_rows.append(Row(at=at, channel="node", pm25=truth))
        store(db, city, node, node_rows)
        store(db, city, ref, ref_rows)
        rollup.rollup(db, city)
        with pytest.raises(InvalidInput):
            calibration.collocate(
                db, city, node, ref, date(2026, 11, 1), date(2026, 11, 2)
            )  # too few hours
        with pytest.raises(InvalidInput):
            calibration.collocate(db, city, ref, ref, date(2026, 11, 1), date(2026, 11, 6))
        made = calibration.collocate(db, city, node, ref, date(2026, 11, 1), date(2026, 11, 6))
        # reference = (sensor − 0.1·RH + 2) / 1.4
        assert made.coefficients["slope"] == pytest.approx(1 / 1.4, abs=0.01)
        assert made.coefficients["rh"] == pytest.approx(-0.1 / 1.4, abs=0.01)
        assert made.coefficients["intercept"] == pytest.approx(2 / 1.4, abs=0.2)
        assert made.figures["r2"] > 0.95
        assert all(made.figures["meets"].values())
        rollup.rollup(db, city)
        hour = db.scalar(
            select(Hour).where(Hour.sensor_id == node.id, Hour.hour == start + timedelta(hours=30))
        )
        assert hour.correction == "fit/2026-11-01"
        expected = (
            made.coefficients["intercept"]
            + made.coefficients["slope"] * hour.pm25_raw
            + made.coefficients["rh"] * hour.humidity
        )
        assert hour.pm25 == pytest.approx(max(expected, 0.0), abs=1e-9)
    # the station page and the staff's health table show the calibration with its figures
    page = client.get(f"/trujillo/air/stations/{codes['node']}?lang=en")
    assert page.status_code == 200
    assert "Calibrated against the reference station from" in page.text
    from tests.factories import session_cookie

    client.cookies.update(session_cookie(client, "trujillo", "a-manager"))
    health = client.get("/trujillo/staff/air?lang=en")
    assert health.status_code == 200
    assert "meets EPA&#39;s targets" in health.text
