"""Booking: free times from hours, exceptions, holidays, counters and durations; a hold
confirmed; the refusals, each naming its field; cancelling and moving; the iCalendar
invitation and its e-mail; the signed link."""

from __future__ import annotations

import email
from datetime import date, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from civitas.appointments import booking, calendar, ics
from civitas.appointments.models import Appointment
from civitas.appointments.offices import definition_of
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.config import get_settings
from civitas.core.db import session_scope
from civitas.core.errors import Conflict, InvalidInput, NotFound, TooManyAttempts
from civitas.notifications import mail
from civitas.notifications.models import OutboxMessage
from tests.appointments.helpers import local, office, office_yaml, with_office


# Monday 1 March 2027 in Trujillo, before the office opens
def _now(city):
    return local(city, 2027, 3, 1, 7, 0)


def _book(db, city, start, *, email="ana@example.org", name="Ana Díaz", hold=False, now=None, **kw):
    return booking.book(
        db,
        city,
        office=office(db, city),
        services=kw.pop("services", ["id-card"]),
        start=start,
        name=name,
        email=email,
        language="es",
        channel=kw.pop("channel", "online"),
        hold=hold,
        now=now or _now(city),
        **kw,
    )


def test_free_times_follow_hours_counters_and_durations(engine, two_cities):
    city = with_office(text=office_yaml(counters=2, walk_in_only=1))
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        enter_city(db, city)
        here = office(db, city)
        now = _now(city)
        day = date(2027, 3, 2)
        slots = calendar.free_slots(db, city, here, "id-card", 20, day, day, now=now)
        # 08:00–12:00 in 10-minute units; a 20-minute visit can start until 11:40
        assert [s.start.strftime("%H:%M") for s in slots][:3] == ["08:00", "08:10", "08:20"]
        assert slots[-1].start.strftime("%H:%M") == "11:40"
        assert len(slots) == 23
        # two counters take appointments (the walk-in counter does not)
        assert {s.remaining for s in slots} == {2}
        _book(db, city, slots[0].start, email="a@example.org", name="A One")
        _book(db, city, slots[0].start, email="b@example.org", name="B Two")
        after = calendar.free_slots(db, city, here, "id-card", 20, day, day, now=now)
        starts = [s.start.strftime("%H:%M") for s in after]
        # 08:00 and 08:10 are full (each 20-minute visit takes two units)
        assert starts[0] == "08:20"
        # the 10-minute service fits nowhere before 08:20 either
        short = calendar.free_slots(db, city, here, "certificate", 10, day, day, now=now)
        assert short[0].start.strftime("%H:%M") == "08:20"


def test_holidays_and_exceptions_close_the_office(engine, two_cities):
    text = office_yaml(
        exceptions=(
            "  - {date: 2027-03-03, closed: true}\n"
            '  - {date: 2027-03-04, opens: "09:00", closes: "10:00"}'
        )
    )
    city = with_office(text=text)
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        spec = definition_of(office(db, city))
        assert calendar.openings(city, spec, date(2027, 3, 3)) == []
        assert [(o.hour, c.hour) for o, c in calendar.openings(city, spec, date(2027, 3, 4))] == [
            (9, 10)
        ]
        # Peru's Independence Day
        assert calendar.openings(city, spec, date(2027, 7, 28)) == []
        assert calendar.holiday(city, spec, date(2027, 7, 28), "es")
        with pytest.raises(InvalidInput) as refused:
            _book(db, city, local(city, 2027, 3, 3, 9, 0))
        assert refused.value.problems[0].location == "start"
        assert "closed" in str(refused.value)


@pytest.mark.parametrize(
    ("start", "says"),
    [
        ((2027, 2, 28, 9, 0), "has passed"),
        ((2027, 3, 1, 7, 30), "at least 60 minutes ahead"),
        ((2027, 6, 1, 9, 0), "up to 42 days ahead"),
        ((2027, 3, 2, 7, 0), "does not offer 07:00"),
        ((2027, 3, 2, 9, 5), "does not offer 09:05"),
        ((2027, 3, 2, 11, 50), "does not offer 11:50"),  # 20 minutes do not fit before 12:00
    ],
)
def test_a_start_the_office_does_not_offer_is_refused_by_name(engine, two_cities, start, says):
    city = with_office()
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        with pytest.raises(InvalidInput) as refused:
            _book(db, city, local(city, *start))
        assert says in str(refused.value)
        assert refused.value.problems[0].location == "start"
        assert db.scalar(select(func.count(Appointment.id))) == 0


