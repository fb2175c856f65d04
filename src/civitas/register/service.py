"""The register's commands and queries, the city first.

:func:`record_event` applies one life event: it checks everything first, then closes the
affected states and opens their successors in the caller's transaction, so an event is
applied whole or not at all. Each event is kept once per ``event_id``: a retry is a no-op.

Every read of a person's data goes through a function that takes a purpose and writes an
access-log entry in the same transaction (:func:`log_access`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.errors import Conflict, InvalidInput, NotFound, Problem
from civitas.core.i18n import N_
from civitas.core.sequences import next_value
from civitas.register.models import (
    AccessLogEntry,
    Address,
    Household,
    LifeEvent,
    Person,
    PersonState,
    Relation,
)
from civitas.register.schemas import (
    AddressIn,
    Birth,
    Death,
    LifeEventIn,
    Marriage,
    MoveIn,
    MoveOut,
    MoveWithin,
    NewPerson,
    Update,
)

REGISTER_COUNTER = "register-number"


@dataclass
class Applied:
    """What an event did: the event row, whether it was new, and whom it touched."""

    event: LifeEvent
    created: bool
    persons: list[int] = field(default_factory=list)


def _refuse(location: str, message: str, **params: Any) -> InvalidInput:
    return InvalidInput(
        "The life event cannot be applied.", problems=[Problem(location, message, params)]
    )


# -- lookups ---------------------------------------------------------------------------------


def find_person(db: Session, city: City, number: str) -> Person | None:
    enter_city(db, city)
    return db.scalar(select(Person).where(Person.register_number == number))


def _person(db: Session, city: City, number: str, where: str) -> Person:
    person = find_person(db, city, number)
    if person is None:
        raise _refuse(where, N_("No person with register number {number}."), number=number)
    return person


def state_on(db: Session, person_id: int, on: date) -> PersonState | None:
    """The person's state on a date (None: not living in the city that day)."""
    return db.scalar(
        select(PersonState).where(
            PersonState.person_id == person_id,
            PersonState.valid_from <= on,
            or_(PersonState.valid_to.is_(None), PersonState.valid_to > on),
        )
    )


def _current(db: Session, person_id: int) -> PersonState | None:
    return db.scalar(
        select(PersonState).where(
            PersonState.person_id == person_id, PersonState.valid_to.is_(None)
        )
    )


def _resident(db: Session, city: City, number: str, where: str, on: date) -> PersonState:
    person = _person(db, city, number, where)
    state = _current(db, person.id)
    if state is None or person.death_date is not None:
        raise _refuse(where, N_("{number} does not live in the city now."), number=number)
    if state.valid_from > on:
        raise _refuse(
            "date",
            N_(
                "The register already holds a later change for {number} (from {since}); "
                "send events in date order."
            ),
            number=number,
            since=state.valid_from.isoformat(),
        )
    return state


def household_members(db: Session, household_id: int, on: date) -> list[PersonState]:
    return list(
        db.scalars(
            select(PersonState)
            .where(
                PersonState.household_id == household_id,
                PersonState.valid_from <= on,
                or_(PersonState.valid_to.is_(None), PersonState.valid_to > on),
            )
            .order_by(PersonState.person_id)
        )
    )


# -- writes -----------------------------------------------------------------------------------

_STATE_FIELDS = (
    "family_name",
    "given_names",
    "sex",
    "nationality",
    "marital_status",
    "email",
    "phone",
    "language",
    "address_id",
    "household_id",
    "resident_since",
    "address_since",
    "monthly_income_minor",
    "student",
    "iban",
)


def _succeed(db: Session, state: PersonState, on: date, **changes: Any) -> PersonState:
    """Close ``state`` on ``on`` and open its successor with ``changes``. A second change on
    the same day amends that day's state instead of leaving an empty period."""
    if state.valid_from == on:
        for key, value in changes.items():
            setattr(state, key, value)
        return state
    state.valid_to = on
    values = {name: getattr(state, name) for name in _STATE_FIELDS}
    values.update(changes)
    successor = PersonState(person_id=state.person_id, valid_from=on, **values)
    db.add(successor)
    return successor


def _address(db: Session, data: AddressIn) -> Address:
    found = db.scalar(
        select(Address).where(
            Address.street == data.street,
            Address.number == data.number,
            Address.postcode == data.postcode,
        )
    )
    if found is None:
        found = Address(**data.model_dump())
        db.add(found)
        db.flush()
        return found
    for key in ("district", "lat", "lon", "parking_zone"):
        value = getattr(data, key)
        if value is not None:
            setattr(found, key, value)
    return found


def _new_household(db: Session) -> Household:
    household = Household()
    db.add(household)
    db.flush()
    return household


