"""Two-city isolation, walked over every route of the application.

For each route that addresses a city, city B's credentials (bearer token, session cookie,
API key, user name and password) used on city A's address must be worth exactly what no
credentials are worth: the same status, the same body, and no change in the database.
City A's own credentials must succeed, which shows each sample request is a valid one.
A route missing from ROUTES fails the test, so new routes cannot skip this check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml
from fastapi.routing import APIRoute
from sqlalchemy import select

from civitas.cases.routing import create_rule
from civitas.cases.schemas import RequestChannel, RequestCreate, RoutingRuleIn
from civitas.cases.service import create_request
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.config import get_settings
from civitas.core.db import get_engine, session_scope
from civitas.core.security import sign
from civitas.insight.scorecard import EXAMPLE
from civitas.main import create_app
from civitas.models import Base
from civitas.proactive.demo import FAMILY
from tests.factories import PASSWORD, CityWorld, World, bearer, session_cookie, tiny_png

RULE_BODY = {
    "code": "iso-pass",
    "name": {"en": "Isolation pass"},
    "description": {"en": "For tests."},
    "reason": {"en": "You are {age}."},
    "mode": "offer",
    "triggers": ["periodic"],
    "period": "once",
    "eligible": "age >= 100",
}

YAML_IMPORT = """
services:
  - code: a-new
    name: {en: New service}
    description: {en: Something new.}
    category: waste
    channels: [online]
    department: roads
