"""The waiting room's one queue: walk-ins' tickets and the day's appointments checked in,
called to counters, served, transferred, finished; followed on a phone without an account.

The order: an appointment whose time has come goes first (by its time), then everyone
else by when they joined the line (a walk-in's arrival, an early appointment's time).
A transferred visit keeps its place. Every change of a ticket first locks the office's
day (booking.lock_day), so two counters pressing "call next" at once call two people.
Every function takes ``now``: the benchmark drives the same code on a simulated clock."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from civitas.appointments import calendar
from civitas.appointments.booking import lock_day, visit
from civitas.appointments.models import (
    Appointment,
    Counter,
    Office,
    Ticket,
)
from civitas.appointments.offices import Offer, counters_of, definition_of, offers
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.config import get_settings
from civitas.core.db import utcnow
from civitas.core.errors import Conflict, InvalidInput, NotFound, Problem
from civitas.core.i18n import N_
from civitas.core.security import sign

ACTIVE = ("called", "serving")


def today(city: City, now: datetime) -> date:
    return calendar.local_now(city, now).date()


def _service(db: Session, city: City, office: Office, code: str) -> Offer:
    """The office's offer of a service (refused by name, as booking refuses it, when it
    has none)."""
    for offer in offers(db, city, office).values():
        if offer.code == code:
            return offer
    visit(db, city, office, [code])  # raises, naming the field
    raise AssertionError("unreachable")


def _next_number(db: Session, city: City, office: Office, day: date) -> int:
    return lock_day(db, city, office, day, tickets=1)


def is_open(city: City, office: Office, now: datetime) -> bool:
    spec = definition_of(office)
    here = calendar.local_now(city, now)
    clock = here.time().replace(tzinfo=None)
    return any(o <= clock < c for o, c in calendar.openings(city, spec, here.date()))


def issue(
    db: Session,
    city: City,
    office: Office,
    service: str,
    *,
    channel: str = "kiosk",
    now: datetime | None = None,
    check_hours: bool = True,
) -> Ticket:
    """A walk-in's ticket for a service the office offers, while it is open."""
    enter_city(db, city)
    now = now or utcnow()
    offer = _service(db, city, office, service)
    if check_hours and not is_open(city, office, now):
        raise Conflict(N_("The office is closed now; tickets are given while it is open."))
    day = today(city, now)
    number = _next_number(db, city, office, day)
    ticket = Ticket(
        office_id=office.id,
        day=day,
        number=number,
        code=f"{offer.letter}{number:03d}",
        kind="walk_in",
        channel=channel,
        service_id=offer.service_id,
        status="waiting",
        arrived_at=now,
        due_at=now,
    )
    db.add(ticket)
    db.flush()
    return ticket


def check_in(
    db: Session, city: City, appointment: Appointment, *, now: datetime | None = None
) -> Ticket:
    """An appointment's holder has arrived: a ticket in the same queue, due at its time.
    Checking in twice gives the same ticket."""
    enter_city(db, city)
    now = now or utcnow()
    if appointment.status == "checked_in":
        found = db.scalar(select(Ticket).where(Ticket.appointment_id == appointment.id))
        if found is not None:
            return found
    if appointment.status == "no_show":
        raise Conflict(
            N_("This appointment was marked as missed; give the visitor a walk-in ticket.")
        )
    if appointment.status != "booked":
        raise Conflict(N_("Only a booked appointment can be checked in."))
    office = db.get(Office, appointment.office_id)
    assert office is not None
    day = today(city, now)
    if appointment.start.astimezone(calendar.local_now(city, now).tzinfo).date() != day:
        raise Conflict(N_("This appointment is on another day."))
    number = _next_number(db, city, office, day)
    letter = next(
        (
            o.letter
            for o in offers(db, city, office).values()
            if o.service_id == appointment.service_id
        ),
        "A",
    )
    ticket = Ticket(
        office_id=office.id,
        day=day,
        number=number,
        code=f"{letter or 'A'}{number:03d}",
        kind="appointment",
        channel="appointment",
        appointment_id=appointment.id,
        service_id=appointment.service_id,
        status="waiting",
        arrived_at=now,
        due_at=max(now, appointment.start),
    )
    appointment.status = "checked_in"
    appointment.checked_in_at = now
    db.add(ticket)
    db.flush()
    return ticket


def mark_no_shows(db: Session, city: City, *, now: datetime | None = None) -> int:
    """Appointments not checked in by ``no_show_minutes`` after their start: missed. Their
    counters' time goes to the queue (nobody waits for them)."""
    enter_city(db, city)
    now = now or utcnow()
    marked = 0
    for office in db.scalars(select(Office)):
        grace = timedelta(minutes=definition_of(office).booking.no_show_minutes)
        result = db.execute(
            update(Appointment)
            .where(
                Appointment.office_id == office.id,
                Appointment.status == "booked",
                Appointment.start < now - grace,
            )
            .values(status="no_show")
            .execution_options(synchronize_session=False)
        )
        marked += int(getattr(result, "rowcount", 0) or 0)
    return marked


