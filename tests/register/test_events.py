"""Life events change the register atomically, once per event_id, and keep its history."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func, select

from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope
from civitas.core.errors import Conflict, InvalidInput
from civitas.register.models import LifeEvent, Person, PersonState, Relation
from civitas.register.schemas import LifeEventIn
from civitas.register.service import (
    describe_person,
    find_person,
    household_members,
    record_event,
    state_on,
)

EVENT = TypeAdapter(LifeEventIn)
HOME = {"street": "Hauptstraße", "number": "1", "postcode": "04109", "district": "Mitte"}


def move_in(event_id, number, born="1990-05-01", day="2026-01-10", **extra):
    return {
        "event_id": event_id,
        "type": "move_in",
        "date": day,
        "person": {
            "register_number": number,
            "given_names": number.title(),
            "family_name": "Muster",
            "birth_date": born,
            "sex": "female",
            **extra.pop("person", {}),
        },
        "address": extra.pop("address", HOME),
        **extra,
    }


def apply(engine, raw, slug="musterstadt"):
    with session_scope(engine) as db:
        city = get_city_by_slug(db, slug)
        return record_event(db, city, EVENT.validate_python(raw), source="test", actor="test")


def count(engine, model, slug="musterstadt"):
    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, slug))
        return db.scalar(select(func.count()).select_from(model))


def person_on(engine, number, on, slug="musterstadt"):
    with session_scope(engine) as db:
        city = get_city_by_slug(db, slug)
        person = find_person(db, city, number)
        return state_on(db, person.id, on) if person else None


def test_a_family_moves_in_a_child_is_born_and_the_history_stays_askable(engine, two_cities):
    apply(engine, move_in("e1", "anna", person={"email": "Anna@Example.org"}))
    apply(engine, move_in("e2", "ben", born="1988-01-01", household_with="anna"))
    birth = {
        "event_id": "e3",
        "type": "birth",
        "date": "2026-06-01",
        "child": {"given_names": "Clara", "family_name": "Muster", "sex": "female"},
        "parents": ["anna", "ben"],
    }
    applied = apply(engine, birth)
    assert len(applied.persons) == 3
    apply(
        engine,
        {
            "event_id": "e4",
            "type": "move_within",
            "date": "2026-09-01",
            "person": "anna",
            "address": {
                "street": "Marktplatz",
                "number": "5",
                "postcode": "04109",
                "parking_zone": "Z1",
            },
        },
    )
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "musterstadt")
        anna = find_person(db, city, "anna")
        before = state_on(db, anna.id, date(2026, 8, 31))
        after = state_on(db, anna.id, date(2026, 9, 1))
        assert before.address_since == date(2026, 1, 10)
        assert after.address_since == date(2026, 9, 1)
        assert after.resident_since == date(2026, 1, 10)  # a move within keeps it
        assert before.address_id != after.address_id
        # the whole household moved, the newborn too
        members = household_members(db, after.household_id, date(2026, 9, 1))
        assert len(members) == 3
        assert {m.address_id for m in members} == {after.address_id}
        assert state_on(db, anna.id, date(2026, 1, 9)) is None  # not yet living here
        child = db.scalar(select(Person).where(Person.birth_date == date(2026, 6, 1)))
        assert child is not None
        parents = db.scalars(select(Relation.person_id).where(Relation.other_id == child.id))
        assert sorted(parents) == sorted([anna.id, find_person(db, city, "ben").id])
        assert child.register_number.startswith("R")


def test_marriage_death_and_moving_out(engine, two_cities):
    apply(engine, move_in("e1", "anna"))
    apply(engine, move_in("e2", "ben", born="1980-01-01"))
    apply(
        engine,
        {
            "event_id": "e3",
            "type": "marriage",
            "date": "2026-03-01",
            "person": "anna",
            "partner": "ben",
            "family_name": "Beispiel",
        },
    )
    married = person_on(engine, "anna", date(2026, 3, 1))
    assert (married.marital_status, married.family_name) == ("married", "Beispiel")
    assert person_on(engine, "anna", date(2026, 2, 28)).family_name == "Muster"
    apply(engine, {"event_id": "e4", "type": "death", "date": "2026-05-01", "person": "ben"})
    assert person_on(engine, "ben", date(2026, 5, 1)) is None
    assert person_on(engine, "ben", date(2026, 4, 30)) is not None
    assert person_on(engine, "anna", date(2026, 5, 1)).marital_status == "widowed"
    apply(engine, {"event_id": "e5", "type": "move_out", "date": "2026-07-01", "person": "anna"})
    assert person_on(engine, "anna", date(2026, 7, 1)) is None
    assert person_on(engine, "anna", date(2026, 6, 30)).marital_status == "widowed"


def test_a_retried_event_changes_nothing_and_a_reused_id_is_refused(engine, two_cities):
    first = apply(engine, move_in("e1", "anna"))
    again = apply(engine, move_in("e1", "anna"))
    assert first.created
    assert not again.created
    assert count(engine, PersonState) == 1
    with pytest.raises(Conflict, match="other contents"):
        apply(engine, move_in("e1", "anna", born="1991-01-01"))


@pytest.mark.parametrize(
    ("raw", "location", "says"),
    [
        (
            {"event_id": "x", "type": "death", "date": "2026-02-01", "person": "nobody"},
            "person",
            "No person with register number nobody",
        ),
        (
            {
                "event_id": "x",
                "type": "marriage",
                "date": "2026-02-01",
                "person": "anna",
                "partner": "anna",
            },
            "partner",
            "cannot marry themselves",
        ),
        (
            {
                "event_id": "x",
                "type": "birth",
                "date": "2026-02-01",
                "parents": ["ghost"],
                "child": {"given_names": "A", "family_name": "B", "sex": "male"},
            },
            "parents[0]",
            "No person with register number ghost",
        ),
        (
            {"event_id": "x", "type": "move_out", "date": "2025-12-01", "person": "anna"},
            "date",
            "send events in date order",
        ),
        (move_in("x", "anna"), "person.register_number", "already lives in the city"),
        (move_in("x", "zoe", born="2027-01-01"), "person.birth_date", "after the move-in date"),
    ],
)
def test_bad_events_are_refused_with_the_reason_and_change_nothing(
    engine, two_cities, raw, location, says
):
    apply(engine, move_in("e1", "anna"))
    before = (count(engine, Person), count(engine, PersonState), count(engine, LifeEvent))
    with pytest.raises(InvalidInput) as caught:
        apply(engine, raw)
    (problem,) = caught.value.problems
    assert problem.location == location
    assert says in problem.message.format(**problem.params)
    assert (count(engine, Person), count(engine, PersonState), count(engine, LifeEvent)) == before


def test_a_birth_with_a_bad_parent_writes_no_child(engine, two_cities):
    apply(engine, move_in("e1", "anna"))
    with pytest.raises(InvalidInput):
        apply(
            engine,
            {
                "event_id": "b",
                "type": "birth",
                "date": "2026-02-01",
                "parents": ["anna", "ghost"],
                "child": {"given_names": "A", "family_name": "B", "sex": "male"},
            },
        )
    assert count(engine, Person) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "teleport"}, "type"),
        ({"person": {"iban": "DE00 1234"}}, "iban"),
        ({"person": {"sex": "x"}}, "sex"),
        ({"date": "2026-13-01"}, "date"),
    ],
)
def test_malformed_events_fail_validation(change, field):
    raw = move_in("e1", "anna")
    for key, value in change.items():
        if isinstance(value, dict):
            raw[key] = {**raw[key], **value}
        else:
            raw[key] = value
    with pytest.raises(ValidationError) as caught:
        EVENT.validate_python(raw)
    assert field in str(caught.value)


def test_an_iban_is_kept_compact_and_checked():
    raw = move_in("e1", "anna", person={"iban": "de89 3704 0044 0532 0130 00"})
    assert EVENT.validate_python(raw).person.iban == "DE89370400440532013000"


def test_each_read_of_a_person_is_logged_with_its_purpose(engine, two_cities):
    apply(engine, move_in("e1", "anna"))
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "musterstadt")
        seen = describe_person(
            db,
            city,
            "anna",
            on=date(2026, 2, 1),
            actor="clerk",
            actor_kind="staff",
            purpose="Answering her letter of 2 Feb",
        )
        assert seen["household"] == ["anna"]
        with pytest.raises(InvalidInput):
            describe_person(
                db,
                city,
                "anna",
                on=date(2026, 2, 1),
                actor="clerk",
                actor_kind="staff",
                purpose="  ",
            )
    from civitas.register.models import AccessLogEntry

    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "musterstadt"))
        (entry,) = db.scalars(select(AccessLogEntry)).all()
        assert (entry.actor, entry.purpose) == ("clerk", "Answering her letter of 2 Feb")


def test_one_city_cannot_touch_another_citys_register(engine, two_cities):
    apply(engine, move_in("e1", "anna"))
    with pytest.raises(InvalidInput, match="cannot be applied"):
        apply(
            engine,
            {"event_id": "e2", "type": "death", "date": "2026-02-01", "person": "anna"},
            slug="trujillo",
        )
    assert count(engine, Person, "trujillo") == 0
