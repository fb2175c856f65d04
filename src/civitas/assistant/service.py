"""Conversations: a message in, the assistant's (or an agent's) answer out, on any channel;
the hotline's side (waiting conversations, taking one over, replying, handing it back,
closing); expiry, retention and masking.

A conversation belongs to one city and one channel. Its ``key`` is all a web chat holds;
on a messaging app the sender's id finds the open conversation again. A conversation idle
longer than the city's ``idle_minutes`` is over: the next message starts a new one. After
``retention_days`` a conversation is deleted with its messages."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from civitas.assistant import dialogue
from civitas.assistant.models import Conversation, Message, Outgoing
from civitas.assistant.training import model_of, settings_of
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit
from civitas.core.config import get_settings
from civitas.core.db import utcnow
from civitas.core.errors import Conflict, InvalidInput, NotFound, Problem, TooManyAttempts
from civitas.core.i18n import N_, translate

LANGUAGES = ("es", "de", "en")
CHANNELS = ("web", "api", "whatsapp", "telegram")
MAX_TEXT = 2000
PER_MINUTE = 20  # messages a sender may write in a minute
PER_HOUR = 300

# --- masking -------------------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b", re.I)
_PHONE = re.compile(r"(?<![\w])\+?\d[\d ()./-]{6,}\d(?![\w])")


def mask(text: str) -> str:
    """Text with e-mail addresses, IBANs and phone numbers masked (for logs and for staff
    views outside the conversation itself)."""
    text = _EMAIL.sub("[e-mail]", text)
    text = _IBAN.sub("[IBAN]", text)
    return _PHONE.sub("[phone]", text)


def sender_key(channel: str, sender: str) -> str:
    """A keyed hash of who writes (their address is not kept for this)."""
    secret = get_settings().secret_key.encode()
    return hmac.new(secret, f"{channel}:{sender}".encode(), hashlib.sha256).hexdigest()


# --- a message in ----------------------------------------------------------------------------


@dataclass
class Answer:
    conversation: Conversation
    language: str
    intent: str
    replies: list[dict[str, Any]]
    service_code: str | None = None
    done: bool = False
    request_number: int | None = None
    status: str = "bot"
    messages: list[Message] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation.key,
            "language": self.language,
            "intent": self.intent,
            "service_code": self.service_code,
            "replies": self.replies,
            "done": self.done,
            "request_id": str(self.request_number) if self.request_number else None,
            "status": self.status,
        }


def check_message(text: str, language: str | None) -> list[Problem]:
    problems = []
    if not text.strip():
        problems.append(Problem("text", N_("Write a message.")))
    elif len(text) > MAX_TEXT:
        problems.append(
            Problem("text", N_("Write at most {count} characters."), {"count": MAX_TEXT})
        )
    if language is not None and language not in LANGUAGES:
        problems.append(
            Problem("language", N_("Choose one of: {choices}."), {"choices": "es, de, en"})
        )
    return problems


def _throttle(db: Session, city: City, sender: str, now: datetime) -> None:
    counts = db.execute(
        select(
            func.count().filter(Message.at >= now - timedelta(minutes=1)),
            func.count(),
        )
        .select_from(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Conversation.sender == sender,
            Message.author == "resident",
            Message.at >= now - timedelta(hours=1),
        )
    ).one()
    if counts[0] >= PER_MINUTE or counts[1] >= PER_HOUR:
        raise TooManyAttempts(
            N_("You are writing faster than the assistant can read. Try again in {count} minutes."),
            count=1 if counts[0] >= PER_MINUTE else 60,
        )


def find(db: Session, city: City, key: str) -> Conversation:
    enter_city(db, city)
    found = db.scalar(select(Conversation).where(Conversation.key == key))
    if found is None:
        raise NotFound(N_("This conversation does not exist or has ended."))
    return found


def _expired(conversation: Conversation, idle_minutes: int, now: datetime) -> bool:
    return conversation.status == "closed" or (
        conversation.status == "bot"
        and conversation.last_at < now - timedelta(minutes=idle_minutes)
    )


def open_for(
    db: Session,
    city: City,
    *,
    channel: str,
    sender: str,
    key: str | None = None,
    address: str | None = None,
    language: str | None = None,
    now: datetime,
) -> tuple[Conversation, bool]:
    """The conversation a message belongs to, and whether it is new: the one ``key``
    names (the API), else the sender's latest (the portal's chat, by its visitor cookie;
    the messaging apps, by the sender's id); a new one when there is none, or it has
    expired."""
    settings = settings_of(db, city)
    found: Conversation | None = None
    if key:
        found = find(db, city, key)
        if found.channel != channel:
            raise NotFound(N_("This conversation does not exist or has ended."))
    elif channel in ("web", "whatsapp", "telegram"):
        found = db.scalar(
            select(Conversation)
            .where(Conversation.channel == channel, Conversation.sender == sender)
            .order_by(Conversation.id.desc())
            .limit(1)
        )
    if found is not None and not _expired(found, settings.idle_minutes, now):
        return found, False
    conversation = Conversation(
        key=secrets.token_urlsafe(24),
        channel=channel,
        sender=sender,
        address=address,
        language=language or city.default_language,
        state={},
        created_at=now,
        last_at=now,
    )
    db.add(conversation)
    db.flush()
    return conversation, True


def post(
    db: Session,
    city: City,
    *,
    text: str,
    channel: str,
    sender: str,
    key: str | None = None,
    language: str | None = None,
    address: str | None = None,
    client_id: str | None = None,
    point: tuple[float, float] | None = None,
    language_is_hint: bool = False,
    email: str | None = None,
    now: datetime | None = None,
) -> Answer:
    """A resident's message: stored, answered by the assistant (unless a person has the
    conversation), the answer stored. A message already received (the same
    ``client_id``) gets the answer it got then, and nothing is stored twice. A
    ``language_is_hint`` (a messaging app's language) only helps detect a new
    conversation's language when its first words leave it open. ``email``: a signed-in
    resident's address, given to a request filed for them (their "my requests")."""
    now = now or utcnow()
    problems = check_message(text, language)
    if problems:
        raise InvalidInput(problems[0].message, problems=problems, **problems[0].params)
    _throttle(db, city, sender, now)
    given = None if language_is_hint else language
    conversation, new = open_for(
        db, city, channel=channel, sender=sender, key=key, address=address, language=given, now=now
    )
    if client_id and not new:
        earlier = _earlier_answer(db, conversation, client_id)
        if earlier is not None:
            return earlier
    if new and given is None:
        conversation.language = model_of(db, city).language(text, language or city.default_language)
    elif given is not None and given != conversation.language:
        conversation.language = given
    if address:
        conversation.address = address
    asked = Message(
        conversation_id=conversation.id,
        at=now,
        author="resident",
        text=text,
        client_id=client_id,
    )
    db.add(asked)
    conversation.last_at = now
    conversation.turns += 1
    if conversation.status in ("waiting", "agent"):
        db.flush()
        return Answer(
            conversation,
            conversation.language,
            "talk_to_person",
            [],
            status=conversation.status,
            messages=[asked],
        )
    turn = dialogue.respond(db, city, conversation, text, point=point, now=now, email=email)
    flag_modified(conversation, "state")  # changed in place, slot by slot
    asked.intent, asked.confidence = turn.intent, round(turn.confidence, 3)
    answers = []
    for reply in turn.replies:
        answers.append(
            Message(
                conversation_id=conversation.id,
                at=now,
                author="assistant",
                text=reply.text,
                options=reply.options,
            )
        )
    if turn.handed_over:
        answers.append(
            Message(conversation_id=conversation.id, at=now, author="system", text="handed-over")
        )
    db.add_all(answers)
    db.flush()
    _send_out(db, conversation, answers)
    return Answer(
        conversation,
        conversation.language,
        turn.intent,
        [r.as_json() for r in turn.replies],
        service_code=turn.service_code,
        done=turn.done,
        request_number=turn.request_number,
        status=conversation.status,
        messages=[asked, *answers],
    )


def _earlier_answer(db: Session, conversation: Conversation, client_id: str) -> Answer | None:
    asked = db.scalar(
        select(Message).where(
            Message.conversation_id == conversation.id, Message.client_id == client_id
        )
    )
    if asked is None:
        return None
    following = list(
        db.scalars(
            select(Message)
            .where(Message.conversation_id == conversation.id, Message.id > asked.id)
            .order_by(Message.id)
        )
    )
    replies = []
    for m in following:
        if m.author != "assistant":
            break
        replies.append({"text": m.text, **({"options": m.options} if m.options else {})})
    return Answer(
        conversation,
        conversation.language,
        asked.intent or "talk_to_person",
        replies,
        request_number=conversation.request_number if asked.intent == "report_problem" else None,
        done=conversation.state == {} and asked.intent not in (None, "greeting", "out_of_scope"),
        status=conversation.status,
    )


def messages_after(
    db: Session, city: City, conversation: Conversation, after: int = 0
) -> list[Message]:
    enter_city(db, city)
    return list(
        db.scalars(
            select(Message)
            .where(Message.conversation_id == conversation.id, Message.id > after)
            .order_by(Message.id)
            .limit(200)
        )
    )


def _send_out(db: Session, conversation: Conversation, messages: list[Message]) -> None:
    """On a messaging app, answers go out through the worker (with retries)."""
    if conversation.channel not in ("whatsapp", "telegram") or not conversation.address:
        return
    for m in messages:
        if m.author not in ("assistant", "agent"):
            continue
        db.add(
            Outgoing(
                conversation_id=conversation.id,
                channel=conversation.channel,
                payload={"to": conversation.address, "text": m.text, "options": m.options},
            )
        )


# --- the hotline ------------------------------------------------------------------------------


def waiting(db: Session, city: City) -> list[Conversation]:
    """Conversations handed to the hotline (waiting first, oldest first), then those an
    agent has."""
    enter_city(db, city)
    return list(
        db.scalars(
            select(Conversation)
            .where(Conversation.status.in_(("waiting", "agent")))
            .order_by(Conversation.status.desc(), Conversation.handed_at, Conversation.id)
            .limit(200)
        )
    )


def take(
    db: Session, city: City, key: str, *, agent: str, now: datetime | None = None
) -> Conversation:
    """An agent takes a waiting conversation over (or one the assistant has, on their
    own initiative); one already with another agent is refused."""
    now = now or utcnow()
    conversation = find(db, city, key)
    if conversation.status == "agent" and conversation.agent != agent:
        raise Conflict(N_("{agent} has already taken this conversation."), agent=conversation.agent)
    if conversation.status == "closed":
        raise Conflict(N_("This conversation is closed."))
    if conversation.status != "agent":
        conversation.status = "agent"
        conversation.agent = agent
        conversation.handed_at = conversation.handed_at or now
        conversation.state = {}
        db.add(
            Message(
                conversation_id=conversation.id, at=now, author="system", text="taken", agent=agent
            )
        )
        audit.record(
            db,
            actor=agent,
            action="assistant.taken",
            entity_type="conversation",
            entity_id=conversation.id,
        )
    return conversation


def reply(
    db: Session, city: City, key: str, *, agent: str, text: str, now: datetime | None = None
) -> Message:
    now = now or utcnow()
    conversation = find(db, city, key)
    if conversation.status != "agent" or conversation.agent != agent:
        raise Conflict(N_("Take the conversation over before you reply."))
    if not text.strip():
        raise InvalidInput(
            N_("Write a message."), problems=[Problem("text", N_("Write a message."))]
        )
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            N_("Write at most {count} characters."),
            problems=[
                Problem("text", N_("Write at most {count} characters."), {"count": MAX_TEXT})
            ],
            count=MAX_TEXT,
        )
    message = Message(
        conversation_id=conversation.id, at=now, author="agent", text=text.strip(), agent=agent
    )
    db.add(message)
    conversation.last_at = now
    if conversation.answered_at is None:
        conversation.answered_at = now
    db.flush()
    _send_out(db, conversation, [message])
    return message