# built once: the queue asks these on every call (building a statement costs more than
# running it on an office's day of tickets)
_WAITING = select(Ticket).where(
    Ticket.office_id == bindparam("office"),
    Ticket.day == bindparam("day"),
    Ticket.status == "waiting",
)
_OPEN = select(Ticket).where(
    Ticket.office_id == bindparam("office"),
    Ticket.day == bindparam("day"),
    Ticket.status.in_(("waiting", *ACTIVE)),
)
_CURRENT = select(Ticket).where(  # the office's own day first: its index answers
    Ticket.office_id == bindparam("office"),
    Ticket.day == bindparam("day"),
    Ticket.status.in_(ACTIVE),
    Ticket.counter_id == bindparam("counter"),
)


def waiting(db: Session, city: City, office: Office, *, now: datetime) -> list[Ticket]:
    """The day's waiting tickets in the order they will be called."""
    enter_city(db, city)
    found = list(db.scalars(_WAITING, {"office": office.id, "day": today(city, now)}))
    return sorted(found, key=lambda t: order_key(t, now))


def order_key(ticket: Ticket, now: datetime) -> tuple[int, datetime, int]:
    due_appointment = ticket.kind == "appointment" and ticket.due_at <= now
    return (0 if due_appointment else 1, ticket.due_at, ticket.number)


def can_serve(ticket: Ticket, counter: Counter, staff: str | None, known: dict[int, Offer]) -> bool:
    """Whether this counter (and this member of staff) may call the ticket."""
    if ticket.wanted_counter_id is not None and ticket.wanted_counter_id != counter.id:
        return False
    offer = known.get(ticket.service_id)
    code = offer.code if offer else ""
    if counter.services and code not in counter.services:
        return False
    allowed = offer.staff if offer else ()
    return not (staff and allowed and staff not in allowed)


def current(db: Session, city: City, counter: Counter, *, now: datetime) -> Ticket | None:
    """The ticket a counter has called or is serving today."""
    enter_city(db, city)
    params = {"office": counter.office_id, "counter": counter.id, "day": today(city, now)}
    return db.scalar(_CURRENT, params)


def call_next(
    db: Session,
    city: City,
    office: Office,
    counter: Counter,
    *,
    staff: str | None = None,
    now: datetime | None = None,
) -> Ticket | None:
    """Call the first waiting ticket this counter (and this member of staff) can serve;
    None when nobody waits for it."""
    enter_city(db, city)
    now = now or utcnow()
    day = today(city, now)
    lock_day(db, city, office, day)
    # the day's open tickets in one read: this counter's own, and the line
    open_now = list(db.scalars(_OPEN, {"office": office.id, "day": day}))
    busy = next((t for t in open_now if t.counter_id == counter.id and t.status in ACTIVE), None)
    if busy is not None:
        raise Conflict(
            N_("{ticket} is still at this counter: finish it or mark it as missed first."),
            ticket=busy.code,
        )
    known = offers(db, city, office)
    line = sorted((t for t in open_now if t.status == "waiting"), key=lambda t: order_key(t, now))
    for ticket in line:
        if can_serve(ticket, counter, staff, known):
            ticket.status = "called"
            ticket.called_at = now
            ticket.first_called_at = ticket.first_called_at or now
            ticket.calls += 1
            ticket.counter_id = counter.id
            ticket.served_by = staff
            db.flush()
            return ticket
    return None


def _at_counter(ticket: Ticket, counter: Counter, *states: str) -> None:
    if ticket.counter_id != counter.id or ticket.status not in states:
        raise Conflict(N_("{ticket} is not at this counter any more."), ticket=ticket.code)


def call_again(
    db: Session, city: City, ticket: Ticket, counter: Counter, *, now: datetime | None = None
) -> Ticket:
    now = now or utcnow()
    _at_counter(ticket, counter, "called")
    ticket.called_at = now
    ticket.calls += 1
    db.flush()
    return ticket


def no_show(
    db: Session, city: City, ticket: Ticket, counter: Counter, *, now: datetime | None = None
) -> Ticket:
    """Called and did not come: the counter is free for the next."""
    now = now or utcnow()
    _at_counter(ticket, counter, "called")
    ticket.status = "no_show"
    ticket.finished_at = now
    if ticket.appointment_id is not None:
        appointment = db.get(Appointment, ticket.appointment_id)
        if appointment is not None:
            appointment.status = "no_show"
    db.flush()
    return ticket


def start(
    db: Session, city: City, ticket: Ticket, counter: Counter, *, now: datetime | None = None
) -> Ticket:
    now = now or utcnow()
    if ticket.status == "serving" and ticket.counter_id == counter.id:
        return ticket
    _at_counter(ticket, counter, "called")
    ticket.status = "serving"
    ticket.serving_since = now
    db.flush()
    return ticket


def _stop_serving(ticket: Ticket, now: datetime) -> None:
    if ticket.serving_since is not None:
        ticket.served_seconds += max(0.0, (now - ticket.serving_since).total_seconds())
        ticket.serving_since = None


