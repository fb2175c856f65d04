"""Administrators manage the city's staff users in the browser; nobody else can."""

from __future__ import annotations

from civitas.accounts.service import authenticate, get_user
from civitas.cities.service import get_city_by_slug
from civitas.core.db import session_scope
from tests.factories import form_token, session_cookie

USERS = "/trujillo/staff/users"


def _as(client, username: str) -> str:
    client.cookies.update(session_cookie(client, "trujillo", username))
    return form_token(client, f"{USERS}/new?lang=en")


def test_an_administrator_adds_a_user_and_every_problem_is_named(client, two_cities):
    csrf = _as(client, "a-administrator")
    r = client.post(
        f"{USERS}/new?lang=en",
        data={"csrf": csrf, "username": "Bad Name", "full_name": "", "password": "short"},
    )
    assert r.status_code == 400
    for field in ("username", "full_name", "password", "roles"):
        assert f'href="#{field}"' in r.text, field
    r = client.post(
        f"{USERS}/new?lang=en",
        data={
            "csrf": csrf,
            "username": "rosa",
            "full_name": "Rosa Quispe",
            "password": "a-long-enough-password",
            "roles": ["case_worker", "agent"],
            "department": "roads",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "Rosa Quispe" in client.get(f"{USERS}?lang=en").text
    with session_scope() as db:
        user = authenticate(
            db, get_city_by_slug(db, "trujillo"), username="rosa", password="a-long-enough-password"
        )
        assert sorted(user.roles) == ["agent", "case_worker"]
    # the same user name again is refused, named on its field
    r = client.post(
        f"{USERS}/new?lang=en",
        data={
            "csrf": csrf,
            "username": "rosa",
            "full_name": "Other",
            "password": "a-long-enough-password",
            "roles": ["agent"],
        },
    )
    assert r.status_code == 400
    assert "exists already" in r.text


def test_an_administrator_changes_roles_and_disables_a_user(client, two_cities):
    csrf = _as(client, "a-administrator")
    r = client.post(
        f"{USERS}/a-agent?lang=en",
        data={"csrf": csrf, "full_name": "Agent A", "roles": ["manager"]},  # not active
        follow_redirects=False,
    )
    assert r.status_code == 303
    with session_scope() as db:
        user = get_user(db, get_city_by_slug(db, "trujillo"), username="a-agent")
        assert user.roles == ["manager"]
        assert user.is_active is False
    # an administrator cannot lock themselves out
    r = client.post(
        f"{USERS}/a-administrator?lang=en",
        data={"csrf": csrf, "full_name": "Me", "roles": ["manager"], "is_active": "1"},
    )
    assert r.status_code == 400  # the form again, saying why
    assert "You cannot take away your own administration" in r.text


def test_only_administrators_manage_users(client, two_cities):
    client.cookies.update(session_cookie(client, "trujillo", "a-caseworker"))
    assert client.get(f"{USERS}/new").status_code == 403
    r = client.post(f"{USERS}/a-agent", data={"csrf": "x", "full_name": "x", "roles": ["agent"]})
    assert r.status_code == 403
    with session_scope() as db:
        assert get_user(db, get_city_by_slug(db, "trujillo"), username="a-agent").is_active
    client.cookies.clear()
    assert client.get(USERS, follow_redirects=False).status_code == 303
