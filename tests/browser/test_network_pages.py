"""The learning network in Chromium, as the issue's people use it: a case worker of
Trujillo shares a practice with its measured effect on a phone and submits it, the
coordinator publishes it at a desk, Musterstadt's manager adopts it in German; a
discussion gets an accepted answer; the partnership's project shows its KPI progress;
every page axe-clean in each language, and none wider than the phone."""

from __future__ import annotations

import re

from sqlalchemy import select

from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope
from civitas.insight.models import NetworkFigure
from civitas.network import community, partnerships
from civitas.network.models import Practice
from tests.network.test_practices import AFTER, BEFORE, _figures

PHONE = {"width": 390, "height": 844}


def _phone_staff(pages, username, city="trujillo", lang="es"):
    page = pages.new_context(viewport=PHONE, is_mobile=True).new_page()
    page.goto(f"/{city}/login?lang=en")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/{city}/staff**")
    return page


def test_share_review_and_adopt_a_practice(pages, two_cities):
    _figures("trujillo", {**BEFORE, **AFTER})
    _figures("musterstadt", {**BEFORE, **AFTER})
    phone = _phone_staff(pages, two_cities.a.users["case_worker"])
    phone.goto("/trujillo/network?lang=es")
    pages.check(phone, "home-es-phone")
    phone.get_by_role("link", name="Compartir una práctica de Trujillo").click()
    pages.check(phone, "new-es-phone")
    phone.get_by_label("Título").fill("Resolver en la primera llamada")
    phone.get_by_label("El problema").fill("Los vecinos llamaban varias veces.")
    phone.get_by_label("Qué se hizo").fill("La central resuelve con el catálogo a la mano.")
    phone.locator("#evidence-0\\.kpi").select_option("csat_pct")
    for field, month in (
        ("baseline_from", "2026-01"),
        ("baseline_to", "2026-03"),
        ("after_from", "2026-03"),  # overlaps: refused at its field
        ("after_to", "2026-06"),
    ):
        phone.locator(f"#evidence-0\\.{field}").fill(month)
    phone.get_by_role("button", name="Guardar como borrador").click()
    assert phone.locator(".error-summary").count() == 1
    assert "se superponen" in phone.locator("#evidence-0\\.after_from-error").inner_text()
    pages.check(phone, "new-es-refused")
    phone.locator("#evidence-0\\.after_from").fill("2026-05")
    phone.get_by_role("button", name="Guardar como borrador").click()
    phone.wait_for_url(re.compile(r".*/network/practices/\d+.*"))
    assert "mejoró" in phone.locator("table.effects").inner_text()
    pages.check(phone, "practice-es-draft")
    phone.get_by_role("button", name="Enviar a revisión").click()
    assert (
        "la coordinación de la red la revisará"
        in phone.locator(".notice[role=status]").inner_text()
    )
    practice_url = phone.url.split("?")[0]
    # the coordinator at a desk
    desk = pages.staff(two_cities.a.users["network_coordinator"])
    desk.goto("/trujillo/network?lang=en")
    pages.check(desk, "home-en-coordinator")
    desk.get_by_role("link", name="Resolver en la primera llamada").first.click()
    desk.get_by_role("button", name="Publish in the network").click()
    assert "Published in the network." in desk.locator(".notice[role=status]").inner_text()
    pages.check(desk, "practice-en-published")
    # Musterstadt's manager, in German
    manager = pages.staff(two_cities.b.users["manager"], city="musterstadt")
    manager.goto("/musterstadt/network/practices?lang=de&verdict=improved")
    pages.check(manager, "search-de")
    manager.get_by_role("link", name="Resolver en la primera llamada").click()
    manager.get_by_label("Begonnen im (Monat)").fill("2026-04")
    manager.locator("#adopt-evidence-0\\.kpi").select_option("csat_pct")
    for field, month in (
        ("baseline_from", "2026-01"),
        ("baseline_to", "2026-02"),
        ("after_from", "2026-05"),
        ("after_to", "2026-06"),
    ):
        manager.locator(f"#adopt-evidence-0\\.{field}").fill(month)
    manager.get_by_role("button", name="Wir übernehmen das").click()
    assert "Als übernommen markiert" in manager.locator(".notice[role=status]").inner_text()
    assert "Musterstadt" in manager.locator("#adoptions ~ h3").first.inner_text()
    pages.check(manager, "practice-de-adopted")
    assert practice_url.endswith(manager.url.split("?")[0].rsplit("/", 1)[1])
    with session_scope() as db:
        assert db.scalar(select(Practice.status)) == "published"
    # the one refusal the browser reports is the form refused on purpose (422)
    assert [e for e in pages.errors if "status of 422" not in e] == []