def _new_number(db: Session, city: City, wanted: str | None, where: str) -> str:
    if wanted:
        if find_person(db, city, wanted) is not None:
            raise _refuse(where, N_("Register number {number} is already taken."), number=wanted)
        return wanted
    while True:
        number = f"R{next_value(db, REGISTER_COUNTER):07d}"
        if find_person(db, city, number) is None:
            return number


def _relate(db: Session, kind: str, person_id: int, other_id: int, on: date) -> None:
    db.add(Relation(kind=kind, person_id=person_id, other_id=other_id, valid_from=on))


def _facts(data: Any, names: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(data, name) for name in names if getattr(data, name) is not None}


_FACTS = ("nationality", "email", "phone", "language", "monthly_income_minor", "student", "iban")


def _birth(db: Session, city: City, ev: Birth) -> list[int]:
    parents = [_person(db, city, n, f"parents[{i}]") for i, n in enumerate(ev.parents)]
    home: PersonState | None = None
    for i, parent in enumerate(parents):
        if parent.death_date is not None and parent.death_date < ev.date:
            raise _refuse(
                f"parents[{i}]",
                N_("{number} had died before that date."),
                number=parent.register_number,
            )
        home = home or state_on(db, parent.id, ev.date) or _current(db, parent.id)
    if home is None:
        raise _refuse(
            "parents",
            N_(
                "No parent lives in the city, so the child has no address here; "
                "register the child with a move_in event instead."
            ),
        )
    number = _new_number(db, city, ev.child.register_number, "child.register_number")
    child = Person(register_number=number, birth_date=ev.date)
    db.add(child)
    db.flush()
    db.add(
        PersonState(
            person_id=child.id,
            valid_from=ev.date,
            family_name=ev.child.family_name,
            given_names=ev.child.given_names,
            sex=ev.child.sex,
            nationality=home.nationality,
            language=home.language,
            address_id=home.address_id,
            household_id=home.household_id,
            resident_since=ev.date,
            address_since=ev.date,
        )
    )
    for parent in parents:
        _relate(db, "parent", parent.id, child.id, ev.date)
    return [child.id, *(p.id for p in parents)]


def _death(db: Session, city: City, ev: Death) -> list[int]:
    state = _resident(db, city, ev.person, "person", ev.date)
    person = db.get(Person, state.person_id)
    assert person is not None
    person.death_date = ev.date
    state.valid_to = ev.date
    touched = [person.id]
    relations = db.scalars(
        select(Relation).where(
            or_(Relation.person_id == person.id, Relation.other_id == person.id),
            Relation.valid_to.is_(None),
        )
    )
    for relation in relations:
        if relation.kind == "partner":
            relation.valid_to = ev.date
            other_id = relation.other_id if relation.person_id == person.id else relation.person_id
            other = _current(db, other_id)
            if other is not None:
                _succeed(db, other, ev.date, marital_status="widowed")
                touched.append(other_id)
    return touched


def _move_in(db: Session, city: City, ev: MoveIn) -> list[int]:
    data: NewPerson = ev.person
    person = find_person(db, city, data.register_number) if data.register_number else None
    if person is not None:
        if person.death_date is not None or _current(db, person.id) is not None:
            raise _refuse(
                "person.register_number",
                N_("{number} already lives in the city; use move_within for a new address."),
                number=person.register_number,
            )
        if person.birth_date != data.birth_date:
            raise _refuse(
                "person.birth_date",
                N_("The register has another birth date for {number} ({known})."),
                number=person.register_number,
                known=person.birth_date.isoformat(),
            )
    if data.birth_date > ev.date:
        raise _refuse("person.birth_date", N_("The birth date is after the move-in date."))
    parents = [_person(db, city, n, f"parents[{i}]") for i, n in enumerate(ev.parents)]
    if ev.household_with:
        host = _resident(db, city, ev.household_with, "household_with", ev.date)
        household_id = host.household_id
    else:
        household_id = _new_household(db).id
    address = _address(db, ev.address)
    if person is None:
        number = _new_number(db, city, data.register_number, "person.register_number")
        person = Person(register_number=number, birth_date=data.birth_date)
        db.add(person)
        db.flush()
    db.add(
        PersonState(
            person_id=person.id,
            valid_from=ev.date,
            family_name=data.family_name,
            given_names=data.given_names,
            sex=data.sex,
            marital_status=data.marital_status,
            address_id=address.id,
            household_id=household_id,
            resident_since=ev.date,
            address_since=ev.date,
            student=bool(data.student),
            **_facts(data, [f for f in _FACTS if f != "student"]),
        )
    )
    for parent in parents:
        _relate(db, "parent", parent.id, person.id, ev.date)
    return [person.id]


def _move_out(db: Session, city: City, ev: MoveOut) -> list[int]:
    state = _resident(db, city, ev.person, "person", ev.date)
    state.valid_to = ev.date
    if state.valid_from == ev.date:  # moved in and out the same day: no period is left
        db.delete(state)
    return [state.person_id]


