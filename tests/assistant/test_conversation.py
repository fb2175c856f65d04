"""Conversations over the API, as residents write: a pothole filed in Spanish and in
German (only what the service requires is asked, then the request goes through the
common intake with channel chatbot), its status, a service's facts from the catalogue,
not understood (a person offered, nothing guessed), a hand-off, retries answered once."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from civitas.cases.models import ServiceRequest
from civitas.core.config import get_settings
from civitas.core.db import session_scope
from civitas.core.tenancy import bind_all_cities
from tests.assistant.helpers import say, texts, with_catalogue


@pytest.fixture
def catalogue(engine, two_cities):
    with_catalogue(engine, "trujillo")
    with_catalogue(engine, "musterstadt")
    return two_cities


def _request(engine, number):
    with session_scope(engine) as db:
        bind_all_cities(db)
        return db.scalars(select(ServiceRequest).where(ServiceRequest.number == number)).one()


def test_a_pothole_filed_in_spanish(catalogue, client, engine):
    first = say(client, "trujillo", "hola, hay un hueco enorme en la pista")
    assert first["language"] == "es"
    assert first["intent"] == "report_problem"
    conversation = first["conversation_id"]
    assert "dónde" in texts(first).lower()
    where = say(client, "trujillo", "Av. España 3", conversation)
    # the pothole's definition requires "is it a danger?": asked with its choices
    assert [o["label"] for o in where["replies"][-1]["options"]] == ["Sí", "No"]
    danger = say(client, "trujillo", "si", conversation)
    assert "Av. España 3" in texts(danger)
    assert [o["label"] for o in danger["replies"][-1]["options"]] == ["Sí", "No"]
    filed = say(client, "trujillo", "sí", conversation)
    assert filed["done"] is True
    number = int(filed["request_id"])
    # a full address: a resident on a messaging app has no page to be relative to
    assert f"{get_settings().public_url}/trujillo/requests/{number}?lang=es" in texts(filed)
    request = _request(engine, number)
    assert request.channel == "chatbot"
    assert request.attributes == {"danger": "yes"}
    assert request.address_id is not None
    assert request.description == "hola, hay un hueco enorme en la pista"
    status = say(client, "trujillo", f"cómo va mi solicitud {number}?", conversation)
    assert status["intent"] == "request_status"
    assert "Recibida. Último cambio:" in texts(status)


def test_a_pothole_filed_in_german_with_a_description_asked(catalogue, client, engine):
    first = say(client, "musterstadt", "Schlagloch melden")
    assert first["language"] == "de"
    conversation = first["conversation_id"]
    say(client, "musterstadt", "Hauptstraße 4", conversation)
    described = say(client, "musterstadt", "nein", conversation)  # no immediate danger
    assert "Beschreiben" in texts(described)
    confirm = say(client, "musterstadt", "Tiefes Loch vor der Bäckerei", conversation)
    assert "Hauptstraße 4" in texts(confirm)
    filed = say(client, "musterstadt", "ja", conversation)
    request = _request(engine, int(filed["request_id"]))
    assert request.description == "Tiefes Loch vor der Bäckerei"
    assert request.attributes == {"danger": "no"}
    assert request.language == "de"


def test_service_facts_come_from_the_catalogue(catalogue, client):
    answer = say(client, "trujillo", "cuánto cuesta la partida de nacimiento")
    assert answer["intent"] == "service_info"
    assert answer["service_code"] == "birth-certificate"
    assert "S/" in texts(answer)


def test_what_it_does_not_understand_it_says_and_offers_a_person(catalogue, client):
    answer = say(client, "trujillo", "quién ganó el partido de fútbol ayer")
    assert answer["intent"] == "out_of_scope"
    labels = [o["label"] for o in answer["replies"][-1]["options"]]
    assert "Hablar con una persona" in labels


def test_a_person_takes_over(catalogue, client):
    answer = say(client, "trujillo", "quiero hablar con una persona")
    assert answer["intent"] == "talk_to_person"
    assert answer["status"] == "waiting"
    later = say(client, "trujillo", "hola?", answer["conversation_id"])
    assert later["replies"] == []
    assert later["status"] == "waiting"


def test_a_retried_message_is_answered_once(catalogue, client, engine):
    first = say(client, "trujillo", "hay un hueco en la pista", client_id="m-1")
    again = say(
        client, "trujillo", "hay un hueco en la pista", first["conversation_id"], client_id="m-1"
    )
    assert again["replies"] == first["replies"]
    assert re.search("dónde", texts(again), re.I)


def test_a_report_near_an_open_one_offers_to_follow_it(catalogue, client):
    first = say(client, "trujillo", "hay un hueco enorme en la pista")
    conversation = first["conversation_id"]
    for text in ("Av. España 3", "sí", "sí"):
        filed = say(client, "trujillo", text, conversation)
    number = filed["request_id"]
    again = say(client, "trujillo", "otro bache en la pista frente a mi casa")
    for text in ("Av. España 4", "no"):
        confirm = say(client, "trujillo", text, again["conversation_id"])
    said = texts(confirm)
    assert "Puede que ya lo hayan reportado cerca" in said
    assert f"N.º {number}: Recibida" in said
    assert "¿Lo envío?" in said


def test_an_appointment_asked_for_a_day_starts_the_booking_there(catalogue, client):
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from civitas.core.db import utcnow
    from tests.appointments.helpers import with_office

    with_office("trujillo")
    answer = say(client, "trujillo", "quiero una cita para el servicio id-card mañana")
    assert answer["intent"] == "book_appointment"
    assert answer["service_code"] == "id-card"
    tomorrow = (utcnow().astimezone(ZoneInfo("America/Lima")) + timedelta(days=1)).date()
    assert f"/trujillo/appointments/book?service=id-card&start={tomorrow}&lang=es" in texts(answer)
    assert "Oficina principal (Plaza Mayor 1)" in texts(answer)


def test_cancel_ends_the_task_and_nothing_is_filed(catalogue, client, engine):
    first = say(client, "trujillo", "hay un hueco enorme en la pista")
    conversation = first["conversation_id"]
    say(client, "trujillo", "Av. España 3", conversation)
    stopped = say(client, "trujillo", "cancelar", conversation)
    assert "De acuerdo, lo dejé" in texts(stopped)
    after = say(client, "trujillo", "sí", conversation)
    assert after["request_id"] is None
    assert after["intent"] != "report_problem"
    with session_scope(engine) as db:
        bind_all_cities(db)
        assert (
            db.scalars(select(ServiceRequest).where(ServiceRequest.channel == "chatbot")).all()
            == []
        )