def test_bad_contact_details_and_a_service_not_offered_are_named(engine, two_cities):
    city = with_office()
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        start = local(city, 2027, 3, 2, 9, 0)
        with pytest.raises(InvalidInput) as refused:
            _book(db, city, start, email="not-an-address", name=" ")
        assert {p.location for p in refused.value.problems} == {"email", "name"}
        with pytest.raises(InvalidInput) as refused:
            _book(db, city, start, services=["marriage"])
        assert refused.value.problems[0].location == "service"
        with pytest.raises(InvalidInput):
            booking.parse_start(city, "next tuesday")


def test_places_are_released_in_stages(engine, two_cities):
    text = office_yaml(
        counters=3, booking='  days_ahead: 10\n  release_at: ["08:00", "12:00", "16:00"]'
    )
    text = text.replace('  release_at: ["00:00"]\n', "")
    city = with_office(text=text)
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        here = office(db, city)
        last = date(2027, 3, 11)  # ten days after 1 March

        def free(now):
            return calendar.free_slots(db, city, here, "id-card", 20, last, last, now=now)

        assert free(local(city, 2027, 3, 1, 7, 0)) == []
        assert {s.remaining for s in free(local(city, 2027, 3, 1, 9, 0))} == {1}
        assert {s.remaining for s in free(local(city, 2027, 3, 1, 13, 0))} == {2}
        assert {s.remaining for s in free(local(city, 2027, 3, 1, 17, 0))} == {3}
        with pytest.raises(InvalidInput) as refused:
            _book(db, city, local(city, 2027, 3, 11, 9, 0), now=local(city, 2027, 3, 1, 7, 0))
        assert "not released yet" in str(refused.value)


def test_a_hold_is_confirmed_once_and_a_taken_time_offers_the_next(engine, two_cities):
    city = with_office(text=office_yaml(counters=1))
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        now = _now(city)
        start = local(city, 2027, 3, 2, 9, 0)
        held = _book(db, city, start, hold=True)
        assert held.status == "held"
        # held: nobody else gets it meanwhile, and is offered the next times
        with pytest.raises(booking.SlotTaken) as taken:
            _book(db, city, start, email="other@example.org", name="Other Person")
        assert [s.start.strftime("%H:%M") for s in taken.value.alternatives][:2] == [
            "09:20",
            "09:30",
        ]
        booking.confirm(db, city, held, now=now)
        booking.confirm(db, city, held, now=now)  # a double press
        assert held.status == "booked"
        mails = list(
            db.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "ana@example.org"))
        )
        assert len(mails) == 1
        # a hold that ran out frees its place
        later = _book(
            db, city, local(city, 2027, 3, 2, 10, 0), email="c@example.org", name="C", hold=True
        )
        after = now + timedelta(minutes=11)
        free = calendar.free_slots(
            db, city, office(db, city), "id-card", 20, date(2027, 3, 2), date(2027, 3, 2), now=after
        )
        assert "10:00" in [s.start.strftime("%H:%M") for s in free]
        assert booking.expire_holds(db, city, now=after) == 1
        db.refresh(later)
        assert later.status == "expired"
        booking.confirm(db, city, later, now=after)  # still free: booked after all
        assert later.status == "booked"


def test_limits_per_email_person_and_attempts(engine, two_cities):
    city = with_office(
        text=office_yaml(
            counters=3,
            booking="  max_per_email: 2\n  max_per_person: 2\n  max_attempts_per_hour: 3",
        )
    )
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        _book(db, city, local(city, 2027, 3, 2, 9, 0))
        _book(db, city, local(city, 2027, 3, 2, 10, 0), name="Ana Diaz")
        with pytest.raises(Conflict) as refused:
            _book(db, city, local(city, 2027, 3, 2, 11, 0), name="Someone Else")
        assert refused.value.problems[0].location == "email"
        # the same person under another address: the name, folded, is the person
        with pytest.raises(Conflict) as refused:
            _book(
                db, city, local(city, 2027, 3, 2, 11, 0), email="ana2@example.org", name="ANA  DÍAZ"
            )
        assert refused.value.problems[0].location == "name"
        # attempts an hour (the refused ones count too)
        with pytest.raises(TooManyAttempts):
            _book(db, city, local(city, 2027, 3, 2, 11, 0), name="Ana", client="203.0.113.9")
        # staff booking for a caller is not held to the residents' limits
        _book(db, city, local(city, 2027, 3, 2, 11, 0), channel="staff", actor="b-agent")


