"""A resident on a phone files a request with a photo and a map point, one question per
page, checks the answers, sends; a case worker closes it with a public note; the resident
sees the closed status and the note. Every page passes axe-core."""

from __future__ import annotations

import io

from PIL import Image
from playwright.sync_api import expect


def _photo(tmp_path):
    path = tmp_path / "lamp.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 180, 20)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def test_a_resident_files_and_follows_a_request(pages, two_cities, tmp_path, client):
    page = pages.new()
    page.goto("/trujillo/services/a-light?lang=en")
    page.get_by_role("button", name="Make a request").click()

    # step 1: nothing given -> the error summary names the field and takes the focus
    page.wait_for_url("**/report/a-light/where**")
    pages.check(page, "where")
    page.get_by_role("button", name="Continue").click()
    summary = page.locator("#error-summary")
    assert "Enter the address or choose the place on the map." in summary.inner_text()
    expect(page.locator("#error-summary")).to_be_focused()
    assert page.locator("#address").get_attribute("aria-invalid") == "true"
    pages.check(page, "where-error")
    summary.get_by_role("link").click()
    expect(page.locator("#address")).to_be_focused()

    # a point on the map, and an address
    page.locator("#map").click(position={"x": 180, "y": 120})
    assert page.locator("#lat").input_value() != ""
    assert page.locator("#long").input_value() != ""
    # the pin asks for the nearest address; wait for its answer before typing, as a person
    # would (an answer landing mid-typing put its text before what was typed)
    expect(page.locator("[data-address-status]")).not_to_have_text("")
    page.locator("#address").fill("Jirón Pizarro 412")
    page.get_by_role("button", name="Continue").click()

    # step 2: description, the service's question, a photo
    page.wait_for_url("**/report/a-light/details**")
    pages.check(page, "details")
    page.get_by_label("Describe it").fill("The lamp at the corner has been out for a week.")
    page.get_by_label("Out").check()
    page.locator("#media").set_input_files(str(_photo(tmp_path)))
    page.get_by_role("button", name="Continue").click()

    # step 3: contact
    page.wait_for_url("**/report/a-light/contact**")
    pages.check(page, "contact")
    page.get_by_label("E-mail address").fill("not-an-address")
    page.get_by_role("button", name="Continue").click()
    assert page.locator("#error-summary").is_visible()
    pages.check(page, "contact-error")
    page.get_by_label("E-mail address").fill("ana@example.org")
    page.get_by_role("button", name="Continue").click()

    # check the answers, then send
    page.wait_for_url("**/report/a-light/check**")
    pages.check(page, "check")
    summary_text = page.locator(".summary").inner_text()
    assert "Jirón Pizarro 412" in summary_text
    assert "The lamp at the corner" in summary_text
    assert "ana@example.org" in summary_text
    page.get_by_role("button", name="Send the request").click()
    page.wait_for_url("**/trujillo/requests/2**")
    assert "Request sent" in page.locator("main").inner_text()
    pages.check(page, "sent")
    assert page.locator("#status").inner_text() == "Received"
    assert page.locator(".photos img").count() == 1

    # the request is stored as sent, with its photo and the point
    stored = client.get(
        "/open311/v2/requests/2.json?jurisdiction_id=trujillo.example&extensions=true"
    ).json()[0]
    assert stored["address"] == "Jirón Pizarro 412"
    assert stored["lat"] is not None
    assert len(stored["extended_attributes"]["photos"]) == 1
    assert stored["extended_attributes"]["attributes"] == [{"code": "fault", "value": "out"}]

    # a case worker, at a desk, finds it in the queue, takes it and closes it with a note
    staff = pages.staff("a-caseworker")
    staff.goto("/trujillo/staff/cases?lang=en")
    pages.check(staff, "staff-queue")
    staff.get_by_label("Channel").select_option("web")  # htmx filters in place at once
    staff.wait_for_url("**channel=web**")
    # the swap and the URL are not one step: wait for the rows, not just the address
    expect(staff.locator("table.cases tbody tr")).to_have_count(1)
    staff.get_by_role("link", name="2", exact=True).click()
    staff.wait_for_url("**/staff/cases/2**")
    pages.check(staff, "staff-case")
    assert "ana@example.org" in staff.locator(".facts").inner_text()  # staff see the reporter
    staff.get_by_label("Assign to").select_option("a-caseworker")
    staff.get_by_role("button", name="Assign").click()
    staff.wait_for_url("**done=assigned**")
    assert staff.locator("#case-assignee").inner_text() != "Nobody"
    staff.get_by_label("New status").select_option("resolved")
    staff.get_by_label("Public note for the resident").fill("We replaced the lamp.")
    staff.get_by_role("button", name="Change status").click()
    staff.wait_for_url("**done=status**")
    assert staff.locator("#case-status").inner_text() == "Resolved"
    pages.check(staff, "staff-case-resolved")

    # the resident follows the private link and sees it
    page.goto(f"/trujillo/track?ref={page.url.split('token=')[1].split('&')[0]}&lang=en")
    page.wait_for_url("**/trujillo/requests/2**")
    assert page.locator("#status").inner_text() == "Resolved"
    assert "We replaced the lamp." in page.locator(".timeline").inner_text()
    pages.check(page, "status-closed")