"""


@dataclass
class Case:
    """How to call a route: path parameters, a request (given whose credentials), status."""

    own_status: int
    params: Callable[[CityWorld], dict[str, Any]] = lambda w: {}
    request: Callable[[CityWorld], dict[str, Any]] = lambda w: {}
    auth: str = "bearer"  # how credentials travel: bearer, cookie, body (in the request)
    extra: dict[str, Any] = field(default_factory=dict)
    setup: Callable[[CityWorld], None] | None = None  # data the route needs beyond the world


SERVICE_BODY = {
    "code": "a-light",
    "name": {"en": "Changed"},
    "description": {"en": "Changed."},
    "category": "roads",
    "channels": ["online"],
    "department": "roads",
}

ROUTES: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/cities/{city}"): Case(200),
    ("GET", "/api/v1/cities/{city}/departments"): Case(200),
    ("POST", "/api/v1/cities/{city}/departments"): Case(
        201, request=lambda w: {"json": {"code": "parks", "name": {"en": "Parks"}}}
    ),
    ("PATCH", "/api/v1/cities/{city}/departments/{code}"): Case(
        200, params=lambda w: {"code": "roads"}, request=lambda w: {"json": {"phone": "+51 1"}}
    ),
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
    ("GET", "/open311/v2/services.{fmt}"): Case(
        200,
        auth="api_key",
        params=lambda w: {"fmt": "json"},
        request=lambda w: {"params": {"jurisdiction_id": w.jurisdiction_id}},
    ),
    ("GET", "/open311/v2/services/{service_code}.{fmt}"): Case(
        200,
        auth="api_key",
        params=lambda w: {"fmt": "xml", "service_code": w.published},
        request=lambda w: {"params": {"jurisdiction_id": w.jurisdiction_id}},
    ),
    ("GET", "/api/v1/cities/{city}/requests"): Case(200),
    ("POST", "/api/v1/cities/{city}/requests"): Case(
        201,
        request=lambda w: {
            "json": {
                "service_code": w.published,
                "channel": "phone",
                "address_string": "Plaza",
                "attributes": {"fault": "out"},
            }
        },
    ),
    ("GET", "/api/v1/cities/{city}/requests/{number}"): Case(200, params=lambda w: {"number": 1}),
    ("POST", "/api/v1/cities/{city}/requests/{number}/status"): Case(
        200,
        params=lambda w: {"number": 1},
        request=lambda w: {"json": {"status": "in_progress", "note": "On it"}},
    ),
    ("POST", "/api/v1/cities/{city}/requests/{number}/notes"): Case(
        201, params=lambda w: {"number": 1}, request=lambda w: {"json": {"text": "Called back"}}
    ),
    ("POST", "/api/v1/cities/{city}/requests/{number}/assign"): Case(
        200,
        params=lambda w: {"number": 1},
        request=lambda w: {"json": {"username": w.users["case_worker"]}},
    ),
    ("GET", "/api/v1/cities/{city}/requests/{number}/audit"): Case(
        200, params=lambda w: {"number": 1}
    ),
    ("POST", "/api/v1/cities/{city}/requests/{number}/media"): Case(
        201,
        params=lambda w: {"number": 1},
        request=lambda w: {"files": [("media", ("p.png", tiny_png().data, "image/png"))]},
    ),
    ("GET", "/api/v1/cities/{city}/requests/{number}/duplicates"): Case(
        200, params=lambda w: {"number": 1}
    ),
    ("POST", "/api/v1/cities/{city}/requests/{number}/merge"): Case(
        200,
        params=lambda w: {"number": 1},
        request=lambda w: {"json": {"into": 2}},
        setup=lambda w: second_request(w),
    ),
    ("GET", "/api/v1/cities/{city}/routing-rules"): Case(200),
    ("POST", "/api/v1/cities/{city}/routing-rules"): Case(
        201,
        request=lambda w: {
            "json": {
                "area": "Centre",
                "department": "roads",
                "min_lat": w.extent[0],
                "min_lon": w.extent[1],
                "max_lat": w.extent[2],
                "max_lon": w.extent[3],
            }
        },
    ),
    ("DELETE", "/api/v1/cities/{city}/routing-rules/{rule_id}"): Case(
        204, params=lambda w: {"rule_id": w.rule_id}, setup=lambda w: routing_rule(w)
    ),
    ("POST", "/open311/v2/requests.{fmt}"): Case(
        200,
        auth="api_key",
        params=lambda w: {"fmt": "json"},
        request=lambda w: {
            "data": {
                "jurisdiction_id": w.jurisdiction_id,
                "service_code": w.published,
                "address_string": "Main square",
                "attribute[fault]": "out",
            }
        },
    ),
    ("GET", "/open311/v2/requests.{fmt}"): Case(
        200,
        auth="api_key",
        params=lambda w: {"fmt": "json"},
        request=lambda w: {"params": {"jurisdiction_id": w.jurisdiction_id}},
    ),
    ("GET", "/open311/v2/requests/{service_request_id}.{fmt}"): Case(
        200,
        auth="api_key",
        params=lambda w: {"fmt": "json", "service_request_id": "1"},
        request=lambda w: {"params": {"jurisdiction_id": w.jurisdiction_id}},
    ),
    ("GET", "/open311/v2/servicerequestupdates.{fmt}"): Case(
        200,
        auth="api_key",
        params=lambda w: {"fmt": "json"},
        request=lambda w: {"params": {"jurisdiction_id": w.jurisdiction_id}},
    ),
    ("POST", "/open311/v2/servicerequestupdates.{fmt}"): Case(
        200,
        auth="api_key",
        params=lambda w: {"fmt": "json"},
        request=lambda w: {
            "data": {
                "jurisdiction_id": w.jurisdiction_id,
                "service_request_id": "1",
                "status": "open",
                "description": "Still dark tonight.",
                "updated_datetime": "2026-11-20T20:00:00-05:00",
            }
        },
    ),
    ("GET", "/open311/v2/tokens/{token}.{fmt}"): Case(
        200,
        auth="api_key",
        params=lambda w: {"fmt": "json", "token": w.token},
        request=lambda w: {"params": {"jurisdiction_id": w.jurisdiction_id}},
    ),
    ("GET", "/media/{city}/{number}/{media_id}.{extension}"): Case(
        200,
        auth="cookie",
        params=lambda w: {
            "number": 1,
            "media_id": w.photo.split(".")[0],
            "extension": w.photo.split(".")[1],
        },
    ),
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
    ("GET", "/{city}/"): Case(200, auth="cookie"),
    ("GET", "/{city}/services/{code}"): Case(
        200, auth="cookie", params=lambda w: {"code": w.published}
    ),
    # the resident's request form: public; a draft lives behind its own cookie, and a post
    # needs the visitor's form token, which no staff credential replaces
    ("GET", "/{city}/report/{code}"): Case(
        303, auth="cookie", params=lambda w: {"code": w.published}
    ),
    ("GET", "/{city}/report/{code}/where"): Case(
        200, auth="cookie", params=lambda w: {"code": w.published}
    ),
    ("GET", "/{city}/report/{code}/details"): Case(
        303, auth="cookie", params=lambda w: {"code": w.published}
    ),
    ("GET", "/{city}/report/{code}/contact"): Case(
        303, auth="cookie", params=lambda w: {"code": w.published}
    ),
    ("GET", "/{city}/report/{code}/check"): Case(
        303, auth="cookie", params=lambda w: {"code": w.published}
    ),
    ("POST", "/{city}/report/{code}/where"): Case(
        403,
        auth="cookie",
        params=lambda w: {"code": w.published},
        request=lambda w: {"data": {"address": "Plaza"}},
    ),
    ("POST", "/{city}/report/{code}/details"): Case(
        403,
        auth="cookie",
        params=lambda w: {"code": w.published},
        request=lambda w: {"data": {"description": "x"}},
    ),
    ("POST", "/{city}/report/{code}/contact"): Case(
        403, auth="cookie", params=lambda w: {"code": w.published}
    ),
    ("POST", "/{city}/report/{code}/check"): Case(
        403, auth="cookie", params=lambda w: {"code": w.published}
    ),
    ("GET", "/{city}/requests/{number}"): Case(200, auth="cookie", params=lambda w: {"number": 1}),
    ("GET", "/{city}/track"): Case(200, auth="cookie"),
    ("GET", "/{city}/requests"): Case(200, auth="cookie"),
    ("GET", "/{city}/theme.css"): Case(200, auth="cookie"),
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
    # the back office in the browser
    ("GET", "/{city}/staff/cases"): Case(200, auth="cookie"),
    ("GET", "/{city}/staff/cases/{number}"): Case(
        200, auth="cookie", params=lambda w: {"number": 1}
    ),
    ("POST", "/{city}/staff/cases/{number}/assign"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        params=lambda w: {"number": 1},
        request=lambda w: {"data": {"username": w.users["case_worker"]}},
    ),
    ("POST", "/{city}/staff/cases/{number}/status"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        params=lambda w: {"number": 1},
        request=lambda w: {"data": {"status": "acknowledged", "note": "Seen."}},
    ),
    ("POST", "/{city}/staff/cases/{number}/note"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        params=lambda w: {"number": 1},
        request=lambda w: {"data": {"text": "Called the reporter."}},
    ),
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
                "channels": "online",
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
                "channels": "online",
                "department": "roads",
            }
        },
    ),
    ("GET", "/{city}/staff/hotline"): Case(200, auth="cookie"),
    ("GET", "/{city}/staff/hotline/{code}"): Case(
        200, auth="cookie", params=lambda w: {"code": w.published}
    ),
    ("POST", "/{city}/staff/hotline/{code}"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        params=lambda w: {"code": w.published},
        request=lambda w: {"data": {"address": "Plaza", "attribute[fault]": "out"}},
    ),
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
    # satisfaction: the survey behind its link, and "was this page helpful?"
    ("GET", "/{city}/survey/{token}"): Case(
        200,
        auth="cookie",
        params=lambda w: {"token": SURVEYS[w.slug]},
        setup=lambda w: survey_invitation(w),
    ),
    ("POST", "/{city}/survey/{token}"): Case(
        403,
        auth="cookie",
        params=lambda w: {"token": SURVEYS[w.slug]},
        request=lambda w: {"data": {"rating": "5"}},
        setup=lambda w: survey_invitation(w),
    ),
    ("POST", "/{city}/services/{code}/feedback"): Case(
        403,
        auth="cookie",
        params=lambda w: {"code": w.published},
        request=lambda w: {"data": {"helpful": "yes"}},
    ),
    # figures: dashboard, scorecard and its editor, the network, CSV and the PDF report
    ("GET", "/{city}/staff/insight"): Case(200, auth="cookie", setup=lambda w: scorecard_world(w)),
    ("GET", "/{city}/staff/insight/figures.csv"): Case(
        200, auth="cookie", setup=lambda w: scorecard_world(w)
    ),
    ("POST", "/{city}/staff/insight/refresh"): Case(
        303, auth="cookie", extra={"csrf": True}, request=lambda w: {"data": {"month": "2026-10"}}
    ),
    ("GET", "/{city}/staff/insight/report.pdf"): Case(
        200, auth="cookie", setup=lambda w: scorecard_world(w)
    ),
    ("GET", "/{city}/staff/scorecard"): Case(
        200, auth="cookie", setup=lambda w: scorecard_world(w)
    ),
    ("GET", "/{city}/staff/scorecard.csv"): Case(
        200, auth="cookie", setup=lambda w: scorecard_world(w)
    ),
    ("POST", "/{city}/staff/scorecard/figures"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        request=lambda w: {"data": {"kpi": "fleet_co2_t", "month": "2026-10", "value": "41.5"}},
        setup=lambda w: scorecard_world(w),
    ),
    ("GET", "/{city}/staff/scorecard/edit"): Case(200, auth="cookie"),
    ("POST", "/{city}/staff/scorecard/edit"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        request=lambda w: {"data": {"text": EXAMPLE.replace("2026-01", "2026-02")}},
    ),
    ("GET", "/{city}/staff/network"): Case(200, auth="cookie", setup=lambda w: scorecard_world(w)),
    ("GET", "/{city}/staff/network.csv"): Case(
        200, auth="cookie", setup=lambda w: scorecard_world(w)
    ),
    ("GET", "/{city}/staff/feedback"): Case(200, auth="cookie"),
    # open data: published for anyone, the same with or without credentials
    ("GET", "/{city}/open-data"): Case(200, auth="cookie"),
    ("GET", "/{city}/open-data/catalog.{fmt}"): Case(
        200, auth="cookie", params=lambda w: {"fmt": "jsonld"}
    ),
    ("GET", "/{city}/open-data/{dataset}.{fmt}"): Case(
        200, auth="cookie", params=lambda w: {"dataset": "requests", "fmt": "csv"}
    ),
    ("POST", "/{city}/staff/cases/{number}/merge"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        params=lambda w: {"number": 1},
        request=lambda w: {"data": {"into": "2"}},
        setup=lambda w: second_request(w),
    ),
    # recycling: the picker's phone, the buyer's desk, the programme's back office
    ("GET", "/{city}/picker"): Case(
        200,
        auth="cookie",
        request=lambda w: {"params": {"day": RECYCLING["day"]}},
        setup=lambda w: recycling_world(w),
    ),
    ("POST", "/{city}/picker/stops/{pickup_id}"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        params=lambda w: {"pickup_id": RECYCLING["open_stop"]},
        request=lambda w: {
            "data": {"outcome": "collected", "kg-paper": "3", "client_key": "iso-stop-0001"}
        },
        setup=lambda w: recycling_world(w),
    ),
    ("GET", "/{city}/picker/sw.js"): Case(200, auth="cookie"),
    ("GET", "/api/v1/cities/{city}/recycling/route"): Case(
        200,
        request=lambda w: {"params": {"day": RECYCLING["day"]}},
        setup=lambda w: recycling_world(w),
    ),
    ("POST", "/api/v1/cities/{city}/recycling/stops"): Case(
        200,
        request=lambda w: {
            "json": {
                "pickup_id": RECYCLING["open_stop"],
                "outcome": "not_found",
                "client_key": "iso-api-stop-1",
            }
        },
        setup=lambda w: recycling_world(w),
    ),
    ("POST", "/api/v1/cities/{city}/recycling/plans"): Case(
        202,
        request=lambda w: {"json": {"day": RECYCLING["day"]}},
        setup=lambda w: recycling_world(w),
    ),
    ("GET", "/api/v1/cities/{city}/recycling/plans/{day}"): Case(
        200, params=lambda w: {"day": RECYCLING["day"]}, setup=lambda w: recycling_world(w)
    ),
    ("GET", "/api/v1/cities/{city}/jobs/{job_id}"): Case(
        200, params=lambda w: {"job_id": RECYCLING["job"]}, setup=lambda w: job_world(w)
    ),
    ("GET", "/{city}/staff/jobs/{job_id}"): Case(
        200,
        auth="cookie",
        params=lambda w: {"job_id": RECYCLING["job"]},
        setup=lambda w: job_world(w),
    ),
    ("GET", "/api/v1/cities/{city}/recycling/prices"): Case(
        200, setup=lambda w: recycling_world(w)
    ),
    ("POST", "/api/v1/cities/{city}/recycling/sales"): Case(
        200,
        request=lambda w: {
            "json": {
                "buyer": "reciplast",
                "picker": "rosa",
                "lines": [{"material": "pet", "weight_kg": 1}],
                "client_key": "iso-api-sale-1",
            }
        },
        setup=lambda w: recycling_world(w),
    ),
    ("GET", "/api/v1/cities/{city}/recycling/sales/{sale_id}"): Case(
        200, params=lambda w: {"sale_id": RECYCLING["sale"]}, setup=lambda w: recycling_world(w)
    ),
    ("POST", "/{city}/picker/drop-out"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        request=lambda w: {"data": {"reason": "Ill"}},
        setup=lambda w: recycling_world(w),
    ),
    ("GET", "/{city}/buyer"): Case(200, auth="cookie", setup=lambda w: recycling_world(w)),
    ("POST", "/{city}/buyer/prices"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        request=lambda w: {"data": {"material": "glass", "price": "0.15", "valid_from": ""}},
        setup=lambda w: recycling_world(w),
    ),
    ("POST", "/{city}/buyer/purchases"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        request=lambda w: {
            "data": {"seller": "picker:rosa", "kg-pet": "1", "client_key": "iso-sale-0002"}
        },
        setup=lambda w: recycling_world(w),
    ),
    ("GET", "/{city}/buyer/purchases/{sale_id}"): Case(
        200,
        auth="cookie",
        params=lambda w: {"sale_id": RECYCLING["sale"]},
        setup=lambda w: recycling_world(w),
    ),
    ("GET", "/{city}/staff/recycling"): Case(
        200,
        auth="cookie",
        request=lambda w: {"params": {"day": RECYCLING["day"]}},
        setup=lambda w: recycling_world(w),
    ),
    ("POST", "/{city}/staff/recycling/plan"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        request=lambda w: {"data": {"day": RECYCLING["day"]}},
        setup=lambda w: recycling_world(w),
    ),
    ("POST", "/{city}/staff/recycling/pickers/{code}/drop-out"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        params=lambda w: {"code": "juan"},
        request=lambda w: {"data": {"day": RECYCLING["day"], "reason": "Ill"}},
        setup=lambda w: recycling_world(w),
    ),
    ("GET", "/{city}/staff/recycling/pickers"): Case(
        200, auth="cookie", setup=lambda w: recycling_world(w)
    ),
    ("POST", "/{city}/staff/recycling/pickers"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        request=lambda w: {
            "data": {
                "name": "Iso Picker",
                "code": "iso",
                "document_id": "DNI-98765432",
                "zone": "centro",
                "vehicle": "cart",
                "capacity_kg": "80",
                "working_days": "2",
                "shift_start": "08:00",
                "shift_end": "12:00",
                "home_lat": "-8.11",
                "home_lon": "-79.03",
            }
        },
        setup=lambda w: recycling_world(w),
    ),
    ("POST", "/{city}/staff/recycling/pickers/{code}/status"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        params=lambda w: {"code": "ana"},
        request=lambda w: {"data": {"status": "verified"}},
        setup=lambda w: recycling_world(w),
    ),
    ("GET", "/{city}/staff/recycling/sales"): Case(
        200, auth="cookie", setup=lambda w: recycling_world(w)
    ),
    ("POST", "/{city}/staff/recycling/sales"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        request=lambda w: {
            "data": {
                "buyer": "reciplast",
                "seller": "picker:rosa",
                "kg-pet": "1",
                "client_key": "iso-sale-0003",
            }
        },
        setup=lambda w: recycling_world(w),
    ),
    ("GET", "/{city}/staff/recycling/sales/{sale_id}"): Case(
        200,
        auth="cookie",
        params=lambda w: {"sale_id": RECYCLING["sale"]},
        setup=lambda w: recycling_world(w),
    ),
    ("GET", "/{city}/staff/recycling/pickups/{pickup_id}/photo"): Case(
        200,
        auth="cookie",
        params=lambda w: {"pickup_id": RECYCLING["done_stop"]},
        setup=lambda w: recycling_world(w),
    ),
    ("GET", "/{city}/staff/recycling/figures"): Case(
        200, auth="cookie", setup=lambda w: recycling_world(w)
    ),
}

# routes that address no city at all
GLOBAL = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/api/v1/cities"),
    ("GET", "/"),
    ("GET", "/open311/v2/discovery.{fmt}"),
}


def routing_rule(world: CityWorld) -> None:
    with session_scope() as db:
        city = get_city_by_slug(db, world.slug)
        rule = create_rule(
            db,
            city,
            actor="test",
            data=RoutingRuleIn(
                area="Centre",
                department="roads",
                min_lat=world.extent[0],
                min_lon=world.extent[1],
                max_lat=world.extent[2],
                max_lon=world.extent[3],
            ),
        )
        world.rule_id = rule.id


def proactive_world(world: CityWorld) -> None:
    """The city's demo rules and demo family (a birth grant and a parking permit offer)."""
    from civitas.proactive.models import Decision
    from tests.proactive.helpers import family, with_rules

    engine = get_engine()
    with_rules(engine, world.slug, f"{world.slug}.yaml")
    family(engine, world.slug)
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, world.slug))
        world.decision_id = db.scalars(select(Decision.id).order_by(Decision.id)).first() or 0


