"""The demo's inventories: both cities for 2023, 2024 and 2025 (complete years), with the
sources of every figure, notation keys where there is none, the landfill's history for
first-order decay, one factor of the city's own (Musterstadt's supplier mix from 2024),
a target, and 2026 under way with the lines Civitas takes from its own figures (public
transport's vehicle-km, the waste pickers' routes). The data are in
``demo_data/inventories.yaml``: plausible orders of magnitude, not official statistics."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.climate import inventory
from civitas.climate.models import Inventory
from civitas.core.config import Settings

DATA = Path(__file__).resolve().parent / "demo_data" / "inventories.yaml"
YEARS = (2023, 2024, 2025)
UNDER_WAY = 2026
ACTOR = "system:demo"
POPULATION = {"trujillo": 1_050_000, "musterstadt": 605_000}


def load(db: Session, city: City, settings: Settings, password: str) -> list[str]:
    enter_city(db, city)
    data: dict[str, Any] = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    mine = data.get(city.slug)
    if mine is None:
        if "climate" not in city.disabled_domains:
            city.disabled_domains = [*city.disabled_domains, "climate"]
        return ["  climate:         turned off (no inventory in this city)"]
    if db.scalar(select(Inventory.id).limit(1)) is not None:
        return ["  climate:         inventories already there"]
    landfill = mine["landfill"]
    for n, year in enumerate(range(landfill["from"], landfill["to"] + 1)):
        tonnes = landfill["tonnes"] * (1 + landfill["growth"]) ** n
        for kind, share in landfill["shares"].items():
            inventory.set_deposit(
                db,
                city,
                year=year,
                kind=kind,
                tonnes=round(tonnes * share),
                source=landfill["source"],
            )
    if city.slug == "musterstadt":
        inventory.add_factor(
            db,
            city,
            code="grid-de",
            label="Electricity, the Stadtwerke's supply mix",
            unit="kWh",
            co2=0.35,
            source="Stadtwerke, electricity labelling 2024 "
            "(demo; replace with the real disclosure)",
            valid_from=date(2024, 1, 1),
            grid=True,
        )
    site = mine["site"]
    lines = 0
    for n, year in enumerate((*YEARS, UNDER_WAY)):
        found = inventory.open_inventory(
            db, city, year, gwp="AR5", climate_zone=site["climate_zone"]
        )
        found.landfill_mcf, found.landfill_ox = site["mcf"], site["ox"]
        found.population = POPULATION.get(city.slug)
        if year == UNDER_WAY:
            lines += inventory.derive(db, city, year)
            continue
        for line in mine["lines"]:
            inventory.add_activity(
                db,
                city,
                year=year,
                gpc_ref=line["gpc_ref"],
                label=line["label"],
                quantity=round(line["quantity"] * (1 + line["growth"]) ** n),
                unit=line["unit"],
                factor=line["factor"],
                source=line["source"],
                service=line["service"],
                by=ACTOR,
            )
            lines += 1
        for key in mine["notation_keys"]:
            inventory.set_notation(
                db,
                city,
                year=year,
                gpc_ref=key["gpc_ref"],
                key=key["key"],
                explanation=key["explanation"],
            )
    reduction = 30 if city.slug == "trujillo" else 40
    inventory.set_plan(
        db, city, base_year=YEARS[0], target_year=2030, reduction_pct=reduction, basis="BASIC"
    )
    # the services' monthly emissions as KPIs, for the months the dashboard shows
    from civitas.insight.figures import current_month, months_back
    from civitas.insight.service import refresh_figures

    refresh_figures(db, city, months_back(city, current_month(city), 13), actor=ACTOR)
    latest = inventory.report(db, city, YEARS[-1])
    return [
        f"  climate:         GPC inventories {YEARS[0]}–{YEARS[-1]} and {UNDER_WAY} under way "
        f"({lines} lines); {YEARS[-1]}: BASIC {latest.totals['BASIC'] / 1000:,.0f} kt CO2e, "
        f"BASIC+ {latest.totals['BASIC+'] / 1000:,.0f} kt"
    ]
