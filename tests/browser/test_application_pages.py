"""Online applications in a real browser, in each city's languages: a resident of the
register applies (prefilled), meets an error named in her language, sends, pays through
the test provider and comes back paid; the case worker sees the application on its case,
asks for a document, which she uploads; the case worker decides, and she downloads the
notice. Every page passes axe-core, on a desk and on a phone."""

from __future__ import annotations

from typing import Any

import pytest

from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope, utcnow
from civitas.residents.models import ResidentAccount
from tests.applications.helpers import with_form
from tests.factories import PASSWORD, password_hash
from tests.proactive.helpers import family

CODE = "residence-certificate"
WORDS = {
    "de": {
        "sign_in": "Anmelden",
        "start": "Jetzt starten",
        "continue": "Weiter",
        "send": "Antrag senden und bezahlen",
        "pay": "Weiter zur Zahlung",
        "pay_now": "Jetzt bezahlen",
        "paid": "Ihre Zahlung ist eingegangen",
        "asked": "Das Amt braucht ein Dokument von Ihnen",
        "send_document": "Dokument senden",
        "notice": "Bescheid herunterladen (PDF)",
        "missing": "Wählen Sie eine Antwort.",
    },
    "en": {
        "sign_in": "Sign in",
        "start": "Start now",
        "continue": "Continue",
        "send": "Send the application and pay",
        "pay": "Continue to payment",
        "pay_now": "Pay now",
        "paid": "your payment has arrived",
        "asked": "The office needs a document from you",
        "send_document": "Send the document",
        "notice": "Download the decision notice (PDF)",
        "missing": "Choose an answer.",
    },
    "es": {
        "sign_in": "Iniciar sesión",
        "start": "Comenzar",
        "continue": "Continuar",
        "send": "Enviar la solicitud y pagar",
        "pay": "Continuar al pago",
        "pay_now": "Pagar ahora",
        "paid": "su pago llegó",
        "asked": "La oficina necesita un documento suyo",
        "send_document": "Enviar el documento",
        "notice": "Descargar la resolución (PDF)",
        "missing": "Elija una respuesta.",
    },
}
CASES = [
    ("musterstadt", "de", "anwohnerin@musterstadt.example", "b-caseworker"),
    ("musterstadt", "en", "anwohnerin@musterstadt.example", "b-caseworker"),
    ("trujillo", "es", "vecina@trujillo.example", "a-caseworker"),
    ("trujillo", "en", "vecina@trujillo.example", "a-caseworker"),
]


def _resident(slug: str, email: str) -> None:
    family(None, slug)
    with_form(slug, code=CODE)
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, slug))
        db.add(ResidentAccount(email=email, password_hash=password_hash(), verified_at=utcnow()))


@pytest.mark.parametrize(
    ("slug", "lang", "email", "worker"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES]
)
def test_a_resident_applies_pays_and_receives_the_notice(
    pages: Any, two_cities: Any, tmp_path: Any, slug: str, lang: str, email: str, worker: str
) -> None:
    from civitas.applications.models import Application
    from tests.applications.helpers import pdf_bytes

    words = WORDS[lang]
    _resident(slug, email)
    page = pages.new()
    page.goto(f"/{slug}/apply/{CODE}?lang={lang}")
    pages.check(page, f"apply-start-{slug}-{lang}")
    page.locator("a.button.start").click()
    page.locator("#signin-email").fill(email)
    page.locator("#signin-password").fill(PASSWORD)
    page.locator("form[action*='signin'] button").click()
    page.get_by_role("button", name=words["start"]).click()
    # name, birth date and address came from the register: the first question is the purpose
    page.wait_for_url("**/q/purpose**")
    page.get_by_role("button", name=words["continue"]).click()
    assert words["missing"] in page.locator("#error-summary").inner_text()
    pages.check(page, f"apply-error-{slug}-{lang}")
    page.locator("input[name=purpose]").first.check()
    page.get_by_role("button", name=words["continue"]).click()
    page.wait_for_url("**/q/declaration**")
    pages.check(page, f"apply-declaration-{slug}-{lang}")
    page.locator("input[name=declaration]").check()
    page.get_by_role("button", name=words["continue"]).click()
    page.wait_for_url("**/check**")
    pages.check(page, f"apply-check-{slug}-{lang}")
    page.get_by_role("button", name=words["send"]).click()
    page.wait_for_url("**sent=1**")
    pages.check(page, f"apply-sent-{slug}-{lang}")
    page.locator("#provider-testpsp").check()
    page.get_by_role("button", name=words["pay"]).click()
    page.wait_for_url("**/testpsp/checkout/**")
    pages.check(page, f"apply-psp-{slug}-{lang}")
    page.get_by_role("button", name=words["pay_now"]).click()
    page.wait_for_url("**paid=paid**")
    assert words["paid"] in page.content()
    pages.check(page, f"apply-paid-{slug}-{lang}")
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, slug))
        found = db.query(Application).one()
        application_id = found.id
        from civitas.cases.models import ServiceRequest

        case = db.get(ServiceRequest, found.request_id)
        assert case is not None
        number = case.number

    # the office: the application on its case page; a document asked for
    staff = pages.staff(worker, city=slug)
    staff.goto(f"/{slug}/staff/cases/{number}?lang={lang}")
    assert staff.locator(".application-panel").is_visible()
    pages.check(staff, f"apply-case-{slug}-{lang}")
    staff.goto(f"/{slug}/staff/applications/{number}/message?lang={lang}")
    pages.check(staff, f"apply-ask-{slug}-{lang}")
    staff.locator("#asks_for").fill("ID")
    staff.locator("#text").fill("Please upload your identity document.")
    staff.locator("main form button[type=submit]").click()
    staff.wait_for_url("**done=message**")

    page.goto(f"/{slug}/account/applications/{application_id}?lang={lang}")
    assert words["asked"] in page.content()
    pages.check(page, f"apply-asked-{slug}-{lang}")
    upload = tmp_path / "id.pdf"
    upload.write_bytes(pdf_bytes())
    page.locator("input[type=file]").first.set_input_files(str(upload))
    page.get_by_role("button", name=words["send_document"]).click()
    page.wait_for_url("**#messages")
    assert words["asked"] not in page.content()

    staff.goto(f"/{slug}/staff/applications/{number}/decide?lang={lang}")
    pages.check(staff, f"apply-decide-{slug}-{lang}")
    staff.locator("#outcome-approve").check()
    staff.locator("main form button[type=submit]").click()
    staff.wait_for_url("**done=decided**")

    page.goto(f"/{slug}/account/applications/{application_id}?lang={lang}")
    link = page.get_by_role("button", name=words["notice"])
    assert link.is_visible()
    answer = page.request.get(link.get_attribute("href") or "")
    assert answer.status == 200
    assert answer.body().startswith(b"%PDF-")
    pages.check(page, f"apply-decided-{slug}-{lang}")
    page.set_viewport_size({"width": 390, "height": 844})
    wide = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert wide <= 1
    page.goto(f"/{slug}/account/applications?lang={lang}")
    pages.check(page, f"apply-list-phone-{slug}-{lang}")