def iso_rule(world: CityWorld) -> None:
    from civitas.proactive.rules import save_rule
    from civitas.proactive.schemas import RuleIn

    with session_scope() as db:
        save_rule(
            db,
            get_city_by_slug(db, world.slug),
            data=RuleIn.model_validate(RULE_BODY),
            actor="test",
        )


def scorecard_world(world: CityWorld) -> None:
    """A scorecard that publishes, and the figures of a month (published too)."""
    from civitas.insight import scorecard
    from civitas.insight.service import refresh_figures

    with session_scope() as db:
        city = get_city_by_slug(db, world.slug)
        scorecard.save(db, city, text=EXAMPLE, actor="test")
        refresh_figures(db, city, ["2026-10"], actor="test")


SURVEYS: dict[str, str] = {}
RECYCLING: dict[str, Any] = {}


def job_world(world: CityWorld) -> None:
    """A finished plan job of city A (its result as the worker stores it)."""
    from civitas.core import background

    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, world.slug))
        job = background.Job(
            kind="recycling.plan",
            params={"day": "2026-12-01", "reason": "plan"},
            actor="test",
            status=background.DONE,
            result={"day": "2026-12-01", "version": 1, "stats": {}},
        )
        db.add(job)
        db.flush()
        RECYCLING["job"] = job.id


