"""The isolation walk's sample requests for the catalogue domain: one per route,
valid with the city's own credentials (tests/test_isolation.py)."""

from __future__ import annotations

from tests.isolation import Case
from tests.isolation.worlds import SERVICE_BODY, YAML_IMPORT

ROUTES: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/cities/{city}/services"): Case(
        200, request=lambda w: {"params": {"include_unpublished": "true"}}
    ),
    ("GET", "/api/v1/cities/{city}/services/export"): Case(
        200, request=lambda w: {"params": {"format": "yaml", "include_unpublished": "true"}}
    ),
    ("POST", "/api/v1/cities/{city}/services/import"): Case(
        200,
        request=lambda w: {"content": YAML_IMPORT, "headers": {"content-type": "text/plain"}},
    ),
    ("GET", "/api/v1/cities/{city}/services/{code}"): Case(
        200, params=lambda w: {"code": w.unpublished}
    ),
    ("PUT", "/api/v1/cities/{city}/services/{code}"): Case(
        200, params=lambda w: {"code": w.published}, request=lambda w: {"json": SERVICE_BODY}
    ),
    ("DELETE", "/api/v1/cities/{city}/services/{code}"): Case(
        204, params=lambda w: {"code": w.unpublished}
    ),
    ("GET", "/{city}/"): Case(200, auth="cookie"),
    ("GET", "/{city}/services/{code}"): Case(
        200, auth="cookie", params=lambda w: {"code": w.published}
    ),
    ("GET", "/{city}/theme.css"): Case(200, auth="cookie"),
    ("GET", "/{city}/staff/catalogue"): Case(200, auth="cookie"),
    ("GET", "/{city}/staff/catalogue/new"): Case(200, auth="cookie"),
    ("GET", "/{city}/staff/catalogue/{code}"): Case(
        200, auth="cookie", params=lambda w: {"code": w.unpublished}
    ),
    ("POST", "/{city}/staff/catalogue/new"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        request=lambda w: {
            "data": {
                "code": "new-thing",
                "name-en": "New thing",
                "description-en": "Something new.",
                "category": "waste",
                "channels": "office",
                "department": "roads",
            }
        },
    ),
    ("POST", "/{city}/staff/catalogue/{code}"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        params=lambda w: {"code": w.unpublished},
        request=lambda w: {
            "data": {
                "name-en": "Changed",
                "description-en": "Changed.",
                "category": "waste",
                "channels": "office",
                "department": "roads",
            }
        },
    ),
}

# routes anyone may call: their anonymous answer may equal the city's own
PUBLIC: set[str] = {"/{city}/", "/{city}/services/{code}", "/{city}/theme.css"}
