"""Map-first reporting, as on FixMyStreet: start from a street, see what is already open
around it before filing, report there with the place filled in, and follow the area's new
requests in a feed reader (Atom). What is shown obeys each service's public location."""

from __future__ import annotations

import xml.etree.ElementTree as ET

ATOM = "{http://www.w3.org/2005/Atom}"


def _file(client, world, **where):
    data = {
        "api_key": world.a.api_key,
        "jurisdiction_id": "trujillo.example",
        "service_code": "a-light",
        "attribute[fault]": "out",
        "email": "vecina@example.org",
        **where,
    }
    r = client.post("/open311/v2/requests.json", data=data)
    assert r.status_code == 200, r.text
    return int(r.json()[0]["service_request_id"])


def test_the_open_requests_around_a_street_before_reporting_there(client, two_cities):
    near = _file(client, two_cities, address_id="a-0-3")
    far = _file(client, two_cities, lat="-8.13", long="-79.05")
    page = client.get("/trujillo/requests?q=jr+francisco+pizaro+2&radius=250&lang=en")
    assert page.status_code == 200
    assert "Requests near Jr. Francisco Pizarro 2" in page.text
    assert f"/trujillo/requests/{near}?" in page.text
    assert f"/trujillo/requests/{far}?" not in page.text
    # report there: the place comes filled in
    link = "/trujillo/report/a-light/where?address_id=a-0-2&amp;radius=250&amp;lang=en"
    assert link in page.text
    where = client.get("/trujillo/report/a-light/where?address_id=a-0-2&radius=250&lang=en")
    assert 'value="Jr. Francisco Pizarro 2, a000 Centre"' in where.text
    assert 'name="address_id" value="a-0-2"' in where.text
    # an unknown place is the whole city again, never an error
    assert "Reported requests" in client.get("/trujillo/requests?q=zzzz&lang=en").text
    assert client.get("/trujillo/requests?lat=nan&long=1&radius=7&lang=en").status_code == 200


def test_the_areas_new_requests_as_an_atom_feed(client, two_cities):
    near = _file(client, two_cities, address_id="a-0-3", description="Dark since Monday")
    _file(client, two_cities, lat="-8.13", long="-79.05")
    r = client.get("/trujillo/requests.atom?address_id=a-0-2&radius=250&lang=es")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(r.content)
    assert (
        feed.findtext(f"{ATOM}title")
        == "Solicitudes cerca de Jr. Francisco Pizarro 2, a000 Centre · Trujillo"
    )
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title").split()[0] for e in entries] == [f"#{near}"]
    assert "vecina@example.org" not in r.text  # who reported it is never public
    whole = ET.fromstring(client.get("/trujillo/requests.atom").content)
    assert len(whole.findall(f"{ATOM}entry")) >= 2
    # another city's feed has none of Trujillo's requests
    other = client.get("/musterstadt/requests.atom?lang=en").text
    assert "/trujillo/" not in other


def _outbox(subject_part: str) -> list:
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope
    from civitas.notifications.service import pending

    with session_scope() as db:
        return [
            (m.recipient, m.subject, m.body)
            for m in pending(db, get_city_by_slug(db, "trujillo"))
            if subject_part in m.subject
        ]


def test_alerts_of_new_requests_around_a_place_are_confirmed_then_sent_then_stopped(
    client, two_cities
):
    import re

    from tests.factories import form_token

    csrf = form_token(client, "/trujillo/requests?address_id=a-0-2&radius=250&lang=en")
    bad = client.post(
        "/trujillo/alerts?lang=en",
        data={"csrf": csrf, "email": "not-an-address", "address_id": "a-0-2", "radius": "250"},
    )
    assert bad.status_code == 400
    assert 'href="#email"' in bad.text
    r = client.post(
        "/trujillo/alerts?lang=en",
        data={"csrf": csrf, "email": "Vecino@Example.org", "address_id": "a-0-2", "radius": "250"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "We sent you an e-mail" in client.get(r.headers["location"]).text
    ((to, _subject, body),) = _outbox("Confirm your alerts")
    assert to == "vecino@example.org"
    _file(client, two_cities, address_id="a-0-3")
    assert _outbox("New near") == []  # not confirmed: nothing is sent

    found = re.search(r"https?://[^/]+(/trujillo/alerts/\d+/[0-9a-f]+)\?lang=en", body)
    assert found, body
    link = found.group(1)
    page = client.get(f"{link}?lang=en")
    assert "Not confirmed yet" in page.text
    csrf = form_token(client, f"{link}?lang=en")
    assert client.post(link, data={"csrf": csrf, "action": "confirm"}).status_code == 200
    assert client.get(link[:-8] + "00000000").status_code == 404  # a wrong key finds nothing

    near = _file(client, two_cities, address_id="a-0-4")
    _file(client, two_cities, lat="-8.13", long="-79.05")  # far away
    ((to, subject, body),) = _outbox("New near")
    assert "Jr. Francisco Pizarro 2" in subject
    assert to == "vecino@example.org"
    assert f"/trujillo/requests/{near}?lang=en" in body
    assert "Stop these e-mails" in body

    assert client.post(link, data={"csrf": csrf, "action": "stop"}).status_code == 200
    assert client.post(link, data={"csrf": csrf, "action": "stop"}).status_code == 200  # twice
    _file(client, two_cities, address_id="a-0-5")
    assert len(_outbox("New near")) == 1  # none after stopping