def recycling_world(world: CityWorld) -> None:
    """City A's small programme (tests/recycling/helpers.py), its administrator signed in
    as picker Rosa and as buyer Reciplast, a planned day with one stop done and one sale."""
    from civitas.accounts.models import User
    from civitas.cases.service import stored_photo
    from civitas.recycling import planning, service
    from civitas.recycling.models import Buyer, Picker, Pickup
    from civitas.recycling.schemas import SaleCreate, SaleLineIn, StopRecord
    from tests.recycling.helpers import SPOTS, file_pickups, programme, rosa_alone

    engine = get_engine()
    prog = programme(engine)
    file_pickups(engine, prog.day)
    rosa_alone(engine, prog.day)
    with session_scope() as db:
        city = get_city_by_slug(db, world.slug)
        enter_city(db, city)
        admin = db.scalar(select(User).where(User.username == world.users["administrator"]))
        rosa = db.scalars(select(Picker).where(Picker.code == "rosa")).one()
        rosa.user_id = admin.id
        db.scalar(select(Buyer).where(Buyer.code == "reciplast")).user_id = admin.id
        planning.make_plan(db, city, day=prog.day, actor="test", now=prog.now, time_limit=0.2)
        stops = list(
            db.scalars(select(Pickup).where(Pickup.picker_id == rosa.id).order_by(Pickup.id))
        )
        service.record_stop(
            db,
            city,
            picker=rosa,
            data=StopRecord(
                pickup_id=stops[0].id,
                outcome="collected",
                weights_kg={"pet": 4},
                client_key="iso-setup-stop",
            ),
            photo=stored_photo(get_settings().media_root, city, tiny_png())["path"],
        )
        sale = service.record_sale(
            db,
            city,
            data=SaleCreate(
                buyer="reciplast",
                picker="rosa",
                lines=[SaleLineIn(material="pet", weight_kg=2)],
                client_key="iso-setup-sale",
            ),
            actor="test",
        )
        assert len(stops) == len(SPOTS)
        RECYCLING.update(
            day=prog.day.isoformat(), open_stop=stops[-1].id, done_stop=stops[0].id, sale=sale.id
        )


