"""The resident's pages, with no account needed: choose a service, an office and a time
(with one's details on the same page), check and confirm the held time, then the
appointment's own page from the e-mail's link (the invitation, change, cancel, and on
the day the place in line). Also the office's kiosk, the waiting room's display and the
phone page that follows a ticket's place in line."""

from __future__ import annotations

import secrets
from collections import OrderedDict
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.appointments import booking, calendar, queue
from civitas.appointments.calendar import Slot
from civitas.appointments.models import Appointment, Office, Ticket
from civitas.appointments.offices import (
    definition_of,
    offered,
    office_by_code,
    offices,
    offices_for_service,
)
from civitas.catalogue.models import Service
from civitas.catalogue.service import get_service
from civitas.cities.models import City
from civitas.core.config import get_settings
from civitas.core.db import utcnow
from civitas.core.errors import CivitasError, InvalidInput, NotFound, Problem
from civitas.core.i18n import N_, pick, translate
from civitas.places.basemap import map_config
from civitas.web.actions import go
from civitas.web.deps import CurrentCity, DbSession, RowId, client_address
from civitas.web.forms import problems_by_field
from civitas.web.jobs import kick_outbox
from civitas.web.routers import Router
from civitas.web.templating import page, require_csrf

router = Router(include_in_schema=False)
DAYS_SHOWN = 5  # open days of times on one page
STATUS_LABELS = {
    "held": N_("Held, not confirmed yet"),
    "booked": N_("Booked"),
    "checked_in": N_("Checked in: waiting to be called"),
    "done": N_("Served"),
    "cancelled": N_("Cancelled"),
    "expired": N_("Not confirmed in time"),
    "no_show": N_("Missed"),
}
TICKET_LABELS = {
    "waiting": N_("Waiting"),
    "called": N_("Called: please go to the counter"),
    "serving": N_("Being served"),
    "done": N_("Served"),
    "no_show": N_("Called, did not come"),
}


def own_path(city: City, appointment: Appointment) -> str:
    return (
        f"/{city.slug}/appointment/{appointment.reference}/{booking.token_for(city, appointment)}"
    )


def ticket_path(city: City, ticket: Ticket) -> str:
    return f"/{city.slug}/ticket/{ticket.id}/{queue.token_for(city, ticket)}"


def days_of(slots: list[Slot], count: int) -> OrderedDict[date, list[Slot]]:
    """The first ``count`` days that have free times, each with its times."""
    found: OrderedDict[date, list[Slot]] = OrderedDict()
    for slot in slots:
        day = slot.start.date()
        if day not in found:
            if len(found) == count:
                break
            found[day] = []
        found[day].append(slot)
    return found


def first_day(city: City, raw: str = "") -> date:
    """The day a page of times starts: the one asked for (YYYY-MM-DD), never before today."""
    today = calendar.local_now(city, utcnow()).date()
    try:
        asked = date.fromisoformat(raw[:10]) if raw else today
    except ValueError:
        asked = today
    return max(asked, today)


def times(
    db: Session,
    city: City,
    office: Office,
    want: booking.Visit,
    first: date,
    *,
    excluding: int | None = None,
) -> tuple[OrderedDict[date, list[Slot]], date | None]:
    """Free times of the next open days from ``first``, and the day the next page starts."""
    now = utcnow()
    spec = definition_of(office)
    last = calendar.local_now(city, now).date() + timedelta(days=spec.booking.days_ahead)
    slots = calendar.free_slots(
        db, city, office, want.main.code, want.minutes, first, last, now=now, excluding=excluding
    )
    shown = days_of(slots, DAYS_SHOWN)
    later = [s for s in slots if s.start.date() > max(shown, default=first)]
    return shown, later[0].start.date() if later else None


MAX_SERVICES = 4  # services one visit may combine


def offices_offering(db: Session, city: City, codes: list[str]) -> list[Office]:
    """The offices that offer every one of the services."""
    found: list[Office] | None = None
    for code in codes:
        here = offices_for_service(db, city, code)
        found = here if found is None else [o for o in found if o in here]
    return found or []


