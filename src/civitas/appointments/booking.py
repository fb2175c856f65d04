"""Booking: a time held while the resident confirms, booked, moved or cancelled; by the
resident online or through the API, by staff or the hotline for a caller.

No start is ever booked over its places, whatever the concurrency: every booking first
locks its office's day (the ``appointment_office_days`` row: a row lock on PostgreSQL,
the write lock on SQLite), then counts the places taken afresh and writes, in one
transaction. Against bots: at most so many upcoming appointments per e-mail address and
per person, so many attempts an hour per client address and per e-mail address, and a
new day's places released in stages (calendar.released_share)."""

from __future__ import annotations

import math
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Integer, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from civitas.appointments import calendar, ics
from civitas.appointments.calendar import Slot
from civitas.appointments.models import Appointment, BookingAttempt, Office, OfficeDay
from civitas.appointments.offices import definition_of, offered
from civitas.catalogue.models import Service
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit
from civitas.core.config import get_settings
from civitas.core.db import utcnow
from civitas.core.errors import Conflict, InvalidInput, NotFound, Problem, TooManyAttempts
from civitas.core.i18n import N_, NP_, format_datetime_local, pick, translate
from civitas.core.security import sign
from civitas.notifications.service import enqueue_email

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
UPCOMING = ("held", "booked")
CHANNELS = ("online", "api", "staff", "hotline")


class SlotTaken(Conflict):
    """The time was taken meanwhile; ``alternatives`` are the next free ones."""

    def __init__(self, alternatives: list[Slot]) -> None:
        super().__init__(
            N_("That time was just taken. Choose one of the next free times.")
            if alternatives
            else N_("That time was just taken, and no other time is free in the window.")
        )
        self.alternatives = alternatives


@dataclass
class Visit:
    """What is asked for: the services (the first is the main one), at an office."""

    office: Office
    services: list[tuple[Any, Service]] = field(default_factory=list)  # (OfficeService, …)

    @property
    def minutes(self) -> int:
        return sum(o.minutes for o, _ in self.services)

    @property
    def main(self) -> Service:
        return self.services[0][1]


def person_key(name: str) -> str:
    """A name folded so that one person's spellings meet: case, accents, spaces."""
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())[:200]


def visit(db: Session, city: City, office: Office, codes: list[str]) -> Visit:
    """The services asked for, each offered by the office (else the field is named)."""
    if not codes or not any(c.strip() for c in codes):
        raise InvalidInput(
            "Choose a service.", problems=[Problem("service", N_("Choose a service."))]
        )
    here = {s.code: (o, s) for o, s in offered(db, city, office)}
    chosen: list[tuple[Any, Service]] = []
    for code in codes:
        code = code.strip()
        if not code or code in {s.code for _, s in chosen}:
            continue
        if code not in here:
            raise InvalidInput(
                "The office {office} does not offer the service '{service}'.",
                problems=[
                    Problem(
                        "service",
                        N_("The office {office} does not offer the service '{service}'."),
                        {"office": office.code, "service": code},
                    )
                ],
                office=office.code,
                service=code,
            )
        chosen.append(here[code])
    return Visit(office, chosen)


def _contact(city: City, name: str, email: str, phone: str | None, language: str) -> str:
    problems: list[Problem] = []
    if not name.strip() or len(name.strip()) > 200:
        problems.append(
            Problem("name", N_("Give the name of the person who comes (up to 200 characters)."))
        )
    address = ""
    try:
        address = validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        problems.append(Problem("email", N_("Enter an e-mail address like name@example.org.")))
    if phone and len(phone.strip()) > 40:
        problems.append(Problem("phone", N_("A phone number has at most 40 characters.")))
    if language not in city.languages:
        problems.append(
            Problem(
                "language",
                N_("Choose one of the city's languages: {languages}."),
                {"languages": ", ".join(city.languages)},
            )
        )
    if problems:
        raise InvalidInput(
            NP_(
                "The booking has {count} problem; nothing was booked.",
                "The booking has {count} problems; nothing was booked.",
            ),
            problems=problems,
            count=len(problems),
        )
    return address


