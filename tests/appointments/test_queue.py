"""The waiting room: tickets and check-ins in one line, counters calling, serving,
transferring and finishing, missed appointments, a place in line followed by link, the
display's calls; and the figures, right in the edge cases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from civitas.appointments import booking, queue
from civitas.appointments.kpis import compute
from civitas.appointments.models import Appointment, Counter
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope
from civitas.core.errors import Conflict, InvalidInput, NotFound
from civitas.core.kpis import Period
from tests.appointments.helpers import local, office, office_yaml, with_office


def _counters(db, city):
    here = office(db, city)
    return {c.code: c for c in db.scalars(select(Counter).where(Counter.office_id == here.id))}


def _booked(db, city, hour, minute, name):
    return booking.book(
        db,
        city,
        office=office(db, city),
        services=["id-card"],
        start=local(city, 2027, 3, 2, hour, minute),
        name=name,
        email=f"{name.lower()}@example.org",
        language="es",
        channel="staff",
        now=local(city, 2027, 3, 1, 7, 0),
    )


def test_one_line_for_walk_ins_and_appointments(engine, two_cities):
    city = with_office(text=office_yaml(counters=2, walk_in_only=1))
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        enter_city(db, city)
        here = office(db, city)
        counters = _counters(db, city)
        t0 = local(city, 2027, 3, 2, 8, 50)
        ana = _booked(db, city, 9, 0, "Ana")
        walk = queue.issue(db, city, here, "certificate", now=t0)
        assert walk.code == "B001"
        early = queue.check_in(db, city, ana, now=t0 + timedelta(minutes=2))
        assert queue.check_in(db, city, ana, now=t0 + timedelta(minutes=3)).id == early.id
        assert early.code == "A002"
        # before 09:00 the walk-in came first; the appointment's place is its time
        place = queue.place_of(db, city, early, now=t0 + timedelta(minutes=3))
        assert place is not None
        assert place.ahead == 1
        assert place.minutes >= 7  # it is due at 09:00 at the earliest
        late = queue.issue(db, city, here, "id-card", now=t0 + timedelta(minutes=5))
        # at 09:01 the due appointment goes before both walk-ins
        at = local(city, 2027, 3, 2, 9, 1)
        called = queue.call_next(db, city, here, counters["1"], now=at)
        assert called is not None
        assert called.id == early.id
        with pytest.raises(Conflict):
            queue.call_next(db, city, here, counters["1"], now=at)  # still at the counter
        second = queue.call_next(db, city, here, counters["2"], now=at + timedelta(seconds=30))
        assert second is not None
        assert second.id == walk.id
        assert [c.code for c in queue.calls(db, city, here, now=at)] == ["B001", "A002"]
        queue.call_again(db, city, second, counters["2"], now=at + timedelta(minutes=1))
        assert queue.calls(db, city, here, now=at)[0].code == "B001"
        queue.no_show(db, city, second, counters["2"], now=at + timedelta(minutes=3))
        third = queue.call_next(db, city, here, counters["2"], now=at + timedelta(minutes=3))
        assert third.id == late.id
        queue.start(db, city, called, counters["1"], now=at + timedelta(minutes=1))
        queue.finish(db, city, called, counters["1"], now=at + timedelta(minutes=16))
        db.refresh(ana)
        assert ana.status == "done"
        assert called.served_seconds == 15 * 60
        # a service the office does not offer, or a closed office, gets no ticket
        with pytest.raises(InvalidInput) as refused:
            queue.issue(db, city, here, "marriage", now=at)
        assert refused.value.problems[0].location == "service"
        with pytest.raises(Conflict):
            queue.issue(db, city, here, "id-card", now=local(city, 2027, 3, 2, 13, 0))
        # the link on the ticket, and a forged one
        token = queue.token_for(city, late)
        assert queue.by_token(db, city, late.id, token).id == late.id
        with pytest.raises(NotFound):
            queue.by_token(db, city, late.id, "0" * 32)


def test_a_counter_calls_only_what_it_serves_and_a_transfer_keeps_the_place(engine, two_cities):
    text = office_yaml(counters=2).replace(
        '  - {code: "2", name: {en: Counter 2, es: Ventanilla 2}}',
        '  - {code: "2", name: {en: Counter 2}, services: [certificate]}',
    )
    city = with_office(text=text)
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        enter_city(db, city)
        here = office(db, city)
        counters = _counters(db, city)
        t0 = local(city, 2027, 3, 2, 9, 0)
        first = queue.issue(db, city, here, "id-card", now=t0)
        second = queue.issue(db, city, here, "certificate", now=t0 + timedelta(minutes=1))
        # counter 2 serves certificates only: it skips the id-card
        assert (
            queue.call_next(db, city, here, counters["2"], now=t0 + timedelta(minutes=2)).id
            == second.id
        )
        queue.finish(db, city, second, counters["2"], now=t0 + timedelta(minutes=12))
        assert (
            queue.call_next(db, city, here, counters["2"], now=t0 + timedelta(minutes=12)) is None
        )
        called = queue.call_next(db, city, here, counters["1"], now=t0 + timedelta(minutes=4))
        assert called.id == first.id
        queue.start(db, city, first, counters["1"], now=t0 + timedelta(minutes=5))
        # sent on to counter 2 for a certificate as well: it keeps its place
        newcomer = queue.issue(db, city, here, "certificate", now=t0 + timedelta(minutes=6))
        queue.transfer(
            db, city, first, counters["1"], to_service="certificate", now=t0 + timedelta(minutes=10)
        )
        again = queue.call_next(db, city, here, counters["2"], now=t0 + timedelta(minutes=13))
        assert again.id == first.id, "the transferred visit goes before the newcomer"
        queue.start(db, city, first, counters["2"], now=t0 + timedelta(minutes=13))
        queue.finish(db, city, first, counters["2"], now=t0 + timedelta(minutes=18))
        assert first.transfers == 1
        assert first.served_seconds == 10 * 60  # 5 at counter 1, 5 at counter 2
        assert first.first_called_at == t0 + timedelta(minutes=4)
        with pytest.raises(Conflict):  # not at this counter
            queue.transfer(db, city, newcomer, counters["1"], now=t0 + timedelta(minutes=18))
        called = queue.call_next(db, city, here, counters["1"], now=t0 + timedelta(minutes=19))
        assert called.id == newcomer.id
        with pytest.raises(InvalidInput):  # transferred to nowhere
            queue.transfer(db, city, newcomer, counters["1"], now=t0 + timedelta(minutes=20))
        # the figures: the transferred visit counts once, waited 4 minutes, served 10;
        # the others waited 1 and 13 minutes
        db.commit()
        with engine.connect() as conn:
            cells = {
                (c.kpi, c.key): c
                for c in compute(conn, city.id, Period.of("2027-03", city.timezone))
            }
        assert cells[("appointments_wait_p50", "")].n == 3
        assert cells[("appointments_wait_p50", "")].value == 4.0
        assert cells[("appointments_wait_p90", "")].value == 13.0
        assert cells[("appointments_service_p50", "certificate")].value == 10.0
        assert cells[("appointments_service_p50", "")].n == 2
        assert cells[("appointments_booked_share_pct", "")].value == 0.0


def test_missed_appointments_and_empty_months(engine, two_cities):
    city = with_office()
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        enter_city(db, city)
        ana = _booked(db, city, 9, 0, "Ana")
        bob = _booked(db, city, 10, 0, "Bob")
        # 15 minutes of grace: not yet missed at 09:10, missed at 09:16
        assert queue.mark_no_shows(db, city, now=local(city, 2027, 3, 2, 9, 10)) == 0
        assert queue.mark_no_shows(db, city, now=local(city, 2027, 3, 2, 9, 16)) == 1
        db.refresh(ana)
        assert ana.status == "no_show"
        with pytest.raises(Conflict):
            queue.check_in(db, city, ana, now=local(city, 2027, 3, 2, 9, 20))
        ticket = queue.check_in(db, city, bob, now=local(city, 2027, 3, 2, 9, 55))
        here = office(db, city)
        counter = _counters(db, city)["1"]
        queue.call_next(db, city, here, counter, now=local(city, 2027, 3, 2, 10, 5))
        queue.finish(db, city, ticket, counter, now=local(city, 2027, 3, 2, 10, 20))
        db.commit()
        with engine.connect() as conn:
            march = {
                (c.kpi, c.key): c
                for c in compute(conn, city.id, Period.of("2027-03", city.timezone))
            }
            april = list(compute(conn, city.id, Period.of("2027-04", city.timezone)))
        assert march[("appointments_no_show_pct", "")].value == 50.0
        assert march[("appointments_booked_share_pct", "")].value == 100.0
        # Bob came early: his wait runs from his time, 10:00, to the call at 10:05
        assert march[("appointments_wait_p50", "")].value == 5.0
        # a month without visits has no figures, not zeros
        assert [c for c in april if c.kpi.startswith("appointments_wait")] == []
        assert db.scalar(select(Appointment.status).where(Appointment.id == bob.id)) == "done"


def test_only_the_staff_a_service_names_call_it(engine, two_cities):
    text = office_yaml(counters=1).replace(
        "  - {service: id-card, minutes: 20, letter: A}",
        "  - {service: id-card, minutes: 20, letter: A, staff: [a-caseworker]}",
    )
    city = with_office(text=text)
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        enter_city(db, city)
        here = office(db, city)
        counter = _counters(db, city)["1"]
        t0 = local(city, 2027, 3, 2, 9, 0)
        card = queue.issue(db, city, here, "id-card", now=t0)
        paper = queue.issue(db, city, here, "certificate", now=t0 + timedelta(minutes=1))
        # someone else at the counter skips the id-card and calls the certificate
        called = queue.call_next(db, city, here, counter, staff="a-agent", now=t0)
        assert called is not None
        assert called.id == paper.id
        queue.finish(db, city, called, counter, now=t0 + timedelta(minutes=5))
        assert queue.call_next(db, city, here, counter, staff="a-agent", now=t0) is None
        named = queue.call_next(db, city, here, counter, staff="a-caseworker", now=t0)
        assert named is not None
        assert named.id == card.id
