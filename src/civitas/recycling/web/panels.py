"""What recycling adds to other domains' pages (see civitas.web.plugins.panels)."""

from __future__ import annotations

from typing import Any

from babel.dates import format_date
from fastapi import Request
from markupsafe import Markup
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.core.i18n import locale_for, pick
from civitas.recycling import service as recycling
from civitas.recycling.web.pages import clock, kg_text
from civitas.web.templating import fragment


def pickup_facts(
    request: Request, *, city: City, db: Session, request_id: int, is_open: bool, **_: Any
) -> Markup | None:
    """On a request's status page: the pickup's day, window, arrival and weight, when the
    request is a recycling pickup."""
    pickup = recycling.pickup_of_request(db, city, request_id=request_id)
    if pickup is None:
        return None
    lang = request.state.lang
    names = {m.code: pick(m.name, lang) for m in recycling.materials(db, city, active_only=False)}
    weighed = sum(
        recycling.weights_of(db, city, pickup_ids=[pickup.id]).get(pickup.id, {}).values()
    )
    locale = locale_for(lang, city.country)
    view = {
        "day": format_date(pickup.day, "full", locale=locale),
        "window": f"{clock(pickup.window_start, city)}–{clock(pickup.window_end, city)}",
        "eta": f"{clock(pickup.eta_start, city)}–{clock(pickup.eta_end, city)}"
        if pickup.eta_start
        else "",
        "materials": ", ".join(names.get(c, c) for c in pickup.materials),
        "weighed": kg_text(weighed, locale) if weighed else "",
    }
    return fragment(request, "recycling/_pickup_facts.html", {"pickup": view, "is_open": is_open})
