"""The isolation walk's sample requests for the proactive domain: one per route,
valid with the city's own credentials (tests/test_isolation.py)."""

from __future__ import annotations

import yaml

from tests.isolation import Case
from tests.isolation.worlds import RULE_BODY, iso_rule, proactive_world

ROUTES: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/cities/{city}/proactive/rules"): Case(200, setup=lambda w: proactive_world(w)),
    ("GET", "/api/v1/cities/{city}/proactive/rules.yaml"): Case(
        200, setup=lambda w: proactive_world(w)
    ),
    ("GET", "/api/v1/cities/{city}/proactive/rules/{code}"): Case(
        200, params=lambda w: {"code": "birth-grant"}, setup=lambda w: proactive_world(w)
    ),
    ("POST", "/api/v1/cities/{city}/proactive/rules/check"): Case(
        200, request=lambda w: {"json": RULE_BODY}
    ),
    ("PUT", "/api/v1/cities/{city}/proactive/rules/{code}"): Case(
        200, params=lambda w: {"code": RULE_BODY["code"]}, request=lambda w: {"json": RULE_BODY}
    ),
    ("GET", "/api/v1/cities/{city}/proactive/decisions"): Case(
        200, setup=lambda w: proactive_world(w)
    ),
    ("GET", "/api/v1/cities/{city}/proactive/decisions/{decision_id}"): Case(
        200,
        params=lambda w: {"decision_id": w.decision_id},
        setup=lambda w: proactive_world(w),
    ),
    ("POST", "/api/v1/cities/{city}/proactive/decisions/{decision_id}/review"): Case(
        200,
        params=lambda w: {"decision_id": w.decision_id},
        request=lambda w: {"json": {"outcome": "withdraw", "reason": "Isolation test."}},
        setup=lambda w: proactive_world(w),
    ),
    ("POST", "/api/v1/cities/{city}/proactive/runs"): Case(
        202, request=lambda w: {"json": {"on": "2026-11-20"}}
    ),
    ("GET", "/{city}/account/offers"): Case(303, auth="cookie"),
    ("GET", "/{city}/account/data-log"): Case(303, auth="cookie"),
    ("POST", "/{city}/account/offers/{decision_id}/accept"): Case(
        403, auth="cookie", params=lambda w: {"decision_id": 1}
    ),
    ("POST", "/{city}/account/offers/{decision_id}/decline"): Case(
        403, auth="cookie", params=lambda w: {"decision_id": 1}
    ),
    ("POST", "/{city}/account/offers/{decision_id}/review"): Case(
        403, auth="cookie", params=lambda w: {"decision_id": 1}
    ),
    ("POST", "/{city}/account/opt-out"): Case(403, auth="cookie"),
    ("GET", "/{city}/staff/proactive"): Case(
        200, auth="cookie", setup=lambda w: proactive_world(w)
    ),
    ("GET", "/{city}/staff/proactive/{decision_id}"): Case(
        200,
        auth="cookie",
        params=lambda w: {"decision_id": w.decision_id},
        setup=lambda w: proactive_world(w),
    ),
    ("POST", "/{city}/staff/proactive/{decision_id}/review"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        params=lambda w: {"decision_id": w.decision_id},
        request=lambda w: {"data": {"outcome": "withdraw", "reason": "Isolation test."}},
        setup=lambda w: proactive_world(w),
    ),
    ("GET", "/{city}/staff/rules"): Case(200, auth="cookie", setup=lambda w: proactive_world(w)),
    ("GET", "/{city}/staff/rules/{code}"): Case(
        200,
        auth="cookie",
        params=lambda w: {"code": "birth-grant"},
        setup=lambda w: proactive_world(w),
    ),
    ("POST", "/{city}/staff/rules/{code}"): Case(
        200,
        auth="cookie",
        extra={"csrf": True},
        params=lambda w: {"code": RULE_BODY["code"]},
        request=lambda w: {"data": {"text": yaml.safe_dump(RULE_BODY), "action": "check"}},
        setup=lambda w: iso_rule(w),
    ),
}

# routes anyone may call: their anonymous answer may equal the city's own
PUBLIC: set[str] = {"/{city}/account/offers", "/{city}/account/data-log"}
