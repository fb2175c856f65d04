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
