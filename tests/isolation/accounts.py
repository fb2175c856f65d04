"""The isolation walk's sample requests for the accounts domain: one per route,
valid with the city's own credentials (tests/test_isolation.py)."""

from __future__ import annotations

from civitas.core.config import get_settings
from civitas.core.security import sign
from tests.factories import PASSWORD
from tests.isolation import Case

ROUTES: dict[tuple[str, str], Case] = {
    ("POST", "/api/v1/cities/{city}/auth/token"): Case(
        201,
        auth="body",
        request=lambda w: {"json": {"username": w.users["administrator"], "password": PASSWORD}},
    ),
    ("DELETE", "/api/v1/cities/{city}/auth/token"): Case(204),
    ("GET", "/api/v1/cities/{city}/me"): Case(200),
    ("GET", "/api/v1/cities/{city}/users"): Case(200),
    ("POST", "/api/v1/cities/{city}/users"): Case(
        201,
        request=lambda w: {
            "json": {
                "username": "new",
                "full_name": "New",
                "password": PASSWORD,
                "roles": ["agent"],
            }
        },
    ),
    ("PATCH", "/api/v1/cities/{city}/users/{username}"): Case(
        200,
        params=lambda w: {"username": w.users["agent"]},
        request=lambda w: {"json": {"roles": ["manager"]}},
    ),
    ("GET", "/api/v1/cities/{city}/api-keys"): Case(200),
    ("POST", "/api/v1/cities/{city}/api-keys"): Case(
        201, request=lambda w: {"json": {"name": "app"}}
    ),
    ("DELETE", "/api/v1/cities/{city}/api-keys/{key_id}"): Case(
        200, params=lambda w: {"key_id": w.api_key_id}
    ),
    ("GET", "/api/v1/cities/{city}/audit"): Case(200),
    ("GET", "/{city}/login"): Case(200, auth="cookie"),
    ("POST", "/{city}/login"): Case(
        303,
        auth="body",
        request=lambda w: {
            "data": {
                "username": w.users["administrator"],
                "password": PASSWORD,
                "csrf": sign(get_settings().secret_key, "csrf-visitor:isolation"),
            },
            "cookies": {"civitas_visitor": "isolation"},
        },
    ),
    ("GET", "/{city}/staff"): Case(200, auth="cookie"),
    ("POST", "/{city}/logout"): Case(303, auth="cookie", extra={"csrf": True}),
    ("GET", "/{city}/staff/users"): Case(200, auth="cookie"),
    ("GET", "/{city}/staff/users/new"): Case(200, auth="cookie"),
    ("POST", "/{city}/staff/users/new"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        request=lambda w: {
            "data": {
                "username": "newcomer",
                "full_name": "New Comer",
                "password": "a-long-enough-password",
                "roles": "agent",
            }
        },
    ),
    ("GET", "/{city}/staff/users/{username}"): Case(
        200, auth="cookie", params=lambda w: {"username": w.users["agent"]}
    ),
    ("POST", "/{city}/staff/users/{username}"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        params=lambda w: {"username": w.users["agent"]},
        request=lambda w: {"data": {"full_name": "Changed", "roles": "agent", "is_active": "1"}},
    ),
}

# routes anyone may call: their anonymous answer may equal the city's own
PUBLIC: set[str] = {"/{city}/login", "/{city}/logout"}
