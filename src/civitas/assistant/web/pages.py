"""The web chat on the portal: a page that works without JavaScript (a form, the
conversation as a list), which a small script turns into a live chat (answers appear in a
live region, an agent's replies arrive by polling, a location can be shared). The
visitor's cookie finds their conversation; nothing else identifies them."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from markupsafe import Markup, escape
from sqlalchemy import select

from civitas.assistant import service
from civitas.assistant.models import Conversation, Message
from civitas.assistant.training import settings_of
from civitas.cities.models import City
from civitas.core.config import get_settings
from civitas.core.db import utcnow
from civitas.core.errors import CivitasError
from civitas.core.i18n import N_, translate
from civitas.residents import service as residents
from civitas.web.deps import CurrentCity, DbSession
from civitas.web.routers import Router
from civitas.web.templating import page, require_csrf, visitor

router = Router(include_in_schema=False)

SYSTEM_TEXT = {
    "handed-over": N_("Waiting for a person from the hotline…"),
    "taken": N_("A person from the hotline has joined the conversation."),
    "handed-back": N_("The person from the hotline has left the conversation."),
    "closed": N_("The conversation is closed."),
}


def linked(city: City, text: str) -> Markup:
    """The text with the portal's own addresses ("https://…/trujillo/requests/12?lang=es")
    as links to the page, shown by its path, and line breaks kept."""
    safe = str(escape(text))
    base = re.escape(get_settings().public_url.rstrip("/"))
    prefix = re.escape(f"/{city.slug}/")
    safe = re.sub(
        rf"(?<![\w/]){base}({prefix}[\w\-./:?=&;%]*[\w/=])",
        lambda m: f'<a href="{m.group(1)}">{m.group(1).split("?")[0]}</a>',
        safe,
    )
    return Markup(safe.replace("\n", "<br>"))  # noqa: S704 - escaped above, own links only


def current(db: Any, city: City, sender: str) -> Conversation | None:
    """The visitor's conversation, while it has not expired."""
    found = db.scalar(
        select(Conversation)
        .where(Conversation.channel == "web", Conversation.sender == sender)
        .order_by(Conversation.id.desc())
        .limit(1)
    )
    if found is None:
        return None
    idle = settings_of(db, city).idle_minutes
    return None if service._expired(found, idle, utcnow()) else found


def view(city: City, lang: str, message: Message) -> dict[str, Any]:
    text = (
        translate(lang, SYSTEM_TEXT.get(message.text, message.text))
        if message.author == "system"
        else message.text
    )
    return {
        "id": message.id,
        "author": message.author,
        "text": text,
        "html": str(linked(city, text)),
        "options": message.options or [],
    }


def _sender(request: Request) -> str:
    return service.sender_key("web", visitor(request))


@router.get("/{city}/assistant", response_model=None)
def chat(request: Request, city: CurrentCity, db: DbSession) -> Response:
    lang = request.state.lang
    conversation = current(db, city, _sender(request))
    messages = (
        [
            view(city, conversation.language, m)
            for m in service.messages_after(db, city, conversation)
            if m.text not in ("handed-back",) or m.author != "system"
        ]
        if conversation
        else []
    )
    options = messages[-1]["options"] if messages and messages[-1]["author"] == "assistant" else []
    return page(
        request,
        "assistant/chat.html",
        {
            "messages": messages,
            "options": options,
            "status": conversation.status if conversation else "bot",
            "last": messages[-1]["id"] if messages else 0,
            "conversation_lang": conversation.language if conversation else lang,
            "retention_days": settings_of(db, city).retention_days,
        },
    )


@router.post("/{city}/assistant", response_model=None)
async def send(request: Request, city: CurrentCity, db: DbSession) -> Response:
    """A message from the chat's form: the page again (no script), or the new messages
    as JSON (the script asks with ``Accept: application/json``)."""
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    wants_json = "application/json" in request.headers.get("accept", "")
    # a tapped choice, else what was typed
    text = str(form.get("option") or form.get("text", ""))[: service.MAX_TEXT + 1]
    client_id = str(form.get("client_id", ""))[:120] or None
    lang = request.state.lang
    sender = _sender(request)
    before = current(db, city, sender)
    account = residents.signed_in(db, city, raw=request.cookies.get("civitas_resident"))
    try:
        answer = service.post(
            db,
            city,
            text=text,
            channel="web",
            sender=sender,
            language=lang if before is None else None,
            client_id=client_id,
            email=account.email if account else None,
        )
        db.commit()
    except CivitasError as exc:
        db.rollback()
        if wants_json:
            return JSONResponse({"error": exc.text(lang)}, status_code=exc.status)
        raise
    if wants_json:
        after = int(str(form.get("after", "0"))) if str(form.get("after", "0")).isdigit() else 0
        messages = service.messages_after(db, city, answer.conversation, after)
        return JSONResponse(
            {
                "status": answer.conversation.status,
                "messages": [view(city, answer.conversation.language, m) for m in messages],
            }
        )
    return RedirectResponse(f"/{city.slug}/assistant?lang={lang}#last", status_code=303)


@router.get("/{city}/assistant/messages", response_model=None)
def poll(request: Request, city: CurrentCity, db: DbSession, after: int = 0) -> Response:
    """The visitor's conversation's messages after ``after`` (an agent's replies)."""
    conversation = current(db, city, _sender(request))
    if conversation is None:
        return JSONResponse({"status": "none", "messages": []})
    after = max(0, min(after, 2**62))
    messages = service.messages_after(db, city, conversation, after)
    return JSONResponse(
        {
            "status": conversation.status,
            "messages": [view(city, conversation.language, m) for m in messages],
        }
    )


@router.post("/{city}/assistant/restart", response_model=None)
async def restart(request: Request, city: CurrentCity, db: DbSession) -> Response:
    """Start a new conversation (the old one ends)."""
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    conversation = current(db, city, _sender(request))
    if conversation is not None:
        now = utcnow()
        conversation.status = "closed"
        conversation.closed_at = now
        db.add(Message(conversation_id=conversation.id, at=now, author="system", text="closed"))
        db.commit()
    return RedirectResponse(f"/{city.slug}/assistant?lang={request.state.lang}", status_code=303)
