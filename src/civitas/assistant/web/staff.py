"""The hotline's side of the assistant (conversations handed over: take one with its
history, reply in it, hand it back or close it) and the administrators' (teach it
examples and synonyms, check a retrained model on held-out examples and approve it, set
the channels, the threshold and how long conversations are kept)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import delete, func, select, update

from civitas.assistant import nlu, service
from civitas.assistant.models import Conversation, Example, Message, Synonym
from civitas.assistant.permissions import AssistantPermission as P
from civitas.assistant.training import check, settings_of
from civitas.assistant.web.pages import view
from civitas.catalogue.service import list_services
from civitas.cities.models import City
from civitas.core import audit
from civitas.core.db import utcnow
from civitas.core.errors import CivitasError, Conflict, InvalidInput, Problem
from civitas.core.i18n import LANGUAGE_NAMES, N_, pick, translate
from civitas.web.actions import go
from civitas.web.deps import CurrentCity, DbSession, OptionalPrincipal, RowId, staff_page
from civitas.web.forms import problems_by_field
from civitas.web.routers import Router
from civitas.web.templating import page, require_csrf

router = Router(include_in_schema=False)

INTENT_LABELS = {
    "report_problem": N_("Report a problem"),
    "request_status": N_("Status of a request"),
    "service_info": N_("About a service"),
    "apply_online": N_("Apply online"),
    "book_appointment": N_("Book an appointment"),
    "transit_arrivals": N_("Next buses at a stop"),
    "journey_plan": N_("A journey from A to B"),
    "air_quality": N_("Air quality"),
    "talk_to_person": N_("Talk to a person"),
    "greeting": N_("Greeting"),
    "thanks": N_("Thanks and goodbye"),
    "out_of_scope": N_("Not the city's business"),
}
STATUS_LABELS = {
    "bot": N_("with the assistant"),
    "waiting": N_("waiting for a person"),
    "agent": N_("with an agent"),
    "closed": N_("closed"),
}
CHANNEL_LABELS = {
    "web": N_("Web chat"),
    "api": N_("API"),
    "whatsapp": "WhatsApp",
    "telegram": "Telegram",
}


def _who(label: str | None) -> str:
    return (label or "").removeprefix("user:")


def _row(db: Any, lang: str, conversation: Conversation) -> dict[str, Any]:
    last = db.scalar(
        select(Message.text)
        .where(Message.conversation_id == conversation.id, Message.author == "resident")
        .order_by(Message.id.desc())
        .limit(1)
    )
    return {
        "c": conversation,
        "status": translate(lang, STATUS_LABELS[conversation.status]),
        "channel": translate(lang, CHANNEL_LABELS.get(conversation.channel, conversation.channel)),
        "agent": _who(conversation.agent),
        # outside the conversation itself, personal data is masked
        "last": service.mask(last or "")[:140],
    }


# --- the hotline ---------------------------------------------------------------------------


def waiting_panel(request: Request, *, city: City, db: Any, principal: Any) -> Any:
    """On the hotline's screen: residents waiting in the chat for a person."""
    from civitas.web.templating import fragment

    if principal is None or not principal.can(P.ASSISTANT_CONVERSE):
        return None
    count = sum(1 for c in service.waiting(db, city) if c.status == "waiting")
    if not count:
        return None
    return fragment(request, "assistant/_waiting_panel.html", {"count": count})