def _move_within(db: Session, city: City, ev: MoveWithin) -> list[int]:
    state = _resident(db, city, ev.person, "person", ev.date)
    address = _address(db, ev.address)
    if ev.household == "keep":
        movers = household_members(db, state.household_id, ev.date) or [state]
        household_id = state.household_id
    elif ev.household == "new":
        movers = [state]
        household_id = _new_household(db).id
    else:
        host = _resident(db, city, ev.household, "household", ev.date)
        movers = [state]
        household_id = host.household_id
    for mover in movers:
        current = _current(db, mover.person_id)
        if current is not None:
            _succeed(
                db,
                current,
                ev.date,
                address_id=address.id,
                household_id=household_id,
                address_since=ev.date,
            )
    return [m.person_id for m in movers]


def _marriage(db: Session, city: City, ev: Marriage) -> list[int]:
    if ev.person == ev.partner:
        raise _refuse("partner", N_("A person cannot marry themselves."))
    one = _resident(db, city, ev.person, "person", ev.date)
    other = _resident(db, city, ev.partner, "partner", ev.date)
    for state, where, number in ((one, "person", ev.person), (other, "partner", ev.partner)):
        if state.marital_status == "married":
            raise _refuse(where, N_("{number} is married already."), number=number)
        person = db.get(Person, state.person_id)
        assert person is not None
        if _age(person.birth_date, ev.date) < 18:
            raise _refuse(where, N_("{number} is under 18."), number=number)
    _succeed(
        db,
        one,
        ev.date,
        marital_status="married",
        **({"family_name": ev.family_name} if ev.family_name else {}),
    )
    _succeed(
        db,
        other,
        ev.date,
        marital_status="married",
        **({"family_name": ev.partner_family_name} if ev.partner_family_name else {}),
    )
    _relate(db, "partner", one.person_id, other.person_id, ev.date)
    return [one.person_id, other.person_id]


def _update(db: Session, city: City, ev: Update) -> list[int]:
    state = _resident(db, city, ev.person, "person", ev.date)
    changes = {name: getattr(ev.facts, name) for name in ev.facts.model_fields_set}
    if not changes:
        raise _refuse("facts", N_("Name at least one fact to change."))
    if changes.get("student") is None:
        changes.pop("student", None)
    _succeed(db, state, ev.date, **changes)
    return [state.person_id]


_APPLY = {
    "birth": _birth,
    "death": _death,
    "move_in": _move_in,
    "move_out": _move_out,
    "move_within": _move_within,
    "marriage": _marriage,
    "update": _update,
}


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def record_event(
    db: Session, city: City, event: LifeEventIn, *, source: str, actor: str
) -> Applied:
    """Apply a life event to the register in the caller's transaction (once per event_id)."""
    enter_city(db, city)
    payload = event.model_dump(mode="json")
    known = db.scalar(select(LifeEvent).where(LifeEvent.event_id == event.event_id))
    if known is not None:
        if known.payload != payload:
            raise Conflict(
                "Event {event_id} was recorded before with other contents; "
                "give a new event_id for a new event.",
                event_id=event.event_id,
            )
        return Applied(known, created=False)
    persons: list[int] = _APPLY[event.type](db, city, event)  # type: ignore[operator]
    row = LifeEvent(
        event_id=event.event_id,
        type=event.type,
        occurred_on=event.date,
        person_id=persons[0],
        payload=payload,
        source=source,
        recorded_by=actor,
    )
    db.add(row)
    db.flush()
    return Applied(row, created=True, persons=persons)


# -- reads, each logged -----------------------------------------------------------------------


def log_access(
    db: Session,
    city: City,
    *,
    person_ids: Iterable[int],
    actor: str,
    actor_kind: str,
    purpose: str,
    data: list[str],
    detail: str | None = None,
) -> None:
    enter_city(db, city)
    db.add_all(
        AccessLogEntry(
            person_id=pid,
            actor=actor,
            actor_kind=actor_kind,
            purpose=purpose,
            data=data,
            detail=detail,
        )
        for pid in person_ids
    )


