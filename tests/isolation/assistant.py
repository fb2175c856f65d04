"""The isolation walk's sample requests for the resident assistant (tests/test_isolation.py).
City A gets a conversation handed to the hotline. The conversation API and the webhooks
are open to anyone, so each sample is one every caller is refused (a conversation id
nobody has, a webhook the city has not set up); the staff's forms need a session."""

from __future__ import annotations

from typing import Any

from tests.isolation import Case

API = "/api/v1/cities/{city}/assistant"
STAFF = "/{city}/staff/assistant"
MADE: dict[str, int] = {}


def assistant_world(world: Any) -> None:
    from civitas.assistant.models import Conversation, Message
    from civitas.cities.service import enter_city, get_city_by_slug
    from civitas.core.db import session_scope, utcnow

    with session_scope() as db:
        city = get_city_by_slug(db, world.slug)
        enter_city(db, city)
        now = utcnow()
        conversation = Conversation(
            key="isolation-walk-conversation",
            channel="web",
            sender="0" * 64,
            language="es",
            status="waiting",
            state={},
            created_at=now,
            last_at=now,
            handed_at=now,
        )
        db.add(conversation)
        db.flush()
        db.add(Message(conversation_id=conversation.id, at=now, author="resident", text="hola"))
        MADE["conversation"] = conversation.id


def _conversation(w: Any) -> dict[str, Any]:
    return {"conversation_id": MADE.get("conversation", 1)}


NOBODYS = {"json": {"conversation_id": "nobody-has-this-id", "text": "hola"}}
BAD = {"csrf": True}

ROUTES: dict[tuple[str, str], Case] = {
    ("POST", API + "/messages"): Case(404, request=lambda w: NOBODYS),
    ("GET", API + "/conversations/{conversation_id}/messages"): Case(
        404, params=lambda w: {"conversation_id": "nobody-has-this-id"}
    ),
    ("GET", API + "/whatsapp"): Case(
        403,
        request=lambda w: {
            "params": {"hub.mode": "subscribe", "hub.verify_token": "x", "hub.challenge": "1"}
        },
    ),
    ("POST", API + "/whatsapp"): Case(403, request=lambda w: {"json": {"entry": []}}),
    ("POST", API + "/telegram"): Case(403, request=lambda w: {"json": {"update_id": 1}}),
    ("GET", "/{city}/assistant"): Case(200),
    ("POST", "/{city}/assistant"): Case(
        403, auth="cookie", request=lambda w: {"data": {"text": "hola"}}
    ),
    ("GET", "/{city}/assistant/messages"): Case(200),
    ("POST", "/{city}/assistant/restart"): Case(403, auth="cookie"),
    ("GET", STAFF): Case(200, auth="cookie", setup=assistant_world),
    ("GET", STAFF + "/conversations/{conversation_id}"): Case(
        200, auth="cookie", params=_conversation, setup=assistant_world
    ),
    ("GET", STAFF + "/conversations/{conversation_id}/messages"): Case(
        200, auth="cookie", params=_conversation, setup=assistant_world
    ),
    ("POST", STAFF + "/conversations/{conversation_id}/take"): Case(
        303, auth="cookie", extra=BAD, params=_conversation, setup=assistant_world
    ),
    ("POST", STAFF + "/conversations/{conversation_id}/reply"): Case(
        303,
        auth="cookie",
        extra=BAD,
        params=_conversation,
        request=lambda w: {"data": {"text": "Buenas tardes"}},
        setup=assistant_world,
    ),
    ("POST", STAFF + "/conversations/{conversation_id}/hand-back"): Case(
        303, auth="cookie", extra=BAD, params=_conversation, setup=assistant_world
    ),
    ("POST", STAFF + "/conversations/{conversation_id}/close"): Case(
        303, auth="cookie", extra=BAD, params=_conversation, setup=assistant_world
    ),
    ("GET", STAFF + "/teach"): Case(200, auth="cookie"),
    ("POST", STAFF + "/teach/examples"): Case(
        400, auth="cookie", extra=BAD, request=lambda w: {"data": {"text": ""}}
    ),
    ("POST", STAFF + "/teach/examples/{example_id}/delete"): Case(
        303, auth="cookie", extra=BAD, params=lambda w: {"example_id": 1}
    ),
    ("POST", STAFF + "/teach/synonyms"): Case(
        400, auth="cookie", extra=BAD, request=lambda w: {"data": {"term": ""}}
    ),
    ("POST", STAFF + "/teach/synonyms/{synonym_id}/delete"): Case(
        303, auth="cookie", extra=BAD, params=lambda w: {"synonym_id": 1}
    ),
    ("POST", STAFF + "/teach/check"): Case(200, auth="cookie", extra=BAD),
    ("POST", STAFF + "/teach/approve"): Case(
        409, auth="cookie", extra=BAD, request=lambda w: {"data": {"fingerprint": "stale"}}
    ),
    ("POST", STAFF + "/teach/settings"): Case(
        400, auth="cookie", extra=BAD, request=lambda w: {"data": {"threshold": "2"}}
    ),
}

PUBLIC: set[str] = {
    API + "/messages",
    API + "/conversations/{conversation_id}/messages",
    API + "/whatsapp",
    API + "/telegram",
    "/{city}/assistant",
    "/{city}/assistant/messages",
}