def survey_invitation(world: CityWorld) -> None:
    from civitas.insight.service import invite

    with session_scope() as db:
        city = get_city_by_slug(db, world.slug)
        SURVEYS[world.slug] = (
            invite(
                db,
                city,
                subject_type="request",
                subject_id=1,
                service_id=None,
                department_id=None,
                channel="web",
                language="en",
                email=None,
                what="a test",
            )
            or ""
        )


def second_request(world: CityWorld) -> None:
    with session_scope() as db:
        city = get_city_by_slug(db, world.slug)
        create_request(
            db,
            city,
            data=RequestCreate(
                service_code=world.published,
                channel=RequestChannel.PHONE,
                address_string="Elsewhere",
                attributes={"fault": "out"},
            ),
            filed_by="test",
        )


def all_routes() -> Iterator[tuple[str, str]]:
    def walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
        for route in routes:
            if isinstance(route, APIRoute):
                for method in sorted(route.methods or ()):
                    yield method, prefix + route.path
            elif hasattr(route, "original_router"):
                yield from walk(route.original_router.routes, prefix + route.include_context.prefix)

    yield from walk(create_app().routes)


def test_every_route_is_covered():
    missing = [r for r in all_routes() if r not in ROUTES and r not in GLOBAL]
    assert not missing, f"add these routes to tests/test_isolation.py ROUTES: {missing}"
    stale = [r for r in ROUTES if r not in set(all_routes())]
    assert not stale, f"these routes no longer exist: {stale}"


