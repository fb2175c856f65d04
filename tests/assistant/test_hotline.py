"""The hotline's side: a resident asks for a person, an agent sees the conversation
waiting, takes it over with its history, replies (the resident's chat shows it), hands
it back or closes it; a second agent cannot take it; staff lists mask personal data;
roles without the permission are refused. Teaching: a sentence taught waits until a
retrained model has been checked on held-out examples and approved; a synonym works at
once. Retention, rate limits and the KPIs."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from civitas.assistant import service
from civitas.assistant.models import Conversation, Example, Message
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope, utcnow
from tests.assistant.helpers import say, texts, with_catalogue
from tests.factories import form_token, session_cookie


@pytest.fixture
def trujillo(engine, two_cities):
    with_catalogue(engine, "trujillo")
    return two_cities


def _agent(client, world, role="agent"):
    client.follow_redirects = False  # the forms answer 303 and the tests look at that
    client.cookies.clear()
    client.cookies.update(session_cookie(client, "trujillo", world.a.users[role]))


def _chat(client, text):
    token = form_token(client, "/trujillo/assistant")
    return client.post(
        "/trujillo/assistant?lang=es",
        data={"text": text, "csrf": token},
        headers={"accept": "application/json"},
    )


def test_an_agent_takes_over_replies_and_hands_back(trujillo, client, engine):
    # a resident on the web chat (a visitor cookie, no account)
    asked = _chat(client, "quiero hablar con una persona, mi teléfono es +51 987 654 321")
    assert asked.status_code == 200
    assert asked.json()["status"] == "waiting"
    resident_cookies = dict(client.cookies)
    _agent(client, trujillo)
    board = client.get("/trujillo/staff/assistant?lang=es")
    assert board.status_code == 200
    assert "[phone]" in board.text  # masked outside the conversation
    assert "987 654 321" not in board.text
    conversation_id = int(re.search(r"/staff/assistant/conversations/(\d+)", board.text).group(1))
    page = f"/trujillo/staff/assistant/conversations/{conversation_id}"
    opened = client.get(page + "?lang=es")
    assert "+51 987 654 321" in opened.text  # the conversation itself shows what was written
    # the hotline's own screen says a resident waits in the chat
    hotline = client.get("/trujillo/staff/hotline?lang=es")
    assert "1 vecino espera en el chat a una persona." in hotline.text
    token = form_token(client, page)
    assert client.post(page + "/take", data={"csrf": token}).status_code == 303
    assert "espera en el chat" not in client.get("/trujillo/staff/hotline?lang=es").text
    replied = client.post(
        page + "/reply", data={"csrf": token, "text": "Buenas tardes, ¿en qué le ayudo?"}
    )
    assert replied.status_code == 303
    # a second agent cannot take it over
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "trujillo")
        enter_city(db, city)
        found = db.get(Conversation, conversation_id)
        assert found.status == "agent"
        assert found.answered_at is not None
        from civitas.core.errors import Conflict

        with pytest.raises(Conflict):
            service.take(db, city, found.key, agent="user:someone-else")
    # the resident's chat shows the agent's reply
    client.cookies.clear()
    client.cookies.update(resident_cookies)
    polled = client.get("/trujillo/assistant/messages?after=0").json()
    assert polled["status"] == "agent"
    assert any(
        m["author"] == "agent" and "en qué le ayudo" in m["text"] for m in polled["messages"]
    )
    chat = client.get("/trujillo/assistant?lang=es")
    assert "Una persona de la central de atención se unió" in chat.text
    # the agent hands it back: the assistant answers again
    _agent(client, trujillo)
    token = form_token(client, page)
    assert client.post(page + "/hand-back", data={"csrf": token}).status_code == 303
    client.cookies.clear()
    client.cookies.update(resident_cookies)
    again = _chat(client, "cuánto cuesta la partida de nacimiento")
    assert again.json()["status"] == "bot"
    assert any("S/" in m["text"] for m in again.json()["messages"])


def test_roles_without_the_hotline_are_refused(trujillo, client):
    _agent(client, trujillo, "field_worker")
    assert client.get("/trujillo/staff/assistant").status_code == 403
    _agent(client, trujillo, "agent")
    assert client.get("/trujillo/staff/assistant/teach").status_code == 403
    client.cookies.clear()
    assert client.get("/trujillo/staff/assistant", follow_redirects=False).status_code == 303


def test_a_taught_sentence_is_used_after_the_check_and_approval(trujillo, client, engine):
    # a Trujillo word the model does not know: it is not understood
    before = say(client, "trujillo", "el chapa no vino a mi jirón")
    _agent(client, trujillo, "manager")
    teach = "/trujillo/staff/assistant/teach"
    page = client.get(teach + "?lang=es")
    assert "el chapa no vino a mi jirón" in page.text or before["intent"] != "out_of_scope"
    token = form_token(client, teach)
    bad = client.post(
        teach + "/examples?lang=es",
        data={"csrf": token, "text": "x", "intent": "report_problem", "language": "es"},
    )
    assert bad.status_code == 400
    assert "Escriba una frase de 2 a 300 caracteres." in bad.text
    for text in (
        "el chapa no vino a mi jirón",
        "el chapa no pasó hoy",
        "no vino el chapa de la basura",
    ):
        added = client.post(
            teach + "/examples",
            data={"csrf": token, "text": text, "intent": "report_problem", "language": "es"},
        )
        assert added.status_code == 303
    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        assert (
            db.scalar(select(func.count()).select_from(Example).where(Example.approved.is_(False)))
            == 3
        )
    checked = client.post(teach + "/check?lang=es", data={"csrf": token})
    assert checked.status_code == 200
    assert "macro-F1" in checked.text
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', checked.text).group(1)
    score = re.search(r'name="macro_f1" value="([0-9.]+)"', checked.text).group(1)
    assert float(score) > 0.5
    examples = re.search(r'name="examples" value="(\d+)"', checked.text).group(1)
    approved = client.post(
        teach + "/approve",
        data={"csrf": token, "fingerprint": fingerprint, "macro_f1": score, "examples": examples},
    )
    assert approved.status_code == 303
    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        assert (
            db.scalar(select(func.count()).select_from(Example).where(Example.approved.is_(False)))
            == 0
        )
    client.cookies.clear()
    after = say(client, "trujillo", "el chapa no vino a mi jirón hoy")
    assert after["intent"] == "report_problem"
    # an approval for a check made before the examples changed is refused
    _agent(client, trujillo, "manager")
    token = form_token(client, teach)
    client.post(
        teach + "/examples",
        data={
            "csrf": token,
            "text": "la combi no paró",
            "intent": "report_problem",
            "language": "es",
        },
    )
    stale = client.post(
        teach + "/approve", data={"csrf": token, "fingerprint": fingerprint, "macro_f1": score}
    )
    assert stale.status_code == 409
    assert "pruebe el modelo de nuevo" in stale.text


def test_a_synonym_works_at_once(trujillo, client):
    before = say(client, "trujillo", "quiero reportar un ojo de buey frente a mi casa")
    _agent(client, trujillo, "manager")
    teach = "/trujillo/staff/assistant/teach"
    token = form_token(client, teach)
    added = client.post(
        teach + "/synonyms", data={"csrf": token, "term": "ojo de buey", "service": "pothole"}
    )
    assert added.status_code == 303
    client.cookies.clear()
    after = say(client, "trujillo", "quiero reportar un ojo de buey frente a mi casa")
    assert "Bache en la pista" in texts(after)
    assert before["replies"] != after["replies"]


def test_conversations_past_retention_are_deleted(trujillo, client, engine):
    old = say(client, "trujillo", "hola")
    say(client, "trujillo", "hola de nuevo")
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "trujillo")
        enter_city(db, city)
        found = db.scalars(
            select(Conversation).where(Conversation.key == old["conversation_id"])
        ).one()
        found.last_at = utcnow() - timedelta(days=91)
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "trujillo")
        assert service.purge(db, city) == 1
        enter_city(db, city)
        assert db.scalar(select(func.count()).select_from(Conversation)) == 1
        assert (
            db.scalar(
                select(func.count()).select_from(Message).where(Message.conversation_id == found.id)
            )
            == 0
        )


def test_a_sender_writing_too_fast_is_slowed_down(trujillo, client):
    conversation = None
    for i in range(service.PER_MINUTE):
        conversation = say(client, "trujillo", f"hola {i}", conversation)["conversation_id"]
    refused = client.post(
        "/api/v1/cities/trujillo/assistant/messages",
        json={"text": "hola", "conversation_id": conversation},
    )
    assert refused.status_code == 429


def test_bad_input_names_the_field(trujillo, client):
    empty = client.post(
        "/api/v1/cities/trujillo/assistant/messages",
        json={"text": "   "},
        headers={"accept-language": "es"},
    )
    assert empty.status_code == 400
    assert empty.json()["error"]["problems"][0]["location"] == "text"
    assert "Escriba un mensaje." in empty.text
    language = client.post(
        "/api/v1/cities/trujillo/assistant/messages",
        json={"text": "hola", "language": "fr"},
        headers={"accept-language": "es"},
    )
    assert language.status_code == 422
    problem = language.json()["error"]["problems"][0]
    assert problem == {"location": "language", "message": "Elija uno de: es, de, en."}


def test_masking():
    masked = service.mask(
        "Llámame al +51 987 654 321 o escribe a rosa@example.pe, IBAN DE89 3704 0044 0532 0130 00"
    )
    assert "987" not in masked
    assert "rosa@" not in masked
    assert "3704" not in masked
    assert masked.count("[") == 3


def test_the_kpis(trujillo, client, engine):
    from civitas.assistant.kpis import compute
    from civitas.core.kpis import Period

    first = say(client, "trujillo", "cuánto cuesta la partida de nacimiento")
    say(client, "trujillo", "quiero hablar con una persona")
    now = utcnow()
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    period = Period(now.strftime("%Y-%m"), start, now + timedelta(days=40))
    with engine.connect() as conn:
        cells = {c.kpi: c for c in compute(conn, trujillo.a.id, period)}
    assert cells["assistant_conversations"].value == 2
    assert cells["assistant_resolved_pct"].value == 50.0
    assert cells["assistant_handoff_pct"].value == 50.0
    assert cells["assistant_requests"].value == 0
    assert first["intent"] == "service_info"


def test_the_demo_has_conversations_as_residents_had_them(engine, two_cities):
    from civitas.assistant import demo
    from civitas.assistant.models import Conversation
    from civitas.catalogue import demo as catalogue_demo
    from civitas.core.config import get_settings

    with session_scope(engine) as db:
        city = get_city_by_slug(db, "trujillo")
        catalogue_demo.load(db, city, get_settings(), "x")
        lines = demo.load(db, city, get_settings(), "x")
    assert "conversations" in lines[0]
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "trujillo")
        enter_city(db, city)
        statuses = dict(
            db.execute(
                select(Conversation.status, func.count()).group_by(Conversation.status)
            ).all()
        )
        assert statuses.get("waiting") == 1
        assert statuses["closed"] >= 30
        not_understood = db.scalar(
            select(func.count()).select_from(Message).where(Message.intent == "out_of_scope")
        )
        assert (not_understood or 0) >= 1
        answered = db.scalar(
            select(func.count()).select_from(Message).where(Message.author == "agent")
        )
        assert (answered or 0) >= 1
    # loading again adds nothing
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "trujillo")
        again = demo.load(db, city, get_settings(), "x")
    assert "0 words for services, 0 conversations" in again[0]


def test_a_signed_in_residents_request_is_theirs(trujillo, client, engine):
    from civitas.residents import service as residents
    from civitas.residents.models import ResidentAccount

    with session_scope(engine) as db:
        city = get_city_by_slug(db, "trujillo")
        enter_city(db, city)
        account = ResidentAccount(email="rosa@example.pe", verified_at=utcnow())
        db.add(account)
        db.flush()
        raw = residents._session(db, account)
    client.cookies.set("civitas_resident", raw)
    for text in ("hay un hueco enorme en la pista", "Av. España 3", "no", "sí"):
        answer = _chat(client, text)
    said = " ".join(m["text"] for m in answer.json()["messages"])
    assert "rosa@example.pe" in said
    with session_scope(engine) as db:
        from civitas.cases.models import ServiceRequest

        enter_city(db, get_city_by_slug(db, "trujillo"))
        filed = db.scalars(select(ServiceRequest).where(ServiceRequest.channel == "chatbot")).one()
        assert filed.email == "rosa@example.pe"
