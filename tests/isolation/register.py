"""The isolation walk's sample requests for the register domain: one per route,
valid with the city's own credentials (tests/test_isolation.py)."""

from __future__ import annotations

from civitas.proactive.demo import FAMILY
from tests.isolation import Case
from tests.isolation.worlds import proactive_world

ROUTES: dict[tuple[str, str], Case] = {
    # the register and proactive services
    ("POST", "/api/v1/cities/{city}/register/events"): Case(
        201,
        request=lambda w: {
            "json": {
                "event_id": "iso-1",
                "type": "move_in",
                "date": "2026-11-02",
                "person": {
                    "given_names": "Iso",
                    "family_name": "Test",
                    "birth_date": "1970-01-01",
                    "sex": "female",
                },
                "address": {"street": "Calle", "number": "1", "postcode": "1000"},
            }
        },
    ),
    ("GET", "/api/v1/cities/{city}/register/persons/{number}"): Case(
        200,
        params=lambda w: {"number": FAMILY[w.slug].parent[0]},
        request=lambda w: {"params": {"purpose": "isolation test", "on": "2026-11-20"}},
        setup=lambda w: proactive_world(w),
    ),
    ("GET", "/api/v1/cities/{city}/register/persons/{number}/access-log"): Case(
        200,
        params=lambda w: {"number": FAMILY[w.slug].parent[0]},
        request=lambda w: {"params": {"purpose": "isolation test"}},
        setup=lambda w: proactive_world(w),
    ),
}

# routes anyone may call: their anonymous answer may equal the city's own
PUBLIC: set[str] = set()