def finish(
    db: Session, city: City, ticket: Ticket, counter: Counter, *, now: datetime | None = None
) -> Ticket:
    """Done. A called ticket finished without "start" counts as served from its call."""
    now = now or utcnow()
    if ticket.status == "done":
        return ticket
    _at_counter(ticket, counter, *ACTIVE)
    if ticket.status == "called":
        ticket.serving_since = ticket.called_at
    _stop_serving(ticket, now)
    ticket.status = "done"
    ticket.finished_at = now
    if ticket.appointment_id is not None:
        appointment = db.get(Appointment, ticket.appointment_id)
        if appointment is not None:
            appointment.status = "done"
    db.flush()
    return ticket


def transfer(
    db: Session,
    city: City,
    ticket: Ticket,
    counter: Counter,
    *,
    to_counter: Counter | None = None,
    to_service: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Send the visit on: to another counter, or another service, keeping its place in
    line. It was called once: its waiting time is not counted again."""
    now = now or utcnow()
    _at_counter(ticket, counter, *ACTIVE)
    if to_counter is None and not to_service:
        raise InvalidInput(
            "Choose the counter or the service to transfer to.",
            problems=[Problem("to", N_("Choose the counter or the service to transfer to."))],
        )
    office = db.get(Office, ticket.office_id)
    assert office is not None
    if to_counter is not None and (
        to_counter.office_id != office.id or to_counter.id == counter.id
    ):
        raise InvalidInput(
            "Choose another counter of this office.",
            problems=[Problem("to", N_("Choose another counter of this office."))],
        )
    if to_service:
        ticket.service_id = _service(db, city, office, to_service).service_id
    _stop_serving(ticket, now)
    ticket.status = "waiting"
    ticket.wanted_counter_id = to_counter.id if to_counter is not None else None
    ticket.counter_id = None
    ticket.transfers += 1
    db.flush()
    return ticket


# -- following a place in line --------------------------------------------------------------


def token_for(city: City, ticket: Ticket) -> str:
    message = f"ticket:{city.id}:{ticket.id}:{ticket.day.isoformat()}:{ticket.number}"
    return sign(get_settings().secret_key, message)[:32]


def by_token(db: Session, city: City, ticket_id: int, token: str) -> Ticket:
    import secrets

    enter_city(db, city)
    found = db.get(Ticket, ticket_id)
    if found is None or not secrets.compare_digest(token_for(city, found), token or ""):
        raise NotFound("This link is not valid. Use the link on your ticket.")
    return found


@dataclass(frozen=True)
class Place:
    ahead: int  # people before this ticket
    minutes: int  # the estimated wait, rounded up


def mean_minutes(
    db: Session, city: City, office: Office, service_id: int, *, now: datetime
) -> float:
    """Today's mean processing time for the service (from five visits on), else the
    duration the office gives it."""
    done = list(
        db.scalars(
            select(Ticket.served_seconds).where(
                Ticket.office_id == office.id,
                Ticket.day == today(city, now),
                Ticket.service_id == service_id,
                Ticket.status == "done",
            )
        )
    )
    if len(done) >= 5:
        return statistics.fmean(done) / 60
    offer = offers(db, city, office).get(service_id)
    if offer is not None:
        return float(offer.minutes)
    return 10.0


def place_of(
    db: Session, city: City, ticket: Ticket, *, now: datetime | None = None
) -> Place | None:
    """Where a waiting ticket stands and about how long it waits; None once called."""
    now = now or utcnow()
    if ticket.status != "waiting":
        return None
    office = db.get(Office, ticket.office_id)
    assert office is not None
    counters = counters_of(db, city, office)
    known = offers(db, city, office)
    serving = [c for c in counters if can_serve(ticket, c, None, known)] or counters
    line = waiting(db, city, office, now=now)
    ahead = 0
    for other in line:
        if other.id == ticket.id:
            break
        if any(can_serve(other, c, None, known) for c in serving):
            ahead += 1
    mean = mean_minutes(db, city, office, ticket.service_id, now=now)
    minutes = math.ceil((ahead + 1) * mean / max(1, len(serving)))
    if ticket.kind == "appointment" and ticket.due_at > now:
        minutes = max(minutes, math.ceil((ticket.due_at - now).total_seconds() / 60))
    return Place(ahead, minutes)


@dataclass(frozen=True)
class Call:
    code: str
    counter: Counter
    at: datetime
    calls: int


def calls(db: Session, city: City, office: Office, *, now: datetime, limit: int = 8) -> list[Call]:
    """What the waiting room's display shows: the latest calls, newest first."""
    enter_city(db, city)
    counters = {c.id: c for c in counters_of(db, city, office)}
    rows = db.scalars(
        select(Ticket)
        .where(
            Ticket.office_id == office.id,
            Ticket.day == today(city, now),
            Ticket.called_at.is_not(None),
            Ticket.counter_id.is_not(None),
            Ticket.status.in_(ACTIVE),
        )
        .order_by(Ticket.called_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
    return [
        Call(t.code, counters[t.counter_id], t.called_at, t.calls)
        for t in rows
        if t.counter_id in counters and t.called_at is not None
    ]
