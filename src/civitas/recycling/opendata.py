"""Recycling's open data: what the waste pickers collected, month by month.

Per month (in the city's time zone), zone and material: the kilograms weighed and from how
many pickups. Cells resting on fewer than ``MIN_PUBLISHED_N`` pickups are suppressed, and
nothing names a household, an address or a picker."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.db import utcnow
from civitas.core.i18n import N_
from civitas.core.kpis import MIN_PUBLISHED_N
from civitas.core.opendata import FORMATS, Dataset, as_csv
from civitas.recycling.models import CollectedWeight, Material, Pickup, Zone

DAYS = 365
FIELDS = ["month", "zone", "material", "kg", "pickups", "suppressed"]


def monthly_rows(db: Session, city: City, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """The last twelve months' weights, summed per month, zone and material."""
    enter_city(db, city)
    zone_of_city = ZoneInfo(city.timezone)
    since = (now or utcnow()) - timedelta(days=DAYS)
    grams: dict[tuple[str, str, str], int] = defaultdict(int)
    pickups: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    stmt = (
        select(
            CollectedWeight.collected_at,
            Zone.code,
            Material.code,
            CollectedWeight.weight_g,
            CollectedWeight.pickup_id,
        )
        .join(Pickup, Pickup.id == CollectedWeight.pickup_id)
        .join(Zone, Zone.id == Pickup.zone_id)
        .join(Material, Material.id == CollectedWeight.material_id)
        .where(CollectedWeight.collected_at >= since, CollectedWeight.weight_g > 0)
    )
    for at, zone, material, weight, pickup in db.execute(stmt):
        key = (at.astimezone(zone_of_city).strftime("%Y-%m"), zone, material)
        grams[key] += weight
        pickups[key].add(pickup)
    rows = []
    for key in sorted(grams):
        count = len(pickups[key])
        hidden = count < MIN_PUBLISHED_N
        rows.append(
            {
                "month": key[0],
                "zone": key[1],
                "material": key[2],
                "kg": None if hidden else round(grams[key] / 1000, 1),
                "pickups": None if hidden else count,
                "suppressed": hidden,
            }
        )
    return rows


def _make(db: Session, city: City, fmt: str, base_url: str) -> tuple[str | bytes, str]:
    rows = monthly_rows(db, city)
    if fmt == "csv":
        return as_csv(FIELDS, iter(rows)), "text/csv; charset=utf-8"
    body = {"city": city.slug, "unit": "kg", "figures": rows}
    return orjson.dumps(body, option=orjson.OPT_INDENT_2), FORMATS["json"][1]


def _modified(db: Session, city: City) -> datetime | None:
    enter_city(db, city)
    return db.scalar(select(func.max(CollectedWeight.collected_at)))


DATASETS = (
    Dataset(
        "recycling",
        N_("Recycling: what waste pickers collected"),
        N_(
            "Kilograms of each material the city's waste pickers collected each month in each "
            "zone of the recycling programme, and from how many pickups. Figures resting on "
            "fewer than five pickups are suppressed; nothing names a household or a picker."
        ),
        ("csv", "json"),
        ("recycling", "waste pickers", "circular economy"),
        _make,
        _modified,
    ),
)
