"""What of a request may be shown in public: the list and map of reported requests,
Open311 answers, feeds and open data.

Each service says how its requests' place may be shown (``Service.public_location``):

* ``exact``: the point and the address as reported (a broken street lamp);
* ``coarse``: the centre of a grid cell of about 500 m, no address, no description;
* ``never``: no place, no address and no description at all; such requests are left out
  of public lists and maps (a pickup at a resident's home).

Staff, and the reporter through the private link of their request, see everything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

GRID_DEGREES = 0.005  # about 550 m north–south; a cell centre, never the reported point
EXACT, COARSE, NEVER = "exact", "coarse", "never"


def cell(lat: float, lon: float) -> tuple[float, float]:
    """The centre of the grid cell holding a point (rounded to six decimals)."""
    return (
        round((math.floor(lat / GRID_DEGREES) + 0.5) * GRID_DEGREES, 6),
        round((math.floor(lon / GRID_DEGREES) + 0.5) * GRID_DEGREES, 6),
    )


@dataclass(frozen=True)
class PublicPlace:
    """The parts of a request's place and text that may be shown in public."""

    lat: float | None = None
    long: float | None = None
    address: str | None = None
    address_id: str | None = None
    zipcode: str | None = None
    description: str | None = None


class Placed(Protocol):
    """Where a request is and what it says (a ServiceRequest, or a row of a list)."""

    @property
    def lat(self) -> float | None: ...
    @property
    def long(self) -> float | None: ...
    @property
    def address(self) -> str | None: ...
    @property
    def address_id(self) -> str | None: ...
    @property
    def zipcode(self) -> str | None: ...
    @property
    def description(self) -> str | None: ...


def public_place(rule: str, request: Placed) -> PublicPlace:
    if rule == EXACT:
        return PublicPlace(
            request.lat,
            request.long,
            request.address,
            request.address_id,
            request.zipcode,
            request.description,
        )
    if rule == COARSE and request.lat is not None and request.long is not None:
        lat, long = cell(request.lat, request.long)
        return PublicPlace(lat, long)
    return PublicPlace()
