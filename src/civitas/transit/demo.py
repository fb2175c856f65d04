"""The public transport demo: each demo city's network (``data/<slug>.yaml``: named
places, lines through them, headways by time of day), written as a GTFS feed and
imported like any operator's; its live simulation switched on and polled through the
operator's URLs like a real feed; two days of what the buses did, learnt from; last
month in the observatory; and a service alert.

The feed is made for the demo's dates: its calendar runs from the start of last year to
the end of next, with the city's public holidays on the weekend timetable."""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from civitas.accounts.demo import ensure_user
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.config import Settings
from civitas.core.db import utcnow
from civitas.core.geo import haversine_m
from civitas.transit import feeds, gtfs, observatory, predict, realtime, service, simulation
from civitas.transit.models import Feed, Observation
from civitas.transit.permissions import TRANSIT_OPERATOR
from civitas.transit.timetable import network

DATA = Path(__file__).resolve().parent / "data"
DWELL_S = 20
DETOUR = 1.15
HISTORY_DAYS = 2
HOLIDAYS = {  # (month, day): the weekend timetable runs
    "trujillo": [
        (1, 1),
        (5, 1),
        (6, 29),
        (7, 28),
        (7, 29),
        (8, 30),
        (10, 8),
        (11, 1),
        (12, 8),
        (12, 25),
    ],
    "musterstadt": [(1, 1), (5, 1), (10, 3), (12, 25), (12, 26)],
}


def spec_of(slug: str) -> dict[str, Any] | None:
    path = DATA / f"{slug}.yaml"
    if not path.exists():
        return None
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


@dataclass
class _Stop:
    id: str
    name: str
    lat: float
    lon: float
    code: str


