"""Riders' pages and the back office's, over HTTP: finding a stop, its departures, one
tap on how full the bus was (once, then throttled), the report of a problem at the stop
with the stop filled in, the planner's form, lines, alerts; publishing and withdrawing an
alert; the link for residents on every page of a city that runs public transport."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from civitas.cities.models import City
from civitas.core.db import session_scope
from civitas.transit import feeds
from tests.factories import form_token, session_cookie
from tests.transit.feeds import always_zip


@pytest.fixture
def tt(engine, two_cities):
    with session_scope(engine) as db:
        trujillo = db.scalars(select(City).where(City.slug == "trujillo")).one()
        feeds.import_feed(db, trujillo, "tt", content=always_zip(), filename="tt.zip")
    return engine


def test_a_rider_finds_a_stop_by_name_and_nearby(tt, client):
    found = client.get("/trujillo/transit", params={"q": "plaza armas", "lang": "es"})
    assert found.status_code == 200
    assert 'href="/trujillo/transit/stops/tt:A?lang=es"' in found.text
    near = client.get("/trujillo/transit", params={"lat": "-8.1110", "lon": "-79.0280"})
    assert "Plaza de Armas" in near.text
    assert "Paraderos cerca de usted" in near.text
    away = client.get("/trujillo/transit", params={"lat": "52.5", "lon": "13.4", "lang": "es"})
    assert "Ese lugar no está en Trujillo." in away.text
    # every page of the city links to it, in the reader's language
    home = client.get("/trujillo/?lang=es")
    assert '<a href="/trujillo/transit?lang=es">Transporte público</a>' in home.text


def test_a_stop_shows_its_next_departures_and_takes_one_tap_on_crowding(tt, client):
    page = client.get("/trujillo/transit/stops/tt:A?lang=es")
    assert page.status_code == 200
    assert "Próximas salidas" in page.text
    assert re.search(r'class="wait">(ahora|\d+ min)<', page.text), page.text
    assert "sin datos en vivo" not in page.text  # the feed has no live data: timetable
    assert "horario" in page.text
    token = form_token(client, "/trujillo/transit/stops/tt:A")
    done = client.post(
        "/trujillo/transit/stops/tt:A/crowding?lang=es",
        data={"level": "3", "csrf": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"].endswith("?thanks=1&lang=es")
    again = client.post(
        "/trujillo/transit/stops/tt:A/crowding?lang=es", data={"level": "3", "csrf": token}
    )
    assert again.status_code == 429
    assert "ya fue recibido" in again.text
    # riders at the stop now see it
    shown = client.get("/trujillo/transit/stops/tt:A?lang=es")
    assert "Lleno" in shown.text
    assert "según los pasajeros" in shown.text


def test_reporting_a_problem_at_a_stop_fills_in_the_stop(tt, client):
    page = client.get("/trujillo/transit/stops/tt:A?lang=es")
    link = re.search(r'href="(/trujillo/report/bus-stop-damage/where\?[^"]+)"', page.text)
    assert link
    url = link.group(1).replace("&amp;", "&")
    assert "set_stop_code=101" in url
    assert "place=Plaza+de+Armas" in url


def test_the_planner_form_finds_journeys_and_asks_which_stop(tt, client):
    page = client.get(
        "/trujillo/transit/plan",
        params={"from": "tt:A", "to": "tt:E", "date": "2026-12-07", "time": "06:00", "lang": "es"},
    )
    assert page.status_code == 200
    assert "Viajes" in page.text
    assert "Cambie en" in page.text or "Camine" in page.text
    assert 'value="Plaza de Armas"' in page.text  # the form shows the stop's name
    ask = client.get(
        "/trujillo/transit/plan",
        params={"from": "Central", "to": "tt:E", "lang": "es"},
    )
    assert "¿A qué paradero se refiere?" in ask.text
    bad = client.get(
        "/trujillo/transit/plan", params={"from": "zzzz qqq", "to": "tt:E", "lang": "es"}
    )
    assert bad.status_code == 400
    assert "Ningún paradero se llama zzzz qqq" in bad.text


def test_lines_and_a_line_with_its_map(tt, client):
    lines = client.get("/trujillo/transit/lines?lang=es")
    assert "Plaza – Av. España" in lines.text
    line = client.get("/trujillo/transit/lines/tt:L1?lang=es")
    assert 'data-line-map="/api/v1/cities/trujillo/transit/routes/tt:L1"' in line.text
    assert "Hacia Av. España" in line.text
    css = client.get("/trujillo/transit/lines.css")
    assert "background: #1A6FB0" in css.text
    assert css.headers["content-type"].startswith("text/css")


def test_staff_publish_and_withdraw_an_alert(tt, client):
    cookies = session_cookie(client, "trujillo", "a-manager")
    client.cookies.update(cookies)
    page = client.get("/trujillo/staff/transit?lang=es")
    assert page.status_code == 200
    assert "Feeds y su estado" in page.text
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
    empty = client.post(
        "/trujillo/staff/transit/alerts?lang=es", data={"csrf": token, "header": ""}
    )
    assert empty.status_code == 400
    assert "Escriba el titular del aviso" in empty.text
    done = client.post(
        "/trujillo/staff/transit/alerts?lang=es",
        data={
            "csrf": token,
            "header": "Paradero trasladado",
            "effect": "STOP_MOVED",
            "route": "tt:L2",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    client.cookies.clear()
    public = client.get("/trujillo/transit/alerts?lang=es")
    assert "Paradero trasladado: Paradero trasladado" in public.text
    client.cookies.update(cookies)
    staff = client.get("/trujillo/staff/transit?lang=es")
    alert_id = re.search(r"/staff/transit/alerts/(\d+)/withdraw", staff.text).group(1)
    gone = client.post(
        f"/trujillo/staff/transit/alerts/{alert_id}/withdraw?lang=es",
        data={"csrf": token},
        follow_redirects=False,
    )
    assert gone.status_code == 303
    client.cookies.clear()
    assert "Paradero trasladado" not in client.get("/trujillo/transit/alerts?lang=es").text


def test_an_address_finds_the_stops_around_it(tt, client):
    # the test world's register has "a-0-1 … Street 1" near the city's centre
    found = client.get("/trujillo/transit", params={"q": "Jr. Pizarro 3", "lang": "es"})
    assert found.status_code == 200
    assert "Paraderos cerca de" in found.text
    assert 'href="/trujillo/transit/stops/tt:A?lang=es"' in found.text
