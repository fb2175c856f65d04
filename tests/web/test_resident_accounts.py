"""Optional resident accounts: a one-time link by e-mail proves the address and signs in;
a password can be set; "my requests" shows the requests filed with that address, of this
city only."""

from __future__ import annotations

import re

from sqlalchemy import select

from civitas.core.db import session_scope
from civitas.core.tenancy import bind_all_cities
from civitas.notifications.models import OutboxMessage
from tests.factories import form_token

ACCOUNT = "/trujillo/account"


def _csrf(client, path: str = f"{ACCOUNT}?lang=en") -> str:
    return form_token(client, path)


def _mailed_link(address: str) -> str:
    with session_scope() as db:
        bind_all_cities(db)
        message = db.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.recipient == address)
            .order_by(OutboxMessage.id.desc())
        ).first()
        assert message is not None, "no sign-in mail in the outbox"
        found = re.search(r"https://civitas\.test(/trujillo/account/link/\S+)", message.body)
        assert found, message.body
        return found.group(1)


def _sign_in_by_link(client, address: str) -> None:
    r = client.post(f"{ACCOUNT}/link?lang=en", data={"csrf": _csrf(client), "email": address})
    assert r.status_code == 200
    assert "we sent a sign-in link" in r.text
    r = client.get(_mailed_link(address.lower()), follow_redirects=False)
    assert r.status_code == 303
    assert "civitas_resident" in r.cookies


def test_a_link_signs_in_once_and_shows_my_requests(client, two_cities):
    # the world's request 1 in Trujillo was filed with reporter@a.example
    _sign_in_by_link(client, "Reporter@A.example")
    page = client.get(f"{ACCOUNT}?lang=en").text
    assert "Signed in as reporter@a.example." in page
    assert "/trujillo/requests/1?" in page
    # the same link again does nothing
    link = _mailed_link("reporter@a.example")
    client.cookies.clear()
    r = client.get(link)
    assert r.status_code == 401
    assert "unknown, used or expired" in r.text


def test_my_requests_never_shows_another_citys_requests(client, two_cities):
    # city B's request 1 was filed with reporter@b.example: in Trujillo there is none
    _sign_in_by_link(client, "reporter@b.example")
    page = client.get(f"{ACCOUNT}?lang=en").text
    assert "No requests with this e-mail address yet." in page
    assert "/musterstadt/" not in page.split("<main")[1].split("</main>")[0]


def test_a_password_can_be_set_and_used(client, two_cities):
    _sign_in_by_link(client, "ana@example.org")
    csrf = _csrf(client)
    r = client.post(f"{ACCOUNT}/password?lang=en", data={"csrf": csrf, "password": "short"})
    assert r.status_code == 400
    assert "Use at least 10 characters." in r.text
    r = client.post(
        f"{ACCOUNT}/password",
        data={"csrf": csrf, "password": "my-long-password"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    client.post(f"{ACCOUNT}/signout", data={"csrf": csrf})
    assert "Signed in as" not in client.get(f"{ACCOUNT}?lang=en").text
    csrf = _csrf(client)
    wrong = {"csrf": csrf, "email": "ana@example.org", "password": "nope"}
    assert client.post(f"{ACCOUNT}/signin?lang=en", data=wrong).status_code == 401
    right = {"csrf": csrf, "email": "ana@example.org", "password": "my-long-password"}
    r = client.post(f"{ACCOUNT}/signin", data=right, follow_redirects=False)
    assert r.status_code == 303
    assert "Signed in as ana@example.org." in client.get(f"{ACCOUNT}?lang=en").text


def test_an_unverified_address_cannot_sign_in_with_a_password(client, two_cities):
    csrf = _csrf(client)
    client.post(f"{ACCOUNT}/link", data={"csrf": csrf, "email": "eve@example.org"})
    r = client.post(
        f"{ACCOUNT}/signin?lang=en",
        data={"csrf": csrf, "email": "eve@example.org", "password": ""},
    )
    assert r.status_code == 401


def test_a_bad_address_is_named(client, two_cities):
    r = client.post(f"{ACCOUNT}/link?lang=es", data={"csrf": _csrf(client), "email": "nope"})
    assert r.status_code == 400
    assert 'href="#email"' in r.text
    assert "nombre@ejemplo.org" in r.text


def test_sign_in_links_are_limited_per_address(client, two_cities):
    csrf = _csrf(client)
    for _ in range(5):
        r = client.post(f"{ACCOUNT}/link?lang=en", data={"csrf": csrf, "email": "x@example.org"})
        assert r.status_code == 200
    r = client.post(f"{ACCOUNT}/link?lang=en", data={"csrf": csrf, "email": "x@example.org"})
    assert r.status_code == 429
    assert "Too many sign-in links for this address" in r.text
    with session_scope() as db:
        bind_all_cities(db)
        sent = db.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == "x@example.org")
        ).all()
        assert len(sent) == 5
