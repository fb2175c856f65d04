"""The journey planner over the API: Pareto journeys with a change that transfers.txt
times, pure timetable without walking, arrive-by, frequencies, a night trip past
midnight, a holiday's calendar, points as ends, alerts on a journey, and the refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civitas.cities.models import City
from civitas.core.db import session_scope
from civitas.transit import feeds
from tests.factories import bearer
from tests.transit.feeds import feed_zip

PLAN = "/api/v1/cities/trujillo/transit/plan"


@pytest.fixture
def tt(engine, two_cities):
    with session_scope(engine) as db:
        trujillo = db.scalars(select(City).where(City.slug == "trujillo")).one()
        feeds.import_feed(db, trujillo, "tt", content=feed_zip(), filename="tt.zip")
    return engine


def plan(client, **params):
    params = {"from": params.pop("from_"), **params}
    r = client.get(PLAN, params=params)
    assert r.status_code == 200, r.text
    return r.json()["journeys"]


def test_a_change_at_the_station_takes_its_minimum_transfer_time(tt, client):
    (journey,) = plan(client, from_="tt:A", to="tt:E", depart="2026-12-07T06:00:00-05:00")
    assert journey["departure"] == "2026-12-07T06:00:00-05:00"
    assert journey["arrival"] == "2026-12-07T06:20:00-05:00"
    assert journey["transfers"] == 1
    modes = [(leg["mode"], leg["route"]) for leg in journey["legs"]]
    assert modes == [("transit", "1"), ("walk", None), ("transit", "2")]
    walk = journey["legs"][1]
    assert (walk["from"]["stop_id"], walk["to"]["stop_id"]) == ("tt:S1", "tt:S2")
    assert walk["departure"] == "2026-12-07T06:06:00-05:00"
    assert walk["arrival"] == "2026-12-07T06:08:00-05:00"  # transfers.txt: 120 s
    ride = journey["legs"][0]
    assert ride["trip_id"] == "tt:L1-F"
    assert ride["route_id"] == "tt:L1"


def test_without_walking_a_change_happens_only_at_one_stop_id(tt, client):
    assert (
        plan(client, from_="tt:A", to="tt:E", depart="2026-12-07T06:00:00-05:00", max_walk_m=0)
        == []
    )
    (direct,) = plan(
        client, from_="tt:A", to="tt:C", depart="2026-12-07T06:03:00-05:00", max_walk_m=0
    )
    # frequencies.txt: every 10 minutes from 06:00, so the 06:10 run
    assert direct["departure"] == "2026-12-07T06:10:00-05:00"
    assert direct["arrival"] == "2026-12-07T06:22:00-05:00"


def test_arrive_by_gives_the_latest_departure(tt, client):
    (journey,) = plan(client, from_="tt:A", to="tt:E", arrive="2026-12-07T06:45:00-05:00")
    assert journey["departure"] == "2026-12-07T06:20:00-05:00"
    assert journey["arrival"] == "2026-12-07T06:40:00-05:00"


def test_a_night_trip_past_midnight_arrives_the_next_calendar_day(tt, client):
    (journey,) = plan(client, from_="tt:A", to="tt:C", depart="2026-12-07T23:45:00-05:00")
    assert journey["departure"] == "2026-12-07T23:50:00-05:00"
    assert journey["arrival"] == "2026-12-08T00:02:00-05:00"


def test_a_holiday_runs_the_saturday_service(tt, client):
    (journey,) = plan(client, from_="tt:S2", to="tt:E", depart="2026-12-08T06:00:00-05:00")
    assert journey["departure"] == "2026-12-08T09:00:00-05:00"  # L2-S, not the weekday's


def test_points_walk_to_and_from_stops_and_a_station_stands_for_its_platforms(tt, client):
    journeys = plan(client, from_="-8.1117,-79.0289", to="tt:S", depart="2026-12-07T05:58:00-05:00")
    first = journeys[0]
    assert first["legs"][0]["mode"] == "walk"
    assert first["legs"][0]["from"]["stop_id"] is None
    assert first["legs"][1]["to"]["stop_id"] == "tt:S1"


def test_an_alert_on_a_route_shows_on_the_journey(tt, client):
    manager = bearer(client, "trujillo", "a-manager")
    made = client.post(
        "/api/v1/cities/trujillo/transit/alerts",
        json={
            "header": {"es": "Desvío por obras en la línea 2", "en": "Line 2 detour"},
            "cause": "CONSTRUCTION",
            "effect": "DETOUR",
            "routes": ["tt:L2"],
            "start": "2026-12-01T00:00:00-05:00",
        },
        headers=manager,
    )
    assert made.status_code == 201, made.text
    (journey,) = plan(client, from_="tt:A", to="tt:E", depart="2026-12-07T06:00:00-05:00")
    assert [a["effect"] for a in journey["alerts"]] == ["DETOUR"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "tt:NOPE", "to": "tt:E"}, "from"),
        ({"from": "tt:A", "to": "nowhere"}, "to"),
        ({"from": "tt:A", "to": "tt:E", "depart": "yesterday"}, "depart"),
        ({"from": "tt:A", "to": "tt:E", "depart": "2026-12-07T06:00:00"}, "depart"),
        ({"from": "-8.11,-79.02", "to": "tt:E", "max_walk_m": "0"}, "max_walk_m"),
        ({"from": "0,0", "to": "tt:E"}, "from"),
        (
            {
                "from": "tt:A",
                "to": "tt:E",
                "depart": "2026-12-07T06:00:00-05:00",
                "arrive": "2026-12-07T07:00:00-05:00",
            },
            "arrive",
        ),
    ],
)
def test_a_bad_query_is_refused_naming_the_field(tt, client, params, field):
    r = client.get(PLAN, params=params, headers={"Accept-Language": "es"})
    assert r.status_code == 400, r.text
    problems = r.json()["error"]["problems"]
    assert field in [p["location"] for p in problems]