def hand_back(
    db: Session, city: City, key: str, *, agent: str, now: datetime | None = None
) -> Conversation:
    """The agent gives the conversation back to the assistant."""
    now = now or utcnow()
    conversation = find(db, city, key)
    if conversation.status != "agent" or conversation.agent != agent:
        raise Conflict(N_("Take the conversation over first."))
    conversation.status = "bot"
    conversation.agent = None
    conversation.last_at = now
    _agent_step(
        db,
        conversation,
        N_("You are talking with the assistant again."),
        "handed-back",
        agent=agent,
        now=now,
    )
    return conversation


def close(
    db: Session, city: City, key: str, *, agent: str, now: datetime | None = None
) -> Conversation:
    now = now or utcnow()
    conversation = find(db, city, key)
    if conversation.status == "agent" and conversation.agent != agent:
        raise Conflict(N_("{agent} has this conversation."), agent=conversation.agent)
    if conversation.status == "closed":
        return conversation
    conversation.status = "closed"
    conversation.closed_at = now
    _agent_step(
        db,
        conversation,
        N_("The conversation was closed. Thank you for writing."),
        "closed",
        agent=agent,
        now=now,
    )
    return conversation


def _agent_step(
    db: Session, conversation: Conversation, said: str, step: str, *, agent: str, now: datetime
) -> None:
    """What the resident is told of an agent's step (in their language, sent out on a
    messaging app), the step marked in the conversation, and the audit entry."""
    text = translate(conversation.language, said)
    message = Message(conversation_id=conversation.id, at=now, author="assistant", text=text)
    db.add(message)
    db.add(
        Message(conversation_id=conversation.id, at=now, author="system", text=step, agent=agent)
    )
    db.flush()
    _send_out(db, conversation, [message])
    action = {"handed-back": "assistant.handed_back", "closed": "assistant.closed"}[step]
    audit.record(
        db, actor=agent, action=action, entity_type="conversation", entity_id=conversation.id
    )


# --- retention ----------------------------------------------------------------------------


def purge(db: Session, city: City, *, now: datetime | None = None) -> int:
    """Delete the conversations idle longer than the city's retention period."""
    now = now or utcnow()
    settings = settings_of(db, city)
    cutoff = now - timedelta(days=settings.retention_days)
    ids = list(db.scalars(select(Conversation.id).where(Conversation.last_at < cutoff)))
    if not ids:
        return 0
    for table in (Message, Outgoing):
        db.execute(
            delete(table)
            .where(table.conversation_id.in_(ids))
            .execution_options(synchronize_session=False)
        )
    db.execute(
        delete(Conversation)
        .where(Conversation.id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    return len(ids)
