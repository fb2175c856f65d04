"""The messaging apps: WhatsApp Business Cloud API and Telegram Bot API.

In: their webhooks' documented payloads, each checked for its signature first
(WhatsApp signs the raw body with the app secret, ``X-Hub-Signature-256: sha256=<hex>``;
Telegram sends the secret token set with ``setWebhook`` in
``X-Telegram-Bot-Api-Secret-Token``). Text, a tapped button and a shared location are
understood; anything else (statuses, stickers) is acknowledged and ignored. A message a
platform delivers twice is answered once (its id is the message's ``client_id``).

Out: the answers wait in ``assistant_outgoing`` and the worker sends them (``deliver``),
with retries and growing pauses, to the Graph API's ``/{phone-number-id}/messages`` or
the Bot API's ``sendMessage``. The base URLs can be pointed elsewhere (a test server)
with ``CIVITAS_ASSISTANT_WHATSAPP_URL`` and ``CIVITAS_ASSISTANT_TELEGRAM_URL``."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.assistant.models import AssistantSettings, Outgoing
from civitas.core.db import utcnow

WHATSAPP_URL = "https://graph.facebook.com/v21.0"
TELEGRAM_URL = "https://api.telegram.org"
MAX_ATTEMPTS = 8
TIMEOUT_S = 10


@dataclass(frozen=True)
class Incoming:
    """One message from a messaging app, as the assistant takes it."""

    sender: str  # the platform's id of who writes (a phone number, a Telegram user id)
    address: str  # where answers go (the same phone number, the chat id)
    message_id: str
    text: str
    point: tuple[float, float] | None = None
    language: str | None = None  # the app's language, a hint for a new conversation


# --- WhatsApp ------------------------------------------------------------------------------


def whatsapp_signature_ok(secret: str | None, body: bytes, header: str | None) -> bool:
    if not secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[7:].strip().lower())


def whatsapp_messages(payload: dict[str, Any], phone_id: str | None) -> list[Incoming]:
    """The messages of a webhook's notification for this city's number."""
    found: list[Incoming] = []
    for entry in payload.get("entry") or []:
        for change in (entry or {}).get("changes") or []:
            value = (change or {}).get("value") or {}
            if change.get("field") != "messages":
                continue
            metadata = value.get("metadata") or {}
            if phone_id and str(metadata.get("phone_number_id", "")) != phone_id:
                continue
            for message in value.get("messages") or []:
                incoming = _whatsapp_message(message or {})
                if incoming is not None:
                    found.append(incoming)
    return found


def _whatsapp_message(message: dict[str, Any]) -> Incoming | None:
    sender = str(message.get("from") or "")
    kind = message.get("type")
    text, point = "", None
    if kind == "text":
        text = str((message.get("text") or {}).get("body") or "")
    elif kind == "interactive":
        interactive = message.get("interactive") or {}
        reply = interactive.get("button_reply") or interactive.get("list_reply") or {}
        text = str(reply.get("title") or reply.get("id") or "")
    elif kind == "button":
        text = str((message.get("button") or {}).get("text") or "")
    elif kind == "location":
        location = message.get("location") or {}
        try:
            point = (float(location["latitude"]), float(location["longitude"]))
        except (KeyError, TypeError, ValueError):
            return None
        text = f"{point[0]:.6f}, {point[1]:.6f}"
    if not sender or not text.strip():
        return None
    return Incoming(sender, sender, str(message.get("id") or ""), text[:2000], point)


def whatsapp_payload(to: str, text: str, options: list[dict[str, str]]) -> dict[str, Any]:
    """A text, or with choices: up to three reply buttons, else a list (ten rows)."""
    if not options:
        return {
            "messaging_product": "whatsapp",
            "to": to,
            "type": "text",
            "text": {"body": text[:4096], "preview_url": False},
        }
    if len(options) <= 3:
        action: dict[str, Any] = {
            "buttons": [
                {"type": "reply", "reply": {"id": f"o{i}", "title": o["label"][:20]}}
                for i, o in enumerate(options)
            ]
        }
        kind = "button"
    else:
        action = {
            "button": "☰",
            "sections": [
                {
                    "rows": [
                        {"id": f"o{i}", "title": o["label"][:24]}
                        for i, o in enumerate(options[:10])
                    ]
                }
            ],
        }
        kind = "list"
    return {
        "messaging_product": "whatsapp",
        "to": to,
        "type": "interactive",
        "interactive": {"type": kind, "body": {"text": text[:1024]}, "action": action},
    }


# --- Telegram -------------------------------------------------------------------------------


def telegram_secret_ok(secret: str | None, header: str | None) -> bool:
    return bool(secret) and bool(header) and hmac.compare_digest(str(secret), str(header))


def telegram_message(update: dict[str, Any]) -> Incoming | None:
    """The message of an update (a text, a tapped keyboard button, a location)."""
    message = update.get("message") or update.get("edited_message")
    if not isinstance(message, dict):
        return None
    chat = message.get("chat") or {}
    author = message.get("from") or {}
    if chat.get("type") not in (None, "private") or author.get("is_bot"):
        return None
    text, point = str(message.get("text") or ""), None
    location = message.get("location")
    if isinstance(location, dict):
        try:
            point = (float(location["latitude"]), float(location["longitude"]))
        except (KeyError, TypeError, ValueError):
            return None
        text = f"{point[0]:.6f}, {point[1]:.6f}"
    if not text.strip() or "id" not in chat:
        return None
    language = str(author.get("language_code") or "")[:2] or None
    return Incoming(
        str(author.get("id") or chat["id"]),
        str(chat["id"]),
        f"tg:{update.get('update_id', message.get('message_id'))}",
        text[:2000],
        point,
        language if language in ("es", "de", "en") else None,
    )


def telegram_payload(to: str, text: str, options: list[dict[str, str]]) -> dict[str, Any]:
    payload: dict[str, Any] = {"chat_id": to, "text": text[:4096]}
    if options:
        payload["reply_markup"] = {
            "keyboard": [[{"text": o["label"]}] for o in options[:10]],
            "one_time_keyboard": True,
            "resize_keyboard": True,
        }
    return payload


# --- out -------------------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 15 * 2 ** max(0, attempts - 1)))


def _post(url: str, payload: dict[str, Any], headers: dict[str, str]) -> None:
    body = json.dumps(payload).encode()
    request = urllib.request.Request(  # noqa: S310 - the platforms' https URLs (or a test's)
        url, data=body, headers={"content-type": "application/json", **headers}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:  # noqa: S310
        answer.read()


def send(settings: AssistantSettings, item: Outgoing) -> None:
    """Send one message; raises on any failure (the caller retries later)."""
    to, text = str(item.payload["to"]), str(item.payload["text"])
    options = list(item.payload.get("options") or [])
    if item.channel == "whatsapp":
        if not (settings.whatsapp_phone_id and settings.whatsapp_access_token):
            raise RuntimeError("WhatsApp is not set up for this city")
        base = os.environ.get("CIVITAS_ASSISTANT_WHATSAPP_URL", WHATSAPP_URL).rstrip("/")
        _post(
            f"{base}/{settings.whatsapp_phone_id}/messages",
            whatsapp_payload(to, text, options),
            {"authorization": f"Bearer {settings.whatsapp_access_token}"},
        )
    elif item.channel == "telegram":
        if not settings.telegram_bot_token:
            raise RuntimeError("Telegram is not set up for this city")
        base = os.environ.get("CIVITAS_ASSISTANT_TELEGRAM_URL", TELEGRAM_URL).rstrip("/")
        _post(
            f"{base}/bot{settings.telegram_bot_token}/sendMessage",
            telegram_payload(to, text, options),
            {},
        )
    else:
        raise RuntimeError(f"unknown channel {item.channel}")


def deliver_due(
    db: Session, settings: AssistantSettings, *, now: datetime | None = None, limit: int = 50
) -> dict[str, int]:
    """Send what is due for one city (the caller's session is bound to it), oldest first;
    a failure is tried again later, and given up after ``MAX_ATTEMPTS``."""
    now = now or utcnow()
    counts = {"sent": 0, "failed": 0, "gave_up": 0}
    due = list(
        db.scalars(
            select(Outgoing)
            .where(
                Outgoing.sent_at.is_(None), Outgoing.failed_at.is_(None), Outgoing.next_at <= now
            )
            .order_by(Outgoing.id)
            .limit(limit)
        )
    )
    for item in due:
        item.attempts += 1
        try:
            send(settings, item)
        except (OSError, urllib.error.URLError, RuntimeError, ValueError) as exc:
            item.error = str(exc)[:500]
            if item.attempts >= MAX_ATTEMPTS:
                item.failed_at = now
                counts["gave_up"] += 1
            else:
                item.next_at = now + backoff(item.attempts)
                counts["failed"] += 1
        else:
            item.sent_at = now
            item.error = None
            counts["sent"] += 1
        db.commit()  # each one as it goes: a crash never sends one twice from here
    return counts
