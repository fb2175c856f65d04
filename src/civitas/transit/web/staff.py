"""Public transport in the back office: the city's feeds and their health (when the
timetable was imported, when realtime last came, what share of the trips under way is
live, the last failure), the thresholds for stale predictions, and service alerts
written, published in the GTFS-RT Alerts feed, and withdrawn."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from babel.dates import format_datetime
from babel.numbers import format_percent
from fastapi import Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from civitas.accounts.service import Principal
from civitas.cities.models import City
from civitas.core.db import utcnow
from civitas.core.errors import CivitasError, InvalidInput, Problem
from civitas.core.i18n import N_, locale_for, translate
from civitas.transit import service
from civitas.transit.feeds import feeds_of, settings_of
from civitas.transit.models import TripUpdate
from civitas.transit.permissions import TransitPermission
from civitas.transit.timetable import Network, network
from civitas.transit.web.pages import CAUSE_TEXT, EFFECT_TEXT, _alert_view, render
from civitas.web.actions import form_action
from civitas.web.deps import CurrentCity, DbSession, OptionalPrincipal, staff_page
from civitas.web.forms import problems_by_field
from civitas.web.routers import Router

router = Router(include_in_schema=False)
ALERTS = TransitPermission.TRANSIT_ALERT_MANAGE
FEEDS = TransitPermission.TRANSIT_FEED_MANAGE


def live_share(
    db: Any, city: City, net: Network, feed: Any, now: datetime, fresh_s: int
) -> tuple[int, int]:
    """(trips under way now, of them with a trip update at most ``fresh_s`` old)."""
    zone = net.feeds[feed.name].zone
    t = int(now.timestamp())
    under_way = {
        (run.trip.trip_id, run.service_date)
        for pattern in net.day(now.astimezone(zone).date()).patterns
        for run in pattern.runs
        if run.trip.feed == feed.name and run.departures[0] <= t <= run.arrivals[-1]
    }
    if not under_way:
        return 0, 0
    since = datetime.fromtimestamp(t - fresh_s, UTC)
    live = {
        (row.trip_id, row.service_date)
        for row in db.execute(
            select(TripUpdate.trip_id, TripUpdate.service_date).where(
                TripUpdate.feed_id == feed.id, TripUpdate.at > since, TripUpdate.at <= now
            )
        )
    }
    return len(under_way), len(under_way & live)


def context(db: Any, city: City, lang: str, principal: Principal) -> dict[str, Any]:
    net = network(db, city)
    locale = locale_for(lang, city.country)
    settings = settings_of(db, city)
    now = utcnow()
    feeds = []
    for feed in feeds_of(db, city):
        running, live = live_share(db, city, net, feed, now, settings.stale_after_s)
        age = (now - feed.realtime_at).total_seconds() if feed.realtime_at else None
        feeds.append(
            {
                "name": feed.name,
                "version": feed.version,
                "source": feed.source,
                "imported": format_datetime(
                    feed.imported_at, "short", tzinfo=net.feeds[feed.name].zone, locale=locale
                ),
                "valid": (feed.valid_from, feed.valid_to),
                "counts": feed.counts,
                "polled": bool(feed.trip_updates_url or feed.vehicle_positions_url),
                "realtime": format_datetime(
                    feed.realtime_at, "medium", tzinfo=net.feeds[feed.name].zone, locale=locale
                )
                if feed.realtime_at
                else None,
                "age_s": round(age) if age is not None else None,
                "state": "none"
                if age is None
                else (
                    "green"
                    if age <= settings.stale_after_s
                    else ("amber" if age <= settings.drop_after_s else "red")
                ),
                "running": running,
                "live": live,
                "share": format_percent(live / running, locale=locale) if running else None,
                "error": feed.realtime_error,
            }
        )
    alerts = [_alert_view(a, lang, city, net) for a in service.active_alerts(db, city)]
    return {
        "feeds": feeds,
        "settings": settings,
        "alerts": alerts,
        "routes": [
            net.routes[k] for k in sorted(net.routes, key=lambda k: service._route_sort(net, k))
        ],
        "causes": [(c, translate(lang, CAUSE_TEXT[c])) for c in service.CAUSES],
        "effects": [(e, translate(lang, EFFECT_TEXT[e])) for e in service.EFFECTS],
        "can_feeds": principal.can(FEEDS),
        "answers": {},
        "problems": {},
    }


def _refused(request: Request, db: Any, city: City, answers: dict[str, Any] | None = None) -> Any:
    """The page again with the form's answers and what was wrong, after a refusal."""

    def refused(who: Principal, exc: CivitasError) -> Response:
        lang = request.state.lang
        found = context(db, city, lang, who)
        found["answers"] = answers or {}
        found["problems"] = problems_by_field(lang, exc)
        return render(request, "transit/staff.html", found, status=exc.status)

    return refused


