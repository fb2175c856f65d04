"""The resident's catalogue in a phone-sized Chromium: accessible, in the city's languages."""

from __future__ import annotations


def test_catalogue_and_service_page_are_accessible(pages, two_cities):
    page = pages.new()
    page.goto("/trujillo/")
    assert page.locator("h1").inner_text()
    pages.check(page, "catalogue")
    page.get_by_role("link", name="Servicio a-light").click()
    page.wait_for_load_state()
    assert "/trujillo/services/a-light" in page.url
    pages.check(page, "service")


def test_the_public_map_and_list_of_requests(pages, two_cities):
    page = pages.new()
    page.goto("/trujillo/requests?lang=en")
    assert page.locator(".request-list li").count() == 1
    pages.check(page, "requests-list")


def test_requests_at_one_building_fan_out_on_the_map(pages, two_cities):
    """Two reports of one building would be one pin; they are drawn apart, at every zoom."""
    from civitas.cases.schemas import RequestChannel, RequestCreate
    from civitas.cases.service import create_request
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope

    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        for _ in range(2):
            create_request(
                db,
                city,
                data=RequestCreate(
                    service_code="a-light",
                    channel=RequestChannel.WEB,
                    lat=city.center_lat,
                    long=city.center_lon,
                    attributes={"fault": "out"},
                ),
                filed_by="test",
            )
    page = pages.new()
    page.goto("/trujillo/requests?lang=en")
    page.wait_for_selector(".leaflet-marker-icon")
    first, second = (
        box
        for el in page.query_selector_all(".leaflet-marker-icon")
        if (box := el.bounding_box()) is not None
    )
    assert abs(first["x"] - second["x"]) + abs(first["y"] - second["y"]) > 15
