"""Where appointments meet the other domains' pages: a service's page offers booking at
the offices that offer it, and a sent application that needs the applicant at the office
offers an appointment booked for it (only through its own signed link)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from civitas.appointments import calendar
from civitas.appointments.models import Appointment
from civitas.appointments.offices import save_office
from civitas.appointments.web.pages import application_sign
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope, utcnow
from civitas.residents.models import ResidentAccount
from tests.applications.helpers import CODE, filled_draft, with_form
from tests.appointments.helpers import office_yaml, with_office
from tests.factories import PASSWORD, form_token, password_hash

CITY = "musterstadt"
EMAIL = "anwohnerin@musterstadt.example"


def _office_for_registration() -> None:
    text = office_yaml(
        hours='{days: [mo, tu, we, th, fr, sa, su], opens: "08:00", closes: "18:00"}'
    ).replace(
        "  - {service: certificate, minutes: 10, letter: B}",
        "  - {service: certificate, minutes: 10, letter: B}\n"
        f"  - {{service: {CODE}, minutes: 20, letter: R}}",
    )
    with session_scope() as db:
        city = get_city_by_slug(db, CITY)
        save_office(db, city, text=text, actor="test")


def _signed_in_applicant(client: Any) -> int:
    with session_scope() as db:
        city = get_city_by_slug(db, CITY)
        enter_city(db, city)
        account = ResidentAccount(
            email=EMAIL, password_hash=password_hash(), language="en", verified_at=utcnow()
        )
        db.add(account)
        db.flush()
        from civitas.applications import applying

        opened = filled_draft(db, city, account.id, lang="en")
        applying.submit(db, city, opened, lang="en")
        application_id = int(opened.application.id)
    csrf = form_token(client, f"/{CITY}/account?lang=en")
    r = client.post(
        f"/{CITY}/account/signin",
        data={"csrf": csrf, "email": EMAIL, "password": PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return application_id


def test_a_service_page_offers_booking_where_an_office_offers_it(client, engine, two_cities):
    with_office(CITY)
    page = client.get(f"/{CITY}/services/id-card?lang=en")
    assert page.status_code == 200
    assert "/musterstadt/appointments/book?service=id-card" in page.text
    with_form(CITY, fee_minor=0)
    other = client.get(f"/{CITY}/services/{CODE}?lang=en")
    assert "/appointments/book" not in other.text  # no office offers it


def test_an_application_needing_the_applicant_links_its_appointment(client, engine, two_cities):
    with_office(CITY)
    with_form(CITY, fee_minor=0)
    _office_for_registration()
    application_id = _signed_in_applicant(client)
    page = client.get(f"/{CITY}/account/applications/{application_id}?lang=en")
    assert page.status_code == 200
    link = re.search(r'href="(/musterstadt/appointments/book\?[^"]+)"', page.text)
    assert link is not None, "the application offers an appointment"
    target = link.group(1).replace("&amp;", "&")
    assert f"application={application_id}" in target
    times = client.get(target)
    assert times.status_code == 200
    start = re.search(r'name="start" value="([^"]+)"', times.text)
    assert start is not None
    csrf = form_token(client, target)
    data = {
        "csrf": csrf,
        "service": CODE,
        "office": "main",
        "start": start.group(1),
        "name": "Anna Anwohnerin",
        "email": EMAIL,
        "language": "en",
        "application": str(application_id),
    }
    # a forged signature books, but for no application
    forged = client.post(
        f"/{CITY}/appointments/book?lang=en", data={**data, "sig": "0" * 32}, follow_redirects=False
    )
    assert forged.status_code == 303
    with session_scope() as db:
        city = get_city_by_slug(db, CITY)
        enter_city(db, city)
        made = db.scalars(select(Appointment)).all()
        assert [a.application_id for a in made] == [None]
        sig = application_sign(city, application_id)
        later = calendar.free_slots(
            db,
            city,
            calendar_office(db, city),
            CODE,
            20,
            made[0].start.date(),
            made[0].start.date(),
            now=utcnow(),
        )
    second = client.post(
        f"/{CITY}/appointments/book?lang=en",
        data={**data, "start": later[-1].start.isoformat(), "sig": sig},
        follow_redirects=False,
    )
    assert second.status_code == 303, second.text
    confirm = second.headers["location"]
    csrf = form_token(client, confirm)
    done = client.post(
        confirm.split("?")[0] + "?lang=en", data={"csrf": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    page = client.get(f"/{CITY}/account/applications/{application_id}?lang=en")
    assert "Your appointment at the office" in page.text
    assert "/musterstadt/appointment/" in page.text


def calendar_office(db: Any, city: Any) -> Any:
    from civitas.appointments.offices import office_by_code

    return office_by_code(db, city, "main")


def test_one_visit_for_two_services(client, engine, two_cities):
    with_office(CITY)
    index = client.get(f"/{CITY}/appointments?lang=en")
    assert 'name="service" value="id-card"' in index.text
    times = client.get(f"/{CITY}/appointments/book?service=id-card&service=certificate&lang=en")
    assert times.status_code == 200
    assert "30 minutes" in times.text  # 20 and 10
    start = re.search(r'name="start" value="([^"]+)"', times.text)
    assert start is not None
    csrf = form_token(client, f"/{CITY}/appointments/book?service=id-card&lang=en")
    held = client.post(
        f"/{CITY}/appointments/book?lang=en",
        data={
            "csrf": csrf,
            "service": ["id-card", "certificate"],
            "office": "main",
            "start": start.group(1),
            "name": "Two Things",
            "email": "two@example.org",
            "language": "en",
        },
        follow_redirects=False,
    )
    assert held.status_code == 303, held.text
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, CITY))
        made = db.scalars(select(Appointment)).one()
        assert [s["code"] for s in made.services] == ["id-card", "certificate"]
        assert (made.end - made.start).total_seconds() == 30 * 60
    # five services at once, or none, is refused by name
    many = "&".join(f"service={c}" for c in ("a", "b", "c", "d", "e"))
    assert client.get(f"/{CITY}/appointments/book?{many}&lang=en").status_code == 400
    nothing = client.get(f"/{CITY}/appointments/book?lang=en", follow_redirects=False)
    assert nothing.status_code == 303
