"""The queue filters without reloading the page (htmx), keeps the filters in the URL, and
saves them as a named view."""

from __future__ import annotations

from playwright.sync_api import expect


def test_the_queue_filters_in_place(pages, two_cities):
    page = pages.staff("a-caseworker")
    page.goto("/trujillo/staff/cases?lang=en")
    assert page.locator("table.cases tbody tr").count() == 1
    page.evaluate("window.stillHere = true")
    page.get_by_label("Channel").select_option("web")  # a change filters at once
    page.wait_for_url("**channel=web**")
    expect(page.locator("table.cases tbody tr")).to_have_count(0)
    assert "0 cases" in page.locator("#results").inner_text()
    assert page.evaluate("window.stillHere === true")  # the page was not reloaded
    page.get_by_label("Channel").select_option("phone")
    page.wait_for_url("**channel=phone**")
    expect(page.locator("table.cases tbody tr")).to_have_count(1)
    pages.check(page, "queue-filtered")

    # the filters chosen in place are what a saved view keeps
    page.get_by_label("Save these filters as a view named").fill("Phone calls")
    page.get_by_role("button", name="Save the view").click()
    page.wait_for_url("**saved_view=1**")
    assert "channel=phone" in page.url
    view = page.get_by_role("navigation", name="My saved views").get_by_role("link")
    assert view.inner_text() == "Phone calls"
    assert view.get_attribute("aria-current") == "page"  # the view shown now
    assert "channel=phone" in (view.get_attribute("href") or "")
    pages.check(page, "queue-saved-view")


def test_user_administration_pages_are_accessible(pages, two_cities):
    page = pages.staff("a-administrator")
    page.get_by_role("link", name="Users").click()
    pages.check(page, "users")
    page.get_by_role("link", name="Add a user").click()
    pages.check(page, "user-new")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#error-summary")).to_be_focused()
    pages.check(page, "user-new-errors")
    page.get_by_label("User name").fill("rosa")
    page.get_by_label("Name", exact=True).fill("Rosa Quispe")
    page.get_by_label("Password").fill("a-long-enough-password")
    page.get_by_label("Case worker").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/staff/users?**")
    assert "Rosa Quispe" in page.locator("table").inner_text()


def test_the_catalogue_editor_is_accessible(pages, two_cities):
    page = pages.staff("a-administrator")
    page.get_by_role("link", name="Catalogue").click()
    pages.check(page, "catalogue-admin")
    page.get_by_role("link", name="Service a-light").click()
    pages.check(page, "service-editor")
    page.locator("#name-es").fill("")
    page.locator("#name-en").fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#error-summary")).to_be_focused()
    pages.check(page, "service-editor-errors")