def test_the_invitation_the_link_cancel_and_move(engine, two_cities, monkeypatch):
    city = with_office()
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        now = _now(city)
        booked = _book(db, city, local(city, 2027, 3, 2, 9, 0))
        message = db.scalar(
            select(OutboxMessage).where(OutboxMessage.recipient == "ana@example.org")
        )
        built = mail.build(
            get_settings(),
            message_id="x",
            recipient=message.recipient,
            subject=message.subject,
            body=message.body,
            attachments=message.attachments,
        )
        parsed = email.message_from_bytes(built.as_bytes())
        part = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
        assert part.get_param("method") == "REQUEST"
        cal = Calendar.from_ical(bytes(part.get_payload(decode=True)))
        assert str(cal["method"]) == "REQUEST"
        event = cal.walk("VEVENT")[0]
        for needed in (
            "uid",
            "dtstamp",
            "dtstart",
            "dtend",
            "sequence",
            "organizer",
            "attendee",
            "summary",
        ):
            assert needed in event, needed
        assert event.decoded("dtstart") == local(city, 2027, 3, 2, 9, 0)
        assert str(event["dtstart"].params["TZID"]) == "America/Lima"
        assert cal.walk("VTIMEZONE"), "the zone the time needs travels with it"
        link = booking.link_for(city, booked)
        reference, token = link.rsplit("/", 2)[-2:]
        assert booking.by_token(db, city, reference, token).id == booked.id
        with pytest.raises(NotFound):
            booking.by_token(db, city, reference, token[:-1] + ("0" if token[-1] != "0" else "1"))
        booking.move(db, city, booked, local(city, 2027, 3, 3, 10, 0), now=now)
        assert booked.sequence == 1
        booking.cancel(db, city, booked, now=now)
        booking.cancel(db, city, booked, now=now)  # twice: the same
        cancelled = db.scalar(
            select(OutboxMessage).where(
                OutboxMessage.dedupe_key.like(f"appointment:{booked.id}:cancelled:%")
            )
        )
        text = cancelled.attachments[0]["text"]
        cal = Calendar.from_ical(text)
        assert str(cal["method"]) == "CANCEL"
        event = cal.walk("VEVENT")[0]
        assert str(event["status"]) == "CANCELLED"
        assert event.decoded("sequence") == 2
        assert str(event["uid"]) == ics.uid(city, booked)
        # the place is free again
        free = calendar.free_slots(
            db, city, office(db, city), "id-card", 20, date(2027, 3, 3), date(2027, 3, 3), now=now
        )
        assert {s.remaining for s in free if s.start.hour == 10 and s.start.minute == 0} == {2}
        # after its time, the link no longer cancels
        again = _book(db, city, local(city, 2027, 3, 2, 9, 0), email="z@example.org", name="Z")
        with pytest.raises(Conflict):
            booking.cancel(db, city, again, now=local(city, 2027, 3, 2, 9, 30))


def test_reminders_go_the_day_before_once(engine, two_cities):
    city = with_office()
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        _book(db, city, local(city, 2027, 3, 2, 9, 0))
        _book(db, city, local(city, 2027, 3, 3, 9, 0), email="later@example.org", name="Later")
        assert booking.remind(db, city, now=local(city, 2027, 3, 1, 18, 0)) == 1
        assert booking.remind(db, city, now=local(city, 2027, 3, 1, 19, 0)) == 0
        subjects = list(
            db.scalars(
                select(OutboxMessage.subject).where(OutboxMessage.recipient == "ana@example.org")
            )
        )
        assert any("Recordatorio" in s or "Reminder" in s for s in subjects), subjects


def test_who_came_is_erased_after_the_offices_keep_days(engine, two_cities):
    city = with_office(text=office_yaml(booking="  keep_days: 30"))
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        made = _book(db, city, local(city, 2027, 3, 2, 9, 0), client="198.51.100.7")
        assert booking.forget_past(db, city, now=local(city, 2027, 3, 20, 0, 0)) == 0
        assert booking.forget_past(db, city, now=local(city, 2027, 4, 2, 10, 0)) == 1
        db.refresh(made)
        assert (made.name, made.email, made.person_key, made.phone) == ("", "", "", None)
        assert made.status == "booked"  # what happened stays for the figures
        from civitas.appointments.models import BookingAttempt

        assert db.scalar(select(func.count(BookingAttempt.id))) == 0


def test_the_invitation_arrives_over_real_smtp(engine, two_cities, smtp):
    """The booking's e-mail through the worker's delivery to an SMTP server on loopback:
    the calendar arrives as its own part, text/calendar with method=REQUEST."""
    from civitas.core.db import session_factory
    from civitas.notifications.service import deliver_due
    from tests.mailserver import mail_settings

    city = with_office()
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        _book(db, city, local(city, 2027, 3, 2, 9, 0), email="smtp@example.org")
    counts = deliver_due(session_factory(), mail_settings(smtp.controller.port))
    assert counts["failed"] == 0
    (message,) = [m for m in smtp.messages if m["To"] == "smtp@example.org"]
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    assert parts[0].get_param("method") == "REQUEST"
    assert parts[0].get_filename() == "appointment.ics"
    cal = Calendar.from_ical(bytes(parts[0].get_payload(decode=True)))
    assert cal.walk("VEVENT")[0].decoded("dtstart") == local(city, 2027, 3, 2, 9, 0)
