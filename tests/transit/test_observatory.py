"""The mobility observatory: a month's indicators from the timetable and from what the
buses did (on time, delay, headways, speed, crowding), the city's coverage and requests,
stored per month and turned into KPIs, open data and a page; and the worker's poll of
an operator's URL, through which the demo's simulated buses come in."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from civitas.cities.models import City
from civitas.core.db import session_scope
from civitas.core.kpis import Period
from civitas.transit import feeds, observatory, simulation
from civitas.transit.kpis import compute
from civitas.transit.timetable import network
from tests.transit.feeds import feed_zip

LIMA = ZoneInfo("America/Lima")
MONDAY = date(2026, 12, 7)


def city(db):
    return db.scalars(select(City).where(City.slug == "trujillo")).one()


@pytest.fixture
def tt(engine, two_cities):
    with session_scope(engine) as db:
        feeds.import_feed(db, city(db), "tt", content=feed_zip(), filename="tt.zip")
    return engine


def seen(trip, route, seq, stop, scheduled, delay, occupancy=None):
    hour, minute = scheduled
    at = datetime(2026, 12, 7, hour, minute, tzinfo=LIMA)
    return {
        "trip_id": trip,
        "route_id": route,
        "stop_id": stop,
        "sequence": seq,
        "scheduled": at,
        "observed": datetime.fromtimestamp(at.timestamp() + delay, UTC),
        "delay": delay,
        "occupancy": occupancy,
    }


def test_a_days_indicators_from_the_timetable_and_what_happened(tt):
    with session_scope(tt) as db:
        net = network(db, city(db))
    month = observatory.Month(net, "tt", "2026-12")
    rows = [
        # L2-1 on time and whole, L2-2 seven minutes late at D and full there
        seen("L2-1", "L2", 1, "S2", (6, 10), 30),
        seen("L2-1", "L2", 2, "D", (6, 15), 30),
        seen("L2-1", "L2", 3, "E", (6, 20), 60, occupancy=1),
        seen("L2-2", "L2", 1, "S2", (6, 30), 0),
        seen("L2-2", "L2", 2, "D", (6, 35), 420, occupancy=5),
    ]
    month.add_day(MONDAY, rows)
    figures = month.results()
    l1, l2 = figures["L1"], figures["L2"]
    # the timetable: L1 runs every 10 minutes 06:00–06:50 and once at 23:50
    assert l1["trips"] == 7
    assert l1["departures_per_hour"][6] == 6
    assert l2["trips"] == 2
    assert l2["vehicle_km"] > 0
    # what happened: 4 of 5 departures on time, the mean delay, half of the crowding full
    assert l2["observed_departures"] == 5
    assert l2["on_time_pct"] == 80.0
    assert l2["mean_delay_s"] == round((30 + 30 + 60 + 0 + 420) / 5)
    assert l2["crowded_pct"] == 50.0
    # 20 minutes apart in the timetable: at S2 they left 30 s closer, at D 6.5 min farther
    assert l2["headway_deviation_pct"] == pytest.approx(100 * (30 / 1200 + 390 / 1200) / 2)
    assert l2["observed_speed_kmh"] is not None  # L2-1 was seen whole
    assert l1["on_time_pct"] is None  # nothing observed of line 1


def test_a_month_is_stored_and_becomes_kpis_open_data_and_a_page(tt, client, engine):
    with session_scope(tt) as db:
        c = city(db)
        net = network(db, c)
        feed = feeds.feed_named(db, c, "tt")
        rows = simulation.observations_of(net, "tt", MONDAY, LIMA)
        month = observatory.Month(net, "tt", "2026-12")
        month.add_day(MONDAY, sorted(rows, key=lambda r: (r["trip_id"], r["sequence"])))
        figures = month.results()
        figures["*"] = observatory.city_figures(db, c, net, "2026-12")
        observatory.store(db, c, feed, "2026-12", figures)
        city_id = c.id
    assert figures["*"]["addresses"] > 0
    assert 0 <= figures["*"]["stop_coverage_pct"] <= 100
    with engine.connect() as conn:
        cells = {
            cell.kpi: cell for cell in compute(conn, city_id, Period.of("2026-12", "America/Lima"))
        }
    assert cells["transit_vehicle_km"].value == round(
        sum(f["vehicle_km"] for r, f in figures.items() if r != "*")
    )
    on_time = cells["transit_on_time_pct"].value
    assert on_time is not None
    assert 0 <= on_time <= 100
    assert cells["transit_stop_coverage_pct"].value == figures["*"]["stop_coverage_pct"]
    csv = client.get("/trujillo/open-data/transit-observatory.csv")
    assert csv.status_code == 200
    assert csv.text.splitlines()[0].startswith("month,feed,route,trips,vehicle_km")
    assert "2026-12,tt,L2," in csv.text
    page = client.get("/trujillo/transit/observatory?lang=es")
    assert page.status_code == 200
    assert "Observatorio de movilidad" in page.text
    assert "data-vega-spec" in page.text


def test_the_worker_polls_an_operators_url(tt, engine, live_server):
    from civitas.transit import tasks
    from civitas.transit.models import RealtimeMessage, TripUpdate

    with session_scope(engine) as db:
        c = city(db)
        feed = feeds.feed_named(db, c, "tt")
        feeds.settings_of(db, c).simulation = True
        base = f"{live_server}/api/v1/cities/trujillo/transit/simulation/tt"
        feed.trip_updates_url = f"{base}/trip-updates.pb"
        feed.vehicle_positions_url = f"{base}/vehicle-positions.pb"
        feed_id, city_id = feed.id, c.id
    assert tasks.poll_feed.call_local(feed_id, city_id) == 2
    with session_scope(engine) as db:
        c = city(db)
        from civitas.cities.service import enter_city

        enter_city(db, c)
        messages = db.scalars(select(RealtimeMessage)).all()
        assert {m.via for m in messages} == {"poll"}
        assert db.scalars(select(TripUpdate)).first() is not None or messages
        # a URL that fails is kept on the feed, and nothing else changes
        feeds.feed_named(db, c, "tt").trip_updates_url = f"{live_server}/nowhere.pb"
        feeds.feed_named(db, c, "tt").vehicle_positions_url = None
    assert tasks.poll_feed.call_local(feed_id, city_id) == 0
    with session_scope(engine) as db:
        assert "nowhere.pb" in (feeds.feed_named(db, city(db), "tt").realtime_error or "")
