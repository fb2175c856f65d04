"""Residents' alerts: asked for on the page, confirmed from the mailbox, one e-mail when an
episode begins and one when it is over — not one an hour — and a stopped alert is gone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from civitas.air.ingest import Row, store
from civitas.notifications.models import OutboxMessage
from tests.air.helpers import with_sensors


def _mails(engine, prefix: str) -> list[OutboxMessage]:
    from sqlalchemy.orm import Session

    from civitas.core.tenancy import bind_all_cities

    with Session(engine) as db:
        bind_all_cities(db)
        return [
            m
            for m in db.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
            if m.dedupe_key.startswith(prefix)
        ]


def _air(db, city, sensor, start: datetime, hours: int, pm: float) -> None:
    store(
        db,
        city,
        sensor,
        [
            Row(
                at=start + timedelta(hours=h, minutes=m),
                channel="node",
                pm25=pm + h / 10 + m / 100,
                humidity=50.0,
            )
            for h in range(hours)
            for m in (5, 35)
        ],
    )


def test_subscribe_confirm_one_mail_per_episode(client, engine, two_cities):
    from civitas.air import alerts, rollup
    from civitas.air.sensors import by_code
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope

    codes = with_sensors()
    page = client.get("/trujillo/air?lang=es")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    # a problem is named beside its field, in the reader's language
    refused = client.post(
        "/trujillo/air/alerts?lang=es",
        data={
            "csrf": csrf,
            "station": codes["node"],
            "radius": "1000",
            "threshold": "3",
            "email": "not-an-address",
        },
    )
    assert refused.status_code == 400
    assert 'id="email-error"' in refused.text
    made = client.post(
        "/trujillo/air/alerts?lang=es",
        data={
            "csrf": csrf,
            "station": codes["node"],
            "radius": "1000",
            "threshold": "3",
            "email": "vecina@example.org",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    (confirm,) = _mails(engine, "air-alert-confirm:")
    assert confirm.language == "es"
    link = re.search(r"https?://\S+/trujillo/air/alerts/\S+", confirm.body).group(0)
    path = "/" + link.split("/", 3)[3]
    assert client.get(path).status_code == 200
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        node = by_code(db, city, codes["node"])
        _air(db, city, node, now - timedelta(hours=6), 6, 8.0)  # INCA good
        rollup.rollup(db, city)
        assert alerts.check(db, city, at=now + timedelta(minutes=30)) == 0
        _air(db, city, node, now, 1, 200.0)  # an episode: bad
        rollup.rollup(db, city)
        assert alerts.check(db, city, at=now + timedelta(minutes=40)) == 1
        # the next checks while it lasts send nothing
        _air(db, city, node, now + timedelta(hours=1), 2, 210.0)
        rollup.rollup(db, city)
        for minutes in (70, 130, 170):
            assert alerts.check(db, city, at=now + timedelta(minutes=minutes)) == 0
    (start,) = _mails(engine, "air-alert:")
    assert start.recipient == "vecina@example.org"
    assert "Mala" in start.subject or "mala" in start.body.lower()
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        node = by_code(db, city, codes["node"])
        _air(db, city, node, now + timedelta(hours=3), 14, 5.0)
        rollup.rollup(db, city)
        later = now + timedelta(hours=16)
        # below the band: the episode is over after three calm hours, one mail
        assert alerts.check(db, city, at=later) == 0
        assert alerts.check(db, city, at=later + timedelta(hours=1)) == 0
        assert alerts.check(db, city, at=later + timedelta(hours=3)) == 1
        assert alerts.check(db, city, at=later + timedelta(hours=4)) == 0
    assert len(_mails(engine, "air-alert:")) == 2
    # the link in every mail stops it
    stop_page = client.get(path)
    csrf = re.search(r'name="csrf" value="([^"]+)"', stop_page.text).group(1)
    stop_path = path.split("?")[0] + "/stop"
    assert client.post(stop_path, data={"csrf": csrf}).status_code == 200
    assert client.get(path).status_code == 404


def test_unconfirmed_alerts_send_nothing(engine, two_cities):
    from civitas.air import alerts, rollup
    from civitas.air.sensors import by_code
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope

    codes = with_sensors()
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        node = by_code(db, city, codes["node"])
        alerts.subscribe(
            db,
            city,
            email="a@example.org",
            lat=node.lat,
            lon=node.lon,
            radius_m=1000,
            threshold=2,
            label="Plaza",
            language="es",
        )
        _air(db, city, node, now - timedelta(hours=2), 3, 200.0)
        rollup.rollup(db, city)
        assert alerts.check(db, city, at=now + timedelta(minutes=30)) == 0
