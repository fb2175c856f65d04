"""Sign-in throttling: five wrong passwords for a user name within 15 minutes, and the
sixth attempt is refused without checking the password, even if it is right."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from civitas.accounts.models import LoginFailure
from civitas.accounts.service import purge_expired_tokens
from civitas.core.db import session_scope, utcnow
from civitas.core.tenancy import bind_all_cities
from tests.factories import PASSWORD

TOKEN = "/api/v1/cities/trujillo/auth/token"


def _failures() -> int:
    with session_scope() as db:
        bind_all_cities(db)
        return int(db.scalar(select(func.count()).select_from(LoginFailure)) or 0)


def test_the_sixth_attempt_is_refused_even_with_the_right_password(client, two_cities):
    for _ in range(5):
        r = client.post(TOKEN, json={"username": "a-agent", "password": "wrong"})
        assert r.status_code == 401
    assert _failures() == 5  # kept although each request failed
    r = client.post(TOKEN, json={"username": "a-agent", "password": PASSWORD})
    assert r.status_code == 429
    assert " 15 " in r.json()["error"]["message"]  # minutes to wait, in the city's language
    # another user name, and the same name in another city, are not affected
    assert (
        client.post(TOKEN, json={"username": "a-caseworker", "password": PASSWORD}).status_code
        == 201
    )
    other = client.post(
        "/api/v1/cities/musterstadt/auth/token",
        json={"username": "a-agent", "password": "wrong"},
    )
    assert other.status_code == 401


def test_unknown_names_are_throttled_alike(client, two_cities):
    for _ in range(5):
        client.post(TOKEN, json={"username": "nobody", "password": "x"})
    r = client.post(TOKEN, json={"username": "nobody", "password": "x"})
    assert r.status_code == 429


def test_a_success_clears_the_count_and_old_failures_expire(client, two_cities):
    for _ in range(4):
        client.post(TOKEN, json={"username": "a-agent", "password": "wrong"})
    right = client.post(TOKEN, json={"username": "a-agent", "password": PASSWORD})
    assert right.status_code == 201
    assert _failures() == 0
    for _ in range(3):
        client.post(TOKEN, json={"username": "a-agent", "password": "wrong"})
    with session_scope() as db:
        purge_expired_tokens(db, now=utcnow() + timedelta(minutes=16))
    assert _failures() == 0


def test_the_sign_in_page_says_when_to_try_again(client, two_cities):
    for _ in range(5):
        r = client.post("/trujillo/login?lang=en", data={"username": "a-agent", "password": "no"})
        assert r.status_code == 401
        assert "Wrong user name or password." in r.text
    r = client.post("/trujillo/login?lang=es", data={"username": "a-agent", "password": PASSWORD})
    assert r.status_code == 429
    assert "Demasiados intentos" in r.text
