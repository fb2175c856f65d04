"""The back office in the browser over HTTP: who may see and do what, and each action
changes the case as the staff API does."""

from __future__ import annotations

import html
import json
import re

from civitas.cases.schemas import RequestChannel, RequestCreate
from civitas.cases.service import create_request, get_request, notes_of
from civitas.cities.service import get_city_by_slug
from civitas.core.db import session_scope
from tests.factories import form_token, session_cookie

CASE = "/trujillo/staff/cases/1"


def _signed_in(client, username: str) -> str:
    client.cookies.update(session_cookie(client, "trujillo", username))
    assert client.get(f"{CASE}?lang=en").status_code == 200
    return form_token(client, f"{CASE}?lang=en")


def _status(number: int = 1) -> str:
    with session_scope() as db:
        return get_request(db, get_city_by_slug(db, "trujillo"), number=number).status


def test_the_back_office_needs_a_sign_in(client, two_cities):
    for path in ("/trujillo/staff/cases", CASE):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/trujillo/login"


def test_an_agent_reads_cases_but_cannot_handle_them(client, two_cities):
    _signed_in(client, "a-agent")
    page = client.get(f"{CASE}?lang=en").text
    assert "Change status" not in page  # no action forms for this role
    token = form_token(client, "/trujillo/")  # the sign-out form's
    r = client.post(
        f"{CASE}/status",
        data={"csrf": token, "status": "acknowledged"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert _status() == "received"


def test_a_case_worker_changes_the_status_with_a_public_note(client, two_cities):
    csrf = _signed_in(client, "a-caseworker")
    r = client.post(
        f"{CASE}/status?lang=en",
        data={"csrf": csrf, "status": "in_progress", "note": "A crew is on its way."},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"{CASE}?lang=en&done=status"
    assert _status() == "in_progress"
    public = client.get("/trujillo/requests/1?lang=en").text
    assert "A crew is on its way." in public
    # the history says who and what in words: the staff member's name, not user:…
    history = client.get(f"{CASE}?lang=es").text.split("<ol", 3)[-1]
    assert "Case Worker of Trujillo" in history
    assert "Estado cambiado" in history
    assert "user:a-caseworker" not in history
    assert "request.status_changed" not in history
    # the note's author too
    assert "user:a-caseworker" not in client.get(f"{CASE}?lang=es").text


def test_an_internal_note_stays_internal(client, two_cities):
    csrf = _signed_in(client, "a-caseworker")
    client.post(f"{CASE}/note", data={"csrf": csrf, "text": "Neighbour is difficult."})
    client.post(
        f"{CASE}/note", data={"csrf": csrf, "text": "We will come on Monday.", "public": "1"}
    )
    case_page = client.get(f"{CASE}?lang=en").text
    assert "Neighbour is difficult." in case_page
    assert "Internal" in case_page
    public = client.get("/trujillo/requests/1?lang=en").text
    assert "We will come on Monday." in public
    assert "Neighbour is difficult." not in public


def test_a_refused_transition_shows_why_and_changes_nothing(client, two_cities):
    csrf = _signed_in(client, "a-caseworker")
    r = client.post(f"{CASE}/status?lang=en", data={"csrf": csrf, "status": "closed"})
    assert r.status_code in (400, 409)
    assert "There is a problem" in r.text
    assert _status() == "received"
    r = client.post(f"{CASE}/status?lang=en", data={"csrf": "bad", "status": "acknowledged"})
    assert r.status_code == 403
    assert _status() == "received"


def test_assign_and_merge(client, two_cities):
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        create_request(
            db,
            city,
            data=RequestCreate(
                service_code="a-light",
                channel=RequestChannel.PHONE,
                address_string="Elsewhere",
                attributes={"fault": "out"},
            ),
            filed_by="test",
        )
    csrf = _signed_in(client, "a-caseworker")
    client.post(f"{CASE}/assign", data={"csrf": csrf, "username": "a-caseworker"})
    assert "Case Worker of Trujillo" in client.get(f"{CASE}?lang=en").text
    r = client.post(f"{CASE}/merge", data={"csrf": csrf, "into": "2"}, follow_redirects=False)
    assert r.status_code == 303
    assert _status(1) == "duplicate"
    with session_scope() as db:
        notes = notes_of(db, get_city_by_slug(db, "trujillo"), number=1, public_only=True)
        assert any("2" in n.text for n in notes)


def test_the_queue_filters_and_counts(client, two_cities):
    _signed_in(client, "a-caseworker")
    page = client.get("/trujillo/staff/cases?lang=en").text
    assert "1 case<" in page
    assert "Open: <strong>1</strong>" in page
    assert "0 cases<" in client.get("/trujillo/staff/cases?channel=web&lang=en").text
    assert "1 case<" in client.get("/trujillo/staff/cases?channel=phone&lang=en").text
    assert "0 cases<" in client.get("/trujillo/staff/cases?overdue=1&lang=en").text
    assert "1 case<" in client.get("/trujillo/staff/cases?q=city+hall&lang=en").text
    # city B's case never shows up in city A's queue
    assert "/trujillo/staff/cases/1?" in page
    assert "musterstadt" not in page.split("<main")[1]


def test_the_hotline_files_for_a_caller_and_reads_back(client, two_cities):
    csrf = _signed_in(client, "a-agent")
    found = client.get("/trujillo/staff/hotline?q=lámpara&lang=en").text
    assert "No service matches your search." in found  # "lamp" is the keyword, not lámpara
    found = client.get("/trujillo/staff/hotline?q=Lamp&lang=en").text
    assert "/trujillo/staff/hotline/a-light" in found
    r = client.post(
        "/trujillo/staff/hotline/a-light?lang=en",
        data={"csrf": csrf, "channel": "office", "address": "", "phone": "12"},
    )
    assert r.status_code == 400  # no place, the required question unanswered, a bad phone
    assert 'href="#address_string"' in r.text
    assert 'href="#attribute-fault"' in r.text
    assert 'href="#phone"' in r.text
    r = client.post(
        "/trujillo/staff/hotline/a-light?lang=en",
        data={
            "csrf": csrf,
            "channel": "office",
            "address": "Plaza de Armas",
            "attribute[fault]": "out",
            "first_name": "Rosa",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "filed=2" in r.headers["location"]
    with session_scope() as db:
        filed = get_request(db, get_city_by_slug(db, "trujillo"), number=2)
        assert filed.channel == "office"
        assert filed.first_name == "Rosa"
        assert filed.filed_by == "user:a-agent"
    back = client.get(r.headers["location"]).text
    assert "Request 2 filed." in back
    assert "Received" in back


def test_a_field_worker_has_no_hotline(client, two_cities):
    _signed_in(client, "a-fieldworker")
    assert client.get("/trujillo/staff/hotline").status_code == 403


def test_the_hotline_files_a_request_solved_during_the_call(client, two_cities):
    csrf = _signed_in(client, "a-agent")
    r = client.post(
        "/trujillo/staff/hotline/a-light?lang=en",
        data={
            "csrf": csrf,
            "channel": "phone",
            "address": "Plaza de Armas",
            "attribute[fault]": "out",
            "solved": "yes",
            "solution": "Explained how to reset the breaker.",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    with session_scope() as db:
        filed = get_request(db, get_city_by_slug(db, "trujillo"), number=2)
        assert filed.status == "resolved"
        assert filed.first_contact_resolved is True  # counts for first-contact resolution
        assert filed.acknowledged_at == filed.closed_at


def _form_key(page: str) -> str:
    """The key a create form carries (made when the form is shown)."""
    found = re.search(r'name="form_key" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_a_create_form_pressed_twice_creates_once(client, two_cities):
    """The hotline form, a case note and a new user: each form carries its own key; a
    second press (or four at once) is answered with the first one's result."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import func, select

    from civitas.accounts.models import User
    from civitas.cases.models import RequestNote, ServiceRequest
    from civitas.core.tenancy import bind_all_cities

    def count(model) -> int:
        with session_scope() as db:
            bind_all_cities(db)
            return db.scalar(select(func.count()).select_from(model)) or 0

    csrf = _signed_in(client, "a-agent")
    page = client.get("/trujillo/staff/hotline/a-light?lang=en").text
    key = _form_key(page)
    form = {
        "csrf": csrf,
        "form_key": key,
        "channel": "phone",
        "address": "Plaza de Armas",
        "attribute[fault]": "out",
    }
    before = count(ServiceRequest)
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(
                lambda _: client.post(
                    "/trujillo/staff/hotline/a-light?lang=en", data=form, follow_redirects=False
                ),
                range(4),
            )
        )
    assert {a.status_code for a in answers} == {303}
    assert len({a.headers["location"] for a in answers}) == 1
    assert count(ServiceRequest) == before + 1
    # the same form shown again has a new key: a second call is a second request
    other = client.get("/trujillo/staff/hotline/a-light?lang=en").text
    assert _form_key(other) != key

    csrf = _signed_in(client, "a-caseworker")
    page = client.get("/trujillo/staff/cases/1?lang=en").text
    key = _form_key(page)
    notes = count(RequestNote)
    for _ in range(2):
        r = client.post(
            "/trujillo/staff/cases/1/note?lang=en",
            data={"csrf": csrf, "form_key": key, "text": "Called the resident back."},
            follow_redirects=False,
        )
        assert r.status_code == 303
    assert count(RequestNote) == notes + 1

    csrf = _signed_in(client, "a-administrator")
    page = client.get("/trujillo/staff/users/new?lang=en").text
    key = _form_key(page)
    users = count(User)
    for _ in range(2):
        r = client.post(
            "/trujillo/staff/users/new?lang=en",
            data={
                "csrf": csrf,
                "form_key": key,
                "username": "new-agent",
                "full_name": "New Agent",
                "password": "a long enough password 123",
                "roles": "agent",
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text  # not "this name is taken" the second time
    assert count(User) == users + 1


def test_the_queue_opens_on_open_cases_nearest_due_first(client, two_cities):
    from datetime import timedelta

    from civitas.cases.schemas import Status
    from civitas.cases.service import change_status
    from civitas.core.db import utcnow

    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        now = utcnow()
        for hours_ago, text in ((1, "Newest"), (30, "Oldest")):
            made = create_request(
                db,
                city,
                data=RequestCreate(
                    service_code="a-light",
                    channel=RequestChannel.PHONE,
                    address_string=text,
                    attributes={"fault": "out"},
                ),
                filed_by="test",
                now=now - timedelta(hours=hours_ago),
            )
        change_status(db, city, number=made.number, status=Status.RESOLVED, actor="test")
        closed = made.number  # the oldest, now resolved
    _signed_in(client, "a-caseworker")

    def numbers(page: str) -> list[int]:
        return [int(n) for n in re.findall(r"/trujillo/staff/cases/(\d+)\?lang", page)]

    first = client.get("/trujillo/staff/cases?lang=en").text
    assert closed not in numbers(first)  # open cases only
    # case 1 (the world's) was filed just now, case 2 an hour ago: 2 is due first
    assert numbers(first) == [2, 1]
    assert re.search(r'aria-sort="ascending"><a href="[^"]*sort=-due">Due', first)
    received = client.get("/trujillo/staff/cases?status=open&sort=received&lang=en").text
    assert numbers(received) == [1, 2]  # newest first
    # every sortable column turns round when asked again, and says which way it runs
    assert numbers(client.get("/trujillo/staff/cases?status=open&sort=-received").text) == [2, 1]
    by_number = client.get("/trujillo/staff/cases?status=open&sort=number&lang=en").text
    assert numbers(by_number) == [2, 1]  # highest first
    assert 'aria-sort="descending"><a href="?status=open&amp;lang=en&amp;sort=-number"' in by_number
    assert numbers(client.get("/trujillo/staff/cases?status=open&sort=-number").text) == [1, 2]
    assert numbers(client.get("/trujillo/staff/cases?status=&sort=status").text)[-1] == closed
    assert numbers(client.get("/trujillo/staff/cases?status=&sort=-status").text)[0] == closed
    # an order that does not exist is the default one, not an error
    assert client.get("/trujillo/staff/cases?sort=-nonsense").status_code == 200
    everything = client.get("/trujillo/staff/cases?status=&lang=en").text
    assert closed in numbers(everything)  # "All" is all


def test_the_hotline_speaks_the_agents_language_and_checks_for_duplicates(client, two_cities):
    csrf = _signed_in(client, "a-agent")
    r = client.post(
        "/trujillo/staff/hotline/a-light?lang=es",
        data={"csrf": csrf, "channel": "phone", "address": ""},
    )
    assert r.status_code == 400
    # the place as one field in plain words, each question's problem under its question
    assert "Ingrese la dirección o el lugar que describe la persona que llama." in r.text
    assert "address_string o address_id" not in r.text
    assert "¿Qué pasa?:" in r.text

    def file(**more):
        return client.post(
            "/trujillo/staff/hotline/a-light?lang=en",
            data={"csrf": csrf, "channel": "phone", "attribute[fault]": "out", **more},
            follow_redirects=False,
        )

    first = file(address_id="a-0-4")  # chosen from the register's suggestions
    assert first.status_code == 303
    again = file(address="Jr. Francisco Pizarro 5")  # 20 m along the same street
    assert again.status_code == 409
    assert "Already open nearby" in again.text
    assert "/trujillo/staff/cases/2?" in again.text
    assert 'href="#new_anyway"' in again.text
    anyway = file(address="Jr. Francisco Pizarro 5", new_anyway="yes")
    assert anyway.status_code == 303
    with session_scope() as db:
        trujillo = get_city_by_slug(db, "trujillo")
        assert get_request(db, trujillo, number=2).address_id == "a-0-4"
        assert get_request(db, trujillo, number=3).address_id == "a-0-5"


def test_a_case_page_maps_the_case_and_the_open_cases_around_it(client, two_cities):
    csrf = _signed_in(client, "a-agent")
    for place in ("a-0-2", "a-0-3", "a-2-9"):  # 20 m apart; the last about 120 m away
        r = client.post(
            "/trujillo/staff/hotline/a-light?lang=en",
            data={
                "csrf": csrf,
                "address_id": place,
                "attribute[fault]": "out",
                "new_anyway": "yes",
            },
            follow_redirects=False,
        )
        assert r.status_code == 303
    page = client.get("/trujillo/staff/cases/2?lang=en").text
    points = json.loads(html.unescape(page.split('data-points="')[1].split('"')[0]))
    assert [(p["n"], p["own"]) for p in points] == [(2, True), (3, False), (4, False)]
    assert "2 other open cases within 300 m." in page
    assert 'data-basemap="drawn"' in page
    # a case without a point has no map
    assert "data-points-map" not in client.get("/trujillo/staff/cases/1?lang=en").text


def test_each_member_of_staff_saves_their_own_views_of_the_queue(client, two_cities):
    csrf = _signed_in(client, "a-caseworker")
    r = client.post(
        "/trujillo/staff/cases/views?lang=en",
        data={
            "csrf": csrf,
            "filter_name": "  My  phone cases ",
            "query": "status=open&channel=phone&page=3&lang=en&evil=1",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "status=open&channel=phone" in r.headers["location"]
    page = client.get(r.headers["location"]).text
    assert "The view was saved." in page
    assert ">My phone cases</a>" in page  # spaces tidied; page, language and unknowns left out
    assert "?status=open&amp;channel=phone&amp;lang=en" in page
    nameless = client.post(
        "/trujillo/staff/cases/views?lang=en", data={"csrf": csrf, "filter_name": " "}
    )
    assert nameless.status_code == 400
    assert 'href="#filter_name"' in nameless.text
    # another member of staff sees their own views only, and cannot delete this one
    other = _signed_in(client, "a-manager")
    assert "My phone cases" not in client.get("/trujillo/staff/cases?lang=en").text
    client.post("/trujillo/staff/cases/views/1/delete", data={"csrf": other})
    _signed_in(client, "a-caseworker")
    assert "My phone cases" in client.get("/trujillo/staff/cases?lang=en").text
