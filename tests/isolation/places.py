"""The isolation walk's sample requests for places: the address search and map API, the
tiles and the administrator's page."""

from __future__ import annotations

from tests.isolation import Case

CSV = b"id,street,number,postcode,district,lat,lon\n"


def _register(w):
    lat, lon = (w.extent[0] + w.extent[2]) / 2, (w.extent[1] + w.extent[3]) / 2
    body = CSV + f"x-1,Iso Street,1,1000,Centre,{lat:.6f},{lon:.6f}\n".encode()
    return {"files": {"file": ("r.csv", body, "text/csv")}}


ROUTES: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/cities/{city}/addresses"): Case(200, request=lambda w: {"params": {"q": "x"}}),
    ("GET", "/api/v1/cities/{city}/addresses/nearest"): Case(
        200,
        request=lambda w: {
            "params": {
                "lat": (w.extent[0] + w.extent[2]) / 2,
                "long": (w.extent[1] + w.extent[3]) / 2,
            }
        },
    ),
    ("GET", "/api/v1/cities/{city}/addresses/{address_id}"): Case(
        200, params=lambda w: {"address_id": f"{w.published.split('-')[0]}-0-1"}
    ),
    ("POST", "/api/v1/cities/{city}/addresses/import"): Case(200, request=_register),
    ("GET", "/api/v1/cities/{city}/map/layers"): Case(200),
    ("GET", "/api/v1/cities/{city}/map/addresses"): Case(
        200,
        request=lambda w: {
            "params": {"bbox": f"{w.extent[0]},{w.extent[1]},{w.extent[2]},{w.extent[3]}"}
        },
    ),
    ("GET", "/{city}/map/tiles/{z}/{x}/{y}"): Case(204, params=lambda w: {"z": 1, "x": 0, "y": 0}),
    ("GET", "/{city}/staff/places"): Case(200, auth="cookie"),
    ("POST", "/{city}/staff/places/addresses"): Case(
        303, auth="cookie", extra={"csrf": True}, request=_register
    ),
    ("POST", "/{city}/staff/places/basemap"): Case(
        303, auth="cookie", extra={"csrf": True}, request=lambda w: {"data": {"kind": "drawn"}}
    ),
}
PUBLIC: set[str] = {
    "/api/v1/cities/{city}/addresses",
    "/api/v1/cities/{city}/addresses/nearest",
    "/api/v1/cities/{city}/addresses/{address_id}",
    "/api/v1/cities/{city}/map/layers",
    "/api/v1/cities/{city}/map/addresses",
    "/{city}/map/tiles/{z}/{x}/{y}",
}
