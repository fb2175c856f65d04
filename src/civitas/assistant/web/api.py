"""The assistant over JSON: a conversation's messages (any client: an app, a kiosk), a
conversation's later messages (what an agent wrote), and the messaging apps' webhooks."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import Header, Query, Request, status
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from civitas.assistant import messaging, service
from civitas.assistant.training import settings_of
from civitas.core.errors import InvalidInput, PermissionDenied, Problem, TooManyAttempts
from civitas.core.i18n import N_
from civitas.web.deps import CurrentCity, DbSession, client_address, one_turn
from civitas.web.routers import Router

router = Router(prefix="/api/v1/cities/{city}/assistant", tags=["assistant"])


class Point(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90, le=90)
    long: float = Field(ge=-180, le=180)


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: str | None = Field(default=None, min_length=8, max_length=40)
    text: str = Field(min_length=1, max_length=service.MAX_TEXT)
    language: Literal["es", "de", "en"] | None = None
    # the client's own id of this message: a retry with the same id is answered once
    client_id: str | None = Field(default=None, min_length=1, max_length=120)
    # a location the resident shared (where a problem is, where they are)
    location: Point | None = None


class Option(BaseModel):
    label: str
    value: str


class ReplyOut(BaseModel):
    text: str
    options: list[Option] | None = None


class MessageOut(BaseModel):
    conversation_id: str
    language: str
    intent: str
    service_code: str | None
    replies: list[ReplyOut]
    done: bool
    request_id: str | None
    status: str  # bot | waiting (handed to the hotline) | agent | closed


class LaterMessage(BaseModel):
    id: int
    author: str  # resident | assistant | agent
    text: str
    options: list[Option] | None = None
    at: str


class LaterMessages(BaseModel):
    status: str
    messages: list[LaterMessage]


@router.post(
    "/messages",
    response_model=MessageOut,
    responses={
        404: {"description": "No conversation has this id in this city"},
        429: {"description": "Too many messages from this sender"},
    },
)
async def post_message(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    data: MessageIn,
    idempotency_key: Annotated[str | None, Header(max_length=120)] = None,
) -> Response:
    """One message to the assistant and its answer. Without ``conversation_id`` a new
    conversation starts (its language detected when not given and kept)."""
    sender = service.sender_key("api", client_address(request) or "unknown")

    def work() -> bytes:
        answer = service.post(
            db,
            city,
            text=data.text,
            channel="api",
            sender=sender,
            key=data.conversation_id,
            language=data.language,
            client_id=data.client_id or idempotency_key,
            point=(data.location.lat, data.location.long) if data.location else None,
        )
        db.commit()
        return orjson.dumps(answer.as_json())

    return Response(await one_turn(db, work), media_type="application/json")


def later(db: Any, city: Any, conversation: Any, after: int) -> LaterMessages:
    return LaterMessages(
        status=conversation.status,
        messages=[
            LaterMessage(
                id=m.id,
                author=m.author,
                text=m.text,
                options=[Option(**o) for o in m.options] or None,
                at=m.at.isoformat(),
            )
            for m in service.messages_after(db, city, conversation, after)
            if m.author != "system"
        ],
    )


@router.get(
    "/conversations/{conversation_id}/messages",
    response_model=LaterMessages,
    responses={404: {"description": "No conversation has this id in this city"}},
)
def conversation_messages(
    city: CurrentCity,
    db: DbSession,
    conversation_id: str,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> LaterMessages:
    """The conversation's messages after the one with id ``after`` (an agent's answers
    come this way); the id is the conversation's secret."""
    conversation = service.find(db, city, conversation_id[:40])
    return later(db, city, conversation, after)


# --- WhatsApp Business Cloud API -----------------------------------------------------------


@router.get(
    "/whatsapp",
    response_class=PlainTextResponse,
    responses={403: {"description": "The verify token is not this city's"}},
)
def whatsapp_verify(
    city: CurrentCity,
    db: DbSession,
    mode: Annotated[str, Query(alias="hub.mode", max_length=20)] = "",
    token: Annotated[str, Query(alias="hub.verify_token", max_length=200)] = "",
    challenge: Annotated[str, Query(alias="hub.challenge", max_length=200)] = "",
) -> PlainTextResponse:
    """Meta's check when the webhook is set up: the challenge back, for the right token."""
    settings = settings_of(db, city)
    expected = settings.whatsapp_verify_token
    if mode != "subscribe" or not expected or token != expected:
        raise PermissionDenied(N_("The verify token is not this city's."))
    return PlainTextResponse(challenge)


@router.post(
    "/whatsapp",
    status_code=status.HTTP_200_OK,
    responses={403: {"description": "The signature is missing or wrong"}},
)
async def whatsapp_webhook(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    x_hub_signature_256: Annotated[str | None, Header(max_length=100)] = None,
) -> dict[str, int]:
    """A WhatsApp notification, signed with the app secret (``X-Hub-Signature-256``)."""
    raw = await request.body()

    def work() -> dict[str, int]:
        settings = settings_of(db, city)
        if not messaging.whatsapp_signature_ok(
            settings.whatsapp_app_secret, raw, x_hub_signature_256
        ):
            raise PermissionDenied(N_("The signature is missing or wrong."))
        payload = _json(raw)
        found = messaging.whatsapp_messages(payload, settings.whatsapp_phone_id)
        return _take(db, city, "whatsapp", found)

    return await one_turn(db, work)


# --- Telegram Bot API ------------------------------------------------------------------------


@router.post(
    "/telegram",
    status_code=status.HTTP_200_OK,
    responses={403: {"description": "The secret token is missing or wrong"}},
)
async def telegram_webhook(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    x_telegram_bot_api_secret_token: Annotated[str | None, Header(max_length=256)] = None,
) -> dict[str, int]:
    """A Telegram update, with the secret token set by ``setWebhook``."""
    raw = await request.body()

    def work() -> dict[str, int]:
        settings = settings_of(db, city)
        if not messaging.telegram_secret_ok(
            settings.telegram_secret, x_telegram_bot_api_secret_token
        ):
            raise PermissionDenied(N_("The secret token is missing or wrong."))
        found = messaging.telegram_message(_json(raw))
        return _take(db, city, "telegram", [found] if found else [])

    return await one_turn(db, work)


def _json(raw: bytes) -> dict[str, Any]:
    try:
        payload = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        payload = None
    if not isinstance(payload, dict):
        raise InvalidInput(
            N_("Send the platform's JSON notification."),
            problems=[Problem("body", N_("The body is not a JSON object."))],
        )
    return payload


def _take(db: Any, city: Any, channel: str, found: list[messaging.Incoming]) -> dict[str, int]:
    answered = 0
    for incoming in found:
        try:
            service.post(
                db,
                city,
                text=incoming.text,
                channel=channel,
                sender=service.sender_key(channel, incoming.sender),
                address=incoming.address,
                language=incoming.language,
                client_id=incoming.message_id,
                point=incoming.point,
                language_is_hint=True,
            )
        except TooManyAttempts:
            db.rollback()
            continue
        db.commit()
        answered += 1
    if answered:
        from civitas.assistant.tasks import kick

        kick()
    return {"received": len(found), "answered": answered}
