"""The whole resident flow by keyboard alone: no clicks, only Tab, Space, Enter and typing.
Every control is reachable, its focus is visible, and the form errors take the focus."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect


def tab_to(page: Any, selector: str, limit: int = 60) -> None:
    """Press Tab until the element is focused (fails if it never is: not reachable)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            assert outline != "none", f"{selector}: no visible focus"
            return
    raise AssertionError(f"{selector} cannot be reached with Tab")


def test_a_resident_files_a_request_by_keyboard_alone(pages, two_cities):
    page = pages.new()
    page.goto("/trujillo/?lang=en")
    tab_to(page, "a[href^='/trujillo/services/a-light']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/services/a-light**")
    tab_to(page, "a.button.start")
    page.keyboard.press("Enter")
    page.wait_for_url("**/where**")

    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")  # nothing given: the summary takes the focus
    page.wait_for_selector("#error-summary")
    expect(page.locator("#error-summary")).to_be_focused()
    tab_to(page, "#error-summary a")
    page.keyboard.press("Enter")
    expect(page.locator("#address")).to_be_focused()
    page.keyboard.type("Jirón Pizarro 412")
    page.keyboard.press("Enter")  # submits the form

    page.wait_for_url("**/details**")
    tab_to(page, "#description")
    page.keyboard.type("Out since Monday.")
    tab_to(page, "input[name='attribute[fault]']")
    page.keyboard.press("Space")
    tab_to(page, "button[type=submit]:not([name])")
    page.keyboard.press("Enter")

    page.wait_for_url("**/contact**")
    tab_to(page, "#email")
    page.keyboard.type("ana@example.org")
    page.keyboard.press("Enter")

    page.wait_for_url("**/check**")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/requests/2**")
    assert "Request sent" in page.locator("main").inner_text()