@router.get("/{city}/staff/transit", response_model=None)
def transit_page(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    if isinstance(who := staff_page(city, principal, ALERTS), Response):
        return who
    return render(request, "transit/staff.html", context(db, city, request.state.lang, who))


@router.post("/{city}/staff/transit/alerts", response_model=None)
def publish_alert(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    csrf: Annotated[str, Form(max_length=128)] = "",
    key: Annotated[str, Form(max_length=64)] = "",
    header: Annotated[str, Form(max_length=400)] = "",
    description: Annotated[str, Form(max_length=4000)] = "",
    cause: Annotated[str, Form(max_length=30)] = "UNKNOWN_CAUSE",
    effect: Annotated[str, Form(max_length=30)] = "OTHER_EFFECT",
    route: Annotated[list[str] | None, Form()] = None,
    start: Annotated[str, Form(max_length=20)] = "",
    end: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    lang = request.state.lang
    answers = {
        "header": header,
        "description": description,
        "cause": cause,
        "effect": effect,
        "route": route or [],
        "start": start,
        "end": end,
    }

    def change(who: Principal) -> int:
        net = network(db, city)
        zone = next(iter(net.feeds.values())).zone if net.feeds else UTC
        alert = service.create_alert(
            db,
            city,
            net,
            header={lang: header},
            description={lang: description},
            cause=cause,
            effect=effect,
            routes=[r for r in (route or [])[:50] if r],
            stops=[],
            start=_moment(start, "start", zone),
            end=_moment(end, "end", zone),
            actor=who.label,
        )
        return alert.id

    return form_action(
        request,
        city,
        db,
        principal,
        permission=ALERTS,
        csrf=csrf,
        key=key or None,
        change=change,
        done=lambda _id: f"/{city.slug}/staff/transit?saved=alert&lang={lang}#alerts",
        refused=_refused(request, db, city, answers),
    )


def _moment(text: str, field: str, zone: Any) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=zone)
    except ValueError:
        raise InvalidInput(
            N_("The alert was not published."),
            problems=[Problem(field, N_("Give the date and time, e.g. 2026-12-04T08:30."))],
        ) from None


@router.post("/{city}/staff/transit/alerts/{alert_id}/withdraw", response_model=None)
def withdraw(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    alert_id: int,
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    lang = request.state.lang

    return form_action(
        request,
        city,
        db,
        principal,
        permission=ALERTS,
        csrf=csrf,
        change=lambda who: service.withdraw_alert(db, city, alert_id, actor=who.label).id,
        done=lambda _id: f"/{city.slug}/staff/transit?saved=withdrawn&lang={lang}#alerts",
        refused=_refused(request, db, city),
    )


@router.post("/{city}/staff/transit/settings", response_model=None)
def save_settings(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    csrf: Annotated[str, Form(max_length=128)] = "",
    stale_after_s: Annotated[str, Form(max_length=6)] = "",
    drop_after_s: Annotated[str, Form(max_length=6)] = "",
) -> Response:
    lang = request.state.lang

    def change(who: Principal) -> int:
        stale = int(stale_after_s) if stale_after_s.isdigit() else -1
        drop = int(drop_after_s) if drop_after_s.isdigit() else -1
        problems = []
        if not 30 <= stale <= 3600:
            problems.append(
                Problem(
                    "stale_after_s",
                    N_("Give a whole number of seconds from {low} to {high}."),
                    {"low": 30, "high": 3600},
                )
            )
        if not stale < drop <= 86400:
            problems.append(
                Problem(
                    "drop_after_s",
                    N_("Give more seconds than for stale, at most {high}."),
                    {"high": 86400},
                )
            )
        if problems:
            raise InvalidInput(N_("The settings were not saved."), problems=problems)
        state = settings_of(db, city)
        state.stale_after_s, state.drop_after_s = stale, drop
        return stale

    return form_action(
        request,
        city,
        db,
        principal,
        permission=FEEDS,
        csrf=csrf,
        change=change,
        done=lambda _s: f"/{city.slug}/staff/transit?saved=settings&lang={lang}#settings",
        refused=_refused(
            request, db, city, {"stale_after_s": stale_after_s, "drop_after_s": drop_after_s}
        ),
    )
