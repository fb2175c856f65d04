"""Public transport for riders, phone first: stops by name or nearby, a stop's next
departures (waiting minutes, live or scheduled, how full), the journey planner, lines
with their map, alerts; favourite stops kept on the phone; one tap to say how full the
bus is; and "report a problem at this stop", which opens the city's service for it.

Every page works without JavaScript; ``transit.js`` adds the stops near the rider, the
favourites and the departures refreshed every 30 seconds."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from babel.dates import format_date, format_time
from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from civitas.cities.models import City
from civitas.core.config import get_settings
from civitas.core.db import utcnow
from civitas.core.errors import InvalidInput, TooManyAttempts
from civitas.core.i18n import N_, locale_for, translate, translate_plural
from civitas.places import service as places
from civitas.places.basemap import map_config
from civitas.transit import arrivals as arrivals_service
from civitas.transit import crowding, observatory, raptor, service
from civitas.transit.answers import OCCUPANCY_WORDS as OCCUPANCY_TEXT
from civitas.transit.feeds import settings_of
from civitas.transit.timetable import Network, StopInfo, network
from civitas.web.deps import CurrentCity, DbSession, client_address
from civitas.web.routers import Router
from civitas.web.templating import page, require_csrf

router = Router(include_in_schema=False)

REPORT_SERVICE = "bus-stop-damage"
OCCUPANCY_LEVEL = {  # 1 calm … 3 full, for the page's marks
    "EMPTY": 1,
    "MANY_SEATS_AVAILABLE": 1,
    "FEW_SEATS_AVAILABLE": 2,
    "STANDING_ROOM_ONLY": 3,
    "CRUSHED_STANDING_ROOM_ONLY": 3,
    "FULL": 3,
    "NOT_ACCEPTING_PASSENGERS": 3,
    "NOT_BOARDABLE": 3,
}
OCCUPANCY_SOURCE = {
    "vehicle": N_("the vehicle says"),
    "riders": N_("riders say"),
    "usual": N_("usual at this hour"),
}
EFFECT_TEXT = {
    "NO_SERVICE": N_("No service"),
    "REDUCED_SERVICE": N_("Reduced service"),
    "SIGNIFICANT_DELAYS": N_("Significant delays"),
    "DETOUR": N_("Detour"),
    "ADDITIONAL_SERVICE": N_("Additional service"),
    "MODIFIED_SERVICE": N_("Modified service"),
    "OTHER_EFFECT": N_("Notice"),
    "UNKNOWN_EFFECT": N_("Notice"),
    "STOP_MOVED": N_("Stop moved"),
    "NO_EFFECT": N_("Information"),
    "ACCESSIBILITY_ISSUE": N_("Accessibility problem"),
}
CAUSE_TEXT = {
    "UNKNOWN_CAUSE": N_("Unknown cause"),
    "OTHER_CAUSE": N_("Other cause"),
    "TECHNICAL_PROBLEM": N_("Technical problem"),
    "STRIKE": N_("Strike"),
    "DEMONSTRATION": N_("Demonstration"),
    "ACCIDENT": N_("Accident"),
    "HOLIDAY": N_("Holiday"),
    "WEATHER": N_("Weather"),
    "MAINTENANCE": N_("Maintenance"),
    "CONSTRUCTION": N_("Road works"),
    "POLICE_ACTIVITY": N_("Police activity"),
    "MEDICAL_EMERGENCY": N_("Medical emergency"),
}
LEVELS = ((1, N_("Seats free")), (2, N_("Standing room")), (3, N_("Full")))


def line_class(key: str) -> str:
    """A line's CSS class (its colours come from the city's lines.css, not inline)."""
    return "l" + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:10]


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    return page(request, name, {"line_class": line_class, **context}, status)


@router.get("/{city}/transit/lines.css", response_model=None)
def lines_css(city: CurrentCity, db: DbSession) -> Response:
    """Each line's colours, as its operator publishes them (route_color, route_text_color)."""
    net = network(db, city)
    rules = [
        f".{line_class(k)} {{ background: #{r.color or '4A5560'}; "
        f"color: #{r.text_color or 'FFFFFF'}; }}"
        for k, r in sorted(net.routes.items())
    ]
    return Response(
        "\n".join(rules) + "\n",
        media_type="text/css",
        headers={"cache-control": "public, max-age=300"},
    )


