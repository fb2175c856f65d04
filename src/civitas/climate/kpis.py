"""The emissions of the city's own services as KPIs (the dashboard, the sustainable
balanced scorecard): t CO₂e of each service's activity lines in the month (a month's line
whole, a whole year's by its twelfth), under the year's GWP set; a year without an
inventory has no figure."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from civitas.core.i18n import N_
from civitas.core.kpis import Cell, Kpi, Period, register

KPIS = (
    Kpi(
        "climate_services_co2e_t",
        N_("Emissions of the city's services (t CO₂e)"),
        N_(
            "The greenhouse gases of the energy, fuel and vehicles the city's services use in "
            "the month, from the inventory's activity lines (a whole year's line counts a "
            "twelfth), in tonnes of CO₂ equivalent under the inventory's GWP set."
        ),
        "count",
        "down",
        "climate",
        ("all", "service"),
    ),
)


def compute(conn: Connection, city_id: int, period: Period) -> Iterator[Cell]:
    from civitas.cities.models import City
    from civitas.climate import inventory
    from civitas.core.tenancy import bind_city

    year, month = int(period.month[:4]), int(period.month[5:])
    exists = conn.execute(
        text("SELECT 1 FROM climate_inventories WHERE tenant_id = :c AND year = :y"),
        {"c": city_id, "y": year},
    ).first()
    if exists is None:
        return
    with Session(bind=conn) as db:
        bind_city(db, city_id)
        city = db.get(City, city_id)
        if city is None:
            return
        by_service = inventory.service_emissions(db, city, year, month)
    if not by_service:
        return
    yield Cell(
        "climate_services_co2e_t", "all", "", round(sum(by_service.values()), 2), len(by_service)
    )
    for code, value in sorted(by_service.items()):
        yield Cell("climate_services_co2e_t", "service", code, round(value, 2), 1)


register("climate", KPIS, compute)
