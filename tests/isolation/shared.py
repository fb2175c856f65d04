"""The isolation walk's sample requests for the shared routes (health, tracked jobs): one per route,
valid with the city's own credentials (tests/test_isolation.py)."""

from __future__ import annotations

from tests.isolation import Case
from tests.isolation.worlds import RECYCLING, job_world

ROUTES: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/cities/{city}/jobs/{job_id}"): Case(
        200, params=lambda w: {"job_id": RECYCLING["job"]}, setup=lambda w: job_world(w)
    ),
    ("GET", "/{city}/staff/jobs/{job_id}"): Case(
        200,
        auth="cookie",
        params=lambda w: {"job_id": RECYCLING["job"]},
        setup=lambda w: job_world(w),
    ),
}

# routes anyone may call: their anonymous answer may equal the city's own
PUBLIC: set[str] = set()
