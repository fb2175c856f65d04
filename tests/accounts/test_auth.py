"""Staff sign-in: argon2 passwords, bearer tokens, browser sessions with CSRF, API keys."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from civitas.accounts.models import AuthToken, User
from civitas.accounts.schemas import UserCreate
from civitas.accounts.service import create_user, purge_expired_tokens, verify_api_key
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.config import get_settings
from civitas.core.db import session_scope, utcnow
from civitas.core.errors import Unauthenticated
from civitas.core.security import sign
from civitas.core.tenancy import bind_all_cities
from tests.factories import PASSWORD, bearer, form_token, session_cookie


def test_passwords_are_stored_as_argon2id(db, two_cities):
    with session_scope() as s:
        city = get_city_by_slug(s, "trujillo")
        user = create_user(
            s,
            city,
            data=UserCreate(
                username="new", full_name="N", password="long-enough-1", roles=["agent"]
            ),
            actor="test",
        )
        assert user.password_hash.startswith("$argon2id$")
        assert "long-enough-1" not in user.password_hash


def test_outside_the_test_suite_passwords_get_argon2id_at_its_recommended_cost(monkeypatch):
    """The suite hashes at argon2id's cheapest cost (it signs in hundreds of times); any
    other environment gets the library's recommended cost (RFC 9106, 64 MiB, t=3)."""
    from civitas.core import security

    cheap = security.hash_password("long-enough-1")
    assert "$m=8,t=1,p=1$" in cheap
    monkeypatch.setenv("CIVITAS_ENV", "production")
    security._hasher.cache_clear()
    try:
        standard = security.hash_password("long-enough-1")
        assert "$m=65536,t=3,p=4$" in standard
        assert security.verify_password(standard, "long-enough-1")
        assert security.verify_password(cheap, "long-enough-1")  # old hashes still verify
        assert security.needs_rehash(cheap)  # and are upgraded at the next sign-in
    finally:
        monkeypatch.setenv("CIVITAS_ENV", "test")
        security._hasher.cache_clear()


def test_token_flow(client, two_cities):
    headers = bearer(client, "trujillo", "a-agent")
    me = client.get("/api/v1/cities/trujillo/me", headers=headers).json()
    assert me["username"] == "a-agent"
    assert me["city"] == "trujillo"
    assert "catalogue:service:write" not in me["permissions"]
    assert client.delete("/api/v1/cities/trujillo/auth/token", headers=headers).status_code == 204
    again = client.get("/api/v1/cities/trujillo/me", headers=headers)
    assert again.status_code == 401
    assert again.headers["www-authenticate"] == "Bearer"


