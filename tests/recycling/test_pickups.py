"""Pickups through Open311 (any channel ends in the same checks), and every refusal: each
names what is wrong, and nothing of a refused pickup is written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from civitas.cases.models import ServiceRequest
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope
from civitas.recycling.models import Pickup, RecyclingHousehold
from tests.recycling.helpers import pickup_form, programme

URL = "/open311/v2/requests.json"
EN = {"Accept-Language": "en"}


def counts(engine):
    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        return (
            db.scalar(select(func.count()).select_from(ServiceRequest)),
            db.scalar(select(func.count()).select_from(Pickup)),
            db.scalar(select(func.count()).select_from(RecyclingHousehold)),
        )


def test_an_open311_request_for_the_service_becomes_a_pickup(client, engine, two_cities):
    prog = programme(engine)
    r = client.post(URL, data=pickup_form(two_cities, prog.day))
    assert r.status_code == 200, r.text
    number = int(r.json()[0]["service_request_id"])
    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        request = db.scalar(select(ServiceRequest).where(ServiceRequest.number == number))
        assert request is not None
        pickup = db.scalar(select(Pickup).where(Pickup.request_id == request.id))
        assert pickup.materials == ["paper", "pet"]
        assert pickup.estimated_g == 12_000
        assert pickup.day == prog.day
        assert pickup.status == "requested"
        # the morning window in Lima's time: 08:00-12:00 (-05:00)
        assert pickup.window_start.hour == 13
        assert pickup.window_end - pickup.window_start == timedelta(hours=4)
        household = db.get(RecyclingHousehold, pickup.household_id)
        assert household.contact == "hogar@example.org"
    # a second pickup of the same household is the same household
    r = client.post(URL, data=pickup_form(two_cities, prog.day, **{"attribute[weight_kg]": "3"}))
    assert r.status_code == 200
    assert counts(engine)[1:] == (2, 1)


REFUSALS = [
    ({"attribute[weight_kg]": "-4"}, "The weight must be more than 0 kg."),
    ({"attribute[weight_kg]": "0"}, "The weight must be more than 0 kg."),
    ({"attribute[weight_kg]": "5000"}, "A pickup takes at most 300 kg"),
    ({"lat": "-8.0700", "long": "-79.1000"}, "There is no recycling collection at this place"),
    ({"lat": "-12.05", "long": "-77.04"}, "outside"),
    ({"attribute[time_window]": "night"}, "is not one of the allowed keys"),
    ({"attribute[pickup_date]": "2026-13-40"}, "Give the date as YYYY-MM-DD"),
    ({"attribute[pickup_date]": "2020-01-06"}, "This date has passed"),
    ({"email": None, "phone": None}, "Give an e-mail address or a phone number"),
]


@pytest.mark.parametrize(("change", "message"), REFUSALS)
def test_a_bad_pickup_is_refused_with_its_reason_and_nothing_is_written(
    client, engine, two_cities, change, message
):
    prog = programme(engine)
    before = counts(engine)
    r = client.post(URL, data=pickup_form(two_cities, prog.day, **change), headers=EN)
    assert r.status_code in (400, 404), r.text
    assert message in r.text
    assert counts(engine) == before


def test_days_and_windows_no_picker_serves_are_refused(client, engine, two_cities):
    prog = programme(engine)
    far = prog.day + timedelta(days=40)
    r = client.post(
        URL,
        headers=EN,
        data=pickup_form(two_cities, prog.day, **{"attribute[pickup_date]": far.isoformat()}),
    )
    assert r.status_code == 400
    assert "up to 30 days ahead" in r.text
    # the northern zone is collected on Tuesdays only, and nobody verified works there
    r = client.post(
        URL, headers=EN, data=pickup_form(two_cities, prog.day, lat="-8.05", long="-79.03")
    )
    assert r.status_code == 400
    assert "No verified waste picker works in Norte" in r.text
    # the pickers work 08:00-16:00: the afternoon window (14-18) overlaps, so it is taken
    r = client.post(
        URL, data=pickup_form(two_cities, prog.day, **{"attribute[time_window]": "afternoon"})
    )
    assert r.status_code == 200


def test_refusals_are_in_the_readers_language(client, engine, two_cities):
    prog = programme(engine)
    r = client.post(
        URL,
        data=pickup_form(two_cities, prog.day, **{"attribute[weight_kg]": "-1"}),
        headers={"Accept-Language": "es"},
    )
    assert r.status_code == 400
    assert "El peso debe ser mayor que 0 kg." in r.text


def test_other_services_are_untouched_by_the_programme(client, engine, two_cities):
    programme(engine)
    r = client.post(
        URL,
        data={
            "api_key": two_cities.a.api_key,
            "jurisdiction_id": two_cities.a.jurisdiction_id,
            "service_code": "a-light",
            "lat": "-8.11",
            "long": "-79.03",
            "attribute[fault]": "out",
        },
    )
    assert r.status_code == 200, r.text
    assert counts(engine)[1] == 0
