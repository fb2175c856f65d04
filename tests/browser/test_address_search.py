"""The address search on the request form, in a browser: typing offers the register's
addresses (accents and abbreviations forgiven), a choice fills the address and places the
pin where the register has it, and moving the pin shows the nearest address instead of
leaving the two disagreeing. The map is drawn from the city's own data: nothing is loaded
from another host."""

from __future__ import annotations

import pytest


def test_choosing_an_address_places_the_pin_and_moving_the_pin_names_the_nearest(
    pages, two_cities, live_server
):
    page = pages.new()
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith((live_server, "data:")) else None,
    )
    page.goto("/trujillo/report/a-light/where?lang=en")
    assert page.locator("[data-map]").get_attribute("data-basemap") == "drawn"
    page.locator("#address").fill("jiron simon bolivar 5")
    suggestion = page.locator("#address-suggestions button").first
    suggestion.wait_for()
    assert suggestion.inner_text().startswith("Jr. Simón Bolívar 5")
    assert "address found" in page.locator("[data-address-status]").inner_text()
    pages.check(page, "suggestions")
    suggestion.click()
    assert page.locator("#address").input_value().startswith("Jr. Simón Bolívar 5")
    assert page.locator("#address_id").input_value() == "a-2-5"
    assert float(page.locator("#lat").input_value()) == pytest.approx(-8.1116 + 0.0015, abs=1e-5)
    assert float(page.locator("#long").input_value()) == pytest.approx(
        -79.0287 + 0.00018 * 5, abs=1e-5
    )
    pages.check(page, "chosen")

    # the pin moved by a tap: the address follows, and the page says how far it is
    box = page.locator("#map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2 + 40, box["y"] + box["height"] / 2)
    status = page.locator("[data-address-status]")
    status.filter(has_text="Nearest address").wait_for()
    assert page.locator("#address").input_value() in status.inner_text()
    assert page.locator("#address_id").input_value().startswith("a-2-")

    # a hand-typed address is not overwritten: the nearest is offered beside it
    page.locator("#address").fill("The corner by the bakery")
    assert page.locator("#address_id").input_value() == ""
    page.mouse.click(box["x"] + box["width"] / 2 - 40, box["y"] + box["height"] / 2)
    use = status.get_by_role("button", name="Use this address")
    use.wait_for()
    # the search the typing started is dropped: its "nothing found" never replaces the offer
    page.wait_for_timeout(700)
    assert use.is_visible()
    assert page.locator("#address").input_value() == "The corner by the bakery"

    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/report/a-light/details**")
    assert outside == []