# a failed sign-in is recorded, for throttling, in the city where it was tried; it grants
# nothing, and leaving it out of the comparison is the only exception
NOT_COMPARED = {"login_failures"}


def snapshot(engine: Any) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            table.name: [
                tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key))
            ]
            for table in Base.metadata.sorted_tables
            if table.name not in NOT_COMPARED
        }


def credentials(client: Any, case: Case, city: CityWorld, route: str) -> dict[str, Any]:
    """Request arguments carrying ``city``'s administrator credentials, as the route takes them."""
    if case.auth == "body":
        return case.request(city)
    if case.auth == "api_key":
        return {"api_key": city.api_key}
    if case.auth == "cookie":
        cookies = session_cookie(client, city.slug, city.users["administrator"])
        req: dict[str, Any] = {"cookies": cookies}
        if case.extra.get("csrf"):
            req["data"] = {
                **case.request(city).get("data", {}),
                "csrf": sign(get_settings().secret_key, "csrf:" + cookies["civitas_session"]),
            }
        return req
    return {"headers": bearer(client, city.slug, city.users["administrator"])}


def call(client: Any, method: str, path: str, req: dict[str, Any]) -> Any:
    if "api_key" in req:
        key = req.pop("api_key")
        if "data" in req:
            req["data"] = {**req["data"], "api_key": key}
        else:
            req["params"] = {**req.get("params", {}), "api_key": key}
    cookies = req.pop("cookies", None)
    client.cookies.clear()
    if cookies:
        client.cookies.update(cookies)
    try:
        return client.request(method, path, follow_redirects=False, **req)
    finally:
        client.cookies.clear()


