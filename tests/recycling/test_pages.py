"""The recycling pages over HTTP: staff plan a day and register and verify pickers, a
picker works the route (a resend of a stop counts once, a bad weight saves nothing), a
buyer publishes prices and records a purchase traced to the pickups, the month's figures;
and who may see which page."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from civitas.accounts.models import User
from civitas.cases.models import ServiceRequest
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope
from civitas.recycling.models import Buyer, CollectedWeight, Picker, Pickup, Sale
from tests.factories import form_token, run_queued_jobs, session_cookie, tiny_png
from tests.recycling.helpers import programme, stops_of
from tests.recycling.test_routes_and_sales import filed

DAY = "/trujillo/staff/recycling"


def link_accounts(engine):
    """Rosa works with the picker account, Reciplast with the buyer account."""
    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        picker_user = db.scalar(select(User).where(User.username == "a-wastepicker"))
        buyer_user = db.scalar(select(User).where(User.username == "a-recyclingbuyer"))
        db.scalar(select(Picker).where(Picker.code == "rosa")).user_id = picker_user.id
        db.scalar(select(Buyer).where(Buyer.code == "reciplast")).user_id = buyer_user.id


def sign_in(client, username, page):
    client.cookies.clear()
    client.cookies.update(session_cookie(client, "trujillo", username))
    return form_token(client, page)


def counts(engine):
    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        return (
            db.scalar(select(func.count()).select_from(CollectedWeight)),
            db.scalar(select(func.count()).select_from(Sale)),
        )


def planned_day(client, engine, two_cities, n=6):
    prog = programme(engine)
    link_accounts(engine)
    filed(client, two_cities, prog.day, n=n, kg="10")
    day = prog.day.isoformat()
    csrf = sign_in(client, "a-manager", f"{DAY}?day={day}&lang=en")
    page = client.get(f"{DAY}?day={day}&lang=en").text
    assert "This day has no plan yet." in page
    r = client.post(f"{DAY}/plan?lang=en", data={"csrf": csrf, "day": day}, follow_redirects=False)
    assert r.status_code == 303, r.text
    # the solver runs in the background: the page says so and refreshes itself; a second
    # press while it runs is the same job
    page = client.get(f"{DAY}?day={day}&lang=en").text
    assert "is being made (asked for by" in page
    link = re.search(r'data-job="(/trujillo/staff/jobs/[0-9]+)"', page).group(1)
    # the page's script follows the job with the session it has
    assert client.get(link).json()["status"] == "queued"
    r = client.post(f"{DAY}/plan?lang=en", data={"csrf": csrf, "day": day}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert run_queued_jobs() == ["done"]
    page = client.get(f"{DAY}?day={day}&lang=en").text
    assert "is being made" not in page
    assert "data-job=" not in page
    return prog, day


def test_staff_plan_a_day_and_see_who_visits_whom(client, engine, two_cities):
    _prog, day = planned_day(client, engine, two_cities)
    page = client.get(f"{DAY}?day={day}&lang=en").text
    assert "Pickups assigned</dt><dd>6 / 6" in page
    assert "Rosa" in page
    assert "Juan" in page
    assert page.count("To visit") == 6
    # a past day is refused with the reason, in the reader's language
    csrf = form_token(client, f"{DAY}?lang=es")
    r = client.post(f"{DAY}/plan?lang=es", data={"csrf": csrf, "day": "2020-01-01"})
    assert r.status_code == 400
    assert "2020-01-01" in r.text
    assert "ya pasó" in r.text


def test_a_drop_out_hands_the_stops_to_the_other_picker(client, engine, two_cities):
    _prog, day = planned_day(client, engine, two_cities)
    csrf = form_token(client, f"{DAY}?day={day}&lang=en")
    r = client.post(
        f"{DAY}/pickers/rosa/drop-out?lang=en", data={"csrf": csrf, "day": day, "reason": ""}
    )
    assert r.status_code == 400
    assert "Say why the picker stops." in r.text
    r = client.post(
        f"{DAY}/pickers/rosa/drop-out?lang=en",
        data={"csrf": csrf, "day": day, "reason": "Tricycle broken"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert run_queued_jobs() == ["done"]
    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        rosa = db.scalar(select(Picker.id).where(Picker.code == "rosa"))
        owners = set(db.scalars(select(Pickup.picker_id)))
    assert rosa not in owners
    page = client.get(f"{DAY}?day={day}&lang=en").text
    assert "drop-out: rosa" in page
    assert "Not working" in page


def test_a_picker_records_stops_once_even_when_the_phone_sends_twice(client, engine, two_cities):
    _prog, day = planned_day(client, engine, two_cities)
    route = f"/trujillo/picker?day={day}&lang=en"
    csrf = sign_in(client, "a-wastepicker", route)
    page = client.get(route).text
    assert "Your route" in page
    assert "<svg" in page
    before = (date.fromisoformat(day) - timedelta(days=1)).isoformat()
    empty = client.get(f"/trujillo/picker?day={before}&lang=en").text
    assert "No stops are planned for you on this day." in empty
    assert f'href="?day={day}&amp;lang=en">Your next planned day' in empty
    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        rosa = db.scalars(select(Picker).where(Picker.code == "rosa")).one()
        mine = list(
            db.scalars(select(Pickup).where(Pickup.picker_id == rosa.id).order_by(Pickup.sequence))
        )
        other = db.scalar(select(Pickup).where(Pickup.picker_id != rosa.id))
    assert mine, "Rosa has stops"
    first = mine[0]
    assert page.index(f'id="stop-{first.id}"') < page.index(f'id="stop-{mine[-1].id}"')
    form = {"csrf": csrf, "client_key": "phone-key-0001", "outcome": "collected"}
    # a negative and an unreadable weight: both named, nothing saved
    r = client.post(
        f"/trujillo/picker/stops/{first.id}?lang=en",
        data=form | {"kg-paper": "-3", "kg-pet": "lots"},
    )
    assert r.status_code == 400
    assert "lots is not a weight" in r.text
    assert counts(engine) == (0, 0)
    r = client.post(
        f"/trujillo/picker/stops/{first.id}?lang=en",
        data=form | {"kg-paper": "-3"},
    )
    assert r.status_code == 400
    assert "A weight cannot be negative." in r.text
    assert 'aria-invalid="true"' in r.text
    # the stop recorded, then the same submission again (the offline queue's resend)
    for _ in range(2):
        r = client.post(
            f"/trujillo/picker/stops/{first.id}?lang=en",
            data=form | {"kg-paper": "4,5", "kg-pet": "2"},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
    assert counts(engine) == (2, 0)
    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        filed = db.get(ServiceRequest, first.request_id)
        number = filed.number
        filed.token = filed.token or "reporters-link"  # as a web filing would have it
        token = filed.token
    # the pickup is at a home: only the reporter's private link shows its details
    assert "Pickup day" not in client.get(f"/trujillo/requests/{number}?lang=en").text
    status = client.get(f"/trujillo/requests/{number}?lang=en&token={token}").text
    assert "Pickup day" in status
    assert "6.5&nbsp;kg" in status
    page = client.get(route).text
    assert "Collected on the day</dt><dd>6.5&nbsp;kg" in page
    # another picker's stop is not hers
    r = client.post(
        f"/trujillo/picker/stops/{other.id}?lang=en",
        data=form | {"client_key": "phone-key-0002", "kg-paper": "1"},
    )
    assert r.status_code == 403
    assert "another picker" in r.text
    # nothing found: the household's request is closed as such
    r = client.post(
        f"/trujillo/picker/stops/{mine[1].id}?lang=en",
        data={"csrf": csrf, "client_key": "phone-key-0003", "outcome": "not_found"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert client.get(route).text.count("Nothing found</span>") == 1


def test_a_buyer_publishes_prices_and_buys_what_pickers_collected(client, engine, two_cities):
    _prog, day = planned_day(client, engine, two_cities)
    route = f"/trujillo/picker?day={day}&lang=en"
    csrf = sign_in(client, "a-wastepicker", route)
    stop = stops_of(engine, "rosa")[0].id
    r = client.post(
        f"/trujillo/picker/stops/{stop}?lang=en",
        data={"csrf": csrf, "client_key": "phone-key-0100", "outcome": "collected", "kg-pet": "8"},
        follow_redirects=False,
    )
    assert r.status_code == 303

    csrf = sign_in(client, "a-recyclingbuyer", "/trujillo/buyer?lang=en")
    page = client.get("/trujillo/buyer?lang=en").text
    assert "Reciplast" in page
    assert "Papelera" not in page.split("Your purchases")[1]
    r = client.post(
        "/trujillo/buyer/prices?lang=en",
        data={"csrf": csrf, "material": "pet", "price": "-1", "valid_from": day},
    )
    assert r.status_code == 400
    assert "A price cannot be negative." in r.text
    r = client.post(
        "/trujillo/buyer/prices?lang=en",
        data={"csrf": csrf, "material": "pet", "price": "1.40", "valid_from": day},
        follow_redirects=False,
    )
    assert r.status_code == 303
    # more than was collected: refused, nothing sold
    sale = {"csrf": csrf, "client_key": "sale-key-0001", "seller": "picker:rosa"}
    r = client.post("/trujillo/buyer/purchases?lang=en", data=sale | {"kg-pet": "9"})
    assert r.status_code == 400
    assert "Only 8 kg of pet" in r.text
    assert counts(engine)[1] == 0
    r = client.post("/trujillo/buyer/purchases?lang=en", data=sale | {"kg-pet": "5"})
    assert r.status_code == 200, r.text  # followed to the purchase's page
    assert "Where it came from" in r.text
    assert "Rosa" in r.text.split("Where it came from")[-1]  # the picker by name
    assert "6.50" in r.text  # 5 kg at the listed 1.30 (the new price starts on the day)
    # the same form again changes nothing
    client.post("/trujillo/buyer/purchases?lang=en", data=sale | {"kg-pet": "5"})
    assert counts(engine)[1] == 1
    # the picker sees the income
    sign_in(client, "a-wastepicker", route)
    assert "Income this month" in client.get(route).text


def test_staff_register_and_verify_a_picker(client, engine, two_cities):
    programme(engine)
    pickers = f"{DAY}/pickers"
    csrf = sign_in(client, "a-manager", f"{pickers}?lang=en")
    good = {
        "csrf": csrf,
        "name": "Luz Quispe",
        "code": "luz",
        "document_id": "DNI-44556677",
        "zone": "centro",
        "vehicle": "cart",
        "capacity_kg": "90",
        "working_days": ["1", "3"],
        "shift_start": "07:00",
        "shift_end": "13:00",
        "home_lat": "-8.11",
        "home_lon": "-79.03",
    }
    r = client.post(
        f"{pickers}?lang=en",
        data=good | {"capacity_kg": "-5", "shift_end": "06:00", "code": "Luz Q", "account": "x"},
    )
    assert r.status_code == 400
    assert "greater than 0" in r.text or "more than 0" in r.text, r.text
    r2 = client.post(f"{pickers}?lang=en", data=good | {"shift_end": "06:00", "account": "nobody"})
    assert r2.status_code == 400
    assert "The shift must end after it starts" in r2.text
    assert "There is no user" in r2.text
    r3 = client.post(f"{pickers}?lang=en", data=good | {"account": "a-agent"})
    assert "does not have the waste picker role" in r3.text
    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        assert db.scalar(select(Picker).where(Picker.code == "luz")) is None
    r = client.post(f"{pickers}?lang=en", data=good, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"{pickers}?lang=en").text
    assert "Luz Quispe" in page
    assert "Registered, not verified" in page
    r = client.post(
        f"{pickers}/luz/status?lang=en",
        data={"csrf": csrf, "status": "verified"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        luz = db.scalar(select(Picker).where(Picker.code == "luz"))
        assert luz.status == "verified"
        assert luz.working_days == [1, 3]
        assert luz.verified_by


def today_in_trujillo() -> date:
    return datetime.now(ZoneInfo("America/Lima")).date()


def test_the_month_in_figures(client, engine, two_cities):
    prog, _day = planned_day(client, engine, two_cities)
    sign_in(client, "a-manager", f"{DAY}/figures?lang=en")
    month = prog.day.strftime("%Y-%m")
    page = client.get(f"{DAY}/figures?month={month}&lang=en").text
    assert "Nothing was collected in this month." in page
    assert client.get(f"{DAY}/figures?month=2026-13&lang=en").status_code == 400
    # like the dashboards it opens on the last whole month; the month under way says so
    first = client.get(f"{DAY}/figures?lang=en").text
    last = (today_in_trujillo().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    assert f'value="{last}"' in first
    assert "has not ended yet" not in first
    now = client.get(f"{DAY}/figures?month={today_in_trujillo():%Y-%m}&lang=en").text
    assert "This month has not ended yet" in now


def test_who_may_open_which_recycling_page(client, engine, two_cities):
    programme(engine)
    link_accounts(engine)
    for path in (DAY, "/trujillo/picker", "/trujillo/buyer"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/trujillo/login"
    sign_in(client, "a-wastepicker", "/trujillo/picker?lang=en")
    assert client.get(f"{DAY}?lang=en").status_code == 403
    assert client.get("/trujillo/buyer?lang=en").status_code == 403
    sign_in(client, "a-caseworker", f"{DAY}?lang=en")
    assert client.get("/trujillo/picker?lang=en").status_code == 403
    assert client.get(f"{DAY}/sales?lang=en").status_code == 403  # money is not case work
    sign_in(client, "a-recyclingbuyer", "/trujillo/buyer?lang=en")
    assert client.get(f"{DAY}/sales?lang=en").status_code == 403


def test_a_photo_at_the_stop_is_checked_and_only_staff_see_it(client, engine, two_cities):
    _prog, day = planned_day(client, engine, two_cities)
    route = f"/trujillo/picker?day={day}&lang=en"
    csrf = sign_in(client, "a-wastepicker", route)
    stop = stops_of(engine, "rosa")[0].id
    form = {"csrf": csrf, "client_key": "phone-key-0200", "outcome": "collected", "kg-pet": "2"}
    r = client.post(
        f"/trujillo/picker/stops/{stop}?lang=en",
        data=form,
        files={"photo": ("door.png", b"not an image", "image/png")},
    )
    assert r.status_code == 400
    assert "This is not a JPEG, PNG or WebP image." in r.text
    assert counts(engine) == (0, 0)
    r = client.post(
        f"/trujillo/picker/stops/{stop}?lang=en",
        data=form,
        files={"photo": ("door.png", tiny_png().data, "image/png")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    photo = f"{DAY}/pickups/{stop}/photo"
    assert client.get(photo).status_code == 403  # not for the picker's role
    sign_in(client, "a-manager", f"{DAY}?day={day}&lang=en")
    assert f'href="{photo}"' in client.get(f"{DAY}?day={day}&lang=en").text
    shown = client.get(photo)
    assert shown.status_code == 200
    assert shown.headers["content-type"] == "image/png"
    assert shown.content == tiny_png().data


def test_the_route_page_has_a_service_worker_scoped_to_it(client, two_cities):
    r = client.get("/trujillo/picker/sw.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["service-worker-allowed"] == "/trujillo/picker"
    assert "caches.open" in r.text


def test_the_sketchs_stops_never_hide_each_other():
    import itertools
    import math

    from civitas.recycling.web.pages import sketch, spread

    # three stops in one building and one next door
    placed = spread([(100.0, 100.0), (100.0, 100.0), (100.0, 100.0), (105.0, 100.0)], apart=22)
    for a, b in itertools.combinations(placed, 2):
        assert math.dist(a, b) >= 21.9
    home = (-8.11, -79.03)
    drawn = sketch(home, [(-8.1, -79.02, "1", False), (-8.1, -79.02, "2", False)])
    one, two = drawn["stops"]
    assert math.dist((one["x"], one["y"]), (two["x"], two["y"])) >= 21.9
