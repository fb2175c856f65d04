"""The isolation walk's sample requests for the cases domain: one per route,
valid with the city's own credentials (tests/test_isolation.py)."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import tiny_png
from tests.isolation import Case
from tests.isolation.worlds import routing_rule, second_request

ROUTES: dict[tuple[str, str], Case] = {
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
    ("GET", "/{city}/requests.atom"): Case(200, auth="cookie"),
    # alerts of new requests around a place: a visitor's form, links signed per alert
    ("POST", "/{city}/alerts"): Case(
        403,
        auth="cookie",
        request=lambda w: {"data": {"email": "a@example.org", "lat": "-8.11", "long": "-79.03"}},
    ),
    ("GET", "/{city}/alerts/{alert_id}/{key}"): Case(
        200, auth="cookie", setup=lambda w: area_alert(w), params=lambda w: alert_link(w)
    ),
    ("POST", "/{city}/alerts/{alert_id}/{key}"): Case(
        403,
        auth="cookie",
        setup=lambda w: area_alert(w),
        params=lambda w: alert_link(w),
        request=lambda w: {"data": {"action": "stop"}},
    ),
    ("GET", "/{city}/alerts/stopped"): Case(200, auth="cookie"),
    # the back office in the browser
    ("GET", "/{city}/staff/cases"): Case(200, auth="cookie"),
    ("POST", "/{city}/staff/cases/views"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        request=lambda w: {"data": {"filter_name": "Mine", "query": "status=open"}},
    ),
    ("POST", "/{city}/staff/cases/views/{view_id}/delete"): Case(
        303, auth="cookie", extra={"csrf": True}, params=lambda w: {"view_id": 1}
    ),
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
    ("POST", "/{city}/staff/cases/{number}/merge"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        params=lambda w: {"number": 1},
        request=lambda w: {"data": {"into": "2"}},
        setup=lambda w: second_request(w),
    ),
}

# routes anyone may call: their anonymous answer may equal the city's own
PUBLIC: set[str] = {
    "/open311/v2/servicerequestupdates.{fmt}",
    "/media/{city}/{number}/{media_id}.{extension}",
    "/open311/v2/requests.{fmt}",
    "/open311/v2/requests/{service_request_id}.{fmt}",
    "/open311/v2/tokens/{token}.{fmt}",
    "/open311/v2/services.{fmt}",
    "/open311/v2/services/{service_code}.{fmt}",
    "/{city}/report/{code}",
    "/{city}/report/{code}/where",
    "/{city}/report/{code}/details",
    "/{city}/report/{code}/contact",
    "/{city}/report/{code}/check",
    "/{city}/requests/{number}",
    "/{city}/track",
    "/{city}/requests",
    "/{city}/requests.atom",
    "/{city}/alerts",
    "/{city}/alerts/{alert_id}/{key}",
    "/{city}/alerts/stopped",
}


def area_alert(w) -> None:
    """An alert in the city (once), for the routes that name one."""
    from civitas.cases import service as cases
    from civitas.cases.models import AreaAlert
    from civitas.cities.service import enter_city, get_city_by_slug
    from civitas.core.db import session_scope

    with session_scope() as db:
        city = enter_city(db, get_city_by_slug(db, w.slug))
        if db.scalar(select(AreaAlert.id)) is None:
            cases.subscribe_alerts(
                db,
                city,
                email="alerts@example.org",
                lat=city.center_lat,
                long=city.center_lon,
                radius_m=500,
                label="Centre",
                language="en",
            )


def alert_link(w) -> dict[str, object]:
    from civitas.cases.alerts import link_key
    from civitas.cases.models import AreaAlert
    from civitas.cities.service import enter_city, get_city_by_slug
    from civitas.core.db import session_scope

    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, w.slug))
        alert = db.scalar(select(AreaAlert))
        assert alert is not None
        return {"alert_id": alert.id, "key": link_key(alert)}
