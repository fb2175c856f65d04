"""The register's JSON API: life events in, persons out (always with a purpose, always
logged), and a person's access log."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Query, Response, status

from civitas.accounts.service import Principal
from civitas.core.errors import NotFound
from civitas.proactive.flows import receive_event
from civitas.proactive.service import data_log, today
from civitas.register.models import Person
from civitas.register.permissions import RegisterPermission
from civitas.register.schemas import AccessRead, EventResult, LifeEventIn, PersonRead
from civitas.register.service import describe_person, find_person, log_access
from civitas.web.deps import CurrentCity, DbSession, Requires
from civitas.web.jobs import kick_outbox
from civitas.web.routers import Router

router = Router(prefix="/api/v1/cities/{city}/register", tags=["register"])

Recorder = Annotated[Principal, Requires(RegisterPermission.REGISTER_EVENT_RECORD)]
Reader = Annotated[Principal, Requires(RegisterPermission.REGISTER_PERSON_READ)]
Purpose = Annotated[
    str,
    Query(min_length=3, max_length=200, description="Why you read this person's data (logged)"),
]


@router.post(
    "/events",
    response_model=EventResult,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": EventResult, "description": "Recorded before (same event_id)"}},
)
def record_life_event(
    city: CurrentCity, db: DbSession, event: LifeEventIn, principal: Recorder, response: Response
) -> EventResult:
    """Apply a life event (birth, death, move in/out/within, marriage, update) and run the
    rules it triggers, in one transaction. Sending the same event_id again is a no-op (200)."""
    received = receive_event(db, city, event, source="api", actor=principal.label)
    created = received.applied.created
    decisions: list[dict[str, Any]] = []
    for d in received.decisions:
        decisions.append(
            {
                "rule": d.explanation.get("rule"),
                "status": d.status,
                "amount_minor": d.amount_minor,
                "currency": d.currency,
                "period": d.period,
            }
        )
    person = db.get_one(Person, received.applied.event.person_id).register_number
    db.commit()
    if decisions:
        kick_outbox()
    if not created:
        response.status_code = status.HTTP_200_OK
    return EventResult(
        event_id=event.event_id,
        type=event.type,
        person=person,
        created=created,
        decisions=decisions,
    )


@router.get("/persons/{number}", response_model=PersonRead)
def read_person(
    city: CurrentCity,
    db: DbSession,
    number: str,
    principal: Reader,
    purpose: Purpose,
    on: date | None = None,
) -> PersonRead:
    """A person as the register knows them on a date (default today). The read, its purpose
    and who made it go to the person's access log."""
    found = describe_person(
        db,
        city,
        number,
        on=on or today(city),
        actor=principal.label,
        actor_kind="staff",
        purpose=purpose,
    )
    db.commit()
    return PersonRead(**found)


@router.get("/persons/{number}/access-log", response_model=list[AccessRead])
def person_access_log(
    city: CurrentCity, db: DbSession, number: str, principal: Reader, purpose: Purpose
) -> list[AccessRead]:
    """Who read this person's data, when and why (the log of reads is itself a read)."""
    person = find_person(db, city, number)
    if person is None:
        raise NotFound("No person with register number {number}.", number=number)
    entries = data_log(db, city, person.id)
    log_access(
        db,
        city,
        person_ids=[person.id],
        actor=principal.label,
        actor_kind="staff",
        purpose=purpose,
        data=["access log"],
    )
    db.commit()
    return [AccessRead(**e.__dict__) for e in entries]
