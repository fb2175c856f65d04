"""Recycling: the city first, then keyword-only arguments.

A pickup is a service request of the city's recycling service (``Programme.service_code``):
whatever channel files that request (the portal's form, the hotline, an Open311 app, the
chatbot), ``on_case_created`` checks the pickup's own rules in the same transaction and
adds the pickup, so every channel gets the same checks and a refused pickup leaves no
request behind. The request's status follows the pickup: planned → in progress (with the
arrival window as a public note, mailed to the resident), collected → resolved (which
invites to the satisfaction survey, the pickup's rating), not found → rejected.

Its parts: the programme (zones, materials, the city's day), pickers, pickups, stops
and sales, each a module of its own; this module names them all for callers."""

from __future__ import annotations

from civitas.recycling.pickers import (
    get_picker,
    picker_of_user,
    pickers,
    register_picker,
    set_picker_status,
)
from civitas.recycling.pickups import (
    PickupAsk,
    check_pickup,
    contact_of,
    pickup_of_request,
    pickups_of_day,
    requests_of,
)
from civitas.recycling.programme import (
    MAX_DAYS_AHEAD,
    WEEKDAYS,
    WINDOWS,
    associations,
    local_clock,
    materials,
    programme,
    today,
    zone_at,
    zones,
)
from civitas.recycling.sales import (
    Income,
    buyer_of_user,
    buyers,
    current_prices,
    get_sale,
    income,
    record_sale,
    sale_lines,
    sales,
    set_price,
    trace,
    unsold,
)
from civitas.recycling.stops import next_route_day, record_stop, route_of, weights_of

__all__ = [
    "MAX_DAYS_AHEAD",
    "WEEKDAYS",
    "WINDOWS",
    "Income",
    "PickupAsk",
    "associations",
    "buyer_of_user",
    "buyers",
    "check_pickup",
    "contact_of",
    "current_prices",
    "get_picker",
    "get_sale",
    "income",
    "local_clock",
    "materials",
    "next_route_day",
    "picker_of_user",
    "pickers",
    "pickup_of_request",
    "pickups_of_day",
    "programme",
    "record_sale",
    "record_stop",
    "register_picker",
    "requests_of",
    "route_of",
    "sale_lines",
    "sales",
    "set_picker_status",
    "set_price",
    "today",
    "trace",
    "unsold",
    "weights_of",
    "zone_at",
    "zones",
]
