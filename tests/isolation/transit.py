"""The isolation walk's sample requests for public transport: one per route, valid with
the city's own credentials (tests/test_isolation.py). City A runs the small test network
of tests/transit/feeds.py as feed "tt"."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.transit import gtfs_realtime_pb2 as rt

from tests.isolation import Case

TRANSIT: dict[str, Any] = {}


def transit_world(world: Any) -> None:
    """City A's feed "tt" and one alert of the city's."""
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope
    from civitas.transit import feeds, service
    from civitas.transit.timetable import network
    from tests.transit.feeds import feed_zip

    with session_scope() as db:
        city = get_city_by_slug(db, world.slug)
        feeds.import_feed(db, city, "tt", content=feed_zip(), filename="tt.zip")
        feeds.settings_of(db, city).simulation = True
        alert = service.create_alert(
            db,
            city,
            network(db, city),
            header={"en": "Line 2 detour"},
            description={},
            cause="CONSTRUCTION",
            effect="DETOUR",
            routes=["tt:L2"],
            stops=[],
            start=None,
            end=None,
            actor="test",
        )
        TRANSIT["alert"] = alert.id


def _message() -> bytes:
    m = rt.FeedMessage()
    m.header.gtfs_realtime_version = "2.0"
    m.header.timestamp = int(datetime.now(UTC).timestamp()) - 5
    return bytes(m.SerializeToString())


API = "/api/v1/cities/{city}/transit"
STOP = {"stop": "tt:A"}
ROUTES: dict[tuple[str, str], Case] = {
    ("GET", API + "/stops"): Case(
        200, request=lambda w: {"params": {"q": "Plaza"}}, setup=transit_world
    ),
    ("GET", API + "/stops/{stop}"): Case(200, params=lambda w: STOP, setup=transit_world),
    ("GET", API + "/stops/{stop}/arrivals"): Case(
        200,
        params=lambda w: STOP,
        request=lambda w: {"params": {"at": "2026-12-07T06:00:00-05:00"}},
        setup=transit_world,
    ),
    ("POST", API + "/stops/{stop}/crowding"): Case(
        201,
        auth="api_key",
        params=lambda w: STOP,
        request=lambda w: {"json": {"level": 2}},
        setup=transit_world,
    ),
    ("GET", API + "/routes"): Case(200, setup=transit_world),
    ("GET", API + "/routes/{route}"): Case(
        200, params=lambda w: {"route": "tt:L1"}, setup=transit_world
    ),
    ("GET", API + "/plan"): Case(
        200,
        request=lambda w: {
            "params": {"from": "tt:A", "to": "tt:E", "depart": "2026-12-07T06:00:00-05:00"}
        },
        setup=transit_world,
    ),
    ("GET", API + "/alerts"): Case(200, setup=transit_world),
    ("POST", API + "/alerts"): Case(
        201,
        request=lambda w: {
            "json": {"header": {"en": "Stop moved"}, "effect": "STOP_MOVED", "stops": ["tt:B"]}
        },
        setup=transit_world,
    ),
    ("DELETE", API + "/alerts/{alert_id}"): Case(
        204, params=lambda w: {"alert_id": TRANSIT["alert"]}, setup=transit_world
    ),
    ("POST", API + "/realtime/{feed}"): Case(
        200,
        params=lambda w: {"feed": "tt"},
        request=lambda w: {"content": _message()},
        setup=transit_world,
    ),
    ("GET", API + "/gtfs-rt/trip-updates.pb"): Case(200, setup=transit_world),
    ("GET", API + "/gtfs-rt/alerts.pb"): Case(200, setup=transit_world),
    ("GET", API + "/simulation/{feed}/{what}.pb"): Case(
        200, params=lambda w: {"feed": "tt", "what": "vehicle-positions"}, setup=transit_world
    ),
    ("GET", API + "/feeds"): Case(200, setup=transit_world),
    # riders' pages
    ("GET", "/{city}/transit"): Case(
        200, auth="cookie", request=lambda w: {"params": {"q": "Plaza"}}, setup=transit_world
    ),
    ("GET", "/{city}/transit/lines.css"): Case(200, auth="cookie", setup=transit_world),
    ("GET", "/{city}/transit/stops/{stop}"): Case(
        200, auth="cookie", params=lambda w: STOP, setup=transit_world
    ),
    ("POST", "/{city}/transit/stops/{stop}/crowding"): Case(
        403,
        auth="cookie",
        params=lambda w: STOP,
        request=lambda w: {"data": {"level": "3"}},
        setup=transit_world,
    ),
    ("GET", "/{city}/transit/plan"): Case(
        200,
        auth="cookie",
        request=lambda w: {"params": {"from": "tt:A", "to": "tt:E", "time": "06:00"}},
        setup=transit_world,
    ),
    ("GET", "/{city}/transit/lines"): Case(200, auth="cookie", setup=transit_world),
    ("GET", "/{city}/transit/lines/{route}"): Case(
        200, auth="cookie", params=lambda w: {"route": "tt:L2"}, setup=transit_world
    ),
    ("GET", "/{city}/transit/alerts"): Case(200, auth="cookie", setup=transit_world),
    ("GET", "/{city}/transit/observatory"): Case(200, auth="cookie", setup=transit_world),
    # the back office
    ("GET", "/{city}/staff/transit"): Case(200, auth="cookie", setup=transit_world),
    ("POST", "/{city}/staff/transit/alerts"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        request=lambda w: {"data": {"header": "Line 1 late", "route": "tt:L1"}},
        setup=transit_world,
    ),
    ("POST", "/{city}/staff/transit/alerts/{alert_id}/withdraw"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        params=lambda w: {"alert_id": TRANSIT["alert"]},
        setup=transit_world,
    ),
    ("POST", "/{city}/staff/transit/settings"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        request=lambda w: {"data": {"stale_after_s": "90", "drop_after_s": "600"}},
        setup=transit_world,
    ),
}
# routes anyone may call: their anonymous answer may equal the city's own
PUBLIC: set[str] = {
    API + "/stops",
    API + "/stops/{stop}",
    API + "/stops/{stop}/arrivals",
    API + "/routes",
    API + "/routes/{route}",
    API + "/plan",
    API + "/alerts",
    API + "/gtfs-rt/trip-updates.pb",
    API + "/gtfs-rt/alerts.pb",
    API + "/simulation/{feed}/{what}.pb",
    API + "/feeds",
    "/{city}/transit",
    "/{city}/transit/lines.css",
    "/{city}/transit/stops/{stop}",
    "/{city}/transit/plan",
    "/{city}/transit/lines",
    "/{city}/transit/lines/{route}",
    "/{city}/transit/alerts",
    "/{city}/transit/observatory",
}
