"""The isolation walk's sample request for the notice board."""

from __future__ import annotations

from tests.isolation import Case

ROUTES = {("GET", "/{city}/staff/notices"): Case(200, auth="cookie")}
PUBLIC: set[str] = set()