def test_a_discussion_gets_an_accepted_answer(pages, two_cities):
    with session_scope() as db:
        group = community.create_group(
            db,
            topic="waste",
            name={"es": "Residuos y reciclaje", "de": "Abfall und Recycling", "en": "Waste"},
            description={},
        )
        group_id = group.id
    asker = pages.staff(two_cities.b.users["case_worker"], city="musterstadt")
    asker.goto(f"/musterstadt/network/groups/{group_id}?lang=de")
    asker.get_by_role("button", name="Der Gruppe beitreten").click()
    asker.locator("summary", has_text="Die Gruppe fragen").click()
    asker.get_by_label("Frage oder Thema").fill("Wie wiegt ihr, was die Sammlerinnen bringen?")
    asker.get_by_label("Erzählen Sie mehr").fill("Welche Waagen nutzt ihr?")
    asker.get_by_role("button", name="Diskussion beginnen").click()
    talk = asker.url.split("?")[0].replace("/musterstadt/", "/trujillo/")
    helper = _phone_staff(pages, two_cities.a.users["manager"])
    helper.goto(f"/trujillo/network/groups/{group_id}?lang=es")
    helper.get_by_role("button", name="Unirse al grupo").click()
    helper.goto(talk + "?lang=es")
    helper.get_by_label("Respuesta").fill("Balanzas colgantes de 50 kg, calibradas.")
    helper.get_by_role("button", name="Enviar la respuesta").click()
    pages.check(helper, "discussion-es-answered")
    asker.reload()
    asker.get_by_role("button", name="Als akzeptierte Antwort markieren").click()
    assert "Akzeptierte Antwort" in asker.locator(".post--accepted").inner_text()
    pages.check(asker, "discussion-de-accepted")
    assert pages.errors == []


def test_the_partnership_project_shows_its_kpi_progress(pages, two_cities):
    from datetime import date

    from civitas.accounts.service import Principal
    from civitas.insight import scorecard
    from civitas.network.permissions import NetworkPermission as P
    from tests.insight.test_scorecard import CARD

    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        enter_city(db, city)
        scorecard.save(db, city, text=CARD, actor="test")
        for month, value in (("2026-01", 60.0), ("2026-05", 70.0)):
            db.add(NetworkFigure(city_id=city.id, period=month, kpi="csat_pct", value=value))
    with session_scope() as db:
        ship = partnerships.create_partnership(
            db,
            partnerships.PartnershipIn.model_validate(
                {
                    "name": "Trujillo – Musterstadt",
                    "partners": [{"city": "trujillo"}, {"city": "musterstadt"}],
                }
            ),
            actor="t",
        )
        a = get_city_by_slug(db, "trujillo")
        who = Principal(a.id, 1, "user:t", frozenset({P.TAKE_PART, P.MODERATE}))
        project = partnerships.add_project(
            db,
            ship,
            a,
            who,
            partnerships.ProjectIn(
                title="Central de atención",
                starts_on=date(2026, 1, 1),
                ends_on=date(2027, 12, 31),
                budget=180000,
                currency="EUR",
            ),
        )
        partnerships.add_aim(
            db,
            project,
            a,
            who,
            partnerships.AimIn(
                dimension="citizen_orientation",
                text="Vecinos más satisfechos",
                city="trujillo",
                kpi="csat_pct",
                baseline_month="2026-01",
                target=80,
            ),
        )
        project_id = project.id
    for slug, lang, world in (
        ("trujillo", "es", two_cities.a),
        ("musterstadt", "de", two_cities.b),
        ("trujillo", "en", two_cities.a),
    ):
        page = pages.staff(world.users["manager"], city=slug)
        page.goto(f"/{slug}/network/projects/{project_id}?lang={lang}")
        assert "50" in page.locator("#aims ~ div table").inner_text()  # half way to 80
        assert page.locator("progress").get_attribute("value") == "50.0"
        pages.check(page, f"project-{lang}")
    # the coordinator's pages, each language
    for slug, lang, world in (
        ("trujillo", "es", two_cities.a),
        ("musterstadt", "de", two_cities.b),
        ("trujillo", "en", two_cities.a),
    ):
        coordinator = pages.staff(world.users["network_coordinator"], city=slug)
        for path in (
            "network",
            "network/practices",
            "network/profile",
            "network/contests/new",
            "network/partnerships/new",
        ):
            coordinator.goto(f"/{slug}/{path}?lang={lang}")
            assert coordinator.locator("html").get_attribute("lang") == lang
            pages.check(coordinator, f"{lang}-{path.replace('/', '-')}")
    assert pages.errors == []