def _lang(request: Request) -> str:
    return str(getattr(request.state, "lang", "en"))


def _locale(request: Request, city: City) -> str:
    return locale_for(_lang(request), city.country)


def clock(epoch: int, zone: Any, locale: str) -> str:
    return format_time(datetime.fromtimestamp(epoch, UTC).astimezone(zone), "short", locale=locale)


def _alert_view(alert: Any, lang: str, city: City, net: Network) -> dict[str, Any]:
    header = alert.header or {}
    text = header.get(lang) or header.get(city.default_language) or next(iter(header.values()), "")
    description = alert.description or {}
    body = (
        description.get(lang)
        or description.get(city.default_language)
        or next(iter(description.values()), "")
    )
    lines = sorted(
        {
            net.routes[f"{e['feed']}:{e['route_id']}"].label
            for e in alert.entities or []
            if e.get("route_id") and f"{e['feed']}:{e['route_id']}" in net.routes
        }
    )
    stops = [
        net.stops[net.index[f"{e['feed']}:{e['stop_id']}"]].name
        for e in alert.entities or []
        if e.get("stop_id") and f"{e['feed']}:{e['stop_id']}" in net.index
    ]
    return {
        "id": alert.id,
        "source": alert.source,
        "header": text,
        "description": body,
        "effect": translate(lang, EFFECT_TEXT.get(alert.effect, N_("Notice"))),
        "cause": translate(lang, CAUSE_TEXT.get(alert.cause, N_("Unknown cause"))),
        "lines": lines,
        "stops": stops,
        "url": alert.url,
        "periods": alert.periods,
    }


def _stop_view(net: Network, stop: StopInfo) -> dict[str, Any]:
    return {
        "id": stop.key,
        "name": stop.name,
        "code": stop.code,
        "lines": [net.routes[k] for k in service.routes_at(net, stop)],
        "lat": stop.lat,
        "lon": stop.lon,
    }


@router.get("/{city}/transit", response_model=None)
def home(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    q: Annotated[str, Query(max_length=100)] = "",
    lat: Annotated[str, Query(max_length=30)] = "",
    lon: Annotated[str, Query(max_length=30)] = "",
) -> Response:
    net = network(db, city)
    lang = _lang(request)
    found: list[dict[str, Any]] = []
    near = False
    problem = None
    near_place = None
    if q.strip():
        found = [_stop_view(net, s) for s in service.search_stops(net, q.strip(), 12)]
        if not found or (any(ch.isdigit() for ch in q) and not q.strip().isdigit()):
            # an address: the stops around it (the city's address register)
            hits = places.search(db, city, q.strip(), limit=1)
            if hits:
                near_place = hits[0].label
                found = [
                    {**_stop_view(net, s), "distance": round(d)}
                    for s, d in service.nearby_stops(net, hits[0].lat, hits[0].lon, 800)[:12]
                ] or found
    elif lat or lon:
        near = True
        try:
            point = (float(lat), float(lon))
        except ValueError:
            point = None
        if point is None or not city.contains(*point):
            problem = translate(lang, N_("That place is not in {city}."), city=city.name)
        else:
            found = [
                {**_stop_view(net, s), "distance": round(d)}
                for s, d in service.nearby_stops(net, point[0], point[1], 800)[:12]
            ]
    alerts = service.active_alerts(db, city)
    return render(
        request,
        "transit/home.html",
        {
            "q": q,
            "near": near,
            "near_place": near_place,
            "found": found,
            "problem": problem,
            "alert_count": len(alerts),
            "has_network": bool(net.stops),
        },
    )