def parse_start(city: City, raw: str | datetime) -> datetime:
    """An ISO 8601 start: with an offset, or in the city's time zone without one."""
    if isinstance(raw, str):
        try:
            raw = datetime.fromisoformat(raw.strip())
        except ValueError:
            raise InvalidInput(
                "The start is not a date and time.",
                problems=[
                    Problem(
                        "start",
                        N_("Give the start as a date and time, e.g. 2026-12-07T09:30:00-05:00."),
                    )
                ],
            ) from None
    if raw.tzinfo is None:
        from zoneinfo import ZoneInfo

        raw = raw.replace(tzinfo=ZoneInfo(city.timezone))
    return raw


def _start_problem(message: str, **params: Any) -> InvalidInput:
    return InvalidInput(message, problems=[Problem("start", message, params)], **params)


def check_start(
    db: Session,
    city: City,
    want: Visit,
    start: datetime,
    now: datetime,
    *,
    excluding: int | None = None,
) -> None:
    """Refuse a start the office does not offer, naming why; SlotTaken when it is full."""
    spec = definition_of(want.office)
    booking = spec.booking
    here = calendar.local_now(city, now)
    local = start.astimezone(here.tzinfo)
    day = local.date()
    if start <= now:
        raise _start_problem(N_("That time has passed. Choose a time from now on."))
    if start < now + timedelta(minutes=booking.min_notice_minutes):
        raise _start_problem(
            N_("Book at least {minutes} minutes ahead."), minutes=booking.min_notice_minutes
        )
    last = here.date() + timedelta(days=booking.days_ahead)
    if day > last:
        raise _start_problem(
            N_("Appointments can be booked up to {days} days ahead, until {date}."),
            days=booking.days_ahead,
            date=last,
        )
    if not calendar.openings(city, spec, day):
        name = calendar.holiday(city, spec, day)
        if name:
            raise _start_problem(
                N_("The office is closed on {date} ({holiday})."), date=day, holiday=name
            )
        raise _start_problem(N_("The office is closed on {date}."), date=day)
    minute = local.hour * 60 + local.minute
    need = math.ceil(want.minutes / booking.slot_minutes)
    fits = local.second == 0 and any(
        minute in units and units.index(minute) + need <= len(units)
        for units in (calendar.units_of(spec, o, c) for o, c in calendar.openings(city, spec, day))
    )
    if not fits:
        raise _start_problem(
            N_("The office does not offer {time} on {date}: choose one of the free times."),
            time=local.strftime("%H:%M"),
            date=day,
        )
    if calendar.released_share(spec, day, here) == 0:
        raise _start_problem(
            N_("The places of {date} are not released yet: they open on {opens}."),
            date=day,
            opens=day - timedelta(days=booking.days_ahead),
        )
    free = calendar.free_slots(
        db, city, want.office, want.main.code, want.minutes, day, day, now=now, excluding=excluding
    )
    if not any(s.start == local for s in free):
        raise SlotTaken(alternatives(db, city, want, after=start, now=now, excluding=excluding))


def _still_free(
    db: Session,
    city: City,
    want: Visit,
    start: datetime,
    now: datetime,
    *,
    excluding: int | None = None,
) -> None:
    """Under the day's lock: the place is still there (only the overlapping bookings are
    counted, so the lock is held briefly), else SlotTaken with the next free times."""
    left = calendar.places_left(
        db, city, want.office, want.main.code, want.minutes, start, now=now, excluding=excluding
    )
    if left < 1:
        raise SlotTaken(alternatives(db, city, want, after=start, now=now, excluding=excluding))


def alternatives(
    db: Session,
    city: City,
    want: Visit,
    *,
    after: datetime,
    now: datetime,
    count: int = 5,
    excluding: int | None = None,
) -> list[Slot]:
    """The next free times from ``after`` (or from now)."""
    spec = definition_of(want.office)
    start = max(after, now).astimezone(calendar.local_now(city, now).tzinfo)
    slots = calendar.free_slots(
        db,
        city,
        want.office,
        want.main.code,
        want.minutes,
        start.date(),
        start.date() + timedelta(days=spec.booking.days_ahead),
        now=now,
        excluding=excluding,
        limit=count * 4,
    )
    return [s for s in slots if s.start >= start][:count]