def _services(db: Session, city: City, codes: list[str]) -> list[Service]:
    chosen = list(dict.fromkeys(c.strip()[:60] for c in codes if c and c.strip()))
    if not chosen:
        raise InvalidInput(
            "Choose a service.", problems=[Problem("service", N_("Choose a service."))]
        )
    if len(chosen) > MAX_SERVICES:
        raise InvalidInput(
            "Choose at most {count} services for one visit.",
            problems=[
                Problem(
                    "service",
                    N_("Choose at most {count} services for one visit."),
                    {"count": MAX_SERVICES},
                )
            ],
            count=MAX_SERVICES,
        )
    return [_service(db, city, code) for code in chosen]


def _service(db: Session, city: City, code: str) -> Service:
    return get_service(db, city, code=code)


@router.get("/{city}/appointments", response_class=HTMLResponse, response_model=None)
def index(request: Request, city: CurrentCity, db: DbSession) -> Response:
    """Choose a service: those the city's offices offer, with where."""
    found: OrderedDict[str, dict[str, Any]] = OrderedDict()
    for office in offices(db, city):
        for _row, service in offered(db, city, office):
            entry = found.setdefault(service.code, {"service": service, "offices": []})
            entry["offices"].append(office)
    services = sorted(found.values(), key=lambda e: pick(e["service"].name, request.state.lang))
    return page(
        request, "appointments/index.html", {"services": services, "offices": offices(db, city)}
    )


def _booking_page(
    request: Request,
    db: Session,
    city: City,
    services: list[Service],
    office: Office | None,
    *,
    first: date | None = None,
    values: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
    alternatives: list[Slot] | None = None,
    status: int = 200,
) -> Response:
    codes = [s.code for s in services]
    context: dict[str, Any] = {
        "services": services,
        "service": services[0],
        "codes": codes,
        # the services asked for, as the address's query (an office's and a later page's)
        "chosen": "&".join(f"service={quote(c)}" for c in codes),
        "office": office,
        "values": values or {},
        "problems": problems or {},
        "alternatives": alternatives or [],
    }
    if office is None:
        choices = []
        now = utcnow()
        for candidate in offices_offering(db, city, codes):
            want = booking.visit(db, city, candidate, codes)
            nxt = calendar.next_free(db, city, candidate, want.main.code, want.minutes, now=now)
            choices.append((candidate, nxt))
        context["choices"] = choices
        return page(request, "appointments/offices.html", context, status=status)
    want = booking.visit(db, city, office, codes)
    shown, later = times(db, city, office, want, first or first_day(city))
    context |= {
        "spec": definition_of(office),
        "basemap": map_config(db, city, get_settings()),
        "minutes": want.minutes,
        "days": shown,
        "later": later,
        "first": first,
    }
    return page(request, "appointments/times.html", context, status=status)


@router.get("/{city}/appointments/book", response_class=HTMLResponse, response_model=None)
def book_page(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    service: Annotated[list[str], Query(max_length=MAX_SERVICES * 2)] = [],  # noqa: B006
    office: str = "",
    start: str = "",
    application: str = "",
    sig: str = "",
) -> Response:
    """Choose an office (when several offer the services), then a time, with one's details
    (``application`` and its ``sig``: booked for that application, from its page)."""
    if not any(s.strip() for s in service):
        return go(request, f"/{city.slug}/appointments")
    found = _services(db, city, service)
    place = office_by_code(db, city, office[:60]) if office else None
    if place is None:
        candidates = offices_offering(db, city, [s.code for s in found])
        if len(candidates) == 1:
            place = candidates[0]
        elif not candidates:
            raise NotFound("No office offers these services together by appointment.")
    values = {"application": application[:12], "sig": sig[:64]}
    return _booking_page(
        request, db, city, found, place, first=first_day(city, start), values=values
    )


