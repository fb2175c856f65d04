"""A hotline agent on a call finds the service, files the caller's request and reads a
status back; a resident switches the language and it stays switched."""

from __future__ import annotations

import re


def test_the_hotline_agent_flow(pages, two_cities):
    page = pages.staff("a-agent")
    page.get_by_role("link", name="Hotline").click()
    pages.check(page, "hotline")

    # the caller says "the lamp is broken" (no accent, any case, in English)
    page.get_by_label("What does the caller need?").fill("LAMP")
    page.get_by_role("button", name="Search").first.click()
    page.get_by_role("link", name=re.compile(r"File for the caller\W+Service a-light")).click()
    pages.check(page, "hotline-file")
    page.get_by_role("button", name="File the request").click()  # nothing given yet
    assert page.locator("#error-summary").is_visible()
    pages.check(page, "hotline-file-error")
    page.get_by_label("Address or place").fill("Avenida España 1200")
    page.get_by_label("Out").check()
    page.get_by_label("Phone number").fill("+51 44 123456")
    page.get_by_role("button", name="File the request").click()
    page.wait_for_url("**/staff/hotline?**filed=2**")
    assert "Request 2 filed." in page.locator(".panel").inner_text()
    read_back = page.locator("#read-back").inner_text()
    assert "Received" in read_back
    pages.check(page, "hotline-filed")

    # another caller asks about request 1
    page.get_by_label("Request number").fill("1")
    page.get_by_role("button", name="Look up").click()
    assert "Request 1" in page.locator("#read-back").inner_text()


def test_switching_language_is_remembered(pages, two_cities):
    page = pages.new()
    page.goto("/trujillo/")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("h1").inner_text() == "Servicios de Trujillo"
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Services of Trujillo"
    page.goto("/trujillo/services/a-light")  # no ?lang=: remembered
    assert page.locator("html").get_attribute("lang") == "en"
    pages.check(page, "service-en")
    page.get_by_role("link", name="Español").click()
    assert page.locator("html").get_attribute("lang") == "es"
    page.goto("/trujillo/track")
    assert page.locator("h1").inner_text() == "Seguir una solicitud"
    pages.check(page, "track-es")
