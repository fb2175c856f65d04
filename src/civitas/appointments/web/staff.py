"""The office's side: the offices' overview with today's figures, the front desk (today's
appointments to check in, a ticket for a walk-in, the line, booking for a caller), the
counter workstation (call next, call again, missed, start, finish, transfer) and the
office editor (YAML, checked, with every problem on its line)."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.accounts.service import Principal
from civitas.appointments import booking, calendar, queue
from civitas.appointments import offices as office_service
from civitas.appointments.models import Appointment, Counter, Office, Ticket
from civitas.appointments.offices import counters_of, offered, office_by_code
from civitas.appointments.permissions import AppointmentPermission as P
from civitas.appointments.web.pages import (
    STATUS_LABELS,
    TICKET_LABELS,
    first_day,
    ticket_path,
    times,
)
from civitas.catalogue.models import Service
from civitas.cities.models import City
from civitas.core.db import utcnow
from civitas.core.errors import CivitasError, InvalidInput, NotFound, Problem
from civitas.core.i18n import N_
from civitas.core.permissions import Role
from civitas.web.actions import go
from civitas.web.deps import CurrentCity, DbSession, OptionalPrincipal, RowId, staff_page
from civitas.web.forms import problem_list, problems_by_field
from civitas.web.jobs import kick_outbox
from civitas.web.routers import Router
from civitas.web.templating import page, require_csrf

router = Router(include_in_schema=False)


def username(who: Principal) -> str:
    """The member of staff's user name, as an office's services list who may serve them."""
    return who.label.removeprefix("user:")


def _day_figures(db: Session, city: City, office: Office) -> dict[str, Any]:
    """Today at the office: waiting now, served, and the waits so far (minutes)."""
    now = utcnow()
    today = queue.today(city, now)
    tickets = list(
        db.scalars(select(Ticket).where(Ticket.office_id == office.id, Ticket.day == today))
    )
    waits = [
        max(0.0, (t.first_called_at - t.due_at).total_seconds() / 60)
        for t in tickets
        if t.first_called_at is not None
    ]
    return {
        "waiting": sum(1 for t in tickets if t.status == "waiting"),
        "served": sum(1 for t in tickets if t.status == "done"),
        "wait_median": round(statistics.median(waits)) if waits else None,
        "wait_longest_now": max(
            (
                (now - t.due_at).total_seconds() / 60
                for t in tickets
                if t.status == "waiting" and t.due_at <= now
            ),
            default=None,
        ),
        "open": queue.is_open(city, office, now),
    }


@router.get("/{city}/staff/offices", response_class=HTMLResponse, response_model=None)
def overview(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    if isinstance(who := staff_page(city, principal, P.APPOINTMENT_BOOK), Response):
        return who
    found = office_service.offices(db, city)
    return page(
        request,
        "appointments/staff_offices.html",
        {
            "offices": [(o, _day_figures(db, city, o), counters_of(db, city, o)) for o in found],
            "can_edit": who.can(P.OFFICE_WRITE),
            "can_serve": who.can(P.QUEUE_SERVE),
        },
    )


def _desk(
    request: Request,
    db: Session,
    city: City,
    office: Office,
    who: Principal,
    *,
    problems: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    now = utcnow()
    today = queue.today(city, now)
    start = calendar.at(city, today, 0)
    end = calendar.at(city, today + timedelta(days=1), 0)
    appointments = list(
        db.scalars(
            select(Appointment)
            .where(
                Appointment.office_id == office.id,
                Appointment.start >= start,
                Appointment.start < end,
                Appointment.status.in_(("booked", "checked_in", "done", "no_show")),
            )
            .order_by(Appointment.start)
        )
    )
    names = {s.id: s for _, s in offered(db, city, office)}
    ticket = None
    if request.query_params.get("ticket", "").isdigit():
        ticket = db.get(Ticket, int(request.query_params["ticket"]))
    return page(
        request,
        "appointments/staff_desk.html",
        {
            "office": office,
            "figures": _day_figures(db, city, office),
            "appointments": appointments,
            "line": queue.waiting(db, city, office, now=now),
            "services": offered(db, city, office),
            "names": names,
            "counters": counters_of(db, city, office),
            "status_labels": STATUS_LABELS,
            "problems": problems or {},
            "ticket": ticket,
            "ticket_link": ticket_path(city, ticket) if ticket else None,
            "can_serve": who.can(P.QUEUE_SERVE),
            "done": request.query_params.get("done", ""),
        },
        status=status,
    )


@router.get("/{city}/staff/offices/{office}", response_class=HTMLResponse, response_model=None)
def desk(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal, office: str
) -> Response:
    if isinstance(who := staff_page(city, principal, P.APPOINTMENT_BOOK), Response):
        return who
    return _desk(request, db, city, office_by_code(db, city, office[:60]), who)


def _desk_action(
    request: Request,
    db: Session,
    city: City,
    principal: Principal | None,
    office: str,
    form: Any,
    change: Callable[[Office], str],
    field: str,
) -> Response:
    if isinstance(who := staff_page(city, principal, P.APPOINTMENT_BOOK), Response):
        return who
    require_csrf(request, str(form.get("csrf", "")))
    found = office_by_code(db, city, office[:60])
    try:
        where = change(found)
    except CivitasError as exc:
        db.rollback()
        problems = problems_by_field(request.state.lang, exc, fallback=field, field=lambda _: field)
        return _desk(request, db, city, found, who, problems=problems, status=exc.status)
    db.commit()
    return go(request, where)


@router.post("/{city}/staff/offices/{office}/tickets", response_model=None)
async def desk_ticket(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal, office: str
) -> Response:
    form = await request.form()

    def change(found: Office) -> str:
        ticket = queue.issue(db, city, found, str(form.get("service", ""))[:60], channel="desk")
        return f"/{city.slug}/staff/offices/{found.code}?ticket={ticket.id}"

    return _desk_action(request, db, city, principal, office, form, change, "service")


@router.post("/{city}/staff/offices/{office}/check-in", response_model=None)
async def desk_check_in(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal, office: str
) -> Response:
    form = await request.form()

    def change(found: Office) -> str:
        raw = str(form.get("appointment", ""))
        appointment = db.get(Appointment, int(raw)) if raw.isdigit() and len(raw) < 12 else None
        if appointment is None or appointment.office_id != found.id:
            raise NotFound("No such appointment at this office.")
        ticket = queue.check_in(db, city, appointment)
        return f"/{city.slug}/staff/offices/{found.code}?ticket={ticket.id}"

    return _desk_action(request, db, city, principal, office, form, change, "appointments")


# -- the counter workstation ------------------------------------------------------------------


def _counter(db: Session, city: City, office: Office, counter_id: int) -> Counter:
    found = db.get(Counter, counter_id)
    if found is None or found.office_id != office.id or not found.active:
        raise NotFound("No such counter at this office.")
    return found


def _workstation(
    request: Request,
    db: Session,
    city: City,
    office: Office,
    counter: Counter,
    who: Principal,
    *,
    problems: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    now = utcnow()
    current = queue.current(db, city, counter, now=now)
    line = queue.waiting(db, city, office, now=now)
    pairs = offered(db, city, office)
    known = office_service.offers(db, city, office)
    mine = [t for t in line if queue.can_serve(t, counter, username(who), known)]
    return page(
        request,
        "appointments/staff_counter.html",
        {
            "office": office,
            "counter": counter,
            "current": current,
            "service": db.get(Service, current.service_id) if current else None,
            "mine": mine,
            "line": line,
            "names": {s.id: s for _, s in pairs},
            "services": pairs,
            "counters": [c for c in counters_of(db, city, office) if c.id != counter.id],
            "labels": TICKET_LABELS,
            "problems": problems or {},
            "nobody": request.query_params.get("nobody") == "1",
        },
        status=status,
    )


@router.get(
    "/{city}/staff/offices/{office}/counters/{counter_id}",
    response_class=HTMLResponse,
    response_model=None,
)
def workstation(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    office: str,
    counter_id: RowId,
) -> Response:
    if isinstance(who := staff_page(city, principal, P.QUEUE_SERVE), Response):
        return who
    found = office_by_code(db, city, office[:60])
    return _workstation(request, db, city, found, _counter(db, city, found, counter_id), who)


ACTIONS = ("next", "again", "missed", "start", "finish", "transfer")


@router.post("/{city}/staff/offices/{office}/counters/{counter_id}/{action}", response_model=None)
async def counter_action(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    office: str,
    counter_id: RowId,
    action: str,
) -> Response:
    if isinstance(who := staff_page(city, principal, P.QUEUE_SERVE), Response):
        return who
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    if action not in ACTIONS:
        raise NotFound("No such action.")
    found = office_by_code(db, city, office[:60])
    counter = _counter(db, city, found, counter_id)
    here = f"/{city.slug}/staff/offices/{found.code}/counters/{counter.id}"
    now = utcnow()
    try:
        if action == "next":
            queue.mark_no_shows(db, city, now=now)
            called = queue.call_next(db, city, found, counter, staff=username(who), now=now)
            if called is None:
                db.commit()
                return go(request, here + "?nobody=1")
        else:
            current = queue.current(db, city, counter, now=now)
            if current is None:
                raise InvalidInput(
                    "Nobody is at this counter: call the next first.",
                    problems=[
                        Problem("ticket", N_("Nobody is at this counter: call the next first."))
                    ],
                )
            if action == "again":
                queue.call_again(db, city, current, counter, now=now)
            elif action == "missed":
                queue.no_show(db, city, current, counter, now=now)
            elif action == "start":
                queue.start(db, city, current, counter, now=now)
            elif action == "finish":
                queue.finish(db, city, current, counter, now=now)
            else:
                target = str(form.get("to", ""))
                to_counter = None
                to_service = None
                if target.startswith("counter:") and target[8:].isdigit() and len(target) < 20:
                    to_counter = _counter(db, city, found, int(target[8:]))
                elif target.startswith("service:"):
                    to_service = target[8:68]
                queue.transfer(
                    db,
                    city,
                    current,
                    counter,
                    to_counter=to_counter,
                    to_service=to_service,
                    now=now,
                )
    except CivitasError as exc:
        db.rollback()
        problems = problems_by_field(
            request.state.lang,
            exc,
            fallback="ticket",
            field=lambda _: "ticket" if action != "transfer" else "to",
        )
        return _workstation(
            request, db, city, found, counter, who, problems=problems, status=exc.status
        )
    db.commit()
    return go(request, here)


# -- booking for a caller -------------------------------------------------------------------


@router.get("/{city}/staff/offices/{office}/book", response_class=HTMLResponse, response_model=None)
def staff_book_page(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    office: str,
    service: str = "",
    start: str = "",
) -> Response:
    if isinstance(who := staff_page(city, principal, P.APPOINTMENT_BOOK), Response):
        return who
    found = office_by_code(db, city, office[:60])
    return _staff_book(request, db, city, found, service[:60], start=start)


def _staff_book(
    request: Request,
    db: Session,
    city: City,
    office: Office,
    code: str,
    *,
    start: str = "",
    values: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
    alternatives: list[Any] | None = None,
    status: int = 200,
) -> Response:
    pairs = offered(db, city, office)
    chosen = next((s for _, s in pairs if s.code == code), pairs[0][1] if pairs else None)
    context: dict[str, Any] = {
        "office": office,
        "services": pairs,
        "service": chosen,
        "values": values or {},
        "problems": problems or {},
        "alternatives": alternatives or [],
        "days": {},
        "later": None,
    }
    if chosen is not None:
        want = booking.visit(db, city, office, [chosen.code])
        context["days"], context["later"] = times(db, city, office, want, first_day(city, start))
    return page(request, "appointments/staff_book.html", context, status=status)


@router.post("/{city}/staff/offices/{office}/book", response_model=None)
async def staff_book(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal, office: str
) -> Response:
    if isinstance(who := staff_page(city, principal, P.APPOINTMENT_BOOK), Response):
        return who
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    found = office_by_code(db, city, office[:60])
    values = {
        k: str(form.get(k, ""))[:300]
        for k in ("service", "start", "name", "email", "phone", "language")
    }
    lang = request.state.lang
    channel = "hotline" if Role.AGENT in who.roles else "staff"
    try:
        if not values["start"]:
            raise InvalidInput("Choose a time.", problems=[Problem("start", N_("Choose a time."))])
        made = booking.book(
            db,
            city,
            office=found,
            services=[values["service"]],
            start=values["start"],
            name=values["name"],
            email=values["email"],
            phone=values["phone"] or None,
            language=values["language"]
            if values["language"] in city.languages
            else city.default_language,
            channel=channel,
            actor=who.label,
        )
    except booking.SlotTaken as taken:
        db.rollback()
        return _staff_book(
            request,
            db,
            city,
            found,
            values["service"],
            values=values,
            problems={"start": taken.text(lang)},
            alternatives=taken.alternatives,
            status=409,
        )
    except CivitasError as exc:
        db.rollback()
        return _staff_book(
            request,
            db,
            city,
            found,
            values["service"],
            values=values,
            problems=problems_by_field(lang, exc, fallback="start"),
            status=exc.status,
        )
    db.commit()
    kick_outbox()
    return go(request, f"/{city.slug}/staff/offices/{found.code}?done=booked:{made.reference}")


# -- the office editor ------------------------------------------------------------------------

TEMPLATE = """code: new-office
name: {es: Nueva oficina, de: Neues Büro, en: New office}
address: Plaza Mayor 1
lat: 0.0
lon: 0.0
hours:
  - {days: [mo, tu, we, th, fr], opens: "08:00", closes: "16:00"}