_BUMP = (
    update(OfficeDay)
    .where(OfficeDay.office_id == bindparam("b_office"), OfficeDay.day == bindparam("b_day"))
    .values(
        version=OfficeDay.version + 1,
        last_ticket=OfficeDay.last_ticket + bindparam("b_tickets", type_=Integer),
    )
    .returning(OfficeDay.last_ticket)
    .execution_options(synchronize_session=False)
)


def lock_day(db: Session, city: City, office: Office, day: date, *, tickets: int = 0) -> int:
    """Take the office's day for this transaction: other bookings (and calls) of the day
    wait here. ``tickets=1`` also draws the day's next ticket number, returned."""
    params = {"b_office": office.id, "b_day": day, "b_tickets": tickets}
    found = db.execute(_BUMP, params).scalar()
    if found is not None:
        return int(found)
    table: Any = OfficeDay.__table__
    dialect = db.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.execute(
        insert(table)
        .values(tenant_id=city.id, office_id=office.id, day=day, last_ticket=0, version=0)
        .on_conflict_do_nothing(index_elements=["tenant_id", "office_id", "day"])
    )
    return int(db.execute(_BUMP, params).scalar_one())


def _limits(
    db: Session,
    city: City,
    office: Office,
    email: str,
    person: str,
    client: str | None,
    now: datetime,
) -> None:
    booking = definition_of(office).booking
    upcoming = and_(
        Appointment.start > now,
        or_(
            Appointment.status == "booked",
            and_(Appointment.status == "held", Appointment.hold_expires_at > now),
        ),
    )
    by_email = db.scalar(
        select(func.count(Appointment.id)).where(upcoming, Appointment.email == email)
    )
    if (by_email or 0) >= booking.max_per_email:
        raise Conflict(
            NP_(
                "This e-mail address already has {count} upcoming appointment; cancel it "
                "to book another.",
                "This e-mail address already has {count} upcoming appointments; cancel one "
                "to book another.",
            ),
            problems=[Problem("email", N_("This e-mail address has reached its limit."))],
            count=int(by_email or 0),
        )
    by_person = db.scalar(
        select(func.count(Appointment.id)).where(upcoming, Appointment.person_key == person)
    )
    if (by_person or 0) >= booking.max_per_person:
        raise Conflict(
            NP_(
                "This person already has {count} upcoming appointment; cancel it to book another.",
                "This person already has {count} upcoming appointments; cancel one to book "
                "another.",
            ),
            problems=[Problem("name", N_("This person has reached the limit."))],
            count=int(by_person or 0),
        )


def rate_limit(
    db: Session, city: City, office: Office, *, email: str, client: str | None, now: datetime
) -> None:
    """Count this attempt (committed at once, so that a refused one counts too) and refuse
    it when the client address or the e-mail address tried too often in the last hour."""
    enter_city(db, city)
    allowed = definition_of(office).booking.max_attempts_per_hour
    keys = [f"email:{email}"[:300], *([f"client:{client}"[:300]] if client else [])]
    since = now - timedelta(hours=1)
    tried = max(
        db.scalar(
            select(func.count(BookingAttempt.id)).where(
                BookingAttempt.key == key, BookingAttempt.at > since
            )
        )
        or 0
        for key in keys
    )
    for key in keys:
        db.add(BookingAttempt(key=key, at=now))
    db.commit()
    if tried >= allowed:
        raise TooManyAttempts(
            NP_(
                "Too many bookings tried in the last hour; try again in {count} minute.",
                "Too many bookings tried in the last hour; try again in {count} minutes.",
            ),
            count=60,
        )