@router.post("/{city}/appointments/book", response_model=None)
async def hold(request: Request, city: CurrentCity, db: DbSession) -> Response:
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    fields = ("office", "start", "name", "email", "phone", "language", "application")
    values = {k: str(form.get(k, ""))[:300] for k in (*fields, "sig")}
    codes = [str(c)[:60] for c in form.getlist("service")][: MAX_SERVICES + 1]
    application_id = None
    raw = values["application"]
    signed = application_sign(city, int(raw)) if raw.isdigit() and len(raw) < 12 else ""
    if signed and secrets.compare_digest(signed, values["sig"]):
        application_id = int(raw)
    found = _services(db, city, codes)
    place = office_by_code(db, city, values["office"][:60])
    lang = request.state.lang
    if not values["start"]:
        problems = {"start": translate(lang, "Choose a time.")}
        return _booking_page(
            request, db, city, found, place, values=values, problems=problems, status=400
        )
    try:
        held = booking.book(
            db,
            city,
            office=place,
            services=[s.code for s in found],
            start=values["start"],
            name=values["name"],
            email=values["email"],
            phone=values["phone"] or None,
            language=values["language"] if values["language"] in city.languages else lang,
            channel="online",
            hold=True,
            client=client_address(request),
            application_id=application_id,
        )
    except booking.SlotTaken as taken:
        db.rollback()
        problems = {"start": taken.text(lang)}
        return _booking_page(
            request,
            db,
            city,
            found,
            place,
            values=values,
            problems=problems,
            alternatives=taken.alternatives,
            status=409,
        )
    except CivitasError as exc:
        db.rollback()
        problems = problems_by_field(lang, exc, fallback="start")
        return _booking_page(
            request, db, city, found, place, values=values, problems=problems, status=exc.status
        )
    db.commit()
    return go(request, own_path(city, held) + "/confirm")


def _own(db: Session, city: City, reference: str, token: str) -> Appointment:
    return booking.by_token(db, city, reference[:12], token[:80])


def _view(db: Session, city: City, appointment: Appointment, lang: str) -> dict[str, Any]:
    office = db.get(Office, appointment.office_id)
    assert office is not None
    ticket = None
    place = None
    if appointment.status == "checked_in":
        ticket = db.scalar(select(Ticket).where(Ticket.appointment_id == appointment.id))
        if ticket is not None:
            place = queue.place_of(db, city, ticket)
    return {
        "appointment": appointment,
        "office": office,
        "spec": definition_of(office),
        "services": booking.services_text(db, city, appointment, lang),
        "status_label": STATUS_LABELS.get(appointment.status, appointment.status),
        "path": own_path(city, appointment),
        "ticket": ticket,
        "place": place,
        "upcoming": appointment.status in ("held", "booked") and appointment.start > utcnow(),
        "basemap": map_config(db, city, get_settings()),
    }


@router.get(
    "/{city}/appointment/{reference}/{token}/confirm",
    response_class=HTMLResponse,
    response_model=None,
)
def confirm_page(
    request: Request, city: CurrentCity, db: DbSession, reference: str, token: str
) -> Response:
    appointment = _own(db, city, reference, token)
    if appointment.status != "held":
        return go(request, own_path(city, appointment))
    return page(
        request, "appointments/confirm.html", _view(db, city, appointment, request.state.lang)
    )


@router.post("/{city}/appointment/{reference}/{token}/confirm", response_model=None)
async def confirm(
    request: Request, city: CurrentCity, db: DbSession, reference: str, token: str
) -> Response:
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    appointment = _own(db, city, reference, token)
    try:
        booking.confirm(db, city, appointment)
    except booking.SlotTaken as taken:
        db.rollback()
        services = [db.get(Service, s["id"]) for s in appointment.services]
        place = db.get(Office, appointment.office_id)
        problems = {"start": taken.text(request.state.lang)}
        values = {
            "name": appointment.name,
            "email": appointment.email,
            "phone": appointment.phone or "",
            "language": appointment.language,
        }
        return _booking_page(
            request,
            db,
            city,
            [s for s in services if s is not None],
            place,
            values=values,
            problems=problems,
            alternatives=taken.alternatives,
            status=409,
        )
    db.commit()
    kick_outbox()
    return go(request, own_path(city, appointment) + "?booked=1")


@router.get(
    "/{city}/appointment/{reference}/{token}", response_class=HTMLResponse, response_model=None
)
def own_page(
    request: Request, city: CurrentCity, db: DbSession, reference: str, token: str
) -> Response:
    appointment = _own(db, city, reference, token)
    context = _view(db, city, appointment, request.state.lang)
    context["booked"] = request.query_params.get("booked") == "1"
    context["done"] = request.query_params.get("done", "")
    return page(request, "appointments/own.html", context)


