"""Every resident page of both cities, in each of their languages, in a phone-sized
Chromium: no serious or critical WCAG 2.1 A/AA violation (axe-core), and no untranslated
page title."""

from __future__ import annotations

import pytest

CITIES = {"trujillo": ("es", "en"), "musterstadt": ("de", "en")}
PAGES = [
    "/{city}/",
    "/{city}/?by=life_situation",
    "/{city}/?q=zzz",
    "/{city}/services/{service}",
    "/{city}/report/{service}/where",
    "/{city}/requests",
    "/{city}/requests/1",
    "/{city}/track",
    "/{city}/track?ref=999",
    "/{city}/login",
    "/{city}/account",
]


@pytest.mark.parametrize("city", sorted(CITIES))
def test_every_resident_page_in_every_language(pages, two_cities, city):
    service = "a-light" if city == "trujillo" else "b-light"
    page = pages.new()
    for lang in CITIES[city]:
        for template in PAGES:
            path = template.format(city=city, service=service)
            url = path + ("&" if "?" in path else "?") + f"lang={lang}"
            response = page.goto(url)
            assert response is not None
            assert response.status in (200, 404), url
            assert page.locator("html").get_attribute("lang") == lang, url
            name = f"{city}-{lang}-{path.strip('/').replace('/', '-').replace('?', '-')}"
            pages.check(page, name)
