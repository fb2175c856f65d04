"""What the pages and the API ask of public transport: stops by name or nearby, a route
with its stops and shape, riders' crowding reports, the city's own service alerts, and
the planner's query from what a rider gave."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from rapidfuzz import fuzz, process, utils
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.core import audit
from civitas.core.db import utcnow
from civitas.core.errors import InvalidInput, NotFound, Problem, TooManyAttempts
from civitas.core.i18n import N_
from civitas.transit import raptor
from civitas.transit.feeds import feeds_of, settings_of
from civitas.transit.models import Alert, CrowdReport, Shape
from civitas.transit.timetable import DETOUR, Network, StopInfo, stops_near

REPORT_EVERY_S = 5 * 60  # one report per stop and rider in five minutes
REPORTS_PER_HOUR = 12
MAX_PLAN_WALK_M = 2000


def stop_of(net: Network, key: str) -> StopInfo:
    found = net.stop(key)
    if found is None:
        raise NotFound(N_("There is no stop {stop}; stops are named FEED:STOP_ID."), stop=key)
    return found


def search_stops(net: Network, text: str, limit: int = 10) -> list[StopInfo]:
    """Stops and stations whose name or code matches, best first (typos forgiven); a
    station stands for its platforms."""
    shown = [s for s in net.stops if s.location_type in (0, 1) and not _platform(net, s)]
    names = {s.index: f"{s.name} {s.code or ''}" for s in shown}
    found = process.extract(
        text, names, scorer=fuzz.WRatio, processor=utils.default_process, limit=limit * 3
    )
    seen: set[tuple[str, str]] = set()
    out: list[StopInfo] = []
    for _, score, index in found:
        stop = net.stops[index]
        if score < 60 or (stop.name, stop.feed) in seen:
            continue
        seen.add((stop.name, stop.feed))
        out.append(stop)
        if len(out) >= limit:
            break
    return out


def _platform(net: Network, stop: StopInfo) -> bool:
    """A platform of a station (the station is listed instead)."""
    return stop.parent is not None and stop.parent in net.index


def nearby_stops(
    net: Network, lat: float, lon: float, metres: float
) -> list[tuple[StopInfo, float]]:
    """Stops within ``metres`` as the crow flies, nearest first (a station's platforms as
    the station)."""
    out: list[tuple[StopInfo, float]] = []
    seen: set[int] = set()
    for index, walk in stops_near(net, lat, lon, metres * DETOUR):
        stop = net.stops[index]
        if _platform(net, stop):
            stop = net.stops[net.index[stop.parent]]  # type: ignore[index]
        if stop.index in seen:
            continue
        seen.add(stop.index)
        out.append((stop, walk / DETOUR))
    return out


def routes_at(net: Network, stop: StopInfo) -> list[str]:
    """The routes that call at a stop (or a station's platforms), by their label."""
    indexes = set(net.boarding_stops(stop.index))
    keys = {t.route for t in net.trips.values() if indexes & set(t.stops)}
    return sorted(keys, key=lambda k: _route_sort(net, k))


def _route_sort(net: Network, key: str) -> tuple[int, str]:
    label = net.routes[key].label
    digits = "".join(ch for ch in label if ch.isdigit())
    return (int(digits) if digits and label[0].isdigit() else 10**6, label)


@dataclass(frozen=True)
class RouteView:
    key: str
    directions: list[tuple[str | None, list[StopInfo]]]  # headsign, stops of its longest trip
    shape: list[list[list[float]]]  # one line per direction


def route_view(db: Session, city: City, net: Network, key: str) -> RouteView:
    route = net.routes.get(key)
    if route is None:
        raise NotFound(N_("There is no route {route}; routes are named FEED:ROUTE_ID."), route=key)
    longest: dict[int | None, Any] = {}
    for trip in net.trips.values():
        if trip.route != key:
            continue
        found = longest.get(trip.direction)
        if found is None or len(trip.stops) > len(found.stops):
            longest[trip.direction] = trip
    directions = [
        (trip.headsign, [net.stops[s] for s in trip.stops])
        for _, trip in sorted(longest.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    ]
    lines: list[list[list[float]]] = []
    feed = next(f for f in feeds_of(db, city) if f.name == route.feed)
    for trip in sorted(longest.values(), key=lambda t: t.direction or 0):
        points = None
        if trip.shape:
            points = db.scalar(
                select(Shape.points).where(Shape.feed_id == feed.id, Shape.shape_id == trip.shape)
            )
        lines.append(points or [[net.stops[s].lat, net.stops[s].lon] for s in trip.stops])
    return RouteView(key, directions, lines)


def rider_key(secret: str, address: str | None, agent: str | None) -> str:
    """A rider's throttling key: a salted hash of where they write from, never shown."""
    raw = f"{secret}|{address or '-'}|{agent or '-'}".encode()
    return hashlib.sha256(raw).hexdigest()[:64]


def report_crowding(
    db: Session,
    city: City,
    net: Network,
    stop_key: str,
    level: int,
    *,
    client: str,
    route_key: str | None = None,
    now: datetime | None = None,
) -> CrowdReport:
    """A rider's one-tap report of how full the vehicles at a stop are (1 seats, 2
    standing, 3 full). Throttled per rider: one a stop in five minutes, twelve an hour."""
    stop = stop_of(net, stop_key)
    if level not in (1, 2, 3):
        raise InvalidInput(
            N_("Choose how full it is: 1 seats free, 2 standing room, 3 full."),
            problems=[Problem("level", N_("Use 1, 2 or 3."))],
        )
    route_id = None
    if route_key:
        route = net.routes.get(route_key)
        if route is None or route.feed != stop.feed:
            raise InvalidInput(
                N_("There is no route {route}; routes are named FEED:ROUTE_ID."),
                problems=[Problem("route", N_("Leave it empty or name a route of this stop."))],
                route=route_key,
            )
        route_id = route.route_id
    now = now or utcnow()
    feed = next(f for f in feeds_of(db, city) if f.name == stop.feed)
    recent = db.scalars(
        select(CrowdReport.at).where(
            CrowdReport.client == client, CrowdReport.at > now - timedelta(hours=1)
        )
    ).all()
    same_stop = db.scalar(
        select(func.count())
        .select_from(CrowdReport)
        .where(
            CrowdReport.client == client,
            CrowdReport.feed_id == feed.id,
            CrowdReport.stop_id == stop.stop_id,
            CrowdReport.at > now - timedelta(seconds=REPORT_EVERY_S),
        )
    )
    if same_stop or len(recent) >= REPORTS_PER_HOUR:
        raise TooManyAttempts(
            N_("Thank you, your report is already in. You can report again in {count} minutes."),
            count=math.ceil(REPORT_EVERY_S / 60),
        )
    report = CrowdReport(
        tenant_id=city.id,
        feed_id=feed.id,
        stop_id=stop.stop_id,
        route_id=route_id,
        level=level,
        at=now,
        client=client,
    )
    db.add(report)
    db.flush()
    return report


# --- the city's alerts ----------------------------------------------------------------

CAUSES = (
    "UNKNOWN_CAUSE",
    "OTHER_CAUSE",
    "TECHNICAL_PROBLEM",
    "STRIKE",
    "DEMONSTRATION",
    "ACCIDENT",
    "HOLIDAY",
    "WEATHER",
    "MAINTENANCE",
    "CONSTRUCTION",
    "POLICE_ACTIVITY",
    "MEDICAL_EMERGENCY",
)
EFFECTS = (
    "NO_SERVICE",
    "REDUCED_SERVICE",
    "SIGNIFICANT_DELAYS",
    "DETOUR",
    "ADDITIONAL_SERVICE",
    "MODIFIED_SERVICE",
    "OTHER_EFFECT",
    "UNKNOWN_EFFECT",
    "STOP_MOVED",
    "NO_EFFECT",
    "ACCESSIBILITY_ISSUE",
)


def create_alert(
    db: Session,
    city: City,
    net: Network,
    *,
    header: dict[str, str],
    description: dict[str, str],
    cause: str,
    effect: str,
    routes: list[str],
    stops: list[str],
    start: datetime | None,
    end: datetime | None,
    actor: str,
    url: str | None = None,
) -> Alert:
    """A service alert written by the city, published in its GTFS-RT Alerts feed."""
    problems: list[Problem] = []
    header = {k: v.strip() for k, v in header.items() if v and v.strip()}
    description = {k: v.strip() for k, v in description.items() if v and v.strip()}
    if not header:
        problems.append(
            Problem("header", N_("Write the alert's headline in at least one language."))
        )
    if any(len(v) > 200 for v in header.values()):
        problems.append(
            Problem("header", N_("At most {limit} characters are allowed."), {"limit": 200})
        )
    if any(len(v) > 2000 for v in description.values()):
        problems.append(
            Problem("description", N_("At most {limit} characters are allowed."), {"limit": 2000})
        )
    if cause not in CAUSES:
        problems.append(Problem("cause", N_("Choose one of the causes offered.")))
    if effect not in EFFECTS:
        problems.append(Problem("effect", N_("Choose one of the effects offered.")))
    entities: list[dict[str, str]] = []
    for key in routes:
        route = net.routes.get(key)
        if route is None:
            problems.append(
                Problem(
                    "routes",
                    N_("There is no route {route}; routes are named FEED:ROUTE_ID."),
                    {"route": key},
                )
            )
        else:
            entities.append({"feed": route.feed, "route_id": route.route_id})
    for key in stops:
        stop = net.stop(key)
        if stop is None:
            problems.append(
                Problem(
                    "stops",
                    N_("There is no stop {stop}; stops are named FEED:STOP_ID."),
                    {"stop": key},
                )
            )
        else:
            entities.append({"feed": stop.feed, "stop_id": stop.stop_id})
    if not entities and not problems:
        problems.append(Problem("routes", N_("Choose the routes or stops the alert is about.")))
    if start and end and end <= start:
        problems.append(Problem("end", N_("The end must come after the start.")))
    if problems:
        raise InvalidInput(N_("The alert was not published."), problems=problems)
    alert = Alert(
        tenant_id=city.id,
        feed_id=None,
        source="city",
        key="",
        cause=cause,
        effect=effect,
        header=header,
        description=description,
        url=url,
        periods=[
            [int(start.timestamp()) if start else None, int(end.timestamp()) if end else None]
        ],
        entities=entities,
        at=utcnow(),
        created_by=actor,
    )
    db.add(alert)
    db.flush()
    alert.key = f"city-{alert.id}"
    audit.record(
        db,
        actor=actor,
        action="transit.alert.create",
        entity_type="transit_alert",
        entity_id=alert.id,
        changes={"effect": effect, "entities": entities},
    )
    return alert


def withdraw_alert(db: Session, city: City, alert_id: int, *, actor: str) -> Alert:
    alert = db.scalar(select(Alert).where(Alert.id == alert_id, Alert.source == "city"))
    if alert is None:
        raise NotFound(N_("There is no alert {id}."), id=alert_id)
    if alert.withdrawn_at is None:
        alert.withdrawn_at = utcnow()
        audit.record(
            db,
            actor=actor,
            action="transit.alert.withdraw",
            entity_type="transit_alert",
            entity_id=alert.id,
        )
    return alert


def active_alerts(db: Session, city: City, at: datetime | None = None) -> list[Alert]:
    """The alerts in force at ``at``: the city's (not withdrawn) and its feeds'."""
    at = at or utcnow()
    t = int(at.timestamp())
    settings_of(db, city)
    out = []
    for alert in db.scalars(
        select(Alert).where(Alert.withdrawn_at.is_(None)).order_by(Alert.at.desc())
    ):
        periods = alert.periods or [[None, None]]
        if any((p[0] is None or p[0] <= t) and (p[1] is None or t < p[1]) for p in periods):
            out.append(alert)
    return out


def alerts_for(
    alerts: list[Alert], *, routes: set[tuple[str, str]], stops: set[tuple[str, str]]
) -> list[Alert]:
    """The alerts that name one of these (feed, route_id) or (feed, stop_id)."""
    found = []
    for alert in alerts:
        for entity in alert.entities or []:
            feed = entity.get("feed")
            if (feed, entity.get("route_id")) in routes or (feed, entity.get("stop_id")) in stops:
                found.append(alert)
                break
    return found


# --- the planner's query ----------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """An origin or destination: a stop (or station) or a point."""

    text: str
    stop: StopInfo | None
    lat: float
    lon: float


def place_of(net: Network, text: str, field: str) -> Place:
    text = (text or "").strip()
    if ":" in text and not _looks_like_point(text):
        stop = net.stop(text)
        if stop is None:
            raise InvalidInput(
                N_("There is no stop {stop}; stops are named FEED:STOP_ID."),
                problems=[Problem(field, N_("Give a stop as FEED:STOP_ID or a point as lat,lon."))],
                stop=text,
            )
        return Place(text, stop, stop.lat, stop.lon)
    if _looks_like_point(text):
        lat, lon = (float(x) for x in text.split(","))
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            return Place(text, None, lat, lon)
    raise InvalidInput(
        N_("Give a stop as FEED:STOP_ID or a point as lat,lon."),
        problems=[Problem(field, N_("Give a stop as FEED:STOP_ID or a point as lat,lon."))],
    )


def _looks_like_point(text: str) -> bool:
    parts = text.split(",")
    if len(parts) != 2:
        return False
    try:
        values = [float(p) for p in parts]
    except ValueError:
        return False
    return all(math.isfinite(v) for v in values)


def build_query(
    net: Network,
    origin: Place,
    destination: Place,
    *,
    at: datetime,
    arrive_by: bool,
    max_transfers: int,
    max_walk_m: float,
    walk_speed: float,
) -> raptor.Query:
    if max_walk_m == 0 and (origin.stop is None or destination.stop is None):
        raise InvalidInput(
            N_("Without walking (max_walk_m=0), start and end at stops, not at points."),
            problems=[Problem("max_walk_m", N_("Allow some walking, or give stops."))],
        )
    access, access_m = _ends(net, origin, max_walk_m, walk_speed)
    egress, egress_m = _ends(net, destination, max_walk_m, walk_speed)
    for field, found, place in (("from", access, origin), ("to", egress, destination)):
        if not found:
            raise InvalidInput(
                N_("No stop is within {metres} m of walking of {place}."),
                problems=[Problem(field, N_("Choose a point nearer a stop, or walk farther."))],
                metres=round(max_walk_m),
                place=place.text,
            )
    return raptor.Query(
        access=access,
        egress=egress,
        time=int(at.timestamp()),
        max_transfers=max_transfers,
        max_walk_m=max_walk_m,
        walk_speed=walk_speed,
        arrive_by=arrive_by,
        access_metres=access_m,
        egress_metres=egress_m,
    )


def _ends(
    net: Network, place: Place, max_walk_m: float, speed: float
) -> tuple[dict[int, int], dict[int, float]]:
    if place.stop is not None:
        return dict.fromkeys(net.boarding_stops(place.stop.index), 0), {}
    near = stops_near(net, place.lat, place.lon, max_walk_m)
    return {i: round(m / speed) for i, m in near}, dict(near)
