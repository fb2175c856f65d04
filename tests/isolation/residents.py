"""The isolation walk's sample requests for the residents domain: one per route,
valid with the city's own credentials (tests/test_isolation.py)."""

from __future__ import annotations

from tests.isolation import Case

ROUTES: dict[tuple[str, str], Case] = {
    # a resident's own account: public pages; forms need the visitor's token
    ("GET", "/{city}/account"): Case(200, auth="cookie"),
    ("GET", "/{city}/account/link/{token}"): Case(
        401, auth="cookie", params=lambda w: {"token": "cvl_unknown"}
    ),
    ("POST", "/{city}/account/link"): Case(
        403, auth="cookie", request=lambda w: {"data": {"email": "x@example.org"}}
    ),
    ("POST", "/{city}/account/signin"): Case(403, auth="cookie"),
    ("POST", "/{city}/account/password"): Case(403, auth="cookie"),
    ("POST", "/{city}/account/signout"): Case(403, auth="cookie"),
}

# routes anyone may call: their anonymous answer may equal the city's own
PUBLIC: set[str] = {
    "/{city}/account",
    "/{city}/account/link/{token}",
    "/{city}/account/link",
    "/{city}/account/signin",
    "/{city}/account/password",
    "/{city}/account/signout",
}
