"""The proactive city in a real browser: a resident finds the birth grant paid without an
application and the parking permit offered, accepts it with an IBAN, and sees who read her
data; a case worker opens a decision with its explanation. Every page passes axe-core."""

from __future__ import annotations

from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope, utcnow
from civitas.residents.models import ResidentAccount
from tests.factories import PASSWORD, password_hash
from tests.proactive.helpers import family, with_rules

EMAIL = "anwohnerin@musterstadt.example"


def test_a_resident_accepts_an_offer_and_sees_who_read_her_data(pages, engine, two_cities):
    with_rules(engine, "musterstadt")
    family(engine)
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "musterstadt"))
        db.add(ResidentAccount(email=EMAIL, password_hash=password_hash(), verified_at=utcnow()))
    page = pages.new()
    page.goto("/musterstadt/account?lang=de")
    page.locator("#signin-email").fill(EMAIL)
    page.locator("#signin-password").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("link", name="Meine Angebote und Leistungen").first.click()
    page.wait_for_url("**/account/offers**")
    pages.check(page, "offers-de")
    assert "Begrüßungsgeld für Neugeborene" in page.content()
    assert "Für Clara Beispiel" in page.content()
    permit = page.locator("section.offer", has_text="Bewohnerparkausweis")
    permit.get_by_text("Wie entschieden wurde").click()
    assert "Parkzone = Z1" in permit.inner_text()
    permit.get_by_label("Ihre IBAN").fill("DE89 3704 0044 0532 0130 01")
    permit.get_by_role("button", name="Annehmen").click()
    assert page.locator(".error-summary").is_visible()
    pages.check(page, "offers-de-iban-error")
    assert "keine gültige IBAN" in page.content()
    permit = page.locator("section.offer", has_text="Bewohnerparkausweis")
    permit.get_by_label("Ihre IBAN").fill("DE89 3704 0044 0532 0130 00")
    permit.get_by_role("button", name="Annehmen").click()
    page.wait_for_url("**/account/offers**")
    assert (
        "Angenommen" in page.locator("section.offer", has_text="Bewohnerparkausweis").inner_text()
    )
    page.goto("/musterstadt/account/offers?lang=en")
    pages.check(page, "offers-en")
    page.get_by_role("link", name="Who read my data").first.click()
    page.wait_for_url("**/account/data-log**")
    pages.check(page, "data-log-en")
    assert "Automatic check" in page.content()


def test_a_case_worker_reads_a_decision_and_its_reasons(pages, engine, two_cities):
    with_rules(engine, "musterstadt")
    family(engine)
    staff = pages.staff("b-caseworker", city="musterstadt")
    staff.goto("/musterstadt/staff/proactive?show=all&lang=en")
    pages.check(staff, "staff-proactive")
    staff.get_by_role("link", name="Birth grant").first.click()
    staff.wait_for_url("**/staff/proactive/**")
    pages.check(staff, "staff-proactive-decision")
    assert "age_days <= birth_grant.claim_days" in staff.content().replace("&lt;", "<")


def test_an_administrator_edits_a_rule(pages, engine, two_cities):
    with_rules(engine, "musterstadt")
    admin = pages.staff("b-administrator", city="musterstadt")
    admin.goto("/musterstadt/staff/rules?lang=en")
    pages.check(admin, "staff-rules")
    admin.get_by_role("link", name="Senior culture pass").click()
    admin.wait_for_url("**/staff/rules/senior-culture-pass**")
    pages.check(admin, "staff-rule")
    text = admin.get_by_label("The rule (YAML)")
    text.fill(text.input_value().replace("age >= senior_pass.min_age", "agee >= 1"))
    admin.get_by_role("button", name="Check").click()
    assert admin.locator("#error-summary").is_visible()
    assert "Unknown name «agee»" in admin.locator("#error-summary").inner_text()
    pages.check(admin, "staff-rule-error")
