"""The resident's request form over HTTP: each step checks its answers, nothing is filed
before the resident confirms, a draft belongs to one visitor of one city, and the filed
request is the same as from any other channel."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select

from civitas.cases import drafts
from civitas.cases.models import ReportDraft, RequestMedia, ServiceRequest
from civitas.core.db import session_scope, utcnow
from civitas.core.tenancy import bind_all_cities
from tests.factories import form_token, tiny_png

BASE = "/trujillo/report/a-light"


def _csrf(client, path: str) -> str:
    assert client.get(path).status_code == 200
    return form_token(client, path)


def _count(model) -> int:
    with session_scope() as db:
        bind_all_cities(db)
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _file(client, *, email: str = "") -> str:
    token = _csrf(client, f"{BASE}/where?lang=en")
    r = client.post(
        f"{BASE}/where?lang=en",
        data={"csrf": token, "address": "Jirón Pizarro 412", "lat": "", "long": ""},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith(f"{BASE}/details")
    r = client.post(
        f"{BASE}/details?lang=en",
        data={"csrf": token, "description": "Out since Monday.", "attribute[fault]": "out"},
        files={"media": ("lamp.png", tiny_png().data, "image/png")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    r = client.post(
        f"{BASE}/contact?lang=en", data={"csrf": token, "email": email}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith(f"{BASE}/check")
    return token


def test_nothing_is_filed_before_the_resident_confirms(client, two_cities):
    token = _file(client, email="ana@example.org")
    assert _count(ServiceRequest) == 2  # the world's two requests (one per city)
    check = client.get(f"{BASE}/check?lang=en")
    assert "Jirón Pizarro 412" in check.text
    assert "ana@example.org" in check.text
    r = client.post(f"{BASE}/check?lang=en", data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    assert re.match(r"/trujillo/requests/2\?lang=en&token=[\w-]+&sent=1$", r.headers["location"])
    assert _count(ServiceRequest) == 3
    with session_scope() as db:
        bind_all_cities(db)
        (draft,) = db.scalars(select(ReportDraft))
        assert draft.request_id is not None  # consumed: kept a day to answer a second press
    with session_scope() as db:
        bind_all_cities(db)
        filed = db.scalar(select(ServiceRequest).where(ServiceRequest.number == 2))
        assert filed is not None
        assert filed.channel == "web"
        assert filed.email == "ana@example.org"
        assert filed.attributes == {"fault": "out"}
        assert filed.language == "en"
        assert filed.token
        photos = db.scalars(select(RequestMedia).where(RequestMedia.request_id == filed.id))
        assert len(list(photos)) == 1
    status = client.get(r.headers["location"])
    assert "Request sent" in status.text
    assert "ana@example.org" not in status.text  # never shown, not even to the reporter


def test_each_step_names_what_is_wrong_in_the_readers_language(client, two_cities):
    token = _csrf(client, f"{BASE}/where?lang=es")
    r = client.post(f"{BASE}/where?lang=es", data={"csrf": token, "address": ""})
    assert r.status_code == 400
    assert "Hay un problema" in r.text
    assert "Escriba la dirección o elija el lugar en el mapa." in r.text
    assert 'href="#address"' in r.text
    assert 'aria-invalid="true"' in r.text
    # a point outside the city
    r = client.post(
        f"{BASE}/where?lang=en", data={"csrf": token, "address": "", "lat": "52.5", "long": "13.4"}
    )
    assert r.status_code == 400
    assert "This place is outside Trujillo." in r.text
    assert _count(ReportDraft) == 0  # nothing kept of a refused answer
    # details: the service's required question, and a file that is not a photo
    client.post(f"{BASE}/where?lang=en", data={"csrf": token, "address": "Plaza de Armas"})
    r = client.post(
        f"{BASE}/details?lang=en",
        data={"csrf": token, "description": "<script>x</script>"},
        files={"media": ("x.png", b"not an image", "image/png")},
    )
    assert r.status_code == 400
    assert 'href="#attribute-fault"' in r.text
    assert 'href="#media"' in r.text
    assert 'href="#description"' in r.text
    with session_scope() as db:
        bind_all_cities(db)
        draft = db.scalar(select(ReportDraft))
        assert draft is not None
        assert "description" not in draft.answers  # the refused step left the draft as it was
        assert draft.photos == []


def test_a_form_without_the_visitors_token_is_refused(client, two_cities):
    _csrf(client, f"{BASE}/where")  # sets the visitor cookie
    r = client.post(f"{BASE}/where", data={"csrf": "0" * 64, "address": "Plaza"})
    assert r.status_code == 403
    assert _count(ReportDraft) == 0


def test_a_draft_belongs_to_its_city(client, two_cities):
    _file(client)
    # the same cookie on city B's form: no draft there, the resident starts at step 1
    r = client.get("/musterstadt/report/b-light/check", follow_redirects=False)
    assert r.status_code == 303
    assert "/musterstadt/report/b-light/where" in r.headers["location"]
    # and city A's draft is still whole
    assert client.get(f"{BASE}/check?lang=en").status_code == 200


def test_steps_cannot_be_skipped(client, two_cities):
    for step in ("details", "contact", "check"):
        r = client.get(f"{BASE}/{step}", follow_redirects=False)
        assert r.status_code == 303
        assert f"{BASE}/where" in r.headers["location"]
    assert client.get("/trujillo/report/a-draft/where").status_code == 404  # unpublished


def test_nearby_open_requests_are_offered_before_filing(client, two_cities):
    token = _csrf(client, f"{BASE}/where?lang=en")
    point = {"lat": "-8.1116", "long": "-79.0287"}
    client.post(f"{BASE}/where?lang=en", data={"csrf": token, "address": "", **point})
    assert "Already reported nearby?" not in client.get(f"{BASE}/details?lang=en").text
    api = client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": two_cities.a.api_key,
            "jurisdiction_id": "trujillo.example",
            "service_code": "a-light",
            "attribute[fault]": "out",
            "lat": "-8.1117",  # about 11 m away
            "long": "-79.0287",
        },
    )
    assert api.status_code == 200, api.text
    details = client.get(f"{BASE}/details?lang=en").text
    assert "Already reported nearby?" in details
    assert "/trujillo/requests/2?" in details


def test_old_drafts_are_purged(client, two_cities):
    _file(client)
    with session_scope() as db:
        removed = drafts.purge_drafts(db, now=utcnow() + timedelta(days=2))
    assert removed == 1
    assert _count(ReportDraft) == 0
    r = client.get(f"{BASE}/check", follow_redirects=False)
    assert r.status_code == 303


def test_track_finds_by_number_and_by_token(client, two_cities):
    r = client.get("/trujillo/track?ref=1", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/trujillo/requests/1")
    r = client.get(f"/trujillo/track?ref={two_cities.a.token}", follow_redirects=False)
    assert r.headers["location"].startswith("/trujillo/requests/1")
    r = client.get(f"/musterstadt/track?ref={two_cities.a.token}&lang=en")
    assert r.status_code == 404
    assert "No request has this number or code." in r.text


def test_the_public_list_of_requests(client, two_cities):
    page = client.get("/trujillo/requests?lang=en")
    assert page.status_code == 200
    assert "/trujillo/requests/1?" in page.text
    assert "reporter@a.example" not in page.text  # never who filed it
    assert "/musterstadt/" not in page.text.split("<main")[1].split("</main>")[0]
    assert "No requests match." in client.get("/trujillo/requests?status=closed&lang=en").text
    assert "/trujillo/requests/1?" in client.get("/trujillo/requests?status=open").text
    other = client.get("/trujillo/requests?service=a-draft&lang=en").text
    assert "No requests match." in other


def test_send_pressed_twice_files_one_request_and_shows_its_confirmation(client, two_cities):
    token = _file(client)
    first = client.post(f"{BASE}/check?lang=en", data={"csrf": token}, follow_redirects=False)
    again = client.post(f"{BASE}/check?lang=en", data={"csrf": token}, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert _count(ServiceRequest) == 3
    # the draft is gone for editing: its steps start a new one
    r = client.get(f"{BASE}/check?lang=en", follow_redirects=False)
    assert r.headers["location"].startswith(f"{BASE}/where")


def test_simultaneous_presses_of_send_file_one_request(client, two_cities):
    drafts_made = 3
    for _ in range(drafts_made):
        client.cookies.clear()  # a new visitor with a new draft
        token = _file(client)
        with ThreadPoolExecutor(4) as pool:
            answers = list(
                pool.map(
                    lambda csrf: client.post(
                        f"{BASE}/check?lang=en", data={"csrf": csrf}, follow_redirects=False
                    ),
                    [token] * 4,
                )
            )
        assert {a.status_code for a in answers} == {303}
        assert len({a.headers["location"] for a in answers}) == 1, [
            a.headers["location"] for a in answers
        ]
    assert _count(ServiceRequest) == 2 + drafts_made
