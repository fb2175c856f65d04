"""The isolation walk's sample requests for online applications: one per route, valid
with the city's own credentials (tests/test_isolation.py)."""

from __future__ import annotations

from tests.isolation import Case

ROUTES: dict[tuple[str, str], Case] = {}

# routes anyone may call: their anonymous answer may equal the city's own
PUBLIC: set[str] = set()
