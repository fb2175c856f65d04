"""One turn of a conversation: understand the message, fill what the current task needs
(slot by slot, as Rasa's forms do), act, and answer.

Every answer comes from the city's own data: the catalogue, a case, the timetable, a
sensor. When the assistant cannot tell what was meant, it says so and offers a person;
it never guesses. What the assistant asks is only what a task needs: to file a request,
the service, the place, the service definition's required attributes and a description,
then a confirmation; the request then goes through the same intake as every channel.

The state of a conversation (``Conversation.state``) is plain JSON: the task
(``flow``), what is filled (``slots``) and what was just asked (``asking``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from sqlalchemy.orm import Session

from civitas.assistant import entities
from civitas.assistant.models import Conversation
from civitas.assistant.nlu import fold
from civitas.assistant.training import Catalogue, catalogue_of, model_of
from civitas.cases import service as cases
from civitas.cases.intake import create_request
from civitas.cases.schemas import STATUS_LABELS, RequestChannel, RequestCreate, Status
from civitas.catalogue.models import Service
from civitas.catalogue.schemas import label as vocabulary
from civitas.cities.models import City
from civitas.core import lookups
from civitas.core.config import get_settings
from civitas.core.db import utcnow
from civitas.core.errors import InvalidInput, NotFound
from civitas.core.i18n import N_, format_money, locale_for, pick, translate
from civitas.places import geocoder

# a message that ends the task under way
CANCEL = {
    "cancel",
    "cancelar",
    "cancela",
    "abbrechen",
    "abbruch",
    "stop",
    "salir",
    "nevermind",
    "never mind",
    "olvidalo",
    "vergiss es",
}
YES = {
    "yes",
    "y",
    "si",
    "ja",
    "ok",
    "okay",
    "claro",
    "dale",
    "correcto",
    "genau",
    "send",
    "enviar",
    "senden",
    "sure",
    "yes please",
    "si por favor",
    "ja bitte",
    "jawohl",
    "bale",
}
NO = {"no", "n", "nein", "nope", "no gracias", "nein danke", "no thanks"}
SKIP = {
    "skip",
    "saltar",
    "omitir",
    "weiter",
    "uberspringen",
    "no se",
    "weiss nicht",
    "dont know",
    "-",
}
# an answer that is another task, not the one asked: switch to a person when this sure,
# to any other task only when much surer (an address with a number is not a status)
PERSON_CONFIDENCE = 0.6
SWITCH_CONFIDENCE = 0.85


@dataclass
class Reply:
    text: str
    options: list[dict[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"text": self.text}
        if self.options:
            found["options"] = self.options
        return found


@dataclass
class Turn:
    intent: str
    confidence: float
    replies: list[Reply]
    service_code: str | None = None
    done: bool = False
    request_number: int | None = None
    handed_over: bool = False


@dataclass
class Context:
    db: Session
    city: City
    conversation: Conversation
    lang: str
    now: datetime
    point: tuple[float, float] | None
    catalogue: Catalogue | None = None
    email: str | None = None  # a signed-in resident's: the request shows in "my requests"

    def t(self, msgid: str, **params: Any) -> str:
        return translate(self.lang, msgid, **params)

    @property
    def locale(self) -> str:
        return locale_for(self.lang, self.city.country)

    @property
    def services(self) -> Catalogue:
        if self.catalogue is None:
            self.catalogue = catalogue_of(self.db, self.city)
        return self.catalogue

    def link(self, path: str) -> str:
        """A page of the city's portal, in the conversation's language, as a full address
        (a messaging app's resident has no page to be relative to)."""
        joiner = "&" if "?" in path else "?"
        base = get_settings().public_url.rstrip("/")
        return f"{base}/{self.city.slug}{path}{joiner}lang={self.lang}"

    @property
    def state(self) -> dict[str, Any]:
        return self.conversation.state

    def number(self, value: float, digits: int = 1) -> str:
        return format_decimal(round(value, digits), locale=self.locale)


def respond(
    db: Session,
    city: City,
    conversation: Conversation,
    text: str,
    *,
    point: tuple[float, float] | None = None,
    now: datetime | None = None,
    email: str | None = None,
) -> Turn:
    """The assistant's answer to one message (the conversation's state is updated)."""
    turn = _respond(db, city, conversation, text, point=point, now=now, email=email)
    return _with_service(turn, conversation)


def _respond(
    db: Session,
    city: City,
    conversation: Conversation,
    text: str,
    *,
    point: tuple[float, float] | None = None,
    now: datetime | None = None,
    email: str | None = None,
) -> Turn:
    ctx = Context(
        db, city, conversation, conversation.language, now or utcnow(), point, email=email
    )
    state = dict(conversation.state or {})
    conversation.state = state
    folded = fold(text)
    if folded in CANCEL and state.get("flow"):
        flow = str(state["flow"])
        _reset(ctx)
        return Turn(
            flow,
            1.0,
            [
                Reply(
                    ctx.t(N_("All right, I stopped that. What else can I do for you?")), _menu(ctx)
                )
            ],
        )
    model = model_of(db, city)
    understood = model.understand(text)
    asking = state.get("asking")
    if asking:
        switch = (
            understood.intent == "talk_to_person" and understood.confidence >= PERSON_CONFIDENCE
        )
        if not switch:
            filled = _fill(ctx, asking, text)
            if filled is not None:
                return filled
            if (
                understood.intent not in (state.get("flow"), "out_of_scope", "greeting", "thanks")
                and understood.confidence >= SWITCH_CONFIDENCE
            ):
                switch = True
        if not switch:
            return _ask_again(ctx, asking)
        _reset(ctx)
    intent = understood.intent
    if intent == "out_of_scope":
        conversation.not_understood += 1
    return _start(ctx, intent, understood.confidence, text)


def _with_service(turn: Turn, conversation: Conversation) -> Turn:
    """The service recognised so far, while the task goes on."""
    if turn.service_code is None:
        turn.service_code = (conversation.state.get("slots") or {}).get("service")
    return turn


def _reset(ctx: Context) -> None:
    ctx.conversation.state = {}


def _menu(ctx: Context) -> list[dict[str, str]]:
    """What the assistant can do, as choices."""
    options = [
        (N_("Report a problem"), N_("I want to report a problem")),
        (N_("Status of a request"), N_("What is the status of my request?")),
        (N_("About a service"), N_("Information about a service")),
    ]
    if _has_transit(ctx):
        options.append((N_("Next buses"), N_("When does the next bus come?")))
    if _has_air(ctx):
        options.append((N_("Air quality"), N_("How is the air now?")))
    options.append((N_("Talk to a person"), N_("I want to talk to a person")))
    return [{"label": ctx.t(label), "value": ctx.t(value)} for label, value in options]


def _has_transit(ctx: Context) -> bool:
    return bool(lookups.ask("transit.stop_names", ctx.db, ctx.city))


def _has_air(ctx: Context) -> bool:
    return bool(lookups.ask("air.available", ctx.db, ctx.city))


def _start(ctx: Context, intent: str, confidence: float, text: str) -> Turn:
    handler = START.get(intent, _not_understood)
    turn: Turn = handler(ctx, text)
    turn.intent, turn.confidence = intent, confidence
    return turn


# --- greeting, thanks, not understood --------------------------------------------------


def _greeting(ctx: Context, text: str) -> Turn:
    name = ctx.city.name
    return Turn(
        "greeting",
        0,
        [
            Reply(
                ctx.t(
                    N_(
                        "Hello! I am the assistant of {city}. I can help you report a "
                        "problem, follow a request, find out about a service, and more."
                    ),
                    city=name,
                ),
                _menu(ctx),
            )
        ],
    )


def _thanks(ctx: Context, text: str) -> Turn:
    _reset(ctx)
    return Turn("thanks", 0, [Reply(ctx.t(N_("You are welcome. Goodbye!")))], done=True)


def _not_understood(ctx: Context, text: str) -> Turn:
    return Turn(
        "out_of_scope",
        0,
        [
            Reply(
                ctx.t(
                    N_(
                        "Sorry, I did not understand that, and I would rather not guess. "
                        "I can help with the city's services, or pass you to a person."
                    )
                ),
                _menu(ctx),
            )
        ],
    )


# --- talking to a person ----------------------------------------------------------------


def _talk_to_person(ctx: Context, text: str) -> Turn:
    conversation = ctx.conversation
    _reset(ctx)
    if conversation.status in ("waiting", "agent"):
        return Turn(
            "talk_to_person",
            0,
            [Reply(ctx.t(N_("A person from the hotline will answer you here shortly.")))],
        )
    conversation.status = "waiting"
    conversation.handed_at = ctx.now
    return Turn(
        "talk_to_person",
        0,
        [
            Reply(
                ctx.t(
                    N_(
                        "I am passing you to a person at the city's hotline. They see what "
                        "we wrote and will answer you here."
                    )
                )
            )
        ],
        handed_over=True,
    )


# --- service recognition ------------------------------------------------------------------


def _service_in(ctx: Context, text: str, *, open311: bool | None = None) -> Service | None:
    terms = ctx.services.terms
    if open311 is not None:
        terms = [t for t in terms if ctx.services.services[t.code].is_open311 == open311]
    found = entities.service(text, terms)
    if found is None:  # no name in the text: what it is about, when that is clear
        allowed = {t.code for t in terms}
        found = ctx.services.descriptions.best(text, allowed)
    return ctx.services.services[found[0]] if found else None


def _service_options(ctx: Context, *, open311: bool | None) -> list[dict[str, str]]:
    services = [
        s for s in ctx.services.services.values() if open311 is None or s.is_open311 == open311
    ]
    return [{"label": pick(s.name, ctx.lang), "value": pick(s.name, ctx.lang)} for s in services][
        :12
    ]


# --- filling what was asked ---------------------------------------------------------------


def _fill(ctx: Context, asking: str, text: str) -> Turn | None:
    """Fill the slot asked for from the answer and go on; None when the answer does not
    fill it."""
    flow = ctx.state.get("flow", "")
    slots = ctx.state.setdefault("slots", {})
    if asking == "service":
        service = _service_in(ctx, text, open311=True if flow == "report_problem" else None)
        if service is None:
            return None
        slots["service"] = service.code
    elif asking == "location":
        place = _place(ctx, text)
        if place is None:
            return None
        slots["location"] = place
    elif asking.startswith("attribute:"):
        value = _attribute_value(ctx, asking.split(":", 1)[1], text)
        if value is None:
            return None
        slots.setdefault("attributes", {})[asking.split(":", 1)[1]] = value
    elif asking == "description":
        slots["description"] = "" if fold(text) in SKIP else text.strip()[:2000]
    elif asking == "confirm":
        answer = fold(text)
        if answer in NO:
            _reset(ctx)
            return Turn(
                flow,
                1.0,
                [
                    Reply(
                        ctx.t(N_("All right, nothing was sent. What else can I do for you?")),
                        _menu(ctx),
                    )
                ],
            )
        if answer not in YES:
            return None
        slots["confirmed"] = True
    elif asking == "number":
        number = entities.request_number(text)
        if number is None:
            return None
        slots["number"] = number
    elif asking in ("stop", "origin", "destination"):
        stop = _stop(ctx, text)
        if stop is None:
            return None
        slots[asking] = stop
    elif asking == "air_place":
        place = _place(ctx, text)
        if place is None:
            return None
        slots["location"] = place
    else:
        return None
    ctx.state["asking"] = None
    return CONTINUE[flow](ctx, text)


def _ask_again(ctx: Context, asking: str) -> Turn:
    flow = ctx.state.get("flow", "")
    hints = {
        "service": N_("I did not recognise the service. Choose one, or say it in other words."),
        "location": N_(
            "I could not find that place. Type a street and number, a stop's name, or share "
            "your location."
        ),
        "confirm": N_("Please answer yes or no."),
        "number": N_("Please give the request's number, e.g. 1234."),
        "stop": N_("I did not find that stop. Type its name, e.g. as written at the stop."),
        "origin": N_("I did not find that stop. Type its name, e.g. as written at the stop."),
        "destination": N_("I did not find that stop. Type its name, e.g. as written at the stop."),
        "air_place": N_("I could not find that place. Type a street and number, or a stop's name."),
    }
    if asking.startswith("attribute:"):
        turn = CONTINUE[flow](ctx, "")
        turn.replies.insert(0, Reply(ctx.t(N_("I could not use that answer."))))
        return turn
    options: list[dict[str, str]] = []
    if asking == "service":
        options = _service_options(ctx, open311=True if flow == "report_problem" else None)
    if asking == "confirm":
        options = _yes_no(ctx)
    if asking in ("stop", "origin", "destination"):
        options = _stop_options(ctx)
        if options:
            return Turn(flow, 0.0, [Reply(ctx.t(N_("Which of these stops do you mean?")), options)])
    return Turn(
        flow, 0.0, [Reply(ctx.t(hints.get(asking, N_("Please answer the question."))), options)]
    )


def _yes_no(ctx: Context) -> list[dict[str, str]]:
    return [
        {"label": ctx.t(N_("Yes")), "value": ctx.t(N_("Yes"))},
        {"label": ctx.t(N_("No")), "value": ctx.t(N_("No"))},
    ]


def _ask(
    ctx: Context, flow: str, slot: str, text: str, options: list[dict[str, str]] | None = None
) -> Turn:
    ctx.state["flow"] = flow
    ctx.state["asking"] = slot
    return Turn(flow, 0.0, [Reply(text, options or [])])


# --- places ----------------------------------------------------------------------------


def _place(ctx: Context, text: str) -> dict[str, Any] | None:
    """A place from the answer: a shared point, an address of the register, a stop; with
    no register, the address as typed."""
    point = ctx.point or entities.point(text)
    if point is not None:
        if not ctx.city.contains(*point):
            return None
        return {"lat": point[0], "long": point[1], "label": ctx.t(N_("the shared location"))}
    found = geocoder.resolve(ctx.db, ctx.city, text)
    if found is not None:
        return {"address_id": found.ref, "label": found.label, "lat": found.lat, "long": found.lon}
    stop = _stop(ctx, text, sure=True)
    if stop is not None:
        return {"lat": stop["lat"], "long": stop["lon"], "label": stop["name"]}
    if geocoder.has_register(ctx.db, ctx.city):
        return None
    words = text.strip()
    if len(words) >= 5 and any(c.isdigit() for c in words):
        return {"address_string": words[:500], "label": words[:500]}
    return None


def _stop(ctx: Context, text: str, *, sure: bool = False) -> dict[str, Any] | None:
    """The stop the text names: one whose name stands in it, else (unless ``sure`` is
    asked for) the one a search finds when it is the only one or named exactly; when
    several are alike, none, and they are kept as the choices to offer."""
    names = lookups.ask("transit.stop_names", ctx.db, ctx.city) or []
    named = entities.stop_in(text, names)
    if named is None and sure:
        return None
    found: list[dict[str, Any]] = (
        lookups.ask("transit.stops", ctx.db, ctx.city, text=named or text, limit=6) or []
    )
    if not found:
        return None
    exact = [s for s in found if fold(s["name"]) == fold(named or text)]
    if named is not None or len(found) == 1 or exact:
        return exact[0] if exact else found[0]
    ctx.state["choices"] = [s["name"] for s in found]
    return None


def _stop_options(ctx: Context) -> list[dict[str, str]]:
    return [{"label": name, "value": name} for name in ctx.state.get("choices") or []]


# --- report a problem --------------------------------------------------------------------


def _report(ctx: Context, text: str) -> Turn:
    ctx.state.update({"flow": "report_problem", "slots": {}, "asking": None})
    slots = ctx.state["slots"]
    service = _service_in(ctx, text, open311=True)
    if service is not None:
        slots["service"] = service.code
        if len(text.split()) >= 4:
            slots["description"] = text.strip()[:2000]
        place = _place_in_sentence(ctx, text)
        if place is not None:
            slots["location"] = place
    return _report_next(ctx, text)


def _place_in_sentence(ctx: Context, text: str) -> dict[str, Any] | None:
    """A place named inside a longer sentence: a shared point or a stop by name (an
    address is asked on its own, where the register can be sure of it)."""
    if ctx.point is not None or entities.point(text) is not None:
        return _place(ctx, text)
    return None


def _report_next(ctx: Context, text: str) -> Turn:
    slots = ctx.state["slots"]
    if "service" not in slots:
        return _ask(
            ctx,
            "report_problem",
            "service",
            ctx.t(N_("What is the problem about? Choose one, or describe it in a few words.")),
            _service_options(ctx, open311=True),
        )
    service = ctx.services.services.get(slots["service"])
    if service is None:
        _reset(ctx)
        return _not_understood(ctx, text)
    name = pick(service.name, ctx.lang)
    if "location" not in slots:
        return _ask(
            ctx,
            "report_problem",
            "location",
            ctx.t(
                N_(
                    "{service}: where is it? Type the street and number, a stop's name, or "
                    "share your location."
                ),
                service=name,
            ),
        )
    attributes = slots.setdefault("attributes", {})
    for attribute in sorted(service.attributes, key=lambda a: a.get("order", 0)):
        if not attribute.get("required") or not attribute.get("variable", True):
            continue
        if attribute["code"] in attributes:
            continue
        options = [
            {"label": pick(v["name"], ctx.lang), "value": pick(v["name"], ctx.lang)}
            for v in attribute.get("values", [])
        ]
        return _ask(
            ctx,
            "report_problem",
            f"attribute:{attribute['code']}",
            pick(attribute.get("description") or {}, ctx.lang) or attribute["code"],
            options,
        )
    if "description" not in slots:
        return _ask(
            ctx,
            "report_problem",
            "description",
            ctx.t(N_("Describe the problem in a few words (or say 'skip').")),
        )
    if not slots.get("confirmed"):
        summary = _summary(ctx, service, slots)
        turn = _ask(ctx, "report_problem", "confirm", summary, _yes_no(ctx))
        turn.replies[:0] = _reported_nearby(ctx, service, slots["location"])
        return turn
    return _file(ctx, service, slots)


def _reported_nearby(ctx: Context, service: Service, location: dict[str, Any]) -> list[Reply]:
    """Open requests for the same service near the place, as the web form shows them:
    the resident may follow one instead (its number, status and link; never who filed it
    or where they live)."""
    lat, lon = location.get("lat"), location.get("long")
    if lat is None or lon is None:
        return []
    found = cases.nearby_open(ctx.db, ctx.city, service_id=service.id, lat=lat, lon=lon, limit=3)
    shown = [r for r in found if not r.private]
    if not shown:
        return []
    lines = [
        ctx.t(
            N_("No. {number}: {status}, {link}"),
            number=r.number,
            status=ctx.t(STATUS_LABELS[Status(r.status)]),
            link=ctx.link(f"/requests/{r.number}"),
        )
        for r in shown
    ]
    return [
        Reply(
            ctx.t(
                N_(
                    "This may have been reported already nearby. If it is the same, you can "
                    "follow it there instead:"
                )
            )
        ),
        Reply("\n".join(lines)),
    ]


def _summary(ctx: Context, service: Service, slots: dict[str, Any]) -> str:
    parts = [pick(service.name, ctx.lang), slots["location"]["label"]]
    for attribute in service.attributes:
        value = slots.get("attributes", {}).get(attribute["code"])
        if value is None:
            continue
        shown = value
        for v in attribute.get("values", []):
            if v["key"] == value:
                shown = pick(v["name"], ctx.lang)
        parts.append(f"{pick(attribute.get('description') or {}, ctx.lang)} {shown}")
    if slots.get("description"):
        parts.append(f"“{slots['description']}”")
    return ctx.t(
        N_("I will send this to the city: {summary}. Shall I send it?"), summary=" · ".join(parts)
    )


def _attribute_value(ctx: Context, code: str, text: str) -> Any:
    service = ctx.services.services.get(ctx.state["slots"].get("service", ""))
    if service is None:
        return None
    attribute = next((a for a in service.attributes if a["code"] == code), None)
    if attribute is None:
        return None
    kind = attribute.get("datatype", "string")
    answer = fold(text)
    if kind in ("singlevaluelist", "multivaluelist"):
        chosen = []
        for part in answer.split(",") if kind == "multivaluelist" else [answer]:
            for v in attribute.get("values", []):
                names = {fold(n) for n in v["name"].values()} | {fold(v["key"])}
                if part.strip() in names:
                    chosen.append(v["key"])
        if not chosen:
            return None
        return chosen if kind == "multivaluelist" else chosen[0]
    if kind == "number":
        digits = text.replace(",", ".").strip()
        try:
            return float(digits) if "." in digits else int(digits)
        except ValueError:
            return None
    if kind == "datetime":
        found = entities.when(text, ctx.now.date())
        if found.day is None:
            return None
        return datetime.combine(found.day, found.at or datetime.min.time()).isoformat()
    return text.strip()[:500] or None


def _file(ctx: Context, service: Service, slots: dict[str, Any]) -> Turn:
    location = slots["location"]
    data = RequestCreate(
        service_code=service.code,
        channel=RequestChannel.CHATBOT,
        description=slots.get("description") or None,
        lat=location.get("lat") if not location.get("address_id") else None,
        long=location.get("long") if not location.get("address_id") else None,
        address_id=location.get("address_id"),
        address_string=location.get("address_string"),
        attributes=slots.get("attributes", {}),
        language=ctx.lang,
        email=ctx.email,
    )
    try:
        with ctx.db.begin_nested():
            created = create_request(
                ctx.db, ctx.city, data=data, filed_by=f"assistant:{ctx.conversation.channel}"
            )
            ctx.db.flush()
    except InvalidInput as exc:
        slots.pop("confirmed", None)
        if any(
            p.location in ("location", "lat", "long", "address_id", "address_string")
            for p in exc.problems
        ):
            slots.pop("location", None)
        problems = "; ".join(translate(ctx.lang, p.message, **p.params) for p in exc.problems)
        turn = _report_next(ctx, "")
        turn.replies.insert(
            0, Reply(ctx.t(N_("The city could not take it yet: {problems}"), problems=problems))
        )
        return turn
    ctx.conversation.request_number = created.number
    _reset(ctx)
    replies = [
        Reply(
            ctx.t(
                N_("Thank you. Your request has the number {number}. Follow it here: {link}"),
                number=created.number,
                link=ctx.link(f"/requests/{created.number}"),
            )
        )
    ]
    if ctx.email:
        replies.append(
            Reply(ctx.t(N_("The city writes to {email} as it goes on."), email=ctx.email))
        )
    return Turn(
        "report_problem",
        0,
        replies,
        service_code=service.code,
        done=True,
        request_number=created.number,
    )


# --- the status of a request ----------------------------------------------------------


def _status(ctx: Context, text: str) -> Turn:
    ctx.state.update({"flow": "request_status", "slots": {}, "asking": None})
    number = entities.request_number(text)
    if number is not None:
        ctx.state["slots"]["number"] = number
    return _status_next(ctx, text)


def _status_next(ctx: Context, text: str) -> Turn:
    number = ctx.state["slots"].get("number")
    if number is None:
        return _ask(ctx, "request_status", "number", ctx.t(N_("What is the request's number?")))
    _reset(ctx)
    try:
        found = cases.get_request(ctx.db, ctx.city, number=number)
    except NotFound:
        found = None
    if found is None or found.private:  # an application's case: its applicant's page shows it
        return Turn(
            "request_status",
            0,
            [
                Reply(
                    ctx.t(
                        N_("There is no request {number} in this city. Check the number."),
                        number=number,
                    )
                )
            ],
        )
    zone = ZoneInfo(ctx.city.timezone)
    status = ctx.t(STATUS_LABELS[Status(found.status)])
    replies = [
        Reply(
            ctx.t(
                N_("Request {number} ({service}): {status}. Last change: {when}"),
                number=found.number,
                service=pick(found.service.name, ctx.lang),
                status=status,
                when=_moment(ctx, found.updated_at.astimezone(zone)),
            )
        )
    ]
    notes = cases.public_notes(ctx.db, ctx.city, [found.id]).get(found.id, [])
    if notes:
        replies.append(Reply(ctx.t(N_("The city's last note: {note}"), note=notes[-1].text)))
    replies.append(Reply(ctx.t(N_("Details: {link}"), link=ctx.link(f"/requests/{found.number}"))))
    return Turn("request_status", 0, replies, service_code=found.service.code, done=True)


# --- about a service, applying, booking ------------------------------------------------


def _service_flow(flow: str) -> Any:
    def start(ctx: Context, text: str) -> Turn:
        ctx.state.update({"flow": flow, "slots": {}, "asking": None})
        service = _service_in(ctx, text)
        if service is not None:
            ctx.state["slots"]["service"] = service.code
        if flow == "book_appointment":  # "tomorrow", "on Friday": the booking starts there
            today = ctx.now.astimezone(ZoneInfo(ctx.city.timezone)).date()
            day = entities.when(text, today).day
            if day is not None:
                ctx.state["slots"]["day"] = day.isoformat()
        return _service_next(ctx, text)

    return start


def _service_next(ctx: Context, text: str) -> Turn:
    flow = ctx.state["flow"]
    code = ctx.state["slots"].get("service")
    if code is None:
        return _ask(
            ctx,
            flow,
            "service",
            ctx.t(N_("Which service do you mean? Say its name, e.g. “birth certificate”.")),
        )
    service = ctx.services.services[code]
    day = ctx.state["slots"].get("day")
    _reset(ctx)
    if flow == "apply_online":
        replies = _apply(ctx, service)
    elif flow == "book_appointment":
        replies = _book(ctx, service, day)
    else:
        replies = _about(ctx, service)
    return Turn(flow, 0, replies, service_code=code, done=True)


def _about(ctx: Context, service: Service) -> list[Reply]:
    name = pick(service.name, ctx.lang)
    replies = [Reply(f"{name}: {pick(service.description, ctx.lang)}")]
    fees = [
        format_money(f["amount_minor"], f["currency"], ctx.locale)
        + (f" ({pick(f['label'], ctx.lang)})" if f.get("label") else "")
        for f in service.fees
    ]
    replies.append(
        Reply(
            ctx.t(N_("Fees: {fees}."), fees="; ".join(fees))
            if fees
            else ctx.t(N_("It is free of charge."))
        )
    )
    if service.documents:
        replies.append(
            Reply(
                ctx.t(
                    N_("Documents to bring: {documents}."),
                    documents="; ".join(pick(d["name"], ctx.lang) for d in service.documents),
                )
            )
        )
    replies.extend(_where(ctx, service))
    if service.is_open311:
        replies.append(Reply(ctx.t(N_("I can file it for you now: just say what and where."))))
    else:
        replies.extend(_apply(ctx, service, quiet=True))
    replies.append(Reply(ctx.t(N_("More: {link}"), link=ctx.link(f"/services/{service.code}"))))
    return replies


def _hours(ctx: Context, service: Service) -> str:
    rules = []
    for rule in service.opening_hours:
        days = ", ".join(ctx.t(vocabulary("day", d)) for d in rule["days"])
        rules.append(f"{days} {rule['opens'][:5]}–{rule['closes'][:5]}")
    return "; ".join(rules)


def _where(ctx: Context, service: Service) -> list[Reply]:
    department = service.department
    parts = [pick(department.name, ctx.lang)]
    if department.address:
        parts.append(department.address)
    if department.phone:
        parts.append(department.phone)
    replies = [Reply(ctx.t(N_("Where to go: {place}."), place=", ".join(parts)))]
    hours = _hours(ctx, service)
    if hours:
        replies.append(Reply(ctx.t(N_("Opening hours: {hours}."), hours=hours)))
    return replies


def _apply(ctx: Context, service: Service, *, quiet: bool = False) -> list[Reply]:
    url = lookups.ask("service.apply_url", ctx.db, ctx.city, code=service.code)
    name = pick(service.name, ctx.lang)
    replies = []
    if url:
        replies.append(
            Reply(
                ctx.t(
                    N_("You can apply for {service} online: {link}"),
                    service=name,
                    link=ctx.link(url),
                )
            )
        )
    elif not quiet:
        replies.append(
            Reply(ctx.t(N_("{service} cannot be applied for online yet."), service=name))
        )
    booking = lookups.ask("service.booking", ctx.db, ctx.city, code=service.code)
    if booking:
        replies.append(
            Reply(ctx.t(N_("Book an appointment: {link}"), link=ctx.link(booking["url"])))
        )
    elif not url and not quiet:
        replies.extend(_where(ctx, service))
    return replies


def _book(ctx: Context, service: Service, day: str | None = None) -> list[Reply]:
    booking = lookups.ask("service.booking", ctx.db, ctx.city, code=service.code)
    name = pick(service.name, ctx.lang)
    if not booking:
        return [
            Reply(ctx.t(N_("{service} has no appointments to book online."), service=name)),
            *_where(ctx, service),
        ]
    offices = ", ".join(f"{pick(o['name'], ctx.lang)} ({o['address']})" for o in booking["offices"])
    url = booking["url"] + (f"&start={day}" if day else "")
    return [
        Reply(ctx.t(N_("{service} by appointment at: {offices}."), service=name, offices=offices)),
        Reply(ctx.t(N_("Book an appointment: {link}"), link=ctx.link(url))),
    ]


# --- public transport ----------------------------------------------------------------------


def _no_transit(ctx: Context) -> Turn:
    _reset(ctx)
    return Turn(
        "transit_arrivals",
        0,
        [Reply(ctx.t(N_("This city has no public transport data in Civitas, so I cannot tell.")))],
        done=True,
    )


def _arrivals(ctx: Context, text: str) -> Turn:
    if not _has_transit(ctx):
        return _no_transit(ctx)
    ctx.state.update({"flow": "transit_arrivals", "slots": {}, "asking": None})
    stop = _stop(ctx, text, sure=True)
    if stop is not None:
        ctx.state["slots"]["stop"] = stop
    return _arrivals_next(ctx, text)


def _arrivals_next(ctx: Context, text: str) -> Turn:
    stop = ctx.state["slots"].get("stop")
    if stop is None:
        return _ask(
            ctx,
            "transit_arrivals",
            "stop",
            ctx.t(N_("At which stop? Type its name.")),
            _stop_options(ctx),
        )
    _reset(ctx)
    found = lookups.ask("transit.departures", ctx.db, ctx.city, stop=stop["key"], lang=ctx.lang)
    if not found or not found["departures"]:
        return Turn(
            "transit_arrivals",
            0,
            [Reply(ctx.t(N_("No bus leaves {stop} in the next hour."), stop=stop["name"]))],
            done=True,
        )
    lines = []
    for d in found["departures"]:
        wait = (
            ctx.t(N_("now"))
            if d["minutes"] == 0
            else ctx.t(N_("in {count} min"), count=d["minutes"])
        )
        source = ctx.t(N_("live")) if d["live"] else ctx.t(N_("timetable"))
        line = ctx.t(
            N_("Line {line} to {headsign}: {wait} ({source})"),
            line=d["line"],
            headsign=d["headsign"],
            wait=wait,
            source=source,
        )
        if d.get("occupancy"):
            line += f", {d['occupancy']}"
        lines.append(line)
    return Turn(
        "transit_arrivals",
        0,
        [
            Reply(ctx.t(N_("Next departures at {stop}:"), stop=found["stop"]["name"])),
            Reply("\n".join(lines)),
            Reply(ctx.t(N_("Live board: {link}"), link=ctx.link(found["url"]))),
        ],
        done=True,
    )


def _journey(ctx: Context, text: str) -> Turn:
    if not _has_transit(ctx):
        return _no_transit(ctx)
    ctx.state.update({"flow": "journey_plan", "slots": {}, "asking": None})
    origin, destination = entities.from_to(text)
    choices: dict[str, list[str]] = {}
    for slot, part in (("origin", origin), ("destination", destination)):
        if part:
            ctx.state.pop("choices", None)
            stop = _stop(ctx, part)
            if stop is not None:
                ctx.state["slots"][slot] = stop
            elif ctx.state.get("choices"):
                choices[slot] = ctx.state["choices"]
    ctx.state["pending_choices"] = choices
    return _journey_next(ctx, text)


def _journey_next(ctx: Context, text: str) -> Turn:
    slots = ctx.state["slots"]
    pending = ctx.state.get("pending_choices") or {}
    for slot, question in (
        ("origin", N_("From which stop do you start?")),
        ("destination", N_("To which stop do you want to go?")),
    ):
        if slot not in slots:
            ctx.state["choices"] = pending.get(slot) or []
            return _ask(ctx, "journey_plan", slot, ctx.t(question), _stop_options(ctx))
    _reset(ctx)
    found = lookups.ask(
        "transit.journey",
        ctx.db,
        ctx.city,
        origin=slots["origin"]["key"],
        destination=slots["destination"]["key"],
        lang=ctx.lang,
    )
    if not found or not found["journeys"]:
        return Turn(
            "journey_plan",
            0,
            [
                Reply(
                    ctx.t(
                        N_("I found no connection from {origin} to {destination} now."),
                        origin=slots["origin"]["name"],
                        destination=slots["destination"]["name"],
                    )
                )
            ],
            done=True,
        )
    journey = found["journeys"][0]
    replies = [
        Reply(
            ctx.t(
                N_(
                    "From {origin} to {destination}: leave at {departure}, arrive at {arrival} "
                    "({minutes} min)."
                ),
                origin=found["from"],
                destination=found["to"],
                departure=_clock(ctx, journey["departure"]),
                arrival=_clock(ctx, journey["arrival"]),
                minutes=journey["minutes"],
            )
        )
    ]
    steps = []
    for leg in journey["legs"]:
        if leg.get("line"):
            step = ctx.t(
                N_("{departure} line {line} from {start} to {end}"),
                departure=_clock(ctx, leg["departure"]),
                line=leg["line"],
                start=leg["from"],
                end=leg["to"],
            )
            if leg.get("occupancy"):
                step += f" ({leg['occupancy']})"
        else:
            step = ctx.t(N_("walk {metres} m"), metres=leg.get("metres", 0))
        steps.append(step)
    replies.append(Reply("\n".join(steps)))
    replies.append(Reply(ctx.t(N_("The journey planner: {link}"), link=ctx.link(found["url"]))))
    return Turn("journey_plan", 0, replies, done=True)


def _moment(ctx: Context, moment: datetime) -> str:
    day = format_date(moment, "medium", locale=ctx.locale)
    return f"{day}, {format_time(moment, 'short', locale=ctx.locale)}"


def _clock(ctx: Context, iso: str) -> str:
    return format_time(datetime.fromisoformat(iso), "short", locale=ctx.locale)


# --- air quality --------------------------------------------------------------------------


def _air(ctx: Context, text: str) -> Turn:
    if not _has_air(ctx):
        _reset(ctx)
        return Turn(
            "air_quality",
            0,
            [
                Reply(
                    ctx.t(
                        N_(
                            "This city has no air-quality measurements in Civitas, so I cannot "
                            "tell."
                        )
                    )
                )
            ],
            done=True,
        )
    ctx.state.update({"flow": "air_quality", "slots": {}, "asking": None})
    place = None
    point = ctx.point or entities.point(text)
    if point is not None:
        place = {"lat": point[0], "long": point[1], "label": ctx.t(N_("the shared location"))}
    else:
        stop = _stop(ctx, text, sure=True)
        if stop is not None:
            place = {"lat": stop["lat"], "long": stop["lon"], "label": stop["name"]}
    if place is not None:
        ctx.state["slots"]["location"] = place
    return _air_next(ctx, text)


def _air_next(ctx: Context, text: str) -> Turn:
    place = ctx.state["slots"].get("location")
    _reset(ctx)
    found = lookups.ask(
        "air.now",
        ctx.db,
        ctx.city,
        lang=ctx.lang,
        lat=place["lat"] if place else None,
        lon=place["long"] if place else None,
    )
    if not found:
        return Turn(
            "air_quality",
            0,
            [Reply(ctx.t(N_("No station is reporting right now, so I cannot tell.")))],
            done=True,
        )
    if place:
        metres = found["distance_m"]
        distance = (
            f"{format_decimal(metres, locale=ctx.locale)}\u00a0m"
            if metres < 1000
            else f"{ctx.number(metres / 1000)}\u00a0km"
        )
        head = ctx.t(
            N_("Nearest station to {place}: {station} ({distance} away)."),
            place=place["label"],
            station=found["station"],
            distance=distance,
        )
    else:
        head = ctx.t(N_("The station with the worst air now: {station}."), station=found["station"])
    return Turn(
        "air_quality",
        0,
        [
            Reply(head),
            Reply(
                ctx.t(
                    N_("PM2.5 {value} µg/m³: {category}, on the {scale}."),
                    value=ctx.number(found["pm25"]),
                    category=found["category"],
                    scale=found["scale"],
                )
            ),
            Reply(found["advice"]),
            Reply(ctx.t(N_("More: {link}"), link=ctx.link(found["url"]))),
        ],
        done=True,
    )


START = {
    "greeting": _greeting,
    "thanks": _thanks,
    "out_of_scope": _not_understood,
    "talk_to_person": _talk_to_person,
    "report_problem": _report,
    "request_status": _status,
    "service_info": _service_flow("service_info"),
    "apply_online": _service_flow("apply_online"),
    "book_appointment": _service_flow("book_appointment"),
    "transit_arrivals": _arrivals,
    "journey_plan": _journey,
    "air_quality": _air,
}
CONTINUE = {
    "report_problem": _report_next,
    "request_status": _status_next,
    "service_info": _service_next,
    "apply_online": _service_next,
    "book_appointment": _service_next,
    "transit_arrivals": _arrivals_next,
    "journey_plan": _journey_next,
    "air_quality": _air_next,
}