def _reference() -> str:
    """A public reference: 8 characters without look-alikes (32^8: a clash is as likely as
    guessing a token; the unique index stands guard)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(8))


def book(
    db: Session,
    city: City,
    *,
    office: Office,
    services: list[str],
    start: str | datetime,
    name: str,
    email: str,
    language: str,
    channel: str,
    phone: str | None = None,
    hold: bool = False,
    client: str | None = None,
    actor: str | None = None,
    account_id: int | None = None,
    application_id: int | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Hold (``hold``: until confirmed) or book a time. Residents' channels (online, api)
    are held to the limits; staff and the hotline book for a caller without them. Writes
    nothing when refused; the caller commits."""
    enter_city(db, city)
    now = now or utcnow()
    want = visit(db, city, office, services)
    address = _contact(city, name, email, phone, language)
    when = parse_start(city, start)
    person = person_key(name)
    if channel in ("online", "api"):
        rate_limit(db, city, office, email=address, client=client, now=now)
        _limits(db, city, office, address, person, client, now)
    check_start(db, city, want, when, now)  # the clear refusals, before any lock
    day = when.astimezone(calendar.local_now(city, now).tzinfo).date()
    lock_day(db, city, office, day)
    _still_free(db, city, want, when, now)
    spec = definition_of(office)
    appointment = Appointment(
        office_id=office.id,
        service_id=want.main.id,
        services=[{"id": s.id, "code": s.code, "minutes": o.minutes} for o, s in want.services],
        start=when,
        end=when + timedelta(minutes=want.minutes),
        status="held" if hold else "booked",
        reference=_reference(),
        name=name.strip(),
        person_key=person,
        email=address,
        phone=(phone or "").strip() or None,
        language=language,
        channel=channel,
        booked_by=actor,
        account_id=account_id,
        application_id=application_id,
        hold_expires_at=now + timedelta(minutes=spec.booking.hold_minutes) if hold else None,
        booked_at=None if hold else now,
    )
    db.add(appointment)
    db.flush()
    if not hold:
        _booked(db, city, office, appointment, actor)
    return appointment


def confirm(
    db: Session, city: City, appointment: Appointment, *, now: datetime | None = None
) -> Appointment:
    """Book a held time. A second press finds it booked and changes nothing; a hold that
    ran out is booked if its place is still free."""
    enter_city(db, city)
    now = now or utcnow()
    if appointment.status == "booked":
        return appointment
    if appointment.status not in ("held", "expired"):
        raise Conflict(N_("This appointment can no longer be confirmed."))
    office = db.get(Office, appointment.office_id)
    assert office is not None
    want = visit(db, city, office, [s["code"] for s in appointment.services])
    day = appointment.start.astimezone(calendar.local_now(city, now).tzinfo).date()
    lock_day(db, city, office, day)
    db.refresh(appointment)
    if appointment.status == "booked":
        return appointment
    check_start(db, city, want, appointment.start, now, excluding=appointment.id)
    _still_free(db, city, want, appointment.start, now, excluding=appointment.id)
    appointment.status = "booked"
    appointment.booked_at = now
    appointment.hold_expires_at = None
    db.flush()
    _booked(db, city, office, appointment, None)
    return appointment


