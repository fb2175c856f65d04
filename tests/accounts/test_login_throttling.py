"""Sign-in throttling: five wrong passwords for a user name within 15 minutes, and the
sixth attempt is refused without checking the password, even if it is right."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from civitas.accounts.models import LoginFailure
from civitas.accounts.service import purge_expired_tokens
from civitas.core.db import session_scope, utcnow
from civitas.core.tenancy import bind_all_cities
from tests.factories import PASSWORD, form_token

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
    csrf = form_token(client, "/trujillo/login")
    for _ in range(5):
        r = client.post(
            "/trujillo/login?lang=en",
            data={"username": "a-agent", "password": "no", "csrf": csrf},
        )
        assert r.status_code == 401
        assert "Wrong user name or password." in r.text
    r = client.post(
        "/trujillo/login?lang=es",
        data={"username": "a-agent", "password": PASSWORD, "csrf": csrf},
    )
    assert r.status_code == 429
    assert "Demasiados intentos" in r.text


def _try(city_slug: str, username: str, password: str, address: str) -> str:
    """One sign-in attempt through the service: 'ok', 'wrong' or 'throttled'."""
    from civitas.accounts.service import authenticate
    from civitas.cities.service import get_city_by_slug
    from civitas.core.errors import TooManyAttempts, Unauthenticated

    with session_scope() as db:
        city = get_city_by_slug(db, city_slug)
        try:
            authenticate(db, city, username=username, password=password, address=address)
        except TooManyAttempts:
            return "throttled"
        except Unauthenticated:
            return "wrong"
        return "ok"


def test_wrong_passwords_from_elsewhere_do_not_lock_the_owner_out(two_cities):
    assert _try("trujillo", "a-agent", PASSWORD, "192.0.2.10") == "ok"  # the usual address
    for _ in range(5):
        assert _try("trujillo", "a-agent", "wrong", "198.51.100.7") == "wrong"
    assert _try("trujillo", "a-agent", PASSWORD, "198.51.100.7") == "throttled"
    assert _try("trujillo", "a-agent", PASSWORD, "192.0.2.10") == "ok"
    assert _try("trujillo", "a-agent", PASSWORD, "203.0.113.5") == "ok"  # a new place too


def test_one_password_tried_across_many_names_is_limited_per_address(two_cities):
    for n in range(20):
        assert _try("trujillo", f"guess{n}", "Summer2026!", "198.51.100.8") == "wrong"
    # the address is stopped, for real names too; another address is not
    assert _try("trujillo", "a-agent", PASSWORD, "198.51.100.8") == "throttled"
    assert _try("trujillo", "a-agent", PASSWORD, "192.0.2.10") == "ok"


def test_a_name_attacked_from_many_addresses_stays_open_at_home(two_cities):
    assert _try("trujillo", "a-manager", PASSWORD, "192.0.2.20") == "ok"
    for n in range(50):
        assert _try("trujillo", "a-manager", "wrong", f"198.51.100.{n + 100}") in (
            "wrong",
            "throttled",
        )
    assert _try("trujillo", "a-manager", PASSWORD, "203.0.113.9") == "throttled"
    assert _try("trujillo", "a-manager", PASSWORD, "192.0.2.20") == "ok"