@router.get("/{city}/appointment/{reference}/{token}/appointment.ics", response_model=None)
def invitation(city: CurrentCity, db: DbSession, reference: str, token: str) -> Response:
    appointment = _own(db, city, reference, token)
    office = db.get(Office, appointment.office_id)
    assert office is not None
    method = "CANCEL" if appointment.status == "cancelled" else "REQUEST"
    text = booking.invitation(db, city, office, appointment, method)
    return Response(
        text,
        media_type=f"text/calendar; charset=utf-8; method={method}",
        headers={
            "content-disposition": f'attachment; filename="appointment-{appointment.reference}.ics"'
        },
    )


@router.post("/{city}/appointment/{reference}/{token}/cancel", response_model=None)
async def cancel(
    request: Request, city: CurrentCity, db: DbSession, reference: str, token: str
) -> Response:
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    appointment = _own(db, city, reference, token)
    booking.cancel(db, city, appointment)
    db.commit()
    kick_outbox()
    return go(request, own_path(city, appointment) + "?done=cancelled")


@router.get(
    "/{city}/appointment/{reference}/{token}/change",
    response_class=HTMLResponse,
    response_model=None,
)
def change_page(
    request: Request, city: CurrentCity, db: DbSession, reference: str, token: str, start: str = ""
) -> Response:
    appointment = _own(db, city, reference, token)
    return _change_page(request, db, city, appointment, start=start)