@router.get("/{city}/transit/stops/{stop}", response_model=None)
def stop_page(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    stop: str,
    thanks: Annotated[str, Query(max_length=5)] = "",
    part: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    net = network(db, city)
    found = service.stop_of(net, stop)
    lang = _lang(request)
    locale = _locale(request, city)
    zone = net.feeds[found.feed].zone
    now = utcnow()
    t0 = int(now.timestamp())
    items = arrivals_service.arrivals(db, city, found.key, at=now, minutes=90, net=net)[:20]
    settings = settings_of(db, city)
    rows = []
    for a in items:
        route = net.routes[a.run.trip.route]
        minutes = max(0, (a.expected - t0) // 60)
        if a.source == "realtime":
            status = translate(lang, N_("live"))
        elif a.source == "stale" and a.predicted is not None:
            status = translate_plural(
                lang,
                "live data {count} minute old",
                "live data {count} minutes old",
                (a.age_s or 0) // 60,
            )
        elif a.source == "stale":
            status = translate(lang, N_("no live data: timetable"))
        else:
            status = translate(lang, N_("timetable"))
        rows.append(
            {
                "line": route.label,
                "key": route.key,
                "headsign": a.run.trip.headsign or "",
                "minutes": minutes,
                "wait": translate(lang, N_("now"))
                if minutes == 0
                else translate_plural(lang, "{count} min", "{count} min", minutes),
                "time": clock(a.expected, zone, locale),
                "scheduled": clock(a.scheduled, zone, locale),
                "late": a.predicted is not None and (a.predicted - a.scheduled) // 60,
                "source": a.source,
                "status": status,
                "canceled": a.canceled,
                "occupancy": translate(lang, OCCUPANCY_TEXT[a.occupancy])
                if a.occupancy in OCCUPANCY_TEXT
                else None,
                "level": OCCUPANCY_LEVEL.get(a.occupancy or "", 0),
                "occupancy_source": translate(lang, OCCUPANCY_SOURCE[a.occupancy_source])
                if a.occupancy_source in OCCUPANCY_SOURCE
                else None,
                "platform": net.stops[a.stop].platform,
            }
        )
    boarding = net.boarding_stops(found.index)
    alerts = service.alerts_for(
        service.active_alerts(db, city, now),
        routes={
            (found.feed, route.route_id)
            for k in service.routes_at(net, found)
            for route in [net.routes[k]]
        },
        stops={(net.stops[s].feed, net.stops[s].stop_id) for s in boarding},
    )
    report = {
        "lat": found.lat,
        "long": found.lon,
        "place": found.name,
        "set_stop_code": found.code or found.stop_id,
        "lang": lang,
    }
    context = {
        "stop": _stop_view(net, found),
        "rows": rows,
        "alerts": [_alert_view(a, lang, city, net) for a in alerts],
        "updated": clock(t0, zone, locale),
        "thanks": thanks == "1",
        "levels": LEVELS,
        "report_url": f"/{city.slug}/report/{REPORT_SERVICE}/where?{urlencode(report)}",
        "stale_after_min": settings.stale_after_s // 60,
    }
    if part == "departures":
        return render(request, "transit/_departures.html", context)
    return render(request, "transit/stop.html", context)


@router.post("/{city}/transit/stops/{stop}/crowding", response_model=None)
def stop_crowding(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    stop: str,
    level: Annotated[str, Form(max_length=2)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    require_csrf(request, csrf)
    net = network(db, city)
    found = service.stop_of(net, stop)
    key = service.rider_key(
        get_settings().secret_key, client_address(request), request.headers.get("user-agent")
    )
    lang = _lang(request)
    try:
        service.report_crowding(
            db, city, net, found.key, int(level) if level.isdigit() else 0, client=key
        )
    except (InvalidInput, TooManyAttempts) as exc:
        db.rollback()
        return render(
            request,
            "transit/stop_refused.html",
            {"stop": _stop_view(net, found), "message": exc.text(lang)},
            status=exc.status,
        )
    db.commit()
    return RedirectResponse(
        f"/{city.slug}/transit/stops/{found.key}?thanks=1&lang={lang}", status_code=303
    )


@router.get("/{city}/transit/plan", response_model=None)
def plan_page(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    from_: Annotated[str, Query(alias="from", max_length=150)] = "",
    to: Annotated[str, Query(max_length=150)] = "",
    date: Annotated[str, Query(max_length=10)] = "",
    time: Annotated[str, Query(max_length=5)] = "",
    by: Annotated[str, Query(max_length=8)] = "depart",
    calm: Annotated[str, Query(max_length=2)] = "",
) -> Response:
    net = network(db, city)
    lang = _lang(request)
    locale = _locale(request, city)
    settings = settings_of(db, city)
    zone = next(iter(net.feeds.values())).zone if net.feeds else UTC
    now = utcnow().astimezone(zone)
    context: dict[str, Any] = {
        "from_text": from_,
        "to_text": to,
        "date": date or now.date().isoformat(),
        "time": time or now.strftime("%H:%M"),
        "by": "arrive" if by == "arrive" else "depart",
        "calm": calm == "1",
        "journeys": None,
        "problems": {},
        "choices": {},
    }
    if not (from_ or to):
        return render(request, "transit/plan.html", context)
    try:
        ends = {}
        for field, text in (("from", from_), ("to", to)):
            ends[field] = _resolve(net, text, field, lang, context)
        when = _when(context["date"], context["time"], zone, lang)
        query = service.build_query(
            net,
            ends["from"],
            ends["to"],
            at=when,
            arrive_by=context["by"] == "arrive",
            max_transfers=4,
            max_walk_m=settings.max_walk_m,
            walk_speed=settings.walk_speed_mps,
        )
    except InvalidInput as exc:
        context["problems"] = {
            (p.location if p.location in ("from", "to", "date", "time") else "from"): translate(
                lang, p.message, **p.params
            )
            for p in exc.problems
        } or {"from": exc.text(lang)}
        return render(request, "transit/plan.html", context, status=400)
    except _Choose:
        return render(request, "transit/plan.html", context)
    day = net.day(when.date())
    journeys = raptor.plan(net, day, query)
    expect = crowding.Expect(db, city, net, min(when.astimezone(UTC), utcnow()))
    shown = [(j, False) for j in journeys]
    if context["calm"] and journeys:
        calmer = crowding.less_crowded(expect, net, day, query, journeys)
        if calmer is not None:
            shown.append((calmer, True))
    alerts = service.active_alerts(db, city, when)
    context["journeys"] = [
        _journey_view(net, j, zone, locale, lang, expect, alerts, city, calmer=c) for j, c in shown
    ]
    # the form shows the stops by name (a name typed again finds the same stop first)
    for field in ("from", "to"):
        stop = ends[field].stop
        context[f"{field}_text"] = stop.name if stop is not None else ends[field].text
    return render(request, "transit/plan.html", context)


class _Choose(Exception):  # noqa: N818 - not an error: the rider picks among stops
    """The text matched several stops: the page offers them."""


def _resolve(
    net: Network, text: str, field: str, lang: str, context: dict[str, Any]
) -> service.Place:
    text = text.strip()
    if not text:
        raise InvalidInput(
            N_("Say where from and where to."),
            problems=[_problem(field, N_("Type a stop's name, or choose one."))],
        )
    if net.stop(text) is not None or service._looks_like_point(text):
        return service.place_of(net, text, field)
    found = service.search_stops(net, text, 6)
    if not found:
        raise InvalidInput(
            N_("No stop is called like that."),
            problems=[
                _problem(field, N_("No stop is called {text}; try another name."), text=text)
            ],
        )
    if len(found) == 1 or found[0].name.casefold() == text.casefold():
        return service.Place(found[0].name, found[0], found[0].lat, found[0].lon)
    context["choices"][field] = [
        (s.key, s.name, [net.routes[k].label for k in service.routes_at(net, s)]) for s in found
    ]
    raise _Choose


def _problem(field: str, message: str, **params: Any) -> Any:
    from civitas.core.errors import Problem

    return Problem(field, message, params)


def _when(day: str, at: str, zone: Any, lang: str) -> datetime:
    try:
        found = datetime.fromisoformat(f"{day}T{at}")
    except ValueError:
        raise InvalidInput(
            N_("The date or time cannot be read."),
            problems=[
                _problem("time", N_("Give the date and the time, e.g. 2026-12-04 and 08:30."))
            ],
        ) from None
    return found.replace(tzinfo=zone)


def _journey_view(
    net: Network,
    journey: raptor.Journey,
    zone: Any,
    locale: str,
    lang: str,
    expect: crowding.Expect,
    alerts: list[Any],
    city: City,
    *,
    calmer: bool,
) -> dict[str, Any]:
    legs = []
    routes: set[tuple[str, str]] = set()
    stops: set[tuple[str, str]] = set()
    for leg in journey.legs:
        start = (
            net.stops[leg.from_stop].name
            if leg.from_stop is not None
            else translate(lang, N_("your starting point"))
        )
        end = (
            net.stops[leg.to_stop].name
            if leg.to_stop is not None
            else translate(lang, N_("your destination"))
        )
        view: dict[str, Any] = {
            "mode": leg.mode,
            "from": start,
            "to": end,
            "from_id": net.stops[leg.from_stop].key if leg.from_stop is not None else None,
            "departure": clock(leg.departure, zone, locale),
            "arrival": clock(leg.arrival, zone, locale),
            "minutes": max(0, (leg.arrival - leg.departure + 30) // 60),
        }
        if leg.run is not None and leg.board is not None and leg.alight is not None:
            route = net.routes[leg.run.trip.route]
            routes.add((route.feed, route.route_id))
            occupancy = expect.name(leg.run, leg.board)
            view.update(
                {
                    "line": route.label,
                    "key": route.key,
                    "headsign": leg.run.trip.headsign or "",
                    "stops": leg.alight - leg.board,
                    "occupancy": translate(lang, OCCUPANCY_TEXT[occupancy])
                    if occupancy in OCCUPANCY_TEXT
                    else None,
                    "level": OCCUPANCY_LEVEL.get(occupancy or "", 0),
                }
            )
        else:
            view["metres"] = round(leg.metres or 0)
        for s in (leg.from_stop, leg.to_stop):
            if s is not None:
                stops.add((net.stops[s].feed, net.stops[s].stop_id))
        legs.append(view)
    return {
        "departure": clock(journey.departure, zone, locale),
        "arrival": clock(journey.arrival, zone, locale),
        "day": format_date(
            datetime.fromtimestamp(journey.departure, UTC).astimezone(zone).date(),
            "full",
            locale=locale,
        ),
        "minutes": (journey.arrival - journey.departure + 59) // 60,
        "transfers": journey.transfers,
        "legs": legs,
        "calmer": calmer,
        "alerts": [
            _alert_view(a, lang, city, net)
            for a in service.alerts_for(alerts, routes=routes, stops=stops)
        ],
    }


@router.get("/{city}/transit/lines", response_model=None)
def lines_page(request: Request, city: CurrentCity, db: DbSession) -> Response:
    net = network(db, city)
    keys = sorted(net.routes, key=lambda k: service._route_sort(net, k))
    return render(request, "transit/lines.html", {"lines": [net.routes[k] for k in keys]})


@router.get("/{city}/transit/lines/{route}", response_model=None)
def line_page(request: Request, city: CurrentCity, db: DbSession, route: str) -> Response:
    net = network(db, city)
    view = service.route_view(db, city, net, route)
    found = net.routes[route]
    return render(
        request,
        "transit/line.html",
        {
            "line": found,
            "directions": [
                (h, [_stop_view(net, s) for s in stops]) for h, stops in view.directions
            ],
            "shape": view.shape,
            "basemap": map_config(db, city, get_settings()),
        },
    )


@router.get("/{city}/transit/alerts", response_model=None)
def alerts_page(request: Request, city: CurrentCity, db: DbSession) -> Response:
    net = network(db, city)
    lang = _lang(request)
    alerts = [_alert_view(a, lang, city, net) for a in service.active_alerts(db, city)]
    return render(request, "transit/alerts.html", {"alerts": alerts})


def period_text(periods: list[Any], zone: Any, locale: str) -> str:
    parts = []
    for start, end in periods or []:
        a = (
            format_date(
                datetime.fromtimestamp(start, UTC).astimezone(zone).date(), "medium", locale=locale
            )
            if start
            else ""
        )
        b = (
            format_date(
                datetime.fromtimestamp(end, UTC).astimezone(zone).date(), "medium", locale=locale
            )
            if end
            else ""
        )
        parts.append(f"{a} – {b}".strip(" –") if (a or b) else "")
    return "; ".join(p for p in parts if p)


@router.get("/{city}/transit/observatory", response_model=None)
def observatory_page(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    month: Annotated[str, Query(max_length=7, pattern=r"^(\d{4}-\d{2})?$")] = "",
) -> Response:
    """The mobility observatory: a month's indicators per route, as charts and tables."""
    from civitas.insight.charts import Chart, _base, fmt

    lang = _lang(request)
    locale = _locale(request, city)
    months = observatory.months_of(db, city)
    chosen = month if month in months else ""
    if not chosen and months:
        # the last whole month first: the month under way rests on a few days
        whole = [m for m in months if observatory.is_whole(db, city, m)]
        chosen = whole[0] if whole else months[0]
    table = observatory.month_table(db, city, chosen) if chosen else {}
    net = network(db, city)
    rows = []
    for (feed, route_id), figures in sorted(table.items()):
        if route_id == observatory.CITY:
            continue
        route = net.routes.get(f"{feed}:{route_id}")
        rows.append(
            {
                "key": f"{feed}:{route_id}",
                "label": route.label if route else route_id,
                "name": (route.long_name if route else "") or "",
                **figures,
            }
        )
    rows.sort(
        key=lambda r: (
            service._route_sort(net, r["key"]) if r["key"] in net.routes else (10**6, r["label"])
        )
    )
    city_row = next((f for (_, r), f in table.items() if r == observatory.CITY), None)
    on_time_label = translate(lang, N_("On time (%)"))
    on_time = Chart(
        "on-time",
        translate(lang, N_("Departures on time, by line")),
        translate(
            lang,
            N_("Departures observed from 1 minute early to 5 late, per line, in {month}."),
            month=chosen,
        ),
        {
            **_base(translate(lang, N_("Departures on time, by line")), height=180),
            "data": {
                "values": [
                    {"line": r["label"], "value": r.get("on_time_pct")}
                    for r in rows
                    if r.get("on_time_pct") is not None
                ]
            },
            "mark": {"type": "bar"},
            "encoding": {
                "x": {"field": "line", "type": "nominal", "title": None, "sort": None},
                "y": {
                    "field": "value",
                    "type": "quantitative",
                    "title": on_time_label,
                    "scale": {"domain": [0, 100]},
                },
                "tooltip": [{"field": "line"}, {"field": "value", "format": ",.1f"}],
            },
        },
        [
            translate(lang, N_("Line")),
            on_time_label,
            translate(lang, N_("Mean delay (min)")),
            translate(lang, N_("Departures observed")),
        ],
        [
            [
                r["label"],
                fmt(r.get("on_time_pct"), "percent", locale),
                fmt(None if r.get("mean_delay_s") is None else r["mean_delay_s"] / 60, "", locale),
                fmt(r.get("observed_departures"), "", locale),
            ]
            for r in rows
        ],
    )
    hours = [sum(r.get("departures_per_hour", [0] * 24)[h] for r in rows) for h in range(24)]
    per_hour_label = translate(lang, N_("Departures per hour"))
    frequency = Chart(
        "per-hour",
        translate(lang, N_("Departures per hour of a weekday, all lines")),
        translate(
            lang,
            N_("Trips leaving their first stop in each hour of an average weekday of {month}."),
            month=chosen,
        ),
        {
            **_base(translate(lang, N_("Departures per hour of a weekday, all lines")), height=160),
            "data": {"values": [{"hour": f"{h:02d}", "value": v} for h, v in enumerate(hours)]},
            "mark": {"type": "bar"},
            "encoding": {
                "x": {"field": "hour", "type": "ordinal", "title": None},
                "y": {"field": "value", "type": "quantitative", "title": per_hour_label},
                "tooltip": [{"field": "hour"}, {"field": "value", "format": ",.1f"}],
            },
        },
        [translate(lang, N_("Hour")), per_hour_label],
        [[f"{h:02d}:00", fmt(v, "", locale)] for h, v in enumerate(hours) if v],
    )
    return render(
        request,
        "transit/observatory.html",
        {
            "months": months,
            "month": chosen,
            "rows": rows,
            "city_row": city_row,
            "charts": [on_time, frequency] if rows else [],
            "fmt": lambda value, unit="": fmt(value, unit, locale),
        },
    )
