"""What the assistant answers from the other domains' data, each through the question that
domain answers (core.lookups): the next buses at a stop with their waiting times, a
journey between two stops, the air now near a place; the links to apply and to book; a
city without buses or sensors is told so, not guessed at. The "chatbot" channel shows
on a service only while the city runs the assistant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from civitas.cities.models import City
from civitas.core.db import session_scope
from tests.assistant.helpers import say, texts, with_catalogue
from tests.transit.feeds import always_zip


@pytest.fixture
def trujillo(engine, two_cities):
    with_catalogue(engine, "trujillo")
    return two_cities


@pytest.fixture
def buses(engine, trujillo):
    from civitas.transit import feeds

    with session_scope(engine) as db:
        city = db.scalars(select(City).where(City.slug == "trujillo")).one()
        feeds.import_feed(db, city, "tt", content=always_zip(), filename="tt.zip")
    return trujillo


def test_the_next_buses_at_a_stop_named_with_a_typo(buses, client):
    answer = say(client, "trujillo", "cuando pasa el proximo micro en plaza de armaz")
    assert answer["intent"] == "transit_arrivals"
    said = texts(answer)
    assert "Próximas salidas en Plaza de Armas" in said
    assert "Línea 1 a Av. España" in said
    assert "(horario)" in said  # no live data: the timetable, said so
    assert "/trujillo/transit/stops/tt:A?lang=es" in said


def test_a_stop_is_asked_for_when_not_named(buses, client):
    first = say(client, "trujillo", "cuándo pasa el bus")
    assert "¿En qué paradero?" in texts(first)
    answer = say(client, "trujillo", "mercado central", first["conversation_id"])
    assert "Próximas salidas en Mercado Central" in texts(answer) or "Ningún bus" in texts(answer)


def test_a_journey_between_two_stops(buses, client):
    answer = say(client, "trujillo", "cómo llego de plaza de armas a hospital belen")
    assert answer["intent"] == "journey_plan"
    said = texts(answer)
    assert "De Plaza de Armas a Hospital Belén" in said
    assert "línea 1" in said
    assert "línea 2" in said
    assert "/trujillo/transit/plan?from=tt:A&to=tt:E&lang=es" in said


def test_without_buses_the_city_says_it_cannot_tell(trujillo, client):
    answer = say(client, "trujillo", "cuándo pasa el próximo bus en la plaza de armas")
    assert answer["intent"] == "transit_arrivals"
    assert "no tiene datos de transporte público" in texts(answer)
    menu = say(client, "trujillo", "hola")
    assert "Próximos buses" not in [o["label"] for o in menu["replies"][-1]["options"]]


def _air(engine) -> str:
    from civitas.air import rollup
    from civitas.air.ingest import Row, store
    from civitas.air.sensors import add_sensor

    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with session_scope(engine) as db:
        city = db.scalars(select(City).where(City.slug == "trujillo")).one()
        sensor = add_sensor(
            db, city, chip_id="4711", kind="sds011", lat=-8.1106, lon=-79.0282, name="Plaza"
        )
        store(
            db,
            city,
            sensor,
            [
                Row(
                    at=now - timedelta(hours=h, minutes=-5),
                    channel="node",
                    pm25=30.0,
                    pm10=40.0,
                    humidity=60.0,
                )
                for h in range(6)
            ],
        )
        rollup.rollup(db, city)
        return sensor.code


def test_the_air_near_an_address(trujillo, client, engine):
    code = _air(engine)
    answer = say(client, "trujillo", "cómo está el aire cerca de Av. España 3")
    assert answer["intent"] == "air_quality"
    said = texts(answer)
    assert "Plaza" in said
    assert "PM2.5" in said
    assert "µg/m³" in said
    assert f"/trujillo/air/stations/{code}?lang=es" in said


def test_service_links_and_hours_come_from_the_catalogue(trujillo, client):
    answer = say(client, "trujillo", "quiero sacar cita para el matrimonio civil")
    assert answer["intent"] == "book_appointment"
    assert answer["service_code"] == "marriage"
    # no office offers it by appointment in this city: where to go and when, instead
    assert "no tiene citas para reservar en línea" in texts(answer)
    assert "Dónde acudir" in texts(answer)


def test_the_chatbot_channel_shows_only_while_the_assistant_runs(trujillo, client, engine):
    page = client.get("/trujillo/services/pothole?lang=es")
    assert "Chatbot" in page.text
    with session_scope(engine) as db:
        city = db.scalars(select(City).where(City.slug == "trujillo")).one()
        city.disabled_domains = [*(city.disabled_domains or []), "assistant"]
    from civitas.web import microcache

    microcache.cities.clear()
    page = client.get("/trujillo/services/pothole?lang=es")
    assert "Chatbot" not in page.text
    assert client.get("/trujillo/assistant").status_code == 404
