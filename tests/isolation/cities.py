"""The isolation walk's sample requests for the cities domain: one per route,
valid with the city's own credentials (tests/test_isolation.py)."""

from __future__ import annotations

from tests.isolation import Case

ROUTES: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/cities/{city}"): Case(200),
    ("GET", "/api/v1/cities/{city}/departments"): Case(200),
    ("POST", "/api/v1/cities/{city}/departments"): Case(
        201, request=lambda w: {"json": {"code": "parks", "name": {"en": "Parks"}}}
    ),
    ("PATCH", "/api/v1/cities/{city}/departments/{code}"): Case(
        200, params=lambda w: {"code": "roads"}, request=lambda w: {"json": {"phone": "+51 1"}}
    ),
    ("GET", "/api/v1/cities/{city}/domains"): Case(200),
    ("PUT", "/api/v1/cities/{city}/domains/{name}"): Case(
        200, params=lambda w: {"name": "recycling"}, request=lambda w: {"json": {"enabled": False}}
    ),
    ("GET", "/{city}/staff/settings"): Case(200, auth="cookie"),
    ("POST", "/{city}/staff/settings"): Case(
        303, auth="cookie", extra={"csrf": True}, request=lambda w: {"data": {}}
    ),
}

# routes anyone may call: their anonymous answer may equal the city's own
PUBLIC: set[str] = {"/api/v1/cities/{city}"}