def _change_page(
    request: Request,
    db: Session,
    city: City,
    appointment: Appointment,
    *,
    start: str = "",
    problems: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    context = _view(db, city, appointment, request.state.lang)
    if not context["upcoming"] or appointment.status != "booked":
        return go(request, own_path(city, appointment))
    office = context["office"]
    want = booking.visit(db, city, office, [s["code"] for s in appointment.services])
    shown, later = times(db, city, office, want, first_day(city, start), excluding=appointment.id)
    context |= {"days": shown, "later": later, "problems": problems or {}, "minutes": want.minutes}
    return page(request, "appointments/change.html", context, status=status)


@router.post("/{city}/appointment/{reference}/{token}/change", response_model=None)
async def change(
    request: Request, city: CurrentCity, db: DbSession, reference: str, token: str
) -> Response:
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    appointment = _own(db, city, reference, token)
    start = str(form.get("start", ""))[:40]
    try:
        if not start:
            raise InvalidInput("Choose a time.", problems=[Problem("start", N_("Choose a time."))])
        booking.move(db, city, appointment, start)
    except CivitasError as exc:
        db.rollback()
        problems = problems_by_field(request.state.lang, exc, fallback="start")
        return _change_page(request, db, city, appointment, problems=problems, status=exc.status)
    db.commit()
    kick_outbox()
    return go(request, own_path(city, appointment) + "?done=moved")


# -- the office's kiosk, display and a ticket's page ----------------------------------------


@router.get("/{city}/offices/{office}/kiosk", response_class=HTMLResponse, response_model=None)
def kiosk(
    request: Request, city: CurrentCity, db: DbSession, office: str, problem: str = ""
) -> Response:
    found = office_by_code(db, city, office[:60])
    return page(
        request,
        "appointments/kiosk.html",
        {
            "office": found,
            "services": offered(db, city, found),
            "open": queue.is_open(city, found, utcnow()),
            "problems": {},
        },
    )


def _kiosk_refused(
    request: Request, db: Session, city: City, office: Office, exc: CivitasError, field: str
) -> Response:
    return page(
        request,
        "appointments/kiosk.html",
        {
            "office": office,
            "services": offered(db, city, office),
            "open": queue.is_open(city, office, utcnow()),
            "problems": problems_by_field(
                request.state.lang, exc, fallback=field, field=lambda _: field
            ),
        },
        status=exc.status,
    )


@router.post("/{city}/offices/{office}/kiosk", response_model=None)
async def take_ticket(request: Request, city: CurrentCity, db: DbSession, office: str) -> Response:
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    found = office_by_code(db, city, office[:60])
    try:
        ticket = queue.issue(db, city, found, str(form.get("service", ""))[:60], channel="kiosk")
    except CivitasError as exc:
        db.rollback()
        return _kiosk_refused(request, db, city, found, exc, "service")
    db.commit()
    return go(request, ticket_path(city, ticket))


@router.post("/{city}/offices/{office}/kiosk/check-in", response_model=None)
async def kiosk_check_in(
    request: Request, city: CurrentCity, db: DbSession, office: str
) -> Response:
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    found = office_by_code(db, city, office[:60])
    reference = str(form.get("reference", "")).strip().upper()[:12]
    try:
        appointment = db.scalar(
            select(Appointment).where(
                Appointment.reference == reference, Appointment.office_id == found.id
            )
        )
        if appointment is None:
            raise InvalidInput(
                "No appointment here with this reference.",
                problems=[
                    Problem(
                        "reference",
                        N_(
                            "No appointment at this office has this reference; it is in your "
                            "confirmation e-mail (8 letters and digits)."
                        ),
                    )
                ],
            )
        ticket = queue.check_in(db, city, appointment)
    except CivitasError as exc:
        db.rollback()
        return _kiosk_refused(request, db, city, found, exc, "reference")
    db.commit()
    return go(request, ticket_path(city, ticket))


@router.get("/{city}/ticket/{ticket_id}/{token}", response_class=HTMLResponse, response_model=None)
def ticket_page(
    request: Request, city: CurrentCity, db: DbSession, ticket_id: RowId, token: str
) -> Response:
    ticket = queue.by_token(db, city, ticket_id, token[:80])
    office = db.get(Office, ticket.office_id)
    counter = None
    if ticket.counter_id is not None:
        from civitas.appointments.models import Counter

        counter = db.get(Counter, ticket.counter_id)
    return page(
        request,
        "appointments/ticket.html",
        {
            "ticket": ticket,
            "office": office,
            "counter": counter,
            "place": queue.place_of(db, city, ticket),
            "status_label": TICKET_LABELS.get(ticket.status, ticket.status),
            "service": db.get(Service, ticket.service_id),
            "path": ticket_path(city, ticket),
        },
    )


def _calls(db: Session, city: City, office: Office, lang: str) -> list[dict[str, Any]]:
    now = utcnow()
    return [
        {
            "ticket": c.code,
            "counter": pick(c.counter.name, lang),
            "at": c.at.isoformat(),
            "calls": c.calls,
        }
        for c in queue.calls(db, city, office, now=now)
    ]


@router.get("/{city}/offices/{office}/display", response_class=HTMLResponse, response_model=None)
def display(request: Request, city: CurrentCity, db: DbSession, office: str) -> Response:
    found = office_by_code(db, city, office[:60])
    now = utcnow()
    return page(
        request,
        "appointments/display.html",
        {
            "office": found,
            "calls": _calls(db, city, found, request.state.lang),
            "waiting": len(queue.waiting(db, city, found, now=now)),
        },
    )


@router.get("/{city}/offices/{office}/display.json", response_model=None)
def display_data(request: Request, city: CurrentCity, db: DbSession, office: str) -> Response:
    found = office_by_code(db, city, office[:60])
    now = utcnow()
    return JSONResponse(
        {
            "calls": _calls(db, city, found, request.state.lang),
            "waiting": len(queue.waiting(db, city, found, now=now)),
        },
        headers={"cache-control": "no-store"},
    )


def service_panel(request: Request, *, city: City, db: Session, service: Service) -> Any:
    """On a service's page: book an appointment, at the offices that offer it."""
    from civitas.web.templating import fragment

    found = offices_for_service(db, city, service.code)
    if not found:
        return None
    return fragment(
        request, "appointments/_service_panel.html", {"service": service, "offices": found}
    )


def application_sign(city: City, application_id: int) -> str:
    """The signature that lets a booking name an application (only its own page's link)."""
    from civitas.core.config import get_settings
    from civitas.core.security import sign

    return sign(get_settings().secret_key, f"appointment-for:{city.id}:{application_id}")[:32]


def application_panel(
    request: Request,
    *,
    city: City,
    db: Session,
    application: Any,
    service: Service,
    in_person: bool,
) -> Any:
    """On a sent application's page, when the applicant must come once: the appointment
    booked for it, or a button to book one."""
    from civitas.web.templating import fragment

    if not in_person or application.status != "submitted":
        return None
    if not offices_for_service(db, city, service.code):
        return None
    booked = db.scalar(
        select(Appointment)
        .where(
            Appointment.application_id == application.id,
            Appointment.status.in_(("held", "booked", "checked_in")),
        )
        .order_by(Appointment.start)
    )
    return fragment(
        request,
        "appointments/_application_panel.html",
        {
            "service": service,
            "booked": booked,
            "booked_path": own_path(city, booked) if booked else None,
            "application_id": application.id,
            "sig": application_sign(city, application.id),
        },
    )
