"""The assistant's conversations and their messages, what a city taught it (examples,
synonyms), its settings (threshold, retention, messaging channels, the approved model)
and the messages waiting to go out on a messaging app."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civitas.core.db import Base, utcnow
from civitas.core.tenancy import TenantMixin


class AssistantSettings(TenantMixin, Base):
    """A city's choices. The messaging apps' secrets are written here by an administrator
    and never shown again; ``model_*`` is the model the administrator approved after its
    held-out check (the assistant answers with it until the next one is approved)."""

    __tablename__ = "assistant_settings"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    threshold: Mapped[float] = mapped_column(Float, default=0.30)
    idle_minutes: Mapped[int] = mapped_column(Integer, default=60)  # a conversation expires
    retention_days: Mapped[int] = mapped_column(Integer, default=90)  # then it is deleted
    whatsapp_phone_id: Mapped[str | None] = mapped_column(String(40), default=None)
    whatsapp_verify_token: Mapped[str | None] = mapped_column(String(200), default=None)
    whatsapp_app_secret: Mapped[str | None] = mapped_column(String(200), default=None)
    whatsapp_access_token: Mapped[str | None] = mapped_column(String(500), default=None)
    telegram_secret: Mapped[str | None] = mapped_column(String(256), default=None)
    telegram_bot_token: Mapped[str | None] = mapped_column(String(200), default=None)
    model_fingerprint: Mapped[str | None] = mapped_column(String(40), default=None)
    model_macro_f1: Mapped[float | None] = mapped_column(Float, default=None)
    model_examples: Mapped[int | None] = mapped_column(Integer, default=None)
    model_approved_at: Mapped[datetime | None] = mapped_column(default=None)
    model_approved_by: Mapped[str | None] = mapped_column(String(200), default=None)


class Conversation(TenantMixin, Base):
    """One conversation on one channel. ``key`` is its public id (unguessable: it is all
    a web chat holds); ``sender`` a keyed hash of who writes (rate limits, finding the
    conversation again on a messaging app); ``address`` where a messaging app's answers go
    (a phone number, a chat id), personal data masked outside the conversation.

    ``status``: bot (the assistant answers), waiting (handed to the hotline, no agent
    yet), agent (an agent answers), closed."""

    __tablename__ = "assistant_conversations"
    __table_args__ = (
        UniqueConstraint("key"),
        Index("ix_assistant_conversations_sender", "tenant_id", "channel", "sender"),
        Index("ix_assistant_conversations_status", "tenant_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(12))  # web | api | whatsapp | telegram
    sender: Mapped[str] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(80), default=None)
    language: Mapped[str] = mapped_column(String(5))
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(10), default="bot")
    agent: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_at: Mapped[datetime] = mapped_column(default=utcnow)
    handed_at: Mapped[datetime | None] = mapped_column(default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)  # an agent's first
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    request_number: Mapped[int | None] = mapped_column(Integer, default=None)
    turns: Mapped[int] = mapped_column(Integer, default=0)
    not_understood: Mapped[int] = mapped_column(Integer, default=0)


class Message(TenantMixin, Base):
    """One message. ``author``: resident, assistant, agent or system (a hand-off, a
    take-over). ``intent`` and ``confidence`` on a resident's message: what was
    understood. ``client_id``: the sender's own id of the message (a retried web send,
    a messaging app delivering twice) — stored once."""

    __tablename__ = "assistant_messages"
    __table_args__ = (
        Index("ix_assistant_messages_conversation", "conversation_id", "id"),
        UniqueConstraint("conversation_id", "client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("assistant_conversations.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    author: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    options: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    intent: Mapped[str | None] = mapped_column(String(30), default=None)
    confidence: Mapped[float | None] = mapped_column(Float, default=None)
    agent: Mapped[str | None] = mapped_column(String(200), default=None)
    client_id: Mapped[str | None] = mapped_column(String(120), default=None)


class Example(TenantMixin, Base):
    """A sentence an administrator taught: it means ``intent`` (in ``language``). It is
    used once ``approved``: after a retrained model passed its held-out check."""

    __tablename__ = "assistant_examples"
    __table_args__ = (UniqueConstraint("tenant_id", "language", "text"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    intent: Mapped[str] = mapped_column(String(30))
    language: Mapped[str] = mapped_column(String(5))
    text: Mapped[str] = mapped_column(String(300))
    approved: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class Synonym(TenantMixin, Base):
    """A word residents use for a service ("hueco" for a pothole)."""

    __tablename__ = "assistant_synonyms"
    __table_args__ = (UniqueConstraint("tenant_id", "term"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(String(100))
    service_code: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class Outgoing(TenantMixin, Base):
    """A message for a messaging app, sent by the worker with retries."""

    __tablename__ = "assistant_outgoing"
    __table_args__ = (Index("ix_assistant_outgoing_due", "sent_at", "next_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("assistant_conversations.id", ondelete="CASCADE")
    )
    channel: Mapped[str] = mapped_column(String(12))
    payload: Mapped[dict[str, Any]]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    failed_at: Mapped[datetime | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(String(500), default=None)
