"""The JSON API of appointments: offices and free times (public), booking with the
resident's details (201, with the link to cancel and the iCalendar invitation), reading
and cancelling with the link's token."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.appointments import booking, calendar, queue
from civitas.appointments.models import Appointment, Office, Ticket
from civitas.appointments.offices import definition_of, offered, office_by_code, offices
from civitas.cities.models import City
from civitas.core import idempotency
from civitas.core.db import utcnow
from civitas.core.errors import InvalidInput, Problem
from civitas.core.i18n import N_
from civitas.notifications import service as outbox
from civitas.web.deps import CurrentCity, DbSession, client_address
from civitas.web.errors import error_body, request_language
from civitas.web.idempotent import run_once
from civitas.web.jobs import kick_outbox
from civitas.web.routers import Router

router = Router(prefix="/api/v1/cities/{city}/appointments", tags=["appointments"])
MAX_DAYS = 92


class ServiceOffered(BaseModel):
    code: str
    name: dict[str, str]
    minutes: int


class OfficeRead(BaseModel):
    code: str
    name: dict[str, str]
    address: str
    lat: float
    lon: float
    phone: str | None
    email: str | None
    services: list[ServiceOffered]
    days_ahead: int
    slot_minutes: int


class SlotRead(BaseModel):
    start: datetime
    remaining: int


class Slots(BaseModel):
    office: str
    service: str
    minutes: int
    slots: list[SlotRead]


class BookingIn(BaseModel):
    service: str = Field(min_length=1, max_length=60, description="a service code")
    office: str = Field(min_length=1, max_length=60, description="an office code")
    start: datetime = Field(description="ISO 8601, with an offset (else the city's time)")
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    language: str = Field(max_length=5)
    phone: str | None = Field(default=None, max_length=40)


class AppointmentRead(BaseModel):
    id: str  # the public reference
    status: str
    office: str
    service: str
    start: datetime
    end: datetime
    cancel_url: str
    place_in_line: int | None = None
    estimated_wait_minutes: int | None = None
    ticket: str | None = None


class Booked(AppointmentRead):
    ics: str


def _office_read(db: Session, city: City, office: Office) -> OfficeRead:
    spec = definition_of(office)
    return OfficeRead(
        code=office.code,
        name=office.name,
        address=office.address,
        lat=office.lat,
        lon=office.lon,
        phone=spec.phone,
        email=spec.email,
        services=[
            ServiceOffered(code=s.code, name=s.name, minutes=o.minutes)
            for o, s in offered(db, city, office)
        ],
        days_ahead=spec.booking.days_ahead,
        slot_minutes=spec.booking.slot_minutes,
    )


@router.get("/offices", summary="Offices and the services each offers")
def list_offices(city: CurrentCity, db: DbSession) -> list[OfficeRead]:
    return [_office_read(db, city, o) for o in offices(db, city)]


def _day(raw: str | None, name: str, default: date) -> date:
    if not raw:
        return default
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(
            "The {field} date is not a date.",
            problems=[Problem(name, N_("Give a date as YYYY-MM-DD, e.g. 2026-12-07."))],
            field=name,
        ) from None


@router.get("/slots", summary="Free start times with their remaining places")
def slots(
    city: CurrentCity,
    db: DbSession,
    service: Annotated[str, Query(min_length=1, max_length=60)],
    office: Annotated[str, Query(min_length=1, max_length=60)],
    from_: Annotated[str | None, Query(alias="from", max_length=20)] = None,
    to: Annotated[str | None, Query(max_length=20)] = None,
) -> Slots:
    """Free start times of ``service`` at ``office`` from ``from`` to ``to`` (local
    dates, at most 92 days; by default the whole booking window)."""
    found = office_by_code(db, city, office)
    want = booking.visit(db, city, found, [service])
    now = utcnow()
    today = calendar.local_now(city, now).date()
    first = _day(from_, "from", today)
    last = _day(to, "to", today + timedelta(days=definition_of(found).booking.days_ahead))
    if last < first:
        raise InvalidInput(
            "to is before from.", problems=[Problem("to", N_("Give a to date on or after from."))]
        )
    if (last - first).days > MAX_DAYS:
        raise InvalidInput(
            "At most {days} days at once.",
            problems=[
                Problem("to", N_("Ask for at most {days} days at once."), {"days": MAX_DAYS})
            ],
            days=MAX_DAYS,
        )
    free = calendar.free_slots(db, city, found, want.main.code, want.minutes, first, last, now=now)
    return Slots(
        office=found.code,
        service=want.main.code,
        minutes=want.minutes,
        slots=[SlotRead(start=s.start, remaining=s.remaining) for s in free],
    )


def _read(
    db: Session, city: City, appointment: Appointment, cls: type = AppointmentRead, **extra: Any
) -> Any:
    office = db.get(Office, appointment.office_id)
    assert office is not None
    fields: dict[str, Any] = {
        "id": appointment.reference,
        "status": appointment.status,
        "office": office.code,
        "service": appointment.services[0]["code"] if appointment.services else "",
        "start": appointment.start.astimezone(calendar.local_now(city, appointment.start).tzinfo),
        "end": appointment.end.astimezone(calendar.local_now(city, appointment.end).tzinfo),
        "cancel_url": booking.link_for(city, appointment),
    }
    if appointment.status == "checked_in":
        ticket = db.scalar(select(Ticket).where(Ticket.appointment_id == appointment.id))
        if ticket is not None:
            fields["ticket"] = ticket.code
            place = queue.place_of(db, city, ticket)
            if place is not None:
                fields["place_in_line"] = place.ahead + 1
                fields["estimated_wait_minutes"] = place.minutes
    return cls(**fields, **extra)


@router.post(
    "",
    status_code=201,
    summary="Book an appointment",
    responses={409: {"description": "The time was taken, or a limit reached"}, 429: {}},
)
def book(request: Request, city: CurrentCity, db: DbSession, body: BookingIn) -> Response:
    """Book ``start`` for ``service`` at ``office``. A time taken meanwhile answers 409
    with the next free times (``alternatives``); the limits per e-mail address, per
    person and per client answer 409 and 429. Sending the same booking again (or with the
    same Idempotency-Key) answers as the first time."""
    client = client_address(request)

    def produce() -> Response:
        found = office_by_code(db, city, body.office)
        appointment = booking.book(
            db,
            city,
            office=found,
            services=[body.service],
            start=body.start,
            name=body.name,
            email=body.email,
            phone=body.phone,
            language=body.language,
            channel="api",
            client=client,
        )
        out = _read(
            db,
            city,
            appointment,
            Booked,
            ics=booking.invitation(db, city, found, appointment, "REQUEST"),
        )
        return Response(out.model_dump_json(), status_code=201, media_type="application/json")

    fp = idempotency.fingerprint(
        "POST", request.url.path, sorted(body.model_dump(mode="json").items())
    )
    try:
        response, new = run_once(
            db,
            client=f"appointments:{client or '-'}",
            header=request.headers.get("idempotency-key"),
            fp=fp,
            produce=produce,
        )
    except booking.SlotTaken as exc:
        db.rollback()
        lang = request_language(request)
        content = error_body(request, exc.code, exc.text(lang), [])
        content["alternatives"] = [
            {"start": s.start.isoformat(), "remaining": s.remaining} for s in exc.alternatives
        ]
        return JSONResponse(content, status_code=409)
    if new and outbox.written(db):
        kick_outbox()
    return response


@router.get("/{reference}", summary="An appointment, read with its link's token")
def read(
    city: CurrentCity,
    db: DbSession,
    reference: Annotated[str, Path(max_length=12)],
    token: Annotated[str, Query(max_length=80)],
) -> AppointmentRead:
    """Its status; once checked in, the place in line and the estimated wait."""
    return _read(db, city, booking.by_token(db, city, reference, token))  # type: ignore[no-any-return]


@router.delete(
    "/{reference}",
    summary="Cancel an appointment with its link's token",
    responses={409: {"description": "It has passed or was served"}},
)
def cancel(
    city: CurrentCity,
    db: DbSession,
    reference: Annotated[str, Path(max_length=12)],
    token: Annotated[str, Query(max_length=80)],
) -> AppointmentRead:
    """Cancelling twice answers the same; a forged token answers 404, a past appointment 409."""
    appointment = booking.by_token(db, city, reference, token)
    booking.cancel(db, city, appointment)
    db.commit()
    if outbox.written(db):
        kick_outbox()
    return _read(db, city, appointment)  # type: ignore[no-any-return]