@router.get("/{city}/staff/assistant", response_model=None)
def hotline(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    if isinstance(who := staff_page(city, principal, P.ASSISTANT_CONVERSE), Response):
        return who
    lang = request.state.lang
    handed = service.waiting(db, city)
    since = utcnow() - timedelta(hours=24)
    recent = list(
        db.scalars(
            select(Conversation)
            .where(Conversation.status.in_(("bot", "closed")), Conversation.last_at >= since)
            .order_by(Conversation.last_at.desc())
            .limit(30)
        )
    )
    return page(
        request,
        "assistant/hotline.html",
        {
            "waiting": [_row(db, lang, c) for c in handed if c.status == "waiting"],
            "taken": [_row(db, lang, c) for c in handed if c.status == "agent"],
            "recent": [_row(db, lang, c) for c in recent],
            "me": principal.label if principal else "",
            "can_teach": who.can(P.ASSISTANT_TEACH),
        },
    )


def _conversation(db: Any, city: City, conversation_id: int) -> Conversation:
    from civitas.cities.service import enter_city
    from civitas.core.errors import NotFound

    enter_city(db, city)
    found: Conversation | None = db.get(Conversation, conversation_id)
    if found is None:
        raise NotFound(N_("This conversation does not exist or has ended."))
    return found


@router.get("/{city}/staff/assistant/conversations/{conversation_id}", response_model=None)
def conversation_page(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    conversation_id: RowId,
    problem: str = "",
) -> Response:
    if isinstance(who := staff_page(city, principal, P.ASSISTANT_CONVERSE), Response):
        return who
    lang = request.state.lang
    found = _conversation(db, city, conversation_id)
    messages = [view(city, lang, m) for m in service.messages_after(db, city, found)]
    return page(
        request,
        "assistant/conversation.html",
        {
            "row": _row(db, lang, found),
            "messages": messages,
            "last": messages[-1]["id"] if messages else 0,
            "mine": found.status == "agent" and found.agent == who.label,
            "problem": problem[:200],
        },
    )


@router.get("/{city}/staff/assistant/conversations/{conversation_id}/messages", response_model=None)
def conversation_poll(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    conversation_id: RowId,
    after: int = 0,
) -> Response:
    if isinstance(who := staff_page(city, principal, P.ASSISTANT_CONVERSE), Response):
        return who
    found = _conversation(db, city, conversation_id)
    after = max(0, min(after, 2**62))
    return JSONResponse(
        {
            "status": found.status,
            "messages": [
                view(city, request.state.lang, m)
                for m in service.messages_after(db, city, found, after)
            ],
        }
    )


async def _act(
    request: Request, db: Any, city: City, principal: Any, conversation_id: int, work: Any
) -> Response:
    if isinstance(who := staff_page(city, principal, P.ASSISTANT_CONVERSE), Response):
        return who
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    found = _conversation(db, city, conversation_id)
    path = f"/{city.slug}/staff/assistant/conversations/{found.id}"
    try:
        work(found, who.label, form)
        db.commit()
    except CivitasError as exc:
        db.rollback()
        from urllib.parse import quote

        return go(request, f"{path}?problem={quote(exc.text(request.state.lang)[:200])}")
    from civitas.assistant.tasks import kick

    kick()
    return go(request, f"{path}#reply")


@router.post("/{city}/staff/assistant/conversations/{conversation_id}/take", response_model=None)
async def take(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    conversation_id: RowId,
) -> Response:
    return await _act(
        request,
        db,
        city,
        principal,
        conversation_id,
        lambda c, agent, form: service.take(db, city, c.key, agent=agent),
    )


@router.post("/{city}/staff/assistant/conversations/{conversation_id}/reply", response_model=None)
async def reply(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    conversation_id: RowId,
) -> Response:
    return await _act(
        request,
        db,
        city,
        principal,
        conversation_id,
        lambda c, agent, form: service.reply(
            db, city, c.key, agent=agent, text=str(form.get("text", ""))[: service.MAX_TEXT + 1]
        ),
    )


@router.post(
    "/{city}/staff/assistant/conversations/{conversation_id}/hand-back", response_model=None
)
async def hand_back(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    conversation_id: RowId,
) -> Response:
    return await _act(
        request,
        db,
        city,
        principal,
        conversation_id,
        lambda c, agent, form: service.hand_back(db, city, c.key, agent=agent),
    )


@router.post("/{city}/staff/assistant/conversations/{conversation_id}/close", response_model=None)
async def close(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    conversation_id: RowId,
) -> Response:
    return await _act(
        request,
        db,
        city,
        principal,
        conversation_id,
        lambda c, agent, form: service.close(db, city, c.key, agent=agent),
    )


# --- teaching ---------------------------------------------------------------------------------


def _teach_page(
    request: Request,
    db: Any,
    city: City,
    *,
    problems: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    result: dict[str, Any] | None = None,
    done: str = "",
    status: int = 200,
) -> Response:
    lang = request.state.lang
    settings = settings_of(db, city)
    unknown = list(
        db.execute(
            select(Message.text, func.count(Message.id), func.max(Message.at))
            .where(Message.author == "resident", Message.intent == "out_of_scope")
            .group_by(Message.text)
            .order_by(func.count(Message.id).desc(), func.max(Message.at).desc())
            .limit(40)
        )
    )
    examples = list(
        db.scalars(select(Example).order_by(Example.approved, Example.id.desc()).limit(200))
    )
    synonyms = list(db.scalars(select(Synonym).order_by(Synonym.term)))
    services = {s.code: pick(s.name, lang) for s in list_services(db, city)}
    return page(
        request,
        "assistant/teach.html",
        {
            "settings": settings,
            "intents": [(i, translate(lang, INTENT_LABELS[i])) for i in nlu.INTENTS],
            "intent_label": {i: translate(lang, INTENT_LABELS[i]) for i in nlu.INTENTS},
            "languages": [(code, LANGUAGE_NAMES[code]) for code in nlu.LANGUAGES],
            "unknown": [(service.mask(t)[:200], n, at) for t, n, at in unknown],
            "examples": examples,
            "pending": sum(1 for e in examples if not e.approved),
            "synonyms": synonyms,
            "services": sorted(services.items(), key=lambda kv: kv[1]),
            "service_names": services,
            "problems": problems or {},
            "values": values or {},
            "result": result,
            "done": done,
        },
        status=status,
    )


def _refused(
    request: Request, db: Any, city: City, problems: list[Problem], values: dict[str, str]
) -> Response:
    """The teaching page again, each problem beside its field, nothing stored."""
    refusal = InvalidInput(problems[0].message, problems=problems)
    return _teach_page(
        request,
        db,
        city,
        problems=problems_by_field(request.state.lang, refusal),
        values=values,
        status=400,
    )


async def _delete(
    request: Request, db: Any, city: City, principal: Any, model: Any, row_id: int, kind: str
) -> Response:
    """Delete a taught sentence or word (a missing one: nothing to do)."""
    got = await _teach_form(request, city, principal)
    if isinstance(got, Response):
        return got
    who, _ = got
    db.execute(delete(model).where(model.id == row_id).execution_options(synchronize_session=False))
    audit.record(
        db,
        actor=who.label,
        action=f"assistant.{kind}_deleted",
        entity_type=f"assistant_{kind}",
        entity_id=row_id,
    )
    db.commit()
    return go(request, f"/{city.slug}/staff/assistant/teach?done=deleted")


@router.get("/{city}/staff/assistant/teach", response_model=None)
def teach(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal, done: str = ""
) -> Response:
    if isinstance(who := staff_page(city, principal, P.ASSISTANT_TEACH), Response):
        return who
    return _teach_page(request, db, city, done=done[:20])


async def _teach_form(
    request: Request, city: City, principal: Any
) -> tuple[Any, dict[str, str]] | Response:
    if isinstance(who := staff_page(city, principal, P.ASSISTANT_TEACH), Response):
        return who
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    return who, {k: str(v)[:300] for k, v in form.items() if isinstance(v, str) and k != "csrf"}


@router.post("/{city}/staff/assistant/teach/examples", response_model=None)
async def add_example(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    got = await _teach_form(request, city, principal)
    if isinstance(got, Response):
        return got
    who, values = got
    text = " ".join(values.get("text", "").split())
    problems = []
    if values.get("intent") not in nlu.INTENTS:
        problems.append(Problem("intent", N_("Choose what the sentence asks for.")))
    if values.get("language") not in nlu.LANGUAGES:
        problems.append(Problem("language", N_("Choose the sentence's language.")))
    if not (2 <= len(text) <= 300):
        problems.append(Problem("text", N_("Write a sentence of 2 to 300 characters.")))
    elif db.scalar(
        select(Example.id).where(Example.language == values.get("language"), Example.text == text)
    ):
        problems.append(Problem("text", N_("This sentence is taught already.")))
    if problems:
        return _refused(request, db, city, problems, values)
    db.add(
        Example(
            intent=values["intent"], language=values["language"], text=text, created_by=who.label
        )
    )
    audit.record(
        db,
        actor=who.label,
        action="assistant.example_added",
        entity_type="assistant_example",
        entity_id=text[:60],
        changes={"intent": values["intent"]},
    )
    db.commit()
    return go(request, f"/{city.slug}/staff/assistant/teach?done=example")


@router.post("/{city}/staff/assistant/teach/examples/{example_id}/delete", response_model=None)
async def delete_example(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    example_id: RowId,
) -> Response:
    return await _delete(request, db, city, principal, Example, example_id, "example")


@router.post("/{city}/staff/assistant/teach/synonyms", response_model=None)
async def add_synonym(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    got = await _teach_form(request, city, principal)
    if isinstance(got, Response):
        return got
    who, values = got
    term = " ".join(values.get("term", "").split())[:100]
    codes = {s.code for s in list_services(db, city)}
    problems = []
    if not (2 <= len(term) <= 100):
        problems.append(Problem("term", N_("Write a word or a few words (2 to 100 characters).")))
    elif db.scalar(select(Synonym.id).where(func.lower(Synonym.term) == term.lower())):
        problems.append(Problem("term", N_("This word stands for a service already.")))
    if values.get("service") not in codes:
        problems.append(Problem("service", N_("Choose the service the word stands for.")))
    if problems:
        return _refused(request, db, city, problems, values)
    db.add(Synonym(term=term, service_code=values["service"], created_by=who.label))
    audit.record(
        db,
        actor=who.label,
        action="assistant.synonym_added",
        entity_type="assistant_synonym",
        entity_id=term[:60],
        changes={"service": values["service"]},
    )
    db.commit()
    return go(request, f"/{city.slug}/staff/assistant/teach?done=synonym")


@router.post("/{city}/staff/assistant/teach/synonyms/{synonym_id}/delete", response_model=None)
async def delete_synonym(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    synonym_id: RowId,
) -> Response:
    return await _delete(request, db, city, principal, Synonym, synonym_id, "synonym")


@router.post("/{city}/staff/assistant/teach/check", response_model=None)
async def check_model(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    """Retrain with the pending examples and score on a held-out fifth: shown before the
    model is used."""
    got = await _teach_form(request, city, principal)
    if isinstance(got, Response):
        return got
    from starlette.concurrency import run_in_threadpool

    result = await run_in_threadpool(check, db, city)
    return _teach_page(request, db, city, result=result)


@router.post("/{city}/staff/assistant/teach/approve", response_model=None)
async def approve(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    """Use the checked model: the pending examples become part of it."""
    got = await _teach_form(request, city, principal)
    if isinstance(got, Response):
        return got
    who, values = got
    from civitas.assistant.training import examples_of

    settings = settings_of(db, city)
    pending = nlu.fingerprint(examples_of(db, city, pending=True), settings.threshold)
    if values.get("fingerprint") != pending:
        raise Conflict(N_("The examples changed since the check; check the model again."))
    try:
        score = float(values.get("macro_f1", ""))
    except ValueError:
        score = None
    db.execute(
        update(Example)
        .where(Example.approved.is_(False))
        .values(approved=True)
        .execution_options(synchronize_session=False)
    )
    settings.model_fingerprint = pending
    settings.model_macro_f1 = score
    settings.model_examples = (
        int(values["examples"]) if values.get("examples", "").isdigit() else None
    )
    settings.model_approved_at = utcnow()
    settings.model_approved_by = who.label
    audit.record(
        db,
        actor=who.label,
        action="assistant.model_approved",
        entity_type="assistant_model",
        entity_id=pending,
        changes={"macro_f1": score},
    )
    db.commit()
    return go(request, f"/{city.slug}/staff/assistant/teach?done=approved")


@router.post("/{city}/staff/assistant/teach/settings", response_model=None)
async def save_settings(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    got = await _teach_form(request, city, principal)
    if isinstance(got, Response):
        return got
    who, values = got
    settings = settings_of(db, city)
    problems = []
    numbers: dict[str, float] = {}
    for name, low, high, message in (
        ("threshold", 0.05, 0.95, N_("Give a confidence between 0.05 and 0.95, e.g. 0.3.")),
        ("idle_minutes", 5, 24 * 60, N_("Give 5 to 1440 minutes.")),
        ("retention_days", 1, 3650, N_("Give 1 to 3650 days.")),
    ):
        raw = values.get(name, "").replace(",", ".").strip()
        try:
            value = float(raw)
        except ValueError:
            value = float("nan")
        if not (low <= value <= high):
            problems.append(Problem(name, message))
        else:
            numbers[name] = value
    if problems:
        return _refused(request, db, city, problems, values)
    settings.threshold = round(numbers["threshold"], 2)
    settings.idle_minutes = int(numbers["idle_minutes"])
    settings.retention_days = int(numbers["retention_days"])
    for name in (
        "whatsapp_phone_id",
        "whatsapp_verify_token",
        "whatsapp_app_secret",
        "whatsapp_access_token",
        "telegram_secret",
        "telegram_bot_token",
    ):
        given = values.get(name, "").strip()
        if given:  # secrets are never shown again: an empty field keeps the one stored
            setattr(settings, name, given)
        if values.get(f"clear_{name}"):
            setattr(settings, name, None)
    audit.record(
        db,
        actor=who.label,
        action="assistant.settings_saved",
        entity_type="assistant_settings",
        entity_id=settings.id,
    )
    db.commit()
    return go(request, f"/{city.slug}/staff/assistant/teach?done=settings")
