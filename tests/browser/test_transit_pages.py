"""Buses and trams in a phone-sized Chromium: every rider's page in each language of both
cities passes axe-core and fits the phone; a rider finds the stops near them, keeps one
as a favourite (on the phone only), taps how full the bus was, plans a journey, and sees
a line on the city's own map; the back office's page at a desk."""

from __future__ import annotations

from sqlalchemy import select

from civitas.cities.models import City
from civitas.core.db import session_scope
from civitas.transit import feeds
from tests.transit.feeds import always_zip

CITIES = {
    "trujillo": (("es", "en"), "America/Lima"),
    "musterstadt": (("de", "en"), "Europe/Berlin"),
}
PAGES = [
    "/{city}/transit",
    "/{city}/transit?q=plaza",
    "/{city}/transit/stops/tt:A",
    "/{city}/transit/plan",
    "/{city}/transit/plan?from=tt:A&to=tt:C",
    "/{city}/transit/lines",
    "/{city}/transit/lines/tt:L1",
    "/{city}/transit/alerts",
    "/{city}/transit/observatory",
]


def networks(engine):
    for slug, (_, zone) in CITIES.items():
        with session_scope(engine) as db:
            city = db.scalars(select(City).where(City.slug == slug)).one()
            feeds.import_feed(db, city, "tt", content=always_zip(zone), filename="tt.zip")


def test_every_riders_page_in_every_language(pages, engine, two_cities):
    networks(engine)
    page = pages.new()
    for city, (languages, _) in CITIES.items():
        for lang in languages:
            for template in PAGES:
                path = template.format(city=city)
                response = page.goto(path + ("&" if "?" in path else "?") + f"lang={lang}")
                assert response is not None
                assert response.status == 200, path
                name = f"{city}-{lang}-{path.strip('/').replace('/', '-').replace('?', '-')}"
                pages.check(page, name.replace(":", "_"))
    assert pages.errors == []


def test_a_rider_near_a_stop_keeps_it_taps_and_plans(pages, engine, two_cities):
    networks(engine)
    phone = pages.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": -8.1112, "longitude": -79.0285},
        permissions=["geolocation"],
        locale="es-PE",
    ).new_page()
    phone.goto("/trujillo/transit?lang=es")
    phone.get_by_role("button", name="Paraderos cerca de mí").click()
    phone.wait_for_url("**/transit?lat=*")
    phone.get_by_role("link", name="Plaza de Armas").first.click()
    phone.wait_for_url("**/stops/tt:A**")
    assert phone.locator(".departure").count() > 0
    phone.get_by_role("button", name="Guardar como mi paradero").click()
    assert phone.get_by_role("button", name="Quitar de mis paraderos").is_visible()
    phone.get_by_role("button", name="Lleno").click()
    phone.wait_for_url("**thanks=1**")
    assert phone.get_by_text("¡Gracias! Su reporte ayuda a otros pasajeros.").is_visible()
    assert phone.locator(".crowding--3").count() > 0
    phone.goto("/trujillo/transit?lang=es")
    favourites = phone.locator("[data-favourites]")
    assert favourites.is_visible()
    assert favourites.get_by_role("link", name="Plaza de Armas").is_visible()
    phone.get_by_role("link", name="Viaje").click()
    phone.get_by_label("Desde").fill("Plaza de Armas")
    phone.get_by_label("Hasta").fill("tt:C")
    phone.get_by_role("button", name="Buscar viajes").click()
    assert phone.locator(".journey").count() > 0
    phone.goto("/trujillo/transit/lines/tt:L1?lang=es")
    phone.wait_for_selector('.line-map path[stroke="#1A6FB0"]', state="attached")
    assert pages.errors == []


def test_the_back_office_at_a_desk(pages, engine, two_cities):
    networks(engine)
    desk = pages.staff("a-manager")
    desk.goto("/trujillo/staff/transit?lang=es")
    assert desk.get_by_role("heading", name="Feeds y su estado").is_visible()
    desk.get_by_label("Titular").fill("Desvío por obras")
    desk.get_by_role("checkbox").first.check()
    desk.get_by_role("button", name="Publicar", exact=True).click()
    desk.wait_for_url("**saved=alert**")
    assert desk.get_by_role("heading", name="Desvío: Desvío por obras").is_visible()
    pages.check(desk, "staff-transit")
