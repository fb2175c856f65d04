"""Cases: statuses, notes and assignment, and what the reporter and followers are told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.accounts.models import User
from civitas.cases.models import RequestFollower, RequestNote, ServiceRequest
from civitas.cases.queries import _by_request, get_request
from civitas.cases.schemas import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    STATUS_LABELS,
    TRANSITIONS,
    RequestChannel,
    Status,
)
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit, events
from civitas.core.db import utcnow
from civitas.core.errors import InvalidInput, NotFound
from civitas.core.i18n import pick, translate
from civitas.notifications.service import enqueue_email

# a phone call or office visit that ends with the case solved within this time was
# resolved at first contact (the agent closes it during or right after the contact)
FIRST_CONTACT_CHANNELS = frozenset({RequestChannel.PHONE, RequestChannel.OFFICE})


FIRST_CONTACT_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Recipient:
    key: str
    email: str
    first_name: str | None
    last_name: str | None
    language: str | None
    own_number: int | None = None  # a follower's own (merged) request


def recipients(db: Session, request: ServiceRequest, *, new: bool = False) -> list[Recipient]:
    """The reporter, if they left an address, and everyone following the request (a
    ``new`` request has no followers yet)."""
    found = []
    if request.email:
        found.append(
            Recipient(
                "reporter", request.email, request.first_name, request.last_name, request.language
            )
        )
    if new:
        return found
    followers = db.scalars(
        select(RequestFollower)
        .where(RequestFollower.request_id == request.id)
        .order_by(RequestFollower.id)
    )
    for f in followers:
        own = db.get(ServiceRequest, f.from_request_id) if f.from_request_id else None
        found.append(
            Recipient(
                f"follower:{f.id}",
                f.email,
                f.first_name,
                f.last_name,
                f.language,
                own.number if own else None,
            )
        )
    return found


def notify_reporter(
    db: Session, city: City, request: ServiceRequest, *, event: str, note: str = ""
) -> None:
    """Write an e-mail to the reporter and every follower to the outbox, each in their own
    language (nobody without an address gets one)."""
    for person in recipients(db, request, new=event == "received"):
        lang = person.language if person.language in city.languages else city.default_language
        status = translate(lang, STATUS_LABELS[Status(request.status)])
        service_name = pick(request.service.name, lang, city.default_language)
        if event == "received":
            subject = translate(lang, "We received your request {number}", number=request.number)
            lines = [
                translate(
                    lang,
                    "Thank you. We received your request about: {service}.",
                    service=service_name,
                )
            ]
        else:
            subject = translate(
                lang, "Your request {number}: {status}", number=request.number, status=status
            )
            lines = [
                translate(
                    lang,
                    "Your request about {service} is now: {status}.",
                    service=service_name,
                    status=status,
                )
            ]
        if person.own_number:
            lines.append(
                translate(
                    lang,
                    "You reported this as request {own}; it is handled with request {number}.",
                    own=person.own_number,
                    number=request.number,
                )
            )
        if note:
            lines.append(note)
        if request.address:
            lines.append(translate(lang, "Place: {address}", address=request.address))
        lines.append(translate(lang, "Your request number is {number}.", number=request.number))
        name = " ".join(p for p in (person.first_name, person.last_name) if p)
        greeting = (
            translate(lang, "Hello {name},", name=name) if name else translate(lang, "Hello,")
        )
        body = "\n\n".join([greeting, *lines, city.name])
        key = f"request:{request.number}:{event}"
        enqueue_email(
            db,
            city,
            dedupe_key=key if person.key == "reporter" else f"{key}:{person.key}",
            recipient=person.email,
            subject=subject,
            body=body + "\n",
            language=lang,
        )


def public_notes(db: Session, city: City, request_ids: list[int]) -> dict[int, list[RequestNote]]:
    """Every public note per request, oldest first (the status history residents may see)."""
    enter_city(db, city)
    if not request_ids:
        return {}
    return _by_request(
        db.scalars(
            select(RequestNote)
            .where(RequestNote.request_id.in_(request_ids), RequestNote.public.is_(True))
            .order_by(RequestNote.at, RequestNote.id)
        )
    )


def change_status(
    db: Session,
    city: City,
    *,
    number: int,
    status: Status,
    actor: str,
    note: str = "",
    public: bool = True,
    now: datetime | None = None,
) -> ServiceRequest:
    """Move a case to a new status with a note (public notes reach the reporter)."""
    request = get_request(db, city, number=number)
    current = Status(request.status)
    if status not in TRANSITIONS[current]:
        raise InvalidInput(
            "A request that is {current} cannot become {status}.",
            current=current.value,
            status=status.value,
        )
    now = now or utcnow()
    request.status = status
    request.updated_at = now
    if request.acknowledged_at is None:  # the first answer to the request
        request.acknowledged_at = now
        request.first_contact_resolved = (
            request.channel in FIRST_CONTACT_CHANNELS
            and status in (Status.RESOLVED, Status.CLOSED)
            and now - request.requested_at <= FIRST_CONTACT_WINDOW
        )
    if status in CLOSED_STATUSES:
        request.closed_at = now
        request.paused_at, request.waiting_for = None, None  # nothing to wait for any more
    elif current in CLOSED_STATUSES:  # reopened
        request.closed_at = None
        request.reopen_count += 1
    entry = RequestNote(
        request_id=request.id, author=actor, public=public, status=status, text=note, at=now
    )
    db.add(entry)
    db.flush()
    if public:
        notify_reporter(db, city, request, event=f"note:{entry.id}", note=note)
    if status in CLOSED_STATUSES and current not in CLOSED_STATUSES:
        events.publish("case.closed", db=db, city=city, request=request)
    audit.record(
        db,
        actor=actor,
        action="request.status_changed",
        entity_type="service_request",
        entity_id=number,
        changes={"from": current.value, "to": status.value, "public": public},
        reason=note or None,
    )
    return request


def pause_deadline(
    db: Session,
    city: City,
    request: ServiceRequest,
    *,
    waiting_for: str,
    actor: str,
    now: datetime | None = None,
) -> None:
    """The case waits for the resident (a payment, a missing document): its deadline stands
    still, and it is not escalated, until :func:`resume_deadline`. Pausing a paused case
    only changes what it waits for."""
    enter_city(db, city)
    now = now or utcnow()
    if request.paused_at is None:
        request.paused_at = now
    request.waiting_for = waiting_for
    request.updated_at = now
    audit.record(
        db,
        actor=actor,
        action="request.deadline_paused",
        entity_type="service_request",
        entity_id=request.number,
        changes={"waiting_for": waiting_for},
    )


def resume_deadline(
    db: Session, city: City, request: ServiceRequest, *, actor: str, now: datetime | None = None
) -> None:
    """The resident gave what the case waited for: the deadline moves on by the time it
    stood still."""
    enter_city(db, city)
    if request.paused_at is None:
        return
    now = now or utcnow()
    stood = max(now - request.paused_at, timedelta(0))
    if request.expected_at is not None:
        request.expected_at += stood
    request.paused_at, request.waiting_for = None, None
    request.updated_at = now
    audit.record(
        db,
        actor=actor,
        action="request.deadline_resumed",
        entity_type="service_request",
        entity_id=request.number,
        changes={
            "paused_seconds": int(stood.total_seconds()),
            "expected_at": request.expected_at.isoformat() if request.expected_at else None,
        },
    )


def add_note(
    db: Session,
    city: City,
    *,
    number: int,
    text: str,
    public: bool,
    actor: str,
    now: datetime | None = None,
) -> RequestNote:
    request = get_request(db, city, number=number)
    now = now or utcnow()
    note = RequestNote(
        request_id=request.id, author=actor, public=public, status=request.status, text=text, at=now
    )
    db.add(note)
    request.updated_at = now
    audit.record(
        db,
        actor=actor,
        action="request.note_added",
        entity_type="service_request",
        entity_id=number,
        changes={"public": public},
    )
    return note


def assign(
    db: Session, city: City, *, number: int, username: str | None, actor: str
) -> ServiceRequest:
    request = get_request(db, city, number=number)
    user = None
    if username:
        user = db.scalar(select(User).where(User.username == username, User.is_active.is_(True)))
        if user is None:
            raise NotFound("No user '{username}' in this city.", username=username)
    request.assignee_id = user.id if user else None
    request.updated_at = utcnow()
    audit.record(
        db,
        actor=actor,
        action="request.assigned",
        entity_type="service_request",
        entity_id=number,
        changes={"assignee": username},
    )
    return request


def notes_of(db: Session, city: City, *, number: int, public_only: bool) -> list[RequestNote]:
    request = get_request(db, city, number=number)
    stmt = (
        select(RequestNote)
        .where(RequestNote.request_id == request.id)
        .order_by(RequestNote.at, RequestNote.id)
    )
    if public_only:
        stmt = stmt.where(RequestNote.public.is_(True))
    return list(db.scalars(stmt))


def resident_update(
    db: Session,
    city: City,
    *,
    number: int,
    status_word: str,
    text: str,
    actor: str,
    now: datetime | None = None,
) -> RequestNote:
    """An update from a resident through an app: a comment; "fixed"/"closed" resolves an open
    request; "open"/"reopen" reopens a closed one. It is public and audited."""
    request = get_request(db, city, number=number)
    current = Status(request.status)
    word = status_word.lower()
    if word in ("fixed", "closed") and current in OPEN_STATUSES:
        change_status(
            db, city, number=number, status=Status.RESOLVED, actor=actor, note=text, now=now
        )
    elif word in ("open", "reopen") and current in CLOSED_STATUSES:
        change_status(
            db, city, number=number, status=Status.IN_PROGRESS, actor=actor, note=text, now=now
        )
    else:
        add_note(db, city, number=number, text=text, public=True, actor=actor, now=now)
    db.flush()
    note = db.scalar(
        select(RequestNote)
        .where(RequestNote.request_id == request.id)
        .order_by(RequestNote.id.desc())
        .limit(1)
    )
    assert note is not None
    return note
