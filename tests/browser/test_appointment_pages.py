"""Appointments in a real browser, in each city's languages: a resident books (meeting an
error named in her language first), downloads the invitation and cancels through her
link; a walk-in takes a ticket at the kiosk; an appointment holder is checked in at the
front desk; a counter calls both, and the waiting room's display shows and announces
the calls. Every page passes axe-core, on a phone and at a desk."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from civitas.appointments.booking import ALPHABET
from civitas.appointments.models import Appointment
from civitas.appointments.offices import office_by_code
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope, utcnow
from civitas.notifications.models import OutboxMessage
from tests.appointments.helpers import office_yaml, with_office

WORDS = {
    "de": {
        "confirm": "Termin bestätigen",
        "cancel": "Termin absagen",
        "booked": "Ihr Termin ist gebucht",
        "cancelled": "Der Termin ist abgesagt",
        "next": "Nächste Nummer aufrufen",
        "finish": "Abschließen",
        "check_in": "Anmelden",
        "error": "Geben Sie den Namen",
        "called": "Aufgerufen",
    },
    "en": {  # kept for a run in English (add a case)
        "confirm": "Confirm the appointment",
        "cancel": "Cancel the appointment",
        "booked": "Your appointment is booked",
        "cancelled": "The appointment is cancelled",
        "next": "Call the next",
        "finish": "Finish",
        "check_in": "Check in",
        "error": "Give the name",
        "called": "Called",
    },
    "es": {
        "confirm": "Confirmar la cita",
        "cancel": "Cancelar la cita",
        "booked": "Su cita está reservada",
        "cancelled": "La cita está cancelada",
        "next": "Llamar al siguiente",
        "finish": "Terminar",
        "check_in": "Registrar llegada",
        "error": "Indique el nombre",
        "called": "Llamado",
    },
}
# each city in its own language (English is the API's and the HTTP tests')
CASES = [
    ("musterstadt", "de", "b-caseworker"),
    ("trujillo", "es", "a-caseworker"),
]


def _office(slug: str) -> None:
    """An office open all day, today included (even on a public holiday)."""
    from civitas.appointments.calendar import local_now

    with session_scope() as db:
        today = local_now(get_city_by_slug(db, slug), utcnow()).date()
    exceptions = "\n".join(
        f'  - {{date: {today + timedelta(days=n)}, opens: "00:00", closes: "23:59"}}'
        for n in range(2)
    )
    with_office(
        slug,
        office_yaml(
            counters=2,
            hours='{days: [mo, tu, we, th, fr, sa, su], opens: "00:00", closes: "23:59"}',
            booking="  min_notice_minutes: 0",
            exceptions=exceptions,
        ),
    )


def _due_today(slug: str) -> str:
    """An appointment starting in a few minutes (made directly: the booking's own checks
    are the other test's)."""
    with session_scope() as db:
        city = get_city_by_slug(db, slug)
        enter_city(db, city)
        office = office_by_code(db, city, "main")
        from civitas.catalogue.models import Service

        service = db.scalar(select(Service).where(Service.code == "id-card"))
        assert service is not None
        start = utcnow() + timedelta(minutes=2)
        db.add(
            Appointment(
                office_id=office.id,
                service_id=service.id,
                services=[{"id": service.id, "code": "id-card", "minutes": 20}],
                start=start,
                end=start + timedelta(minutes=20),
                status="booked",
                reference="TODAY" + ALPHABET[len(slug)] * 3,
                name="Dora Desk",
                person_key="dora desk",
                email="dora@example.org",
                language=city.default_language,
                channel="staff",
            )
        )
    return "Dora Desk"


@pytest.mark.parametrize(("slug", "lang", "worker"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_book_cancel_take_a_ticket_and_be_called(
    pages: Any, two_cities: Any, daytime: Any, slug: str, lang: str, worker: str
) -> None:
    words = WORDS[lang]
    daytime(slug)  # the kiosk and the desk work on today's hours, whatever the hour
    _office(slug)
    page = pages.new()
    page.goto(f"/{slug}/appointments?lang={lang}")
    pages.check(page, f"appointments-index-{slug}-{lang}")
    page.locator(".appointment-services input[type=checkbox]").first.check()
    page.locator(".appointment-services button[type=submit]").click()
    page.wait_for_url("**/appointments/book**")
    pages.check(page, f"appointments-times-{slug}-{lang}")
    # a time without a name: refused, in the page's language, nothing held
    page.locator("button.time").first.click()
    assert words["error"] in page.locator("#error-summary").inner_text()
    pages.check(page, f"appointments-error-{slug}-{lang}")
    page.locator("#name").fill("Erika Muster")
    page.locator("#email").fill("erika@example.org")
    # a time of tomorrow's (a whole day of times, whatever the hour of today's run)
    tomorrow = page.locator("details.day").nth(1)
    tomorrow.locator("summary").click()
    tomorrow.locator("button.time").nth(2).click()
    page.wait_for_url("**/confirm**")
    pages.check(page, f"appointments-confirm-{slug}-{lang}")
    page.get_by_role("button", name=words["confirm"]).click()
    page.wait_for_url("**booked=1**")
    assert words["booked"] in page.content()
    pages.check(page, f"appointments-booked-{slug}-{lang}")
    invitation = page.request.get(page.locator("a[download]").get_attribute("href") or "")
    assert invitation.status == 200
    assert invitation.headers["content-type"].startswith("text/calendar")
    assert "METHOD:REQUEST" in invitation.text()
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, slug))
        mail = db.scalar(
            select(OutboxMessage).where(OutboxMessage.recipient == "erika@example.org")
        )
        assert mail is not None
        assert "METHOD:REQUEST" in mail.attachments[0]["text"]
        link = next(w for w in mail.body.split() if "/appointment/" in w)
    # the link from the e-mail, then cancel
    page.goto(urlsplit(link.rstrip(".")).path + f"?lang={lang}")
    page.get_by_role("button", name=words["cancel"]).click()
    page.wait_for_url("**done=cancelled**")
    assert words["cancelled"] in page.content()
    pages.check(page, f"appointments-cancelled-{slug}-{lang}")
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, slug))
        texts = [
            m.attachments[0]["text"]
            for m in db.scalars(
                select(OutboxMessage).where(OutboxMessage.recipient == "erika@example.org")
            )
        ]
        assert any("METHOD:CANCEL" in t for t in texts)

    # a walk-in at the kiosk
    kiosk = pages.new()
    kiosk.goto(f"/{slug}/offices/main/kiosk?lang={lang}")
    pages.check(kiosk, f"appointments-kiosk-{slug}-{lang}")
    kiosk.locator("button.kiosk-button").first.click()
    kiosk.wait_for_url("**/ticket/**")
    walk_in = kiosk.locator(".ticket-code").inner_text()
    pages.check(kiosk, f"appointments-ticket-{slug}-{lang}")

    # the waiting room's display, and the front desk checks in an appointment of today
    display = pages.new()
    display.goto(f"/{slug}/offices/main/display?lang={lang}")
    pages.check(display, f"appointments-display-{slug}-{lang}")
    name = _due_today(slug)
    staff = pages.staff(worker, city=slug)
    staff.goto(f"/{slug}/staff/offices/main?lang={lang}")
    pages.check(staff, f"appointments-desk-{slug}-{lang}")
    staff.get_by_role("button", name=words["check_in"]).click()
    staff.wait_for_url("**ticket=**")
    checked_in = staff.locator(".panel strong").inner_text()

    # a counter calls both: the walk-in (waiting longer) first
    staff.goto(f"/{slug}/staff/offices/main?lang={lang}")
    staff.locator("a[href*='/counters/']").first.click()
    pages.check(staff, f"appointments-counter-{slug}-{lang}")
    staff.get_by_role("button", name=words["next"]).click()
    assert staff.locator(".counter-now").inner_text() == walk_in
    expect(display.locator("#calls tr.latest td").first).to_have_text(walk_in, timeout=10_000)
    assert walk_in in display.locator("#announce").inner_text()
    kiosk.reload()
    assert words["called"] in kiosk.locator(".ticket-status").inner_text()
    staff.get_by_role("button", name=words["finish"]).click()
    staff.get_by_role("button", name=words["next"]).click()
    assert staff.locator(".counter-now").inner_text() == checked_in
    expect(display.locator("#calls tr.latest td").first).to_have_text(checked_in, timeout=10_000)
    assert checked_in in display.locator("#announce").inner_text()
    pages.check(display, f"appointments-display-calls-{slug}-{lang}")
    assert name
