"""WhatsApp Business Cloud API and Telegram Bot API, with the platforms' documented
payloads (recorded in payloads/): signatures checked first, a message answered once
however often it is delivered, answers sent by the worker to the platform's endpoint
(a local HTTP server here), retried after a failure."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from civitas.assistant import messaging
from civitas.assistant.models import Conversation, Message, Outgoing
from civitas.assistant.training import settings_of
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope, utcnow
from tests.assistant.helpers import with_catalogue

PAYLOADS = Path(__file__).parent / "payloads"
SECRET = "app-secret-of-trujillo"
TOKEN = "telegram-secret-of-musterstadt"


def raw(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"x-hub-signature-256": f"sha256={digest}", "content-type": "application/json"}


@pytest.fixture
def channels(engine, two_cities):
    with_catalogue(engine, "trujillo")
    with_catalogue(engine, "musterstadt")
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "trujillo")
        s = settings_of(db, city)
        s.whatsapp_phone_id = "106540352242922"
        s.whatsapp_verify_token = "verify-me"
        s.whatsapp_app_secret = SECRET
        s.whatsapp_access_token = "EAAG-access"
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "musterstadt")
        s = settings_of(db, city)
        s.telegram_secret = TOKEN
        s.telegram_bot_token = "123456:ABC-bot"
    return two_cities


class Platform:
    """A stand-in for graph.facebook.com and api.telegram.org: records what it is sent;
    answers 500 while ``failing``."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        self.failing = 0
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                if platform.failing:
                    platform.failing -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                platform.received.append(
                    (self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(body))
                )
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def platform(monkeypatch):
    found = Platform()
    monkeypatch.setenv("CIVITAS_ASSISTANT_WHATSAPP_URL", found.url)
    monkeypatch.setenv("CIVITAS_ASSISTANT_TELEGRAM_URL", found.url)
    yield found
    found.server.shutdown()


def deliver(engine, slug: str, *, later: timedelta = timedelta(0)) -> dict[str, int]:
    with session_scope(engine) as db:
        city = get_city_by_slug(db, slug)
        enter_city(db, city)
        return messaging.deliver_due(db, settings_of(db, city), now=utcnow() + later)


def count(engine, slug: str, model: Any) -> int:
    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, slug))
        return db.scalar(select(func.count()).select_from(model)) or 0


WA = "/api/v1/cities/trujillo/assistant/whatsapp"
TG = "/api/v1/cities/musterstadt/assistant/telegram"


def test_whatsapp_verifies_the_webhook_with_the_citys_token(channels, client):
    params = {
        "hub.mode": "subscribe",
        "hub.verify_token": "verify-me",
        "hub.challenge": "1158201444",
    }
    ok = client.get(WA, params=params)
    assert ok.status_code == 200
    assert ok.text == "1158201444"
    wrong = client.get(WA, params={**params, "hub.verify_token": "guess"})
    assert wrong.status_code == 403


def test_whatsapp_refuses_a_missing_or_forged_signature(channels, client, engine):
    body = raw("whatsapp_text.json")
    assert (
        client.post(WA, content=body, headers={"content-type": "application/json"}).status_code
        == 403
    )
    forged = client.post(WA, content=body, headers=signed(body, "not-the-secret"))
    assert forged.status_code == 403
    # the body changed after signing
    tampered = client.post(WA, content=body.replace(b"hueco", b"HUECO"), headers=signed(body))
    assert tampered.status_code == 403
    assert count(engine, "trujillo", Conversation) == 0


def test_whatsapp_message_is_answered_once_and_sent_by_the_worker(
    channels, client, engine, platform
):
    body = raw("whatsapp_text.json")
    first = client.post(WA, content=body, headers=signed(body))
    assert first.status_code == 200, first.text
    assert first.json() == {"received": 1, "answered": 1}
    messages = count(engine, "trujillo", Message)
    # the platform delivers the same notification again: nothing new
    again = client.post(WA, content=body, headers=signed(body))
    assert again.status_code == 200
    assert count(engine, "trujillo", Message) == messages
    assert count(engine, "trujillo", Conversation) == 1
    platform.failing = 1  # the first try fails: tried again later
    assert deliver(engine, "trujillo") == {"sent": 0, "failed": 1, "gave_up": 0}
    assert deliver(engine, "trujillo", later=timedelta(minutes=1))["sent"] == 1
    path, headers, sent = platform.received[0]
    assert path == "/106540352242922/messages"
    assert headers["authorization"] == "Bearer EAAG-access"
    assert sent["messaging_product"] == "whatsapp"
    assert sent["to"] == "51987654321"
    assert "dónde" in sent["text"]["body"].lower()
    # the resident shares a location: the place of the pothole; the danger question comes
    # back as reply buttons
    location = raw("whatsapp_location.json")
    assert client.post(WA, content=location, headers=signed(location)).status_code == 200
    deliver(engine, "trujillo")
    _, _, asked = platform.received[-1]
    assert asked["type"] == "interactive"
    assert [b["reply"]["title"] for b in asked["interactive"]["action"]["buttons"]] == ["Sí", "No"]
    button = raw("whatsapp_button.json")
    assert client.post(WA, content=button, headers=signed(button)).status_code == 200
    deliver(engine, "trujillo")
    _, _, confirm = platform.received[-1]
    assert "¿Lo envío?" in confirm["interactive"]["body"]["text"]


def test_whatsapp_status_notifications_are_acknowledged(channels, client, engine):
    body = raw("whatsapp_status.json")
    answer = client.post(WA, content=body, headers=signed(body))
    assert answer.json() == {"received": 0, "answered": 0}


def test_telegram_checks_the_secret_token_and_answers_in_german(channels, client, engine, platform):
    body = raw("telegram_text.json")
    headers = {"content-type": "application/json"}
    assert client.post(TG, content=body, headers=headers).status_code == 403
    wrong = {**headers, "x-telegram-bot-api-secret-token": "guess"}
    assert client.post(TG, content=body, headers=wrong).status_code == 403
    right = {**headers, "x-telegram-bot-api-secret-token": TOKEN}
    answer = client.post(TG, content=body, headers=right)
    assert answer.json() == {"received": 1, "answered": 1}
    assert client.post(TG, content=body, headers=right).json()["answered"] == 1
    assert count(engine, "musterstadt", Conversation) == 1
    assert deliver(engine, "musterstadt")["sent"] >= 1
    path, _, sent = platform.received[0]
    assert path == "/bot123456:ABC-bot/sendMessage"
    assert sent["chat_id"] == "587214936"
    assert "Anliegen 1" in sent["text"]
    # a group's message is not for the assistant
    group = raw("telegram_group.json")
    assert client.post(TG, content=group, headers=right).json() == {"received": 0, "answered": 0}


def test_an_undeliverable_message_is_given_up_after_its_attempts(
    channels, client, engine, platform
):
    body = raw("whatsapp_text.json")
    client.post(WA, content=body, headers=signed(body))
    platform.failing = 1000
    later = timedelta(0)
    for _ in range(messaging.MAX_ATTEMPTS):
        result = deliver(engine, "trujillo", later=later)
        later += timedelta(hours=2)
    assert result["gave_up"] >= 1
    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        item = db.scalars(select(Outgoing)).first()
        assert item.failed_at is not None
        assert item.attempts == messaging.MAX_ATTEMPTS