def _minutes(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def _hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def build_feed(spec: dict[str, Any], today: date, slug: str) -> bytes:
    """The network of a spec as a GTFS feed (.zip bytes)."""
    places = {k: (v[0], float(v[1]), float(v[2])) for k, v in spec["places"].items()}
    spacing = float(spec.get("stop_every_m", 500))
    speed = float(spec.get("speed_kmh", 18)) / 3.6
    german = spec["agency"].get("lang") == "de"
    stops: dict[str, _Stop] = {}

    def place_stop(key: str) -> _Stop:
        if key not in stops:
            name, lat, lon = places[key]
            stops[key] = _Stop(key, name, lat, lon, str(1000 + len(stops)))
        return stops[key]

    def between(a: str, b: str, corridor: str) -> list[_Stop]:
        """The stops between two places along a corridor (shared by every line and
        direction that runs it)."""
        first, second = sorted((a, b))
        (_, la, oa), (_, lb, ob) = places[first], places[second]
        metres = haversine_m((la, oa), (lb, ob)) * DETOUR
        count = max(0, round(metres / spacing) - 1)
        made = []
        for k in range(1, count + 1):
            share = k / (count + 1)
            key = f"{first}-{second}-{k}"
            if key not in stops:
                along = metres * share
                if metres > 3000:  # a road out of town: its kilometre
                    label = f"{corridor} km {along / 1000:.1f}".replace(".", "," if german else ".")
                elif german:  # the house number it stands at
                    label = f"{corridor} {round(along / 14) * 2 + 1}"
                else:  # Peruvian streets count blocks (cuadras) of about 100 m
                    label = f"{corridor} cdra. {round(along / 100) + 1}"
                stops[key] = _Stop(
                    key,
                    label,
                    la + (lb - la) * share,
                    oa + (ob - oa) * share,
                    str(1000 + len(stops)),
                )
            made.append(stops[key])
        return made if first == a else made[::-1]

    lines: list[tuple[dict[str, Any], list[list[_Stop]]]] = []
    for line in spec["lines"]:
        path = line["path"]
        forward: list[_Stop] = [place_stop(path[0][0])]
        for (prev, *_), (key, corridor) in itertools.pairwise(path):
            forward += between(prev, key, corridor)
            forward.append(place_stop(key))
        lines.append((line, [forward, forward[::-1]]))

    agency = spec["agency"]
    rows: dict[str, list[list[Any]]] = {
        "agency.txt": [
            [
                "agency_id",
                "agency_name",
                "agency_url",
                "agency_timezone",
                "agency_lang",
                "agency_phone",
            ],
            [
                agency["id"],
                agency["name"],
                agency["url"],
                agency["timezone"],
                agency["lang"],
                agency.get("phone", ""),
            ],
        ],
        "stops.txt": [
            ["stop_id", "stop_code", "stop_name", "stop_lat", "stop_lon", "location_type"]
        ]
        + [[s.id, s.code, s.name, f"{s.lat:.6f}", f"{s.lon:.6f}", 0] for s in stops.values()],
        "routes.txt": [
            [
                "route_id",
                "agency_id",
                "route_short_name",
                "route_long_name",
                "route_type",
                "route_color",
                "route_text_color",
            ]
        ],
        "trips.txt": [
            ["route_id", "service_id", "trip_id", "trip_headsign", "direction_id", "shape_id"]
        ],
        "stop_times.txt": [
            ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence", "timepoint"]
        ],
        "calendar.txt": [list(gtfs.REQUIRED_COLUMNS["calendar.txt"])],
        "calendar_dates.txt": [["service_id", "date", "exception_type"]],
        "shapes.txt": [["shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"]],
    }
    start, end = date(today.year - 1, 1, 1), date(today.year + 1, 12, 31)
    rows["calendar.txt"] += [
        ["LAB", 1, 1, 1, 1, 1, 0, 0, f"{start:%Y%m%d}", f"{end:%Y%m%d}"],
        ["FDS", 0, 0, 0, 0, 0, 1, 1, f"{start:%Y%m%d}", f"{end:%Y%m%d}"],
    ]
    for year in (today.year - 1, today.year, today.year + 1):
        for month, day in HOLIDAYS.get(slug, []):
            holiday = date(year, month, day)
            if holiday.weekday() < 5:
                rows["calendar_dates.txt"] += [
                    ["LAB", f"{holiday:%Y%m%d}", 2],
                    ["FDS", f"{holiday:%Y%m%d}", 1],
                ]
    for line, directions in lines:
        rows["routes.txt"].append(
            [
                line["id"],
                agency["id"],
                line["id"],
                line["name"],
                line.get("type", 3),
                line["color"],
                line.get("text_color", "FFFFFF"),
            ]
        )
        places_on = {p[0] for p in line["path"]}
        for direction, calls in enumerate(directions):
            shape = f"{line['id']}-{direction}"
            for n, stop in enumerate(calls):
                rows["shapes.txt"].append([shape, f"{stop.lat:.6f}", f"{stop.lon:.6f}", n + 1])
            # seconds from the first departure to each call
            offsets = [0.0]
            for a, b in itertools.pairwise(calls):
                metres = haversine_m((a.lat, a.lon), (b.lat, b.lon)) * DETOUR
                offsets.append(offsets[-1] + metres / speed + DWELL_S)
            for service_id, kind in (("LAB", "weekday"), ("FDS", "weekend")):
                table = spec["service"][kind]
                for first in _departures(table, direction):
                    trip = (
                        f"{line['id']}-{direction}-{service_id}-{_hms(first)[:5].replace(':', '')}"
                    )
                    rows["trips.txt"].append(
                        [line["id"], service_id, trip, calls[-1].name, direction, shape]
                    )
                    for n, (stop, offset) in enumerate(zip(calls, offsets, strict=True)):
                        timed = stop.id in places_on or n in (0, len(calls) - 1)
                        when = _hms(first + round(offset / 60) * 60) if timed else ""
                        rows["stop_times.txt"].append(
                            [trip, when, when, stop.id, n + 1, 1 if timed else 0]
                        )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, table in rows.items():
            text = io.StringIO()
            csv.writer(text, lineterminator="\n").writerows(table)
            archive.writestr(name, text.getvalue())
    return out.getvalue()


def _departures(table: dict[str, Any], direction: int) -> list[int]:
    """First departures (seconds after the service day's reference) by the headways."""
    start, end = _minutes(table["start"]) * 60, _minutes(table["end"]) * 60
    if end <= start:
        end += 24 * 3600
    steps = [(_minutes(at) * 60, minutes * 60) for at, minutes in table["headways"]]
    out = []
    t = start + (direction * steps[0][1] // 2)  # the two directions interleave
    while t <= end:
        out.append(t)
        headway = next(h for s, h in reversed(steps) if s <= t % (24 * 3600) or s <= t)
        t += headway
    return out


def load(db: Session, city: City, settings: Settings, password: str) -> list[str]:
    """Import the city's demo network, switch its simulation on and learn from two
    days of it (nothing when the city has no network or has it already)."""
    spec = spec_of(city.slug)
    if spec is None:
        return []
    enter_city(db, city)
    made = [
        ensure_user(
            db,
            city,
            username="operator",
            full_name=spec["agency"]["name"],
            role=TRANSIT_OPERATOR,
            department="transport",
            password=password,
        )
    ]
    name = spec["feed"]
    if db.scalar(select(Feed).where(Feed.name == name)) is not None:
        return made
    now = utcnow()
    zone = ZoneInfo(spec["agency"]["timezone"])
    today = now.astimezone(zone).date()
    content = build_feed(spec, today, city.slug)
    result = feeds.import_feed(
        db,
        city,
        name,
        content=content,
        filename=f"{city.slug}-{name}.zip",
        actor="system:demo",
        now=now,
    )
    feed = feeds.feed_named(db, city, name)
    base = f"{settings.public_url.rstrip('/')}/api/v1/cities/{city.slug}/transit/simulation/{name}"
    feed.trip_updates_url = f"{base}/trip-updates.pb"
    feed.vehicle_positions_url = f"{base}/vehicle-positions.pb"
    feed.poll_seconds = 30
    state = feeds.settings_of(db, city)
    state.simulation = True
    db.flush()
    net = network(db, city)
    rows: list[dict[str, Any]] = []
    for day in simulation.days_back(today, HISTORY_DAYS):
        rows += simulation.observations_of(net, name, day, zone)
    rows += simulation.observations_of(net, name, today, zone, until=int(now.timestamp()))
    for start in range(0, len(rows), 5000):
        db.execute(
            insert(Observation),
            [{**r, "tenant_id": city.id, "feed_id": feed.id} for r in rows[start : start + 5000]],
        )
    learnt = predict.learn(db, city, feed, net, days=HISTORY_DAYS + 1, now=now)
    months = _observatory(db, city, feed, net, zone, today)
    # the operator's latest word, so the stops are live before the worker's first poll
    at = int(now.timestamp())
    for what in ("trip_updates", "vehicle_positions"):
        realtime.ingest(
            db,
            city,
            name,
            simulation.feed_message(net, name, at, zone, what=what),
            via="simulation",
            now=now,
        )
    _alert(db, city, net, spec, now)
    return [
        *made,
        f"transit:         {result.counts['routes']} lines, {result.counts['stops']} stops, "
        f"{result.counts['trips']} trips; {learnt['observations']} departures of "
        f"{HISTORY_DAYS} days learnt from; live simulation polled at {base}/…",
        f"  observatory:   {settings.public_url.rstrip('/')}/{city.slug}/transit/observatory "
        f"({', '.join(months)})",
        f"  stops:         {settings.public_url.rstrip('/')}/{city.slug}/transit",
    ]


def _observatory(
    db: Session, city: City, feed: Feed, net: Any, zone: ZoneInfo, today: date
) -> list[str]:
    """The last whole month, from the simulated buses of every day (streamed, not
    stored), and the month under way from the observations kept; then the KPIs."""
    from civitas.insight.service import refresh_figures

    first = today.replace(day=1)
    last_month = (first - timedelta(days=1)).strftime("%Y-%m")
    figures = observatory.Month(net, feed.name, last_month)
    for day in observatory.month_days(last_month):
        figures.add_day(day, simulation.seen_of(net, feed.name, day, zone), seen=True)
    results: dict[str, dict[str, Any]] = figures.results()
    results[observatory.CITY] = observatory.city_figures(db, city, net, last_month)
    observatory.store(db, city, feed, last_month, results)
    this_month = first.strftime("%Y-%m")
    observatory.refresh(db, city, net, feed, this_month, until=today)
    refresh_figures(db, city, [last_month, this_month], actor="system:demo")
    return [last_month, this_month]


def _alert(db: Session, city: City, net: Any, spec: dict[str, Any], now: datetime) -> None:
    line = spec["lines"][-1]["id"]
    key = f"{spec['feed']}:{line}"
    texts = {
        "es": (
            "Obras en la vía: la línea {line} se desvía",
            "Por obras de la municipalidad la línea {line} se desvía dos cuadras. "
            "Las paradas afectadas se atienden en la esquina siguiente.",
        ),
        "de": (
            "Bauarbeiten: Linie {line} wird umgeleitet",
            "Wegen Bauarbeiten wird die Linie {line} umgeleitet. "
            "Die betroffenen Haltestellen werden an der nächsten Ecke bedient.",
        ),
        "en": (
            "Road works: line {line} is diverted",
            "Because of the city's road works, line {line} is diverted by two blocks. "
            "Affected stops are served at the next corner.",
        ),
    }
    service.create_alert(
        db,
        city,
        net,
        header={lang: h.format(line=line) for lang, (h, _) in texts.items()},
        description={lang: d.format(line=line) for lang, (_, d) in texts.items()},
        cause="CONSTRUCTION",
        effect="DETOUR",
        routes=[key],
        stops=[],
        start=now - timedelta(days=2),
        end=now + timedelta(days=12),
        actor="system:demo",
    )
