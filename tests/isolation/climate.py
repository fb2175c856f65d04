"""The isolation walk's sample requests for the climate inventory (tests/test_isolation.py).
City A gets an inventory for 2025 with one line; the report is public, the staff's
forms need the manager's session (each sample is refused as bad input: nothing changes)."""

from __future__ import annotations

from typing import Any

from tests.isolation import Case

MADE: dict[str, int] = {}


def climate_world(world: Any) -> None:
    from civitas.cities.service import get_city_by_slug
    from civitas.climate import inventory
    from civitas.core.db import session_scope

    with session_scope() as db:
        city = get_city_by_slug(db, world.slug)
        inventory.open_inventory(db, city, 2025)
        line = inventory.add_activity(
            db,
            city,
            year=2025,
            gpc_ref="II.1.1",
            label="Fleet",
            quantity=100,
            unit="L",
            factor="diesel-mobile",
            source="Fuel cards",
        )
        MADE["line"] = line.id


YEAR = {"year": 2025}
BAD = {"csrf": True}

ROUTES: dict[tuple[str, str], Case] = {
    ("GET", "/{city}/climate"): Case(303, setup=climate_world),
    ("GET", "/{city}/climate/{year}"): Case(200, params=lambda w: YEAR, setup=climate_world),
    ("GET", "/{city}/climate/{year}.{fmt}"): Case(
        200, params=lambda w: {"year": 2025, "fmt": "json"}, setup=climate_world
    ),
    ("GET", "/{city}/staff/climate"): Case(200, auth="cookie", setup=climate_world),
    ("POST", "/{city}/staff/climate/inventories"): Case(
        400, auth="cookie", extra=BAD, request=lambda w: {"data": {"year": "1800"}}
    ),
    ("POST", "/{city}/staff/climate/lines"): Case(
        400,
        auth="cookie",
        extra=BAD,
        request=lambda w: {
            "data": {
                "year": "2025",
                "gpc_ref": "II.1.1",
                "label": "x",
                "quantity": "1",
                "unit": "kWh",
                "factor": "diesel-mobile",
                "source": "s",
            }
        },
        setup=climate_world,
    ),
    ("POST", "/{city}/staff/climate/lines/{line_id}/delete"): Case(
        404, auth="cookie", extra=BAD, params=lambda w: {"line_id": 999999}
    ),
    ("POST", "/{city}/staff/climate/import"): Case(400, auth="cookie", extra=BAD),
    ("POST", "/{city}/staff/climate/derive"): Case(
        404, auth="cookie", extra=BAD, request=lambda w: {"data": {"year": "1999"}}
    ),
    ("POST", "/{city}/staff/climate/notation"): Case(
        400,
        auth="cookie",
        extra=BAD,
        request=lambda w: {"data": {"year": "2025", "gpc_ref": "I.9.9", "key": "NO"}},
        setup=climate_world,
    ),
    ("POST", "/{city}/staff/climate/deposits"): Case(
        400, auth="cookie", extra=BAD, request=lambda w: {"data": {"deposit_year": "1"}}
    ),
    ("POST", "/{city}/staff/climate/factors"): Case(
        400, auth="cookie", extra=BAD, request=lambda w: {"data": {"code": "x", "valid_from": "no"}}
    ),
    ("POST", "/{city}/staff/climate/plan"): Case(
        400, auth="cookie", extra=BAD, request=lambda w: {"data": {"base_year": "1"}}
    ),
}

PUBLIC: set[str] = {"/{city}/climate", "/{city}/climate/{year}", "/{city}/climate/{year}.{fmt}"}
