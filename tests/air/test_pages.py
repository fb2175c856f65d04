"""The pages over HTTP: the residents' map and station page in the city's language, and
the staff's sensor health with its forms (register, import, calibrate, the index), each
refusal named beside its field and nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from civitas.air.ingest import Row, store
from civitas.air.models import Reading, Sensor
from tests.air.helpers import with_sensors
from tests.factories import form_token, session_cookie


def _some_hours(code: str, hours: int = 30) -> None:
    from civitas.air import rollup
    from civitas.air.sensors import by_code
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope

    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        sensor = by_code(db, city, code)
        store(
            db,
            city,
            sensor,
            [
                Row(
                    at=now - timedelta(hours=h, minutes=-5),
                    channel="node",
                    pm25=15 + h % 7,
                    pm10=25,
                    humidity=70.0,
                )
                for h in range(hours)
            ],
        )
        rollup.rollup(db, city)


def test_residents_pages(client, two_cities):
    codes = with_sensors()
    _some_hours(codes["node"])
    home = client.get("/trujillo/air?lang=es")
    assert home.status_code == 200
    assert "Calidad del aire" in home.text
    assert "INCA" in home.text
    assert f"/trujillo/air/stations/{codes['node']}" in home.text
    assert 'style="' not in home.text  # the bands' colours come from bands.css
    css = client.get("/trujillo/air/bands.css")
    assert css.status_code == 200
    assert ".band-inca-pe-bad" in css.text
    station = client.get(f"/trujillo/air/stations/{codes['node']}?lang=es")
    assert station.status_code == 200
    assert "air-24h" in station.text
    assert "air-7d" in station.text
    assert "kappa-koehler/1" in station.text
    assert client.get("/trujillo/air/stations/nobody").status_code == 404


def test_staff_need_a_role(client, two_cities):
    with_sensors()
    assert client.get("/trujillo/staff/air", follow_redirects=False).status_code in (303, 401)
    client.cookies.update(session_cookie(client, "trujillo", "a-agent"))
    assert client.get("/trujillo/staff/air").status_code == 403


def test_staff_register_import_and_calibrate(client, engine, two_cities):
    codes = with_sensors()
    _some_hours(codes["node"], 6)
    client.cookies.update(session_cookie(client, "trujillo", "a-manager"))
    page = client.get("/trujillo/staff/air?lang=es")
    assert page.status_code == 200
    assert "Plaza" in page.text
    csrf = form_token(client, "/trujillo/staff/air?lang=en")
    bad = client.post(
        "/trujillo/staff/air/sensors?lang=en",
        data={"csrf": csrf, "chip_id": "bad id!", "type": "sds011", "lat": "200", "lon": "x"},
    )
    assert bad.status_code == 400
    assert "Give a latitude between -90 and 90." in bad.text
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(Sensor)).scalar_one()
    made = client.post(
        "/trujillo/staff/air/sensors?lang=en",
        data={
            "csrf": csrf,
            "chip_id": "4242",
            "type": "pms5003",
            "lat": "-8.1",
            "lon": "-79.02",
            "name": "School",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Sensor)).scalar_one() == before + 1
    wrong = client.post(
        "/trujillo/staff/air/import?lang=en",
        data={"csrf": csrf, "sensor": ""},
        files={"file": ("day.csv", b"time_stamp,pm25\n2026-11-01T00:00:00Z,5000\n", "text/csv")},
    )
    assert wrong.status_code == 400
    assert "time_stamp,pm25" in wrong.text or "name it" in wrong.text
    wrong = client.post(
        "/trujillo/staff/air/import?lang=en",
        data={"csrf": csrf, "sensor": "4242"},
        files={"file": ("day.csv", b"time_stamp,pm25\n2026-11-01T00:00:00Z,5000\n", "text/csv")},
    )
    assert wrong.status_code == 400
    assert "day.csv:2:pm25" in wrong.text
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(func.count()).select_from(Reading).where(Reading.pm25 == 5000)
            ).scalar_one()
            == 0
        )
    good = client.post(
        "/trujillo/staff/air/import?lang=en",
        data={"csrf": csrf, "sensor": "4242"},
        files={"file": ("day.csv", b"time_stamp,pm25\n2026-11-01T00:00:00Z,50\n", "text/csv")},
        follow_redirects=False,
    )
    assert good.status_code == 303
    few = client.post(
        "/trujillo/staff/air/calibrate?lang=en",
        data={
            "csrf": csrf,
            "sensor": codes["node"],
            "reference": codes["reference"],
            "from": "2026-11-01",
            "to": "2026-11-02",
        },
    )
    assert few.status_code == 400
    assert "a fit needs 72" in few.text
    scale = client.post(
        "/trujillo/staff/air/settings?lang=en",
        data={"csrf": csrf, "scale": "eaqi"},
        follow_redirects=False,
    )
    assert scale.status_code == 303
    assert "European Air Quality Index" in client.get("/trujillo/air?lang=en").text
    assert (
        client.post(
            "/trujillo/staff/air/settings?lang=en", data={"csrf": csrf, "scale": "mars"}
        ).status_code
        == 400
    )


def test_a_caseworker_sees_health_but_cannot_change(client, two_cities):
    with_sensors()
    client.cookies.update(session_cookie(client, "trujillo", "a-caseworker"))
    assert client.get("/trujillo/staff/air").status_code == 200
    csrf = form_token(client, "/trujillo/staff/air?lang=en")
    answer = client.post("/trujillo/staff/air/settings", data={"csrf": csrf, "scale": "uba"})
    assert answer.status_code == 403
