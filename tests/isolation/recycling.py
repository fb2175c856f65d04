"""The isolation walk's sample requests for the recycling domain: one per route,
valid with the city's own credentials (tests/test_isolation.py)."""

from __future__ import annotations

from tests.isolation import Case
from tests.isolation.worlds import RECYCLING, recycling_world

ROUTES: dict[tuple[str, str], Case] = {
    # recycling: the picker's phone, the buyer's desk, the programme's back office
    ("GET", "/{city}/picker"): Case(
        200,
        auth="cookie",
        request=lambda w: {"params": {"day": RECYCLING["day"]}},
        setup=lambda w: recycling_world(w),
    ),
    ("POST", "/{city}/picker/stops/{pickup_id}"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        params=lambda w: {"pickup_id": RECYCLING["open_stop"]},
        request=lambda w: {
            "data": {"outcome": "collected", "kg-paper": "3", "client_key": "iso-stop-0001"}
        },
        setup=lambda w: recycling_world(w),
    ),
    ("GET", "/{city}/picker/sw.js"): Case(200, auth="cookie"),
    ("GET", "/api/v1/cities/{city}/recycling/route"): Case(
        200,
        request=lambda w: {"params": {"day": RECYCLING["day"]}},
        setup=lambda w: recycling_world(w),
    ),
    ("POST", "/api/v1/cities/{city}/recycling/stops"): Case(
        200,
        request=lambda w: {
            "json": {
                "pickup_id": RECYCLING["open_stop"],
                "outcome": "not_found",
                "client_key": "iso-api-stop-1",
            }
        },
        setup=lambda w: recycling_world(w),
    ),
    ("POST", "/api/v1/cities/{city}/recycling/plans"): Case(
        202,
        request=lambda w: {"json": {"day": RECYCLING["day"]}},
        setup=lambda w: recycling_world(w),
    ),
    ("GET", "/api/v1/cities/{city}/recycling/plans/{day}"): Case(
        200, params=lambda w: {"day": RECYCLING["day"]}, setup=lambda w: recycling_world(w)
    ),
    ("GET", "/api/v1/cities/{city}/recycling/prices"): Case(
        200, setup=lambda w: recycling_world(w)
    ),
    ("POST", "/api/v1/cities/{city}/recycling/sales"): Case(
        200,
        request=lambda w: {
            "json": {
                "buyer": "reciplast",
                "picker": "rosa",
                "lines": [{"material": "pet", "weight_kg": 1}],
                "client_key": "iso-api-sale-1",
            }
        },
        setup=lambda w: recycling_world(w),
    ),
    ("GET", "/api/v1/cities/{city}/recycling/sales/{sale_id}"): Case(
        200, params=lambda w: {"sale_id": RECYCLING["sale"]}, setup=lambda w: recycling_world(w)
    ),
    ("POST", "/{city}/picker/drop-out"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        request=lambda w: {"data": {"reason": "Ill"}},
        setup=lambda w: recycling_world(w),
    ),
    ("GET", "/{city}/buyer"): Case(200, auth="cookie", setup=lambda w: recycling_world(w)),
    ("POST", "/{city}/buyer/prices"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        request=lambda w: {"data": {"material": "glass", "price": "0.15", "valid_from": ""}},
        setup=lambda w: recycling_world(w),
    ),
    ("POST", "/{city}/buyer/purchases"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        request=lambda w: {
            "data": {"seller": "picker:rosa", "kg-pet": "1", "client_key": "iso-sale-0002"}
        },
        setup=lambda w: recycling_world(w),
    ),
    ("GET", "/{city}/buyer/purchases/{sale_id}"): Case(
        200,
        auth="cookie",
        params=lambda w: {"sale_id": RECYCLING["sale"]},
        setup=lambda w: recycling_world(w),
    ),
    ("GET", "/{city}/staff/recycling"): Case(
        200,
        auth="cookie",
        request=lambda w: {"params": {"day": RECYCLING["day"]}},
        setup=lambda w: recycling_world(w),
    ),
    ("POST", "/{city}/staff/recycling/plan"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        request=lambda w: {"data": {"day": RECYCLING["day"]}},
        setup=lambda w: recycling_world(w),
    ),
    ("POST", "/{city}/staff/recycling/pickers/{code}/drop-out"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        params=lambda w: {"code": "juan"},
        request=lambda w: {"data": {"day": RECYCLING["day"], "reason": "Ill"}},
        setup=lambda w: recycling_world(w),
    ),
    ("GET", "/{city}/staff/recycling/pickers"): Case(
        200, auth="cookie", setup=lambda w: recycling_world(w)
    ),
    ("POST", "/{city}/staff/recycling/pickers"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        request=lambda w: {
            "data": {
                "name": "Iso Picker",
                "code": "iso",
                "document_id": "DNI-98765432",
                "zone": "centro",
                "vehicle": "cart",
                "capacity_kg": "80",
                "working_days": "2",
                "shift_start": "08:00",
                "shift_end": "12:00",
                "home_lat": "-8.11",
                "home_lon": "-79.03",
            }
        },
        setup=lambda w: recycling_world(w),
    ),
    ("POST", "/{city}/staff/recycling/pickers/{code}/status"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        params=lambda w: {"code": "ana"},
        request=lambda w: {"data": {"status": "verified"}},
        setup=lambda w: recycling_world(w),
    ),
    ("GET", "/{city}/staff/recycling/sales"): Case(
        200, auth="cookie", setup=lambda w: recycling_world(w)
    ),
    ("POST", "/{city}/staff/recycling/sales"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        request=lambda w: {
            "data": {
                "buyer": "reciplast",
                "seller": "picker:rosa",
                "kg-pet": "1",
                "client_key": "iso-sale-0003",
            }
        },
        setup=lambda w: recycling_world(w),
    ),
    ("GET", "/{city}/staff/recycling/sales/{sale_id}"): Case(
        200,
        auth="cookie",
        params=lambda w: {"sale_id": RECYCLING["sale"]},
        setup=lambda w: recycling_world(w),
    ),
    ("GET", "/{city}/staff/recycling/pickups/{pickup_id}/photo"): Case(
        200,
        auth="cookie",
        params=lambda w: {"pickup_id": RECYCLING["done_stop"]},
        setup=lambda w: recycling_world(w),
    ),
    ("GET", "/{city}/staff/recycling/figures"): Case(
        200, auth="cookie", setup=lambda w: recycling_world(w)
    ),
}

# routes anyone may call: their anonymous answer may equal the city's own
PUBLIC: set[str] = {"/{city}/picker/sw.js", "/api/v1/cities/{city}/recycling/prices"}