PUBLIC = {
    "/open311/v2/servicerequestupdates.{fmt}",
    "/media/{city}/{number}/{media_id}.{extension}",
    "/open311/v2/requests.{fmt}",
    "/open311/v2/requests/{service_request_id}.{fmt}",
    "/open311/v2/tokens/{token}.{fmt}",
    "/api/v1/cities/{city}",
    "/{city}/login",
    "/{city}/",
    "/{city}/services/{code}",
    "/open311/v2/services.{fmt}",
    "/open311/v2/services/{service_code}.{fmt}",
    "/{city}/logout",
    "/{city}/report/{code}",
    "/{city}/report/{code}/where",
    "/{city}/report/{code}/details",
    "/{city}/report/{code}/contact",
    "/{city}/report/{code}/check",
    "/{city}/requests/{number}",
    "/{city}/track",
    "/{city}/requests",
    "/{city}/theme.css",
    "/{city}/account",
    "/{city}/account/link/{token}",
    "/{city}/account/link",
    "/{city}/account/signin",
    "/{city}/account/password",
    "/{city}/account/signout",
    "/{city}/account/offers",
    "/{city}/account/data-log",
    "/{city}/survey/{token}",
    "/{city}/open-data",
    "/{city}/open-data/catalog.{fmt}",
    "/{city}/open-data/{dataset}.{fmt}",
    "/{city}/picker/sw.js",
    "/api/v1/cities/{city}/recycling/prices",
}


