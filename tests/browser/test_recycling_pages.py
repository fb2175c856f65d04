"""Recycling in a real browser: a manager plans the day at a desk; a picker works the
route on a phone-sized screen, records one stop online and one with no connection (kept
on the phone, sent when the connection is back, counted once); the buyer's and the back
office's pages. Every page passes axe-core."""

from __future__ import annotations

from sqlalchemy import func, select

from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope
from civitas.recycling.models import CollectedWeight
from tests.factories import PASSWORD, run_queued_jobs
from tests.recycling.helpers import file_pickups, programme, rosa_alone, stops_of
from tests.recycling.test_pages import link_accounts


def stops_of_rosa(engine):
    return [(p.id, p.status, p.sequence) for p in stops_of(engine, "rosa")]


def weights_of(engine, pickup_id):
    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        return db.scalar(
            select(func.count())
            .select_from(CollectedWeight)
            .where(CollectedWeight.pickup_id == pickup_id)
        )


def test_a_day_planned_at_the_desk_and_worked_on_a_phone_offline_too(pages, engine, two_cities):
    prog = programme(engine)
    link_accounts(engine)
    rosa_alone(engine, prog.day)
    file_pickups(engine, prog.day)
    day = prog.day.isoformat()

    desk = pages.staff("a-manager")
    desk.goto(f"/trujillo/staff/recycling?day={day}&lang=en")
    desk.get_by_role("button", name="Make the plan").click()
    desk.wait_for_url("**/staff/recycling?day=*")
    # the plan is made in the background; the page says so and refreshes by itself
    assert "is being made" in desk.locator("p[role=status]").inner_text()
    pages.check(desk, "staff-day-planning")
    assert run_queued_jobs() == ["done"]  # the worker's part
    desk.wait_for_selector("dl.summary", timeout=15000)
    assert "4 / 4" in desk.locator("dl.summary").inner_text()
    pages.check(desk, "staff-day-plan")
    for path, name in (
        ("/trujillo/staff/recycling/pickers?lang=en", "staff-pickers"),
        ("/trujillo/staff/recycling/sales?lang=en", "staff-sales"),
        ("/trujillo/staff/recycling/figures?lang=en", "staff-figures"),
    ):
        desk.goto(path)
        pages.check(desk, name)

    phone = pages.new()
    phone.goto("/trujillo/login?lang=en")
    phone.get_by_label("User name").fill("a-wastepicker")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    phone.wait_for_url("**/trujillo/staff**")
    phone.get_by_role("link", name="Your route").click()
    phone.goto(f"/trujillo/picker?day={day}&lang=en")
    pages.check(phone, "picker-route")
    (first, _, _), (second, _, _) = stops_of_rosa(engine)[:2]

    # online: the first stop, weighed
    stop = phone.locator(f"#stop-{first}")
    stop.get_by_label("paper").fill("3.5")
    stop.get_by_label("pet").fill("1")
    stop.get_by_role("button", name="Collected", exact=True).click()
    phone.locator(f"#stop-{first} form").wait_for(state="detached", timeout=15000)
    assert stops_of_rosa(engine)[0][1] == "collected"
    assert weights_of(engine, first) == 2

    # a bad weight: the page says which, nothing is saved
    stop = phone.locator(f"#stop-{second}")
    stop.get_by_label("paper").fill("-2")
    stop.get_by_role("button", name="Collected", exact=True).click()
    phone.locator("#error-summary").wait_for()
    assert "A weight cannot be negative." in phone.locator("#error-summary").inner_text()
    pages.check(phone, "picker-route-error")
    assert weights_of(engine, second) == 0

    # offline: the second stop is kept on the phone and sent when the connection is back
    phone.goto(f"/trujillo/picker?day={day}&lang=en")
    phone.context.set_offline(True)
    stop = phone.locator(f"#stop-{second}")
    stop.get_by_label("paper").fill("2")
    stop.get_by_role("button", name="Collected", exact=True).click()
    status = phone.locator("[data-offline-status]")
    status.wait_for(state="visible")
    assert "1 record saved on this phone" in status.inner_text()
    assert phone.locator(f"#stop-{second} [data-queued-note]").is_visible()
    assert weights_of(engine, second) == 0
    pages.check(phone, "picker-route-offline")
    phone.context.set_offline(False)
    # sent on "online" (or by the 20 s retry), then the page reloads with the stop done
    phone.locator(f"#stop-{second} form").wait_for(state="detached", timeout=30000)
    assert phone.evaluate("() => localStorage.getItem('civitas.queue.trujillo')") == "[]"
    assert weights_of(engine, second) == 1
    assert stops_of_rosa(engine)[1][1] == "collected"
    assert "Collected on the day" in phone.locator("dl.summary").inner_text()

    # no connection at all: the route page still opens (the service worker's copy)
    assert phone.evaluate("async () => !!(await navigator.serviceWorker.ready).active")
    phone.reload()  # through the service worker now, which keeps this copy
    phone.context.set_offline(True)
    phone.reload()
    assert phone.locator("h1").inner_text() == "Your route"
    assert phone.locator(f"#stop-{second} .status-tag").inner_text() == "Collected"
    phone.context.set_offline(False)

    # the buyer's desk, on the same phone
    phone.context.clear_cookies()
    phone.goto("/trujillo/login?lang=en")
    phone.get_by_label("User name").fill("a-recyclingbuyer")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    phone.wait_for_url("**/trujillo/staff**")
    phone.get_by_role("link", name="Prices and purchases").click()
    phone.wait_for_url("**/trujillo/buyer**")
    phone.get_by_label("Seller").select_option("picker:rosa")
    phone.locator("#kg-pet").fill("1")
    phone.get_by_role("button", name="Record the sale").click()
    phone.wait_for_url("**/buyer/purchases/*")
    assert "Where it came from" in phone.content()
    pages.check(phone, "buyer-purchase")
