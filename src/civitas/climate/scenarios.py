"""What a measure would save, from the inventory's own lines, and the city's target path.

* More recycling: the paper, cardboard and cartons collected grow by a share; the methane
  the extra tonnes would have given off in the landfill over the years is avoided
  (first-order decay's committed emissions).
* Electric buses: a share of the network's bus vehicle-km runs on electricity instead of
  diesel: the diesel line's emissions for that share go, and 1.2 kWh per km from the
  city's grid come instead (its grid factor of the year).
* The target path: a straight line from the base year's total to the target year's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.climate import fod
from civitas.climate.gwp import co2e_t
from civitas.climate.inventory import Report, factors_for, report
from civitas.climate.models import Plan
from civitas.core.i18n import N_

EBUS_KWH_PER_KM = 1.2
SHARES = (25, 50, 100)


@dataclass(frozen=True)
class Scenario:
    code: str
    title: str  # N_()
    share_pct: int
    saving_t: float
    assumption: str  # N_()


def scenarios(db: Session, city: City, found: Report) -> list[Scenario]:
    out: list[Scenario] = []
    diverted = float(found.memo.get("diverted_t") or 0.0)
    if diverted:
        inventory_site = _site(db, city, found)
        for share in SHARES:
            extra = diverted * share / 100
            ch4 = fod.committed_ch4({"paper": extra}, inventory_site)
            out.append(
                Scenario(
                    "recycling",
                    N_("More paper, cardboard and cartons collected"),
                    share,
                    co2e_t(found.gwp, 0, ch4, 0),
                    N_(
                        "The methane the extra tonnes would give off in the landfill over "
                        "the years (first-order decay)."
                    ),
                )
            )
    buses = [
        line
        for r in found.rows
        for line in r.lines
        if line.factor and line.factor.code == "diesel-bus-km"
    ]
    grid = next(
        (f for f in factors_for(db, city, found.year).values() if f.grid and f.unit == "kWh"), None
    )
    if buses and grid is not None:
        km = sum(line.quantity for line in buses)
        diesel = sum(line.co2e_t for line in buses)
        for share in SHARES:
            kwh = km * share / 100 * EBUS_KWH_PER_KM
            power = co2e_t(
                found.gwp, kwh * grid.co2 / 1000, kwh * grid.ch4 / 1000, kwh * grid.n2o / 1000
            )
            out.append(
                Scenario(
                    "electric-buses",
                    N_("Electric buses"),
                    share,
                    diesel * share / 100 - power,
                    N_(
                        "The diesel of that share of the bus kilometres goes; 1.2 kWh a "
                        "kilometre from the grid comes instead."
                    ),
                )
            )
    return out


def _site(db: Session, city: City, found: Report) -> fod.Site:
    from civitas.climate.inventory import _site as site_of
    from civitas.climate.inventory import inventory_of

    return site_of(inventory_of(db, city, found.year))


@dataclass(frozen=True)
class PathPoint:
    year: int
    target_t: float
    actual_t: float | None


def target_path(db: Session, city: City, years: list[int]) -> tuple[Plan | None, list[PathPoint]]:
    plan = db.scalar(select(Plan))
    if plan is None or plan.base_year not in years:
        return plan, []
    base = report(db, city, plan.base_year).totals[plan.basis]
    points = []
    for year in range(plan.base_year, plan.target_year + 1):
        progress = (year - plan.base_year) / max(plan.target_year - plan.base_year, 1)
        target = base * (1 - plan.reduction_pct / 100 * progress)
        # a year not over has partial figures: no point on the path yet
        complete = year in years and year < date.today().year
        actual = report(db, city, year).totals[plan.basis] if complete else None
        points.append(PathPoint(year, target, actual))
    return plan, points