def own_response(
    client: Any, method: str, path: str, case: Case, city: CityWorld, route: str
) -> Any:
    """A's own call on a read-only route (used to show the sample needs credentials)."""
    if method != "GET":
        return None
    return call(
        client, method, path, {**case.request(city), **credentials(client, case, city, route)}
    )


def comparable(response: Any) -> Any:
    if response is None:
        return None
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        if isinstance(body, dict):
            body.pop("request_id", None)
        return body
    # a form token is bound to whoever asks (a fresh visitor each time): not content
    return re.sub(r'name="csrf" value="[0-9a-f]*"', 'name="csrf" value=""', response.text)


@pytest.mark.parametrize(("method", "route"), sorted(ROUTES), ids=lambda v: str(v))
def test_city_b_credentials_are_worth_nothing_in_city_a(
    method, route, client, engine, two_cities: World
):
    case = ROUTES[(method, route)]
    a, b = two_cities.a, two_cities.b
    if case.setup:
        case.setup(a)
    path = route.format(city=a.slug, **case.params(a))

    # B's credentials on A's address
    foreign_request = credentials(client, case, b, route)
    if case.auth != "body":
        foreign_request = {**case.request(a), **foreign_request}
    before = snapshot(engine)
    foreign = call(client, method, path, dict(foreign_request))
    assert snapshot(engine) == before, "city B's credentials changed city A's data"

    if case.auth == "body":  # the credentials are the request: B's must simply be wrong here
        assert foreign.status_code == 401, foreign.text
        assert "access_token" not in foreign.text
        assert "civitas_session" not in foreign.headers.get("set-cookie", "")
    else:
        anonymous = call(client, method, path, dict(case.request(a)))
        assert snapshot(engine) == before, "an anonymous request changed city A's data"
        # refused outright (RFC 6750: an unknown token is 401), or treated exactly as anonymous
        if foreign.status_code != 401:
            assert foreign.status_code == anonymous.status_code, foreign.text
            assert comparable(foreign) == comparable(anonymous)
        assert (
            anonymous.status_code != case.own_status
            or comparable(anonymous)
            != comparable(own_response(client, method, path, case, a, route))
            or route in PUBLIC
        ), "the sample request shows nothing that needs credentials"

    own = call(client, method, path, {**case.request(a), **credentials(client, case, a, route)})
    assert own.status_code == case.own_status, own.text