counters:
  - {code: "1", name: {es: Ventanilla 1, de: Schalter 1, en: Counter 1}}
services:
  - {service: SERVICE-CODE, minutes: 15, letter: A}
booking:
  slot_minutes: 15
  days_ahead: 30
"""


def _editor(
    request: Request,
    city: City,
    text: str,
    *,
    office: Office | None,
    problems: list[dict[str, str]] | None = None,
    checked: bool = False,
    saved: bool = False,
    status: int = 200,
) -> Response:
    return page(
        request,
        "appointments/staff_edit.html",
        {
            "office": office,
            "text": text,
            "problems": problems or [],
            "checked": checked,
            "saved": saved,
        },
        status=status,
    )


@router.get("/{city}/staff/offices/{office}/edit", response_class=HTMLResponse, response_model=None)
def edit_page(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal, office: str
) -> Response:
    if isinstance(who := staff_page(city, principal, P.OFFICE_WRITE), Response):
        return who
    if office == "new":
        return _editor(request, city, TEMPLATE, office=None)
    found = office_by_code(db, city, office[:60])
    return _editor(
        request, city, found.source, office=found, saved=request.query_params.get("saved") == "1"
    )


@router.post("/{city}/staff/offices/{office}/edit", response_model=None)
async def edit(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal, office: str
) -> Response:
    if isinstance(who := staff_page(city, principal, P.OFFICE_WRITE), Response):
        return who
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    text = str(form.get("text", ""))[:100_000]
    found = None if office == "new" else office_by_code(db, city, office[:60])
    try:
        if form.get("action") == "check":
            office_service.read_source(db, city, text)
            return _editor(request, city, text, office=found, checked=True)
        saved = office_service.save_office(db, city, text=text, actor=who.label)
        if found is not None and saved.id != found.id:
            raise InvalidInput(
                "The code names another office; keep this office's code.",
                problems=[
                    Problem(
                        "code",
                        N_("The code names another office; keep this office's code ({code})."),
                        {"code": found.code},
                    )
                ],
            )
    except CivitasError as exc:
        db.rollback()
        return _editor(
            request,
            city,
            text,
            office=found,
            problems=problem_list(request.state.lang, exc),
            status=exc.status,
        )
    db.commit()
    return go(request, f"/{city.slug}/staff/offices/{saved.code}/edit?saved=1")