def describe_person(
    db: Session, city: City, number: str, *, on: date, actor: str, actor_kind: str, purpose: str
) -> dict[str, Any]:
    """A person as the register knows them on a date; the read is logged with its purpose."""
    enter_city(db, city)
    if not purpose.strip():
        raise InvalidInput(
            "Say why you read this person's data.",
            problems=[Problem("purpose", N_("Give the purpose of this read."))],
        )
    person = find_person(db, city, number)
    if person is None:
        raise NotFound("No person with register number {number}.", number=number)
    state = state_on(db, person.id, on)
    if state is None:
        raise NotFound(
            "{number} did not live in the city on {on}.", number=number, on=on.isoformat()
        )
    address = db.get(Address, state.address_id)
    assert address is not None
    members = household_members(db, state.household_id, on)
    numbers = dict(
        db.execute(
            select(Person.id, Person.register_number).where(
                Person.id.in_([m.person_id for m in members])
            )
        ).all()
    )
    log_access(
        db,
        city,
        person_ids=[person.id],
        actor=actor,
        actor_kind=actor_kind,
        purpose=purpose.strip()[:200],
        data=["identity", "contact", "address", "household", "income"],
    )
    return {
        "register_number": person.register_number,
        "given_names": state.given_names,
        "family_name": state.family_name,
        "birth_date": person.birth_date,
        "death_date": person.death_date,
        "sex": state.sex,
        "nationality": state.nationality,
        "marital_status": state.marital_status,
        "email": state.email,
        "phone": state.phone,
        "language": state.language,
        "address": {
            "street": address.street,
            "number": address.number,
            "postcode": address.postcode,
            "district": address.district,
            "parking_zone": address.parking_zone,
        },
        "household": [numbers[m.person_id] for m in members],
        "resident_since": state.resident_since,
        "monthly_income_minor": state.monthly_income_minor,
        "student": state.student,
        "has_iban": state.iban is not None,
        "on": on,
    }


def access_log(
    db: Session, city: City, person_id: int, *, limit: int = 200
) -> list[AccessLogEntry]:
    """Who read this person's data, newest first (the per-person entries)."""
    enter_city(db, city)
    return list(
        db.scalars(
            select(AccessLogEntry)
            .where(AccessLogEntry.person_id == person_id)
            .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc())
            .limit(limit)
        )
    )


def persons_with_email(db: Session, city: City, email: str, on: date) -> list[int]:
    """The persons whose current register entry has this e-mail address (a resident's account
    sees them and their children under 18)."""
    enter_city(db, city)
    own = list(
        db.scalars(
            select(PersonState.person_id).where(
                PersonState.email == email.lower(),
                PersonState.valid_from <= on,
                or_(PersonState.valid_to.is_(None), PersonState.valid_to > on),
            )
        )
    )
    if not own:
        return []
    children = db.scalars(
        select(Relation.other_id)
        .join(Person, Person.id == Relation.other_id)
        .where(
            Relation.kind == "parent",
            Relation.person_id.in_(own),
            Relation.valid_to.is_(None),
            Person.birth_date > date(on.year - 18, on.month, min(on.day, 28)),
            and_(Person.death_date.is_(None)),
        )
    )
    return sorted(set(own) | set(children))


def own_person(db: Session, city: City, email: str, on: date) -> int | None:
    """The one person whose current register entry has this e-mail address (None when
    there is none, or more than one: then nobody's data is read for them)."""
    enter_city(db, city)
    found = list(
        db.scalars(
            select(PersonState.person_id).where(
                PersonState.email == email.lower(),
                PersonState.valid_from <= on,
                or_(PersonState.valid_to.is_(None), PersonState.valid_to > on),
            )
        )
    )
    return found[0] if len(set(found)) == 1 else None


def address_text(address: Address) -> str:
    return f"{address.street} {address.number}, {address.postcode}"


def facts_for(
    db: Session,
    city: City,
    person_id: int,
    *,
    on: date,
    parts: Iterable[str],
    actor: str,
    actor_kind: str,
    purpose: str,
    detail: str | None = None,
) -> dict[str, Any]:
    """Only the parts of a person's entry asked for (identity, contact, address,
    household), for a purpose; the read is logged with exactly those parts."""
    enter_city(db, city)
    wanted = sorted(set(parts) & {"identity", "contact", "address", "household"})
    state = state_on(db, person_id, on)
    person = db.get(Person, person_id)
    if state is None or person is None or not wanted:
        return {}
    facts: dict[str, Any] = {}
    if "identity" in wanted:
        facts |= {
            "given_names": state.given_names,
            "family_name": state.family_name,
            "birth_date": person.birth_date,
        }
    if "contact" in wanted:
        facts |= {"email": state.email, "phone": state.phone}
    if "address" in wanted:
        address = db.get(Address, state.address_id)
        facts["address"] = address_text(address) if address else None
    if "household" in wanted:
        others = [
            m for m in household_members(db, state.household_id, on) if m.person_id != person_id
        ]
        births = dict(
            db.execute(
                select(Person.id, Person.birth_date).where(
                    Person.id.in_([m.person_id for m in others])
                )
            ).all()
        )
        facts["household"] = [
            {
                "given_names": m.given_names,
                "family_name": m.family_name,
                "birth_date": births.get(m.person_id),
            }
            for m in others
        ]
    log_access(
        db,
        city,
        person_ids=[person_id],
        actor=actor,
        actor_kind=actor_kind,
        purpose=purpose,
        data=wanted,
        detail=detail,
    )
    return facts
