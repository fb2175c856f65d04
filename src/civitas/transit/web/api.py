"""Public transport over JSON and GTFS-Realtime: stops, next departures with live
predictions and crowding, routes, journeys, alerts; the operators' realtime push; and
Civitas's own GTFS-RT feeds. Every entity is named ``FEED:ID`` (as OpenTripPlanner
does); times are ISO 8601 with the agency's offset."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel, Field

from civitas.accounts.service import Principal, verify_api_key
from civitas.core.config import Settings
from civitas.core.db import utcnow
from civitas.core.errors import InvalidInput, NotFound, Problem
from civitas.core.i18n import N_
from civitas.transit import arrivals as arrivals_service
from civitas.transit import crowding, publish, raptor, realtime, service, simulation
from civitas.transit.feeds import feed_named, feeds_of, settings_of
from civitas.transit.permissions import TransitPermission
from civitas.transit.timetable import Network, network
from civitas.web.deps import (
    CurrentCity,
    DbSession,
    Requires,
    app_settings,
    client_address,
    one_turn,
)
from civitas.web.routers import Router

router = Router(prefix="/api/v1/cities/{city}/transit", tags=["transit"])

Pusher = Annotated[Principal, Requires(TransitPermission.TRANSIT_REALTIME_PUSH)]
AlertWriter = Annotated[Principal, Requires(TransitPermission.TRANSIT_ALERT_MANAGE)]
AppSettings = Annotated[Settings, Depends(app_settings)]
PROTOBUF = "application/x-protobuf"
# a GTFS-Realtime FeedMessage, in the OpenAPI description
PROTOBUF_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A GTFS-Realtime FeedMessage (protobuf)",
        "content": {PROTOBUF: {"schema": {"type": "string", "format": "binary"}}},
    }
}
PROTOBUF_BODY = {
    "requestBody": {
        "required": True,
        "description": "A GTFS-Realtime FeedMessage, protobuf bytes (sent as "
        "application/x-protobuf or application/octet-stream: the body is read as it is)",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def iso(epoch: int | None, zone: Any) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).astimezone(zone).isoformat()


def parse_at(value: str | None, field: str = "at") -> datetime:
    """An ISO 8601 time with its offset (or Z); now when none is given."""
    if not value:
        return utcnow()
    try:
        found = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        found = None
    if found is None or found.tzinfo is None:
        raise InvalidInput(
            N_("Give the time as ISO 8601 with its offset, e.g. {example}."),
            problems=[Problem(field, N_("{value} is not such a time."), {"value": value})],
            example="2026-12-04T08:30:00-05:00",
        )
    return found


class StopRead(BaseModel):
    id: str  # FEED:STOP_ID
    code: str | None
    name: str
    lat: float
    lon: float
    station: bool
    routes: list[str]
    distance_m: float | None = None


class StopList(BaseModel):
    stops: list[StopRead]


class ArrivalRead(BaseModel):
    trip_id: str
    route_id: str
    route: str  # the line as riders know it
    headsign: str | None
    stop_id: str
    scheduled: str
    predicted: str | None
    source: str  # realtime | schedule | stale
    prediction_age_s: int | None
    canceled: bool
    occupancy: str | None
    occupancy_source: str | None  # vehicle | riders | usual
    waiting_min: int


class ArrivalList(BaseModel):
    stop: StopRead
    at: str
    arrivals: list[ArrivalRead]
    alerts: list[dict[str, Any]]


class LegRead(BaseModel):
    mode: str  # transit | walk
    route_id: str | None
    route: str | None
    trip_id: str | None
    headsign: str | None
    from_: dict[str, Any] = Field(serialization_alias="from")
    to: dict[str, Any]
    departure: str
    arrival: str
    distance_m: float | None
    occupancy: str | None
    stops: int | None  # stops ridden past


class JourneyRead(BaseModel):
    departure: str
    arrival: str
    duration_min: int
    transfers: int
    walk_m: float
    legs: list[LegRead]
    alerts: list[dict[str, Any]]
    less_crowded: bool = False


class PlanRead(BaseModel):
    journeys: list[JourneyRead]


class CrowdingAsk(BaseModel):
    level: int = Field(ge=1, le=3, description="1 seats free, 2 standing room, 3 full")
    route: str | None = Field(default=None, max_length=150, description="FEED:ROUTE_ID")


class AlertAsk(BaseModel):
    header: dict[str, str] = Field(description="the headline by language")
    description: dict[str, str] = Field(default_factory=dict)
    cause: str = "UNKNOWN_CAUSE"
    effect: str = "OTHER_EFFECT"
    routes: list[str] = Field(default_factory=list, max_length=50)
    stops: list[str] = Field(default_factory=list, max_length=50)
    start: datetime | None = None
    end: datetime | None = None
    url: str | None = Field(default=None, max_length=500)


def stop_read(net: Network, stop: Any, distance: float | None = None) -> StopRead:
    return StopRead(
        id=stop.key,
        code=stop.code,
        name=stop.name,
        lat=stop.lat,
        lon=stop.lon,
        station=stop.location_type == 1,
        routes=[net.routes[k].label for k in service.routes_at(net, stop)],
        distance_m=None if distance is None else round(distance),
    )


def alert_read(alert: Any) -> dict[str, Any]:
    return {
        "id": alert.key if alert.source == "city" else f"{alert.feed_id}-{alert.key}",
        "source": alert.source,
        "cause": alert.cause,
        "effect": alert.effect,
        "header": alert.header,
        "description": alert.description,
        "url": alert.url,
        "periods": alert.periods,
        "entities": alert.entities,
    }


@router.get("/stops", response_model=StopList)
def list_stops(
    city: CurrentCity,
    db: DbSession,
    q: Annotated[str | None, Query(max_length=100)] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    radius_m: Annotated[float, Query(gt=0, le=3000)] = 500,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> StopList:
    """Stops found by name or code (``q``, typos forgiven), or near a point (``lat``,
    ``lon``, within ``radius_m``), nearest first."""
    net = network(db, city)
    if q:
        return StopList(stops=[stop_read(net, s) for s in service.search_stops(net, q, limit)])
    if lat is None or lon is None:
        raise InvalidInput(
            N_("Give q (a stop's name) or lat and lon (a point)."),
            problems=[Problem("q", N_("Give q (a stop's name) or lat and lon (a point)."))],
        )
    near = service.nearby_stops(net, lat, lon, radius_m)[:limit]
    return StopList(stops=[stop_read(net, s, d) for s, d in near])


@router.get("/stops/{stop}", response_model=StopRead)
def get_stop(city: CurrentCity, db: DbSession, stop: str) -> StopRead:
    net = network(db, city)
    return stop_read(net, service.stop_of(net, stop))


@router.get("/stops/{stop}/arrivals", response_model=ArrivalList)
def stop_arrivals(
    city: CurrentCity,
    db: DbSession,
    stop: str,
    at: Annotated[str | None, Query(max_length=40, description="ISO 8601; now if none")] = None,
    minutes: Annotated[int, Query(ge=1, le=240)] = 60,
) -> ArrivalList:
    """The next departures from a stop: ``scheduled``, ``predicted`` (null when there is
    no live prediction), ``source`` (realtime, schedule, or stale: live data too old or
    stopped), ``prediction_age_s`` and ``occupancy``. With ``at``, as of that time: only
    realtime data stamped by then is read."""
    net = network(db, city)
    found = service.stop_of(net, stop)
    when = parse_at(at)
    zone = net.feeds[found.feed].zone
    t0 = int(when.timestamp())
    items = arrivals_service.arrivals(db, city, found.key, at=when, minutes=minutes, net=net)
    alerts = service.alerts_for(
        service.active_alerts(db, city, when),
        routes={(found.feed, net.routes[a.run.trip.route].route_id) for a in items},
        stops={(net.stops[s].feed, net.stops[s].stop_id) for s in net.boarding_stops(found.index)},
    )
    return ArrivalList(
        stop=stop_read(net, found),
        at=when.astimezone(zone).isoformat(),
        arrivals=[
            ArrivalRead(
                trip_id=a.run.trip.key,
                route_id=a.run.trip.route,
                route=net.routes[a.run.trip.route].label,
                headsign=a.run.trip.headsign,
                stop_id=net.stops[a.stop].key,
                scheduled=iso(a.scheduled, zone) or "",
                predicted=iso(a.predicted, zone),
                source=a.source,
                prediction_age_s=a.age_s,
                canceled=a.canceled,
                occupancy=a.occupancy,
                occupancy_source=a.occupancy_source,
                waiting_min=max(0, (a.expected - t0) // 60),
            )
            for a in items
        ],
        alerts=[alert_read(x) for x in alerts],
    )


@router.post("/stops/{stop}/crowding", status_code=201)
def report_crowding(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    settings: AppSettings,
    stop: str,
    ask: CrowdingAsk,
    api_key: Annotated[str, Query(max_length=200, description="the city's key for your app")] = "",
) -> dict[str, Any]:
    """A rider's report, through an app, of how full the vehicles at this stop are (1
    seats free, 2 standing room, 3 full): no rider account, the app's ``api_key`` (as for
    Open311); one report a stop in five minutes per rider."""
    key = verify_api_key(db, city, raw=api_key)
    net = network(db, city)
    rider = service.rider_key(
        settings.secret_key,
        f"{key.id}|{client_address(request)}",
        request.headers.get("user-agent"),
    )
    report = service.report_crowding(
        db, city, net, stop, ask.level, client=rider, route_key=ask.route
    )
    db.commit()
    return {"stop": stop, "level": report.level, "at": report.at.isoformat()}


@router.get("/routes")
def list_routes(city: CurrentCity, db: DbSession) -> dict[str, Any]:
    net = network(db, city)
    keys = sorted(net.routes, key=lambda k: service._route_sort(net, k))
    return {
        "routes": [
            {
                "id": k,
                "short_name": net.routes[k].short_name,
                "long_name": net.routes[k].long_name,
                "type": net.routes[k].type,
                "color": net.routes[k].color,
                "text_color": net.routes[k].text_color,
            }
            for k in keys
        ]
    }


@router.get("/routes/{route}")
def get_route(city: CurrentCity, db: DbSession, route: str) -> dict[str, Any]:
    """A route: its stops in each direction and its shape ([lat, lon] points)."""
    net = network(db, city)
    view = service.route_view(db, city, net, route)
    found = net.routes[route]
    return {
        "id": route,
        "short_name": found.short_name,
        "long_name": found.long_name,
        "color": found.color,
        "directions": [
            {"headsign": headsign, "stops": [stop_read(net, s).model_dump() for s in stops]}
            for headsign, stops in view.directions
        ],
        "shape": view.shape,
    }


@router.get("/plan", response_model=PlanRead, response_model_by_alias=True)
def plan(
    city: CurrentCity,
    db: DbSession,
    from_: Annotated[
        str, Query(alias="from", max_length=150, description="FEED:STOP_ID or lat,lon")
    ],
    to: Annotated[str, Query(max_length=150, description="FEED:STOP_ID or lat,lon")],
    depart: Annotated[str | None, Query(max_length=40, description="ISO 8601")] = None,
    arrive: Annotated[
        str | None, Query(max_length=40, description="ISO 8601: arrive by (instead of depart)")
    ] = None,
    max_transfers: Annotated[int, Query(ge=0, le=8)] = 4,
    max_walk_m: Annotated[int | None, Query(ge=0, le=service.MAX_PLAN_WALK_M)] = None,
    prefer: Annotated[str | None, Query(pattern="^(less_crowded)$")] = None,
) -> PlanRead:
    """Journeys from ``from`` to ``to``: the Pareto set by arrival and transfers, earliest
    arrival first (with ``arrive``: latest departure first). ``max_walk_m=0`` is the pure
    timetable: no walking, changes only at one stop. ``prefer=less_crowded`` adds the
    best journey that avoids vehicles usually full at that hour."""
    net = network(db, city)
    settings = settings_of(db, city)
    origin = service.place_of(net, from_, "from")
    destination = service.place_of(net, to, "to")
    if depart and arrive:
        raise InvalidInput(
            N_("Give depart or arrive, not both."),
            problems=[Problem("arrive", N_("Give depart or arrive, not both."))],
        )
    when = parse_at(arrive, "arrive") if arrive else parse_at(depart, "depart")
    walk = settings.max_walk_m if max_walk_m is None else max_walk_m
    query = service.build_query(
        net,
        origin,
        destination,
        at=when,
        arrive_by=bool(arrive),
        max_transfers=max_transfers,
        max_walk_m=walk,
        walk_speed=settings.walk_speed_mps,
    )
    zone = net.feeds[net.stops[next(iter(query.access))].feed].zone
    day = net.day(when.astimezone(zone).date())
    journeys = raptor.plan(net, day, query)
    alerts = service.active_alerts(db, city, when)
    expect = crowding.Expect(db, city, net, min(when, utcnow()))
    out = [_journey(net, j, zone, alerts, expect) for j in journeys]
    if prefer == "less_crowded" and journeys:
        calmer = crowding.less_crowded(expect, net, day, query, journeys)
        if calmer is not None:
            read = _journey(net, calmer, zone, alerts, expect)
            read.less_crowded = True
            out.append(read)
    return PlanRead(journeys=out)


def _place(net: Network, stop: int | None, zone: Any) -> dict[str, Any]:
    if stop is None:
        return {"stop_id": None, "name": None}
    info = net.stops[stop]
    return {"stop_id": info.key, "name": info.name, "lat": info.lat, "lon": info.lon}


def _journey(
    net: Network,
    journey: raptor.Journey,
    zone: Any,
    alerts: list[Any],
    expect: crowding.Expect,
) -> JourneyRead:
    legs = []
    routes: set[tuple[str, str]] = set()
    stops: set[tuple[str, str]] = set()
    for leg in journey.legs:
        run = leg.run
        if run is not None:
            route = net.routes[run.trip.route]
            routes.add((route.feed, route.route_id))
        for s in (leg.from_stop, leg.to_stop):
            if s is not None:
                stops.add((net.stops[s].feed, net.stops[s].stop_id))
        legs.append(
            LegRead(
                mode=leg.mode,
                route_id=run.trip.route if run else None,
                route=net.routes[run.trip.route].label if run else None,
                trip_id=run.trip.key if run else None,
                headsign=run.trip.headsign if run else None,
                from_=_place(net, leg.from_stop, zone),
                to=_place(net, leg.to_stop, zone),
                departure=iso(leg.departure, zone) or "",
                arrival=iso(leg.arrival, zone) or "",
                distance_m=round(leg.metres) if leg.metres is not None else None,
                occupancy=expect.name(run, leg.board) if run and leg.board is not None else None,
                stops=(leg.alight - leg.board)
                if run and leg.alight is not None and leg.board is not None
                else None,
            )
        )
    return JourneyRead(
        departure=iso(journey.departure, zone) or "",
        arrival=iso(journey.arrival, zone) or "",
        duration_min=(journey.arrival - journey.departure + 59) // 60,
        transfers=journey.transfers,
        walk_m=round(sum(leg.metres or 0 for leg in journey.legs if leg.mode == "walk")),
        legs=legs,
        alerts=[alert_read(a) for a in service.alerts_for(alerts, routes=routes, stops=stops)],
    )


@router.get("/alerts")
def list_alerts(
    city: CurrentCity,
    db: DbSession,
    at: Annotated[str | None, Query(max_length=40)] = None,
) -> dict[str, Any]:
    """Service alerts in force: the city's and its operators'."""
    return {"alerts": [alert_read(a) for a in service.active_alerts(db, city, parse_at(at))]}


@router.post("/alerts", status_code=201)
def create_alert(
    city: CurrentCity, db: DbSession, principal: AlertWriter, ask: AlertAsk
) -> dict[str, Any]:
    """Publish a service alert (in the GTFS-RT Alerts feed too)."""
    net = network(db, city)
    alert = service.create_alert(
        db,
        city,
        net,
        header=ask.header,
        description=ask.description,
        cause=ask.cause,
        effect=ask.effect,
        routes=ask.routes,
        stops=ask.stops,
        start=ask.start,
        end=ask.end,
        url=ask.url,
        actor=principal.label,
    )
    db.commit()
    return alert_read(alert)


@router.delete("/alerts/{alert_id}", status_code=204)
def withdraw_alert(
    city: CurrentCity, db: DbSession, principal: AlertWriter, alert_id: int
) -> Response:
    service.withdraw_alert(db, city, alert_id, actor=principal.label)
    db.commit()
    return Response(status_code=204)


@router.post("/realtime/{feed}", openapi_extra=PROTOBUF_BODY)
async def push_realtime(
    request: Request, city: CurrentCity, db: DbSession, principal: Pusher, feed: str
) -> dict[str, Any]:
    """An operator pushes a GTFS-Realtime message (protobuf body): taken whole or refused
    whole (unknown trips, a timestamp in the future, bytes that do not parse)."""
    body = await request.body()

    def work() -> realtime.IngestResult:
        result = realtime.ingest(db, city, feed, body, via="push")
        db.commit()
        return result

    result = await one_turn(db, work)
    return {
        "feed": result.feed,
        "kind": result.kind,
        "timestamp": result.header_at.isoformat(),
        "entities": result.entities,
        "trip_updates": result.trip_updates,
        "vehicles": result.vehicles,
        "alerts": result.alerts,
    }


@router.get("/gtfs-rt/trip-updates.pb", response_class=Response, responses=PROTOBUF_ANSWER)
def gtfs_rt_trip_updates(
    city: CurrentCity, db: DbSession, feed: Annotated[str | None, Query(max_length=40)] = None
) -> Response:
    """Civitas's predictions as a GTFS-Realtime TripUpdates feed (the feeds' own ids)."""
    if feed is not None:
        feed_named(db, city, feed)
    return Response(publish.trip_updates(db, city, feed=feed), media_type=PROTOBUF)


@router.get("/gtfs-rt/alerts.pb", response_class=Response, responses=PROTOBUF_ANSWER)
def gtfs_rt_alerts(city: CurrentCity, db: DbSession) -> Response:
    """The alerts in force or announced, as a GTFS-Realtime Alerts feed."""
    return Response(publish.alerts(db, city), media_type=PROTOBUF)


@router.get("/simulation/{feed}/{what}.pb", response_class=Response, responses=PROTOBUF_ANSWER)
def simulated_feed(city: CurrentCity, db: DbSession, feed: str, what: str) -> Response:
    """The demo's operator: its live vehicles as GTFS-Realtime (only in a city whose
    simulation is on; a real city answers 404)."""
    settings = settings_of(db, city)
    kinds = {"trip-updates": "trip_updates", "vehicle-positions": "vehicle_positions"}
    if not settings.simulation or what not in kinds:
        raise NotFound(N_("This city runs no simulation."))
    found = feed_named(db, city, feed)
    net = network(db, city)
    body = simulation.feed_message(
        net, found.name, int(utcnow().timestamp()), net.feeds[found.name].zone, what=kinds[what]
    )
    return Response(body, media_type=PROTOBUF)


@router.get("/feeds")
def list_feeds(city: CurrentCity, db: DbSession) -> dict[str, Any]:
    """The city's feeds and their health: when realtime last came and how old it is."""
    now = utcnow()
    return {
        "feeds": [
            {
                "name": f.name,
                "version": f.version,
                "imported_at": f.imported_at.isoformat(),
                "valid_from": f.valid_from.isoformat() if f.valid_from else None,
                "valid_to": f.valid_to.isoformat() if f.valid_to else None,
                "counts": f.counts,
                "realtime_at": f.realtime_at.isoformat() if f.realtime_at else None,
                "realtime_age_s": round((now - f.realtime_at).total_seconds())
                if f.realtime_at
                else None,
            }
            for f in feeds_of(db, city)
        ]
    }