def move(
    db: Session,
    city: City,
    appointment: Appointment,
    start: str | datetime,
    *,
    actor: str | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Change a booked appointment's time: the new time is checked and locked like a new
    booking; the same invitation (UID) comes again with a higher SEQUENCE."""
    enter_city(db, city)
    now = now or utcnow()
    if appointment.status != "booked" or appointment.start <= now:
        raise Conflict(N_("Only an upcoming booked appointment can be changed."))
    office = db.get(Office, appointment.office_id)
    assert office is not None
    want = visit(db, city, office, [s["code"] for s in appointment.services])
    when = parse_start(city, start)
    check_start(db, city, want, when, now, excluding=appointment.id)
    day = when.astimezone(calendar.local_now(city, now).tzinfo).date()
    lock_day(db, city, office, day)
    _still_free(db, city, want, when, now, excluding=appointment.id)
    old = appointment.start
    appointment.start = when
    appointment.end = when + timedelta(minutes=want.minutes)
    appointment.sequence += 1
    appointment.reminded_at = None
    db.flush()
    audit.record(
        db,
        actor=actor or f"resident:{appointment.reference}",
        action="appointment.moved",
        entity_type="appointment",
        entity_id=appointment.reference,
        changes={"start": [old.isoformat(), when.isoformat()]},
    )
    _mail(db, city, office, appointment, "REQUEST", kind="moved")
    return appointment


def cancel(
    db: Session,
    city: City,
    appointment: Appointment,
    *,
    actor: str | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Cancel an upcoming appointment (a second cancel changes nothing); its place is free
    again at once."""
    enter_city(db, city)
    now = now or utcnow()
    if appointment.status == "cancelled":
        return appointment
    if appointment.status not in ("held", "booked") or appointment.start <= now:
        raise Conflict(N_("This appointment has passed or was served; it cannot be cancelled."))
    was_booked = appointment.status == "booked"
    appointment.status = "cancelled"
    appointment.cancelled_at = now
    appointment.sequence += 1
    db.flush()
    if was_booked:
        office = db.get(Office, appointment.office_id)
        assert office is not None
        audit.record(
            db,
            actor=actor or f"resident:{appointment.reference}",
            action="appointment.cancelled",
            entity_type="appointment",
            entity_id=appointment.reference,
        )
        _mail(db, city, office, appointment, "CANCEL", kind="cancelled")
    return appointment


def expire_holds(db: Session, city: City, *, now: datetime | None = None) -> int:
    """Holds not confirmed in time: expired (their places were free already)."""
    enter_city(db, city)
    now = now or utcnow()
    result = db.execute(
        update(Appointment)
        .where(Appointment.status == "held", Appointment.hold_expires_at <= now)
        .values(status="expired")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def forget_past(db: Session, city: City, *, now: datetime | None = None) -> int:
    """Erase who came (name, address, phone) from appointments past each office's
    ``keep_days``, and the rate limits' attempts older than a day."""
    enter_city(db, city)
    now = now or utcnow()
    erased = 0
    for office in db.scalars(select(Office)):
        keep = timedelta(days=definition_of(office).booking.keep_days)
        result = db.execute(
            update(Appointment)
            .where(
                Appointment.office_id == office.id,
                Appointment.end < now - keep,
                Appointment.email != "",
            )
            .values(name="", person_key="", email="", phone=None)
            .execution_options(synchronize_session=False)
        )
        erased += int(getattr(result, "rowcount", 0) or 0)
    db.execute(
        BookingAttempt.__table__.delete().where(  # type: ignore[attr-defined]
            BookingAttempt.tenant_id == city.id, BookingAttempt.at < now - timedelta(days=1)
        )
    )
    return erased


# -- links ------------------------------------------------------------------------------


def token_for(city: City, appointment: Appointment) -> str:
    """The secret of an appointment's own link: an HMAC under the server's key, so the
    link can be sent again, and a forged one is refused."""
    message = f"appointment:{city.id}:{appointment.id}:{appointment.reference}"
    return sign(get_settings().secret_key, message)[:40]


def link_for(city: City, appointment: Appointment) -> str:
    base = get_settings().public_url.rstrip("/")
    return f"{base}/{city.slug}/appointment/{appointment.reference}/{token_for(city, appointment)}"


def by_token(db: Session, city: City, reference: str, token: str) -> Appointment:
    """The appointment of a link, or NotFound for a wrong reference or a forged token
    (the same answer for both)."""
    enter_city(db, city)
    found = db.scalar(select(Appointment).where(Appointment.reference == reference.strip().upper()))
    if found is None or not secrets.compare_digest(token_for(city, found), token or ""):
        raise NotFound("This link is not valid. Use the link from your confirmation e-mail.")
    return found


# -- mail -------------------------------------------------------------------------------


def when_text(city: City, appointment: Appointment, lang: str) -> str:
    return format_datetime_local(appointment.start, city, lang)


def services_text(db: Session, city: City, appointment: Appointment, lang: str) -> str:
    ids = [s["id"] for s in appointment.services]
    names = {
        s.id: pick(s.name, lang) for s in db.scalars(select(Service).where(Service.id.in_(ids)))
    }
    return ", ".join(names.get(i, "") for i in ids)


def _booked(
    db: Session, city: City, office: Office, appointment: Appointment, actor: str | None
) -> None:
    audit.record(
        db,
        actor=actor or f"resident:{appointment.reference}",
        action="appointment.booked",
        entity_type="appointment",
        entity_id=appointment.reference,
        changes={"channel": appointment.channel, "start": appointment.start.isoformat()},
    )
    _mail(db, city, office, appointment, "REQUEST", kind="booked")


def invitation(
    db: Session, city: City, office: Office, appointment: Appointment, method: str
) -> str:
    lang = appointment.language
    spec = definition_of(office)
    return ics.calendar(
        city,
        office,
        appointment,
        method=method,
        summary=translate(
            lang,
            "{services} at {office}",
            services=services_text(db, city, appointment, lang),
            office=pick(office.name, lang),
        ),
        link=link_for(city, appointment),
        organiser_email=spec.email,
    )


def _mail(
    db: Session, city: City, office: Office, appointment: Appointment, method: str, *, kind: str
) -> None:
    lang = appointment.language

    def t(text: str, **params: Any) -> str:
        return translate(lang, text, **params)

    when = when_text(city, appointment, lang)
    where = f"{pick(office.name, lang)}, {office.address}"
    services = services_text(db, city, appointment, lang)
    subjects = {
        "booked": t("Your appointment on {when}", when=when),
        "moved": t("Your appointment is now on {when}", when=when),
        "cancelled": t("Your appointment on {when} is cancelled", when=when),
        "reminder": t("Reminder: your appointment tomorrow, {when}", when=when),
    }
    lines = [t("Hello {name},", name=appointment.name)]
    if kind == "cancelled":
        lines.append(
            t(
                "your appointment for {services} on {when} is cancelled.",
                services=services,
                when=when,
            )
        )
        lines.append(t("You can book a new time at any time."))
    else:
        lines.append(
            t(
                "your appointment for {services} is on {when} at {where}.",
                services=services,
                when=when,
                where=where,
            )
        )
        lines.append(t("Reference: {reference}", reference=appointment.reference))
        lines.append(
            t(
                "On the day, this link shows your place in line once you have checked in. To "
                "cancel or change the appointment, open it: {link}",
                link=link_for(city, appointment),
            )
        )
        lines.append(t("The invitation for your calendar is attached."))
    lines.append(t("Your city of {city}", city=city.name))
    enqueue_email(
        db,
        city,
        dedupe_key=f"appointment:{appointment.id}:{kind}:{appointment.sequence}",
        recipient=appointment.email,
        subject=subjects[kind],
        body="\n\n".join(lines),
        language=lang,
        attachments=[
            {
                "filename": "appointment.ics",
                "content_type": f"text/calendar; method={method}",
                "text": invitation(db, city, office, appointment, method),
            }
        ],
    )


def remind(db: Session, city: City, *, now: datetime | None = None) -> int:
    """E-mail everyone booked for tomorrow (local) a reminder, once."""
    enter_city(db, city)
    now = now or utcnow()
    here = calendar.local_now(city, now)
    tomorrow = here.date() + timedelta(days=1)
    start = calendar.at(city, tomorrow, 0)
    end = calendar.at(city, tomorrow + timedelta(days=1), 0)
    due = list(
        db.scalars(
            select(Appointment).where(
                Appointment.status == "booked",
                Appointment.reminded_at.is_(None),
                Appointment.start >= start,
                Appointment.start < end,
            )
        )
    )
    for appointment in due:
        office = db.get(Office, appointment.office_id)
        assert office is not None
        appointment.reminded_at = now
        _mail(db, city, office, appointment, "REQUEST", kind="reminder")
    return len(due)
