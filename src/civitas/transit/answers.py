"""What public transport answers for other domains (the resident assistant): stops by
name, the next departures at a stop, and journeys between two stops. Plain data, with
times as ISO 8601 with the feed's offset and words already in the asker's language."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.core import lookups
from civitas.core.db import utcnow
from civitas.core.errors import InvalidInput
from civitas.core.i18n import N_, translate
from civitas.transit import arrivals as arrivals_service
from civitas.transit import crowding, raptor, service
from civitas.transit.feeds import settings_of
from civitas.transit.timetable import Network, StopInfo, network

OCCUPANCY_WORDS = {
    "EMPTY": N_("Empty"),
    "MANY_SEATS_AVAILABLE": N_("Many seats free"),
    "FEW_SEATS_AVAILABLE": N_("Few seats free"),
    "STANDING_ROOM_ONLY": N_("Standing room only"),
    "CRUSHED_STANDING_ROOM_ONLY": N_("Crowded"),
    "FULL": N_("Full"),
    "NOT_ACCEPTING_PASSENGERS": N_("Not taking passengers"),
    "NOT_BOARDABLE": N_("Cannot be boarded"),
}


def _stop(net: Network, stop: StopInfo) -> dict[str, Any]:
    return {
        "key": stop.key,
        "name": stop.name,
        "lat": stop.lat,
        "lon": stop.lon,
        "lines": [net.routes[k].label for k in service.routes_at(net, stop)],
    }


def _iso(epoch: int, net: Network, feed: str) -> str:
    return datetime.fromtimestamp(epoch, UTC).astimezone(net.feeds[feed].zone).isoformat()


@lookups.answer("transit.stops", "transit")
def stops(db: Session, city: City, *, text: str, limit: int = 5) -> list[dict[str, Any]] | None:
    """Stops whose name is like ``text`` (typos forgiven), best first."""
    net = network(db, city)
    if not net.stops:
        return None
    return [_stop(net, s) for s in service.search_stops(net, text, limit)]


@lookups.answer("transit.stop_names", "transit")
def stop_names(db: Session, city: City) -> list[str] | None:
    """Every stop's name (the assistant learns to tell a stop in a sentence)."""
    net = network(db, city)
    if not net.stops:
        return None
    return sorted({s.name for s in net.stops if s.location_type in (0, 1)})


@lookups.answer("transit.departures", "transit")
def departures(
    db: Session, city: City, *, stop: str, lang: str, minutes: int = 60, limit: int = 5
) -> dict[str, Any] | None:
    """The next departures at a stop: line, direction, minutes to wait, whether live or
    from the timetable, and how full the vehicle is."""
    net = network(db, city)
    found = net.stop(stop)
    if found is None:
        return None
    now = utcnow()
    t0 = int(now.timestamp())
    rows = []
    for a in arrivals_service.arrivals(db, city, found.key, at=now, minutes=minutes, net=net):
        if a.canceled:
            continue
        route = net.routes[a.run.trip.route]
        rows.append(
            {
                "line": route.label,
                "headsign": a.run.trip.headsign or "",
                "minutes": max(0, (a.expected - t0) // 60),
                "at": _iso(a.expected, net, found.feed),
                "live": a.source == "realtime",
                "source": a.source,
                "occupancy": translate(lang, OCCUPANCY_WORDS[a.occupancy])
                if a.occupancy in OCCUPANCY_WORDS
                else None,
            }
        )
        if len(rows) >= limit:
            break
    return {"stop": _stop(net, found), "departures": rows, "url": f"/transit/stops/{found.key}"}


@lookups.answer("transit.journey", "transit")
def journey(
    db: Session, city: City, *, origin: str, destination: str, lang: str
) -> dict[str, Any] | None:
    """The best journey leaving now between two stops (keys), with its legs."""
    net = network(db, city)
    start, end = net.stop(origin), net.stop(destination)
    if start is None or end is None:
        return None
    ends = [start, end]
    settings = settings_of(db, city)
    now = utcnow()
    places = [service.Place(s.name, s, s.lat, s.lon) for s in ends]
    try:
        query = service.build_query(
            net,
            places[0],
            places[1],
            at=now,
            arrive_by=False,
            max_transfers=4,
            max_walk_m=settings.max_walk_m,
            walk_speed=settings.walk_speed_mps,
        )
    except InvalidInput:
        return {"journeys": [], "from": ends[0].name, "to": ends[1].name}
    feed = ends[0].feed
    day = net.day(now.astimezone(net.feeds[feed].zone).date())
    found = raptor.plan(net, day, query)[:2]
    expect = crowding.Expect(db, city, net, now)
    journeys = []
    for j in found:
        legs = []
        for leg in j.legs:
            view: dict[str, Any] = {
                "mode": leg.mode,
                "from": net.stops[leg.from_stop].name if leg.from_stop is not None else "",
                "to": net.stops[leg.to_stop].name if leg.to_stop is not None else "",
                "departure": _iso(leg.departure, net, feed),
                "arrival": _iso(leg.arrival, net, feed),
            }
            if leg.run is not None and leg.board is not None:
                occupancy = expect.name(leg.run, leg.board)
                view["line"] = net.routes[leg.run.trip.route].label
                view["headsign"] = leg.run.trip.headsign or ""
                view["occupancy"] = (
                    translate(lang, OCCUPANCY_WORDS[occupancy])
                    if occupancy in OCCUPANCY_WORDS
                    else None
                )
            else:
                view["metres"] = round(leg.metres or 0)
            legs.append(view)
        journeys.append(
            {
                "departure": _iso(j.departure, net, feed),
                "arrival": _iso(j.arrival, net, feed),
                "minutes": (j.arrival - j.departure + 59) // 60,
                "transfers": j.transfers,
                "legs": legs,
            }
        )
    return {
        "journeys": journeys,
        "from": ends[0].name,
        "to": ends[1].name,
        "url": f"/transit/plan?from={ends[0].key}&to={ends[1].key}",
    }