def test_wrong_password_and_unknown_user_look_the_same(client, two_cities):
    wrong = client.post(
        "/api/v1/cities/trujillo/auth/token", json={"username": "a-agent", "password": "nope"}
    )
    unknown = client.post(
        "/api/v1/cities/trujillo/auth/token", json={"username": "ghost", "password": "nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"] == unknown.json()["error"]


def test_disabled_user_cannot_sign_in_and_loses_tokens(client, two_cities):
    headers = bearer(client, "trujillo", "a-agent")
    with session_scope() as s:
        enter_city(s, get_city_by_slug(s, "trujillo"))
        user = s.scalar(select(User).where(User.username == "a-agent"))
        assert user is not None
        user.is_active = False
    assert client.get("/api/v1/cities/trujillo/me", headers=headers).status_code == 401
    r = client.post(
        "/api/v1/cities/trujillo/auth/token", json={"username": "a-agent", "password": PASSWORD}
    )
    assert r.status_code == 401
    assert (
        "disabled" in r.json()["error"]["message"] or "desactivada" in r.json()["error"]["message"]
    )


def test_expired_tokens_are_refused_and_purged(client, two_cities):
    headers = bearer(client, "trujillo", "a-agent")
    with session_scope() as s:
        bind_all_cities(s)
        for token in s.scalars(select(AuthToken)):
            token.expires_at = utcnow() - timedelta(minutes=1)
    assert client.get("/api/v1/cities/trujillo/me", headers=headers).status_code == 401
    with session_scope() as s:
        assert purge_expired_tokens(s) == 1
    with session_scope() as s:
        bind_all_cities(s)
        assert s.scalars(select(AuthToken)).all() == []


def test_browser_session_login_and_logout_with_csrf(client, two_cities):
    cookies = session_cookie(client, "trujillo", "a-manager")
    client.cookies.update(cookies)
    page = client.get("/trujillo/staff")
    assert page.status_code == 200
    assert "Manager of Trujillo" in page.text
    # a logout without the form's CSRF token is refused and the session stays
    refused = client.post("/trujillo/logout", data={"csrf": "forged"}, follow_redirects=False)
    assert refused.status_code == 403
    assert client.get("/trujillo/staff", follow_redirects=False).status_code == 200
    csrf = sign(get_settings().secret_key, "csrf:" + cookies["civitas_session"])
    done = client.post("/trujillo/logout", data={"csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303
    client.cookies.update(cookies)
    assert client.get("/trujillo/staff", follow_redirects=False).status_code == 303
    client.cookies.clear()


def test_session_cookie_is_http_only_and_scoped_to_the_city(client, two_cities):
    r = client.post(
        "/trujillo/login",
        data={"username": "a-agent", "password": PASSWORD, "csrf": login_token(client)},
        follow_redirects=False,
    )
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "Path=/trujillo" in cookie
    assert "SameSite=lax" in cookie
    client.cookies.clear()


def test_failed_browser_login_shows_the_reason_in_the_citys_language(client, two_cities):
    r = client.post(
        "/trujillo/login",
        data={"username": "a-agent", "password": "wrong", "csrf": login_token(client)},
    )
    assert r.status_code == 401
    assert "Usuario o contraseña incorrectos." in r.text


def test_api_keys_are_hashed_per_city_and_revocable(client, two_cities):
    headers = bearer(client, "trujillo", "a-administrator")
    issued = client.post(
        "/api/v1/cities/trujillo/api-keys", json={"name": "FixMyStreet"}, headers=headers
    )
    assert issued.status_code == 201
    raw = issued.json()["api_key"]
    listed = client.get("/api/v1/cities/trujillo/api-keys", headers=headers).json()
    assert all("api_key" not in k for k in listed)
    with session_scope() as s:
        trujillo = get_city_by_slug(s, "trujillo")
        assert verify_api_key(s, trujillo, raw=raw).name == "FixMyStreet"
    with session_scope() as s:
        musterstadt = get_city_by_slug(s, "musterstadt")
        with pytest.raises(Unauthenticated):
            verify_api_key(s, musterstadt, raw=raw)
    key_id = issued.json()["id"]
    assert (
        client.delete(f"/api/v1/cities/trujillo/api-keys/{key_id}", headers=headers).status_code
        == 200
    )
    with session_scope() as s, pytest.raises(Unauthenticated):
        verify_api_key(s, get_city_by_slug(s, "trujillo"), raw=raw)


def test_user_creation_validates_and_refuses_duplicates(client, two_cities):
    headers = bearer(client, "trujillo", "a-administrator")
    short = client.post(
        "/api/v1/cities/trujillo/users",
        json={"username": "x1", "full_name": "X", "password": "short", "roles": ["wizard"]},
        headers=headers,
    )
    assert short.status_code == 422
    locations = {p["location"] for p in short.json()["error"]["problems"]}
    assert locations == {"password", "roles[0]"}
    dup = client.post(
        "/api/v1/cities/trujillo/users",
        json={"username": "a-agent", "full_name": "X", "password": PASSWORD, "roles": ["agent"]},
        headers=headers,
    )
    assert dup.status_code == 409


def test_administrator_changes_roles_and_disables_a_user(client, two_cities):
    admin = bearer(client, "trujillo", "a-administrator")
    agent = bearer(client, "trujillo", "a-agent")
    r = client.patch(
        "/api/v1/cities/trujillo/users/a-agent", json={"roles": ["manager"]}, headers=admin
    )
    assert r.status_code == 200
    assert r.json()["roles"] == ["manager"]
    me = client.get("/api/v1/cities/trujillo/me", headers=agent).json()
    assert "catalogue:service:write" in me["permissions"]
    r = client.patch(
        "/api/v1/cities/trujillo/users/a-agent", json={"is_active": False}, headers=admin
    )
    assert r.json()["is_active"] is False
    assert client.get("/api/v1/cities/trujillo/me", headers=agent).status_code == 401
    missing = client.patch(
        "/api/v1/cities/trujillo/users/ghost", json={"roles": ["agent"]}, headers=admin
    )
    assert missing.status_code == 404


def test_a_new_password_ends_other_sign_ins(client, two_cities):
    admin = bearer(client, "trujillo", "a-administrator")
    old = bearer(client, "trujillo", "a-agent")
    r = client.patch(
        "/api/v1/cities/trujillo/users/a-agent",
        json={"password": "a-brand-new-secret"},
        headers=admin,
    )
    assert r.status_code == 200
    assert client.get("/api/v1/cities/trujillo/me", headers=old).status_code == 401
    fresh = client.post(
        "/api/v1/cities/trujillo/auth/token",
        json={"username": "a-agent", "password": "a-brand-new-secret"},
    )
    assert fresh.status_code == 201


def test_session_cookie_reads_but_does_not_write_the_json_api(client, two_cities):
    cookies = session_cookie(client, "trujillo", "a-administrator")
    client.cookies.update(cookies)
    try:
        assert client.get("/api/v1/cities/trujillo/users").status_code == 200
        r = client.post("/api/v1/cities/trujillo/api-keys", json={"name": "sneaky"})
        assert r.status_code == 401
    finally:
        client.cookies.clear()


def login_token(client) -> str:
    return form_token(client, "/trujillo/login")


def test_a_sign_in_from_another_site_is_refused(client, two_cities):
    """Login CSRF: without the page's token, or sent from another origin, nobody is signed
    in (an attacker could otherwise sign a victim into the attacker's account)."""
    data = {"username": "a-agent", "password": PASSWORD}
    r = client.post("/trujillo/login", data=data, follow_redirects=False)
    assert r.status_code == 403
    token = login_token(client)
    r = client.post(
        "/trujillo/login",
        data={**data, "csrf": token},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert "civitas_session" not in r.cookies
    r = client.post(
        "/trujillo/login",
        data={**data, "csrf": token},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    client.cookies.clear()
