"""The inventory of a city and year: every GPC row with its activity lines, gases and
CO₂e under the inventory's one GWP set, or its notation key; totals for BASIC and
BASIC+ and by scope; the emissions of the city's own services; and the methane its
recycling keeps out of the landfill (a memo item: never subtracted from a total).

Each line is traced: its activity (quantity, unit, the source of the data), its factor
(kg of each gas per unit, dated, with its source) and the GWP set."""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.climate import fod, gpc
from civitas.climate.gwp import DEFAULT, SETS, GwpSet, co2e_t
from civitas.climate.models import ActivityLine, Factor, Inventory, NotationKey, Plan, WasteDeposit
from civitas.core.errors import InvalidInput, NotFound, Problem
from civitas.core.i18n import N_

DEFAULTS = Path(__file__).resolve().parent / "data" / "factors.yaml"
UNITS = ("L", "kg", "t", "m3", "kWh", "MWh", "km", "vehicle-km")
LANDFILL_REF = "III.1.1"


@dataclass(frozen=True)
class FactorInfo:
    code: str
    label: dict[str, str]
    unit: str
    co2: float
    ch4: float
    n2o: float
    fossil_ch4: bool
    grid: bool
    source: str
    valid_from: date
    builtin: bool


@functools.cache
def builtin_factors() -> tuple[FactorInfo, ...]:
    data = yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))
    return tuple(
        FactorInfo(
            code=f["code"],
            label=f["label"],
            unit=f["unit"],
            co2=float(f.get("co2", 0.0)),
            ch4=float(f.get("ch4", 0.0)),
            n2o=float(f.get("n2o", 0.0)),
            fossil_ch4=bool(f.get("fossil_ch4", False)),
            grid=bool(f.get("grid", False)),
            source=f["source"],
            valid_from=f["valid_from"],
            builtin=True,
        )
        for f in data["factors"]
    )


def factors_for(db: Session, city: City, year: int) -> dict[str, FactorInfo]:
    """Every factor code → the factor in force on 1 July of ``year`` (the city's own
    replace Civitas's from their date)."""
    enter_city(db, city)
    mid = date(year, 7, 1)
    found: dict[str, FactorInfo] = {}
    for f in builtin_factors():
        if f.valid_from <= mid and (
            f.code not in found or found[f.code].valid_from <= f.valid_from
        ):
            found[f.code] = f
    for own in db.scalars(select(Factor).order_by(Factor.valid_from)):
        if own.valid_from <= mid and (
            own.code not in found or found[own.code].valid_from <= own.valid_from
        ):
            found[own.code] = FactorInfo(
                own.code,
                {"en": own.label},
                own.unit,
                own.co2,
                own.ch4,
                own.n2o,
                own.fossil_ch4,
                own.grid,
                own.source,
                own.valid_from,
                False,
            )
    return found


def inventory_of(db: Session, city: City, year: int) -> Inventory:
    enter_city(db, city)
    found = db.scalar(select(Inventory).where(Inventory.year == year))
    if found is None:
        raise NotFound(N_("{city} has no inventory for {year}."), city=city.name, year=year)
    return found


def years_of(db: Session, city: City) -> list[int]:
    enter_city(db, city)
    return sorted(db.scalars(select(Inventory.year)))


def open_inventory(
    db: Session, city: City, year: int, *, gwp: str = DEFAULT, climate_zone: str = "tropical_dry"
) -> Inventory:
    """The year's inventory, made when it does not exist yet."""
    enter_city(db, city)
    found = db.scalar(select(Inventory).where(Inventory.year == year))
    if found is None:
        problems = []
        if not 1990 <= year <= 2100:
            problems.append(Problem("year", N_("Give a year from 1990 to 2100.")))
        if gwp not in SETS:
            problems.append(
                Problem("gwp", N_("Choose one of: {choices}."), {"choices": ", ".join(SETS)})
            )
        if climate_zone not in fod.K:
            problems.append(
                Problem(
                    "climate_zone", N_("Choose one of: {choices}."), {"choices": ", ".join(fod.K)}
                )
            )
        if problems:
            raise InvalidInput(N_("The inventory was not made."), problems=problems)
        found = Inventory(tenant_id=city.id, year=year, gwp=gwp, climate_zone=climate_zone)
        db.add(found)
        db.flush()
    return found


# -- entering data ----------------------------------------------------------------------------


def check_activity(
    factors: dict[str, FactorInfo],
    *,
    gpc_ref: str,
    quantity: Any,
    unit: str,
    factor: str,
    source: str,
    month: int | None = None,
    where: str = "",
) -> list[Problem]:
    """Every problem of one activity line, each named by its field (``where`` prefixes
    the field: a CSV file's line)."""
    at = (lambda name: f"{where}{name}") if where else (lambda name: name)
    problems: list[Problem] = []
    row = gpc.BY_REF.get(gpc_ref)
    if row is None:
        problems.append(
            Problem(
                at("gpc_ref"),
                N_("{value} is not a GPC reference such as I.1.2 or II.1.1."),
                {"value": gpc_ref[:20]},
            )
        )
    try:
        value = float(quantity)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or value < 0:
        problems.append(Problem(at("quantity"), N_("Give a number of zero or more.")))
    if unit not in UNITS:
        problems.append(
            Problem(at("unit"), N_("Choose one of: {choices}."), {"choices": ", ".join(UNITS)})
        )
    if not source.strip():
        problems.append(
            Problem(
                at("source"),
                N_("Say where the figure comes from (a meter reading, an invoice, a report)."),
            )
        )
    if month is not None and not 1 <= month <= 12:
        problems.append(
            Problem(at("month"), N_("Give a month from 1 to 12, or none for the whole year."))
        )
    found = factors.get(factor)
    if found is None:
        problems.append(
            Problem(
                at("factor"),
                N_("There is no emission factor {code}: add it with its source first."),
                {"code": factor[:60]},
            )
        )
    else:
        if unit in UNITS and found.unit != unit:
            problems.append(
                Problem(
                    at("unit"),
                    N_("The factor {code} is per {unit}: give the quantity in {unit}."),
                    {"code": found.code, "unit": found.unit},
                )
            )
        if row is not None and found.grid and row.scope != 2:
            problems.append(
                Problem(
                    at("gpc_ref"),
                    N_(
                        "Grid electricity is scope 2: enter it under a row ending in .2 "
                        "(I.1.2, II.1.2 …), so it is counted once."
                    ),
                )
            )
    return problems


def add_activity(
    db: Session,
    city: City,
    *,
    year: int,
    gpc_ref: str,
    label: str,
    quantity: Any,
    unit: str,
    factor: str,
    source: str,
    service: str | None = None,
    month: int | None = None,
    origin: str = "entered",
    by: str = "",
) -> ActivityLine:
    inventory = inventory_of(db, city, year)
    problems = check_activity(
        factors_for(db, city, year),
        gpc_ref=gpc_ref,
        quantity=quantity,
        unit=unit,
        factor=factor,
        source=source,
        month=month,
    )
    if not label.strip():
        problems.append(Problem("label", N_("Say what the activity is.")))
    if problems:
        raise InvalidInput(N_("The line was not added."), problems=problems)
    line = ActivityLine(
        tenant_id=city.id,
        year=inventory.year,
        month=month,
        gpc_ref=gpc_ref,
        label=label.strip()[:200],
        quantity=float(quantity),
        unit=unit,
        factor=factor,
        source=source.strip()[:300],
        service=(service or None),
        origin=origin,
        created_by=by,
    )
    db.add(line)
    db.flush()
    return line


def add_factor(
    db: Session,
    city: City,
    *,
    code: str,
    label: str,
    unit: str,
    co2: Any,
    ch4: Any = 0.0,
    n2o: Any = 0.0,
    source: str,
    valid_from: date,
    grid: bool = False,
) -> Factor:
    enter_city(db, city)
    problems: list[Problem] = []
    if not code.strip() or len(code) > 60:
        problems.append(Problem("code", N_("Give a short code such as grid-2025.")))
    if unit not in UNITS:
        problems.append(
            Problem("unit", N_("Choose one of: {choices}."), {"choices": ", ".join(UNITS)})
        )
    if not source.strip():
        problems.append(
            Problem("source", N_("Give the factor's source (publication, table, year)."))
        )
    values = {}
    for name, raw in (("co2", co2), ("ch4", ch4), ("n2o", n2o)):
        try:
            values[name] = float(raw or 0)
        except (TypeError, ValueError):
            values[name] = math.nan
        if not math.isfinite(values[name]) or values[name] < 0:
            problems.append(Problem(name, N_("Give kilograms per unit, zero or more.")))
    known = {f.code: f for f in builtin_factors()}
    if code in known and unit != known[code].unit:
        problems.append(
            Problem(
                "unit",
                N_("The factor {code} is per {unit}: give the quantity in {unit}."),
                {"code": code, "unit": known[code].unit},
            )
        )
    if problems:
        raise InvalidInput(N_("The factor was not added."), problems=problems)
    factor = Factor(
        tenant_id=city.id,
        code=code.strip(),
        label=label.strip()[:200] or code,
        unit=unit,
        source=source.strip()[:300],
        valid_from=valid_from,
        grid=grid,
        **values,
    )
    db.add(factor)
    db.flush()
    return factor


def set_notation(
    db: Session, city: City, *, year: int, gpc_ref: str, key: str, explanation: str
) -> None:
    inventory_of(db, city, year)
    problems = []
    if gpc_ref not in gpc.BY_REF:
        problems.append(
            Problem(
                "gpc_ref",
                N_("{value} is not a GPC reference such as I.1.2 or II.1.1."),
                {"value": gpc_ref[:20]},
            )
        )
    if key and key not in gpc.NOTATION_KEYS:
        problems.append(
            Problem(
                "key", N_("Choose one of: {choices}."), {"choices": ", ".join(gpc.NOTATION_KEYS)}
            )
        )
    if key in ("IE", "C") and not explanation.strip():
        problems.append(
            Problem("explanation", N_("Say where it is included, or why it is confidential."))
        )
    if problems:
        raise InvalidInput(N_("The notation key was not set."), problems=problems)
    found = db.scalar(
        select(NotationKey).where(NotationKey.year == year, NotationKey.gpc_ref == gpc_ref)
    )
    if not key:
        if found is not None:
            db.delete(found)
        return
    if found is None:
        found = NotationKey(tenant_id=city.id, year=year, gpc_ref=gpc_ref, key=key)
        db.add(found)
    found.key, found.explanation = key, explanation.strip()[:300]
    db.flush()


def set_deposit(
    db: Session, city: City, *, year: int, kind: str, tonnes: float, source: str
) -> None:
    enter_city(db, city)
    problems = []
    if kind not in fod.DOC and kind != "inert":
        problems.append(
            Problem(
                "kind", N_("Choose one of: {choices}."), {"choices": ", ".join([*fod.DOC, "inert"])}
            )
        )
    if not math.isfinite(tonnes) or tonnes < 0:
        problems.append(Problem("tonnes", N_("Give a number of zero or more.")))
    if not source.strip():
        problems.append(
            Problem(
                "source",
                N_("Say where the figure comes from (a meter reading, an invoice, a report)."),
            )
        )
    if problems:
        raise InvalidInput(N_("The tonnage was not saved."), problems=problems)
    found = db.scalar(
        select(WasteDeposit).where(WasteDeposit.year == year, WasteDeposit.kind == kind)
    )
    if found is None:
        found = WasteDeposit(tenant_id=city.id, year=year, kind=kind, tonnes=tonnes, source=source)
        db.add(found)
    found.tonnes, found.source = tonnes, source.strip()[:300]
    db.flush()


# -- the report -------------------------------------------------------------------------------


@dataclass
class Line:
    id: int | None
    ref: str
    label: str
    quantity: float
    unit: str
    source: str
    service: str | None
    origin: str
    factor: FactorInfo | None
    co2_t: float
    ch4_t: float
    n2o_t: float
    co2e_t: float
    method: str = "factor"  # factor | fod


@dataclass
class RowResult:
    row: gpc.Row
    lines: list[Line] = field(default_factory=list)
    notation: tuple[str, str] | None = None
    co2_t: float = 0.0
    ch4_t: float = 0.0
    n2o_t: float = 0.0
    co2e_t: float = 0.0

    @property
    def empty(self) -> bool:
        return not self.lines


@dataclass
class Report:
    city: City
    year: int
    gwp: GwpSet
    rows: list[RowResult]
    totals: dict[str, float]  # BASIC, BASIC+
    by_scope: dict[int, float]
    by_sector: dict[str, float]
    services: dict[str, float]
    memo: dict[str, Any]
    missing: list[str]  # rows with neither a figure nor a notation key

    def row(self, ref: str) -> RowResult:
        return next(r for r in self.rows if r.row.ref == ref)


def report(db: Session, city: City, year: int, *, gwp: str | None = None) -> Report:
    inventory = inventory_of(db, city, year)
    gwp_set = SETS[gwp or inventory.gwp]
    factors = factors_for(db, city, year)
    results = {row.ref: RowResult(row) for row in gpc.ROWS}
    for line in db.scalars(
        select(ActivityLine).where(ActivityLine.year == year).order_by(ActivityLine.id)
    ):
        factor = factors.get(line.factor)
        co2 = ch4 = n2o = 0.0
        if factor is not None:
            co2 = line.quantity * factor.co2 / 1000
            ch4 = line.quantity * factor.ch4 / 1000
            n2o = line.quantity * factor.n2o / 1000
        results[line.gpc_ref].lines.append(
            Line(
                line.id,
                line.gpc_ref,
                line.label,
                line.quantity,
                line.unit,
                line.source,
                line.service,
                line.origin,
                factor,
                co2,
                ch4,
                n2o,
                co2e_t(gwp_set, co2, ch4, n2o, fossil_ch4=bool(factor and factor.fossil_ch4)),
            )
        )
    landfill = landfill_ch4(db, city, inventory)
    if landfill is not None:
        tonnes, source = landfill
        results[LANDFILL_REF].lines.append(
            Line(
                None,
                LANDFILL_REF,
                "Municipal solid waste landfilled (first-order decay)",
                tonnes,
                "t CH4",
                source,
                None,
                "fod",
                None,
                0.0,
                tonnes,
                0.0,
                co2e_t(gwp_set, 0.0, tonnes, 0.0),
                method="fod",
            )
        )
    for key in db.scalars(select(NotationKey).where(NotationKey.year == year)):
        if key.gpc_ref in results:
            results[key.gpc_ref].notation = (key.key, key.explanation)
    totals = {"BASIC": 0.0, "BASIC+": 0.0}
    by_scope: dict[int, float] = defaultdict(float)
    by_sector: dict[str, float] = defaultdict(float)
    services: dict[str, float] = defaultdict(float)
    missing = []
    for result in results.values():
        for done in result.lines:
            result.co2_t += done.co2_t
            result.ch4_t += done.ch4_t
            result.n2o_t += done.n2o_t
            result.co2e_t += done.co2e_t
            if done.service:
                services[done.service] += done.co2e_t
        if result.lines:
            for basis in totals:
                if gpc.in_basis(result.row, basis):
                    totals[basis] += result.co2e_t
            if result.row.basis:
                by_scope[result.row.scope] += result.co2e_t
                by_sector[result.row.sector] += result.co2e_t
        elif result.notation is None and result.row.basis:
            missing.append(result.row.ref)
    return Report(
        city,
        year,
        gwp_set,
        list(results.values()),
        totals,
        dict(by_scope),
        dict(by_sector),
        dict(services),
        recycling_memo(db, city, inventory, gwp_set),
        missing,
    )


def _site(inventory: Inventory) -> fod.Site:
    return fod.Site(inventory.climate_zone, inventory.landfill_mcf, inventory.landfill_ox)


def landfill_ch4(db: Session, city: City, inventory: Inventory) -> tuple[float, str] | None:
    """The year's methane from every year's deposits (first-order decay)."""
    deposits: dict[int, dict[str, float]] = defaultdict(dict)
    sources = set()
    for d in db.scalars(select(WasteDeposit).where(WasteDeposit.year <= inventory.year)):
        deposits[d.year][d.kind] = d.tonnes
        sources.add(d.source)
    if not deposits:
        return None
    series = fod.ch4_series(deposits, range(inventory.year, inventory.year + 1), _site(inventory))
    return series[inventory.year], "; ".join(sorted(sources))


def recycling_memo(
    db: Session, city: City, inventory: Inventory, gwp_set: GwpSet
) -> dict[str, Any]:
    """The methane that the paper, cardboard and cartons the waste pickers collected
    would have given off in a landfill: this year's share by first-order decay, and all
    of it over the years (the recycling domain's monthly figures, when it runs)."""
    from civitas.insight.models import KpiValue

    rows = db.execute(
        select(KpiValue.period, KpiValue.value).where(
            KpiValue.kpi == "recycling_degradable_kg", KpiValue.dimension == "all"
        )
    ).all()
    by_year: dict[int, float] = defaultdict(float)
    for period, value in rows:
        if value is not None and int(period[:4]) <= inventory.year:
            by_year[int(period[:4])] += float(value) / 1000
    if not by_year:
        return {}
    site = _site(inventory)
    deposits = {y: {"paper": t} for y, t in by_year.items()}
    this_year = fod.ch4_series(deposits, range(inventory.year, inventory.year + 1), site)[
        inventory.year
    ]
    committed = fod.committed_ch4({"paper": by_year.get(inventory.year, 0.0)}, site)
    return {
        "diverted_t": round(by_year.get(inventory.year, 0.0), 3),
        "avoided_ch4_t": this_year,
        "avoided_co2e_t": co2e_t(gwp_set, 0, this_year, 0),
        "committed_ch4_t": committed,
        "committed_co2e_t": co2e_t(gwp_set, 0, committed, 0),
    }


def service_emissions(db: Session, city: City, year: int, month: int) -> dict[str, float]:
    """t CO₂e of each service in one month of ``year``: a line of that month whole, a
    whole year's line by its twelfth."""
    inventory = inventory_of(db, city, year)
    gwp_set = SETS[inventory.gwp]
    factors = factors_for(db, city, year)
    out: dict[str, float] = defaultdict(float)
    for line in db.scalars(
        select(ActivityLine).where(ActivityLine.year == year, ActivityLine.service.is_not(None))
    ):
        factor = factors.get(line.factor)
        if factor is None or line.service is None:
            continue
        share = (1.0 if line.month == month else 0.0) if line.month else 1 / 12
        if share == 0:
            continue
        q = line.quantity * share / 1000
        out[line.service] += co2e_t(
            gwp_set, q * factor.co2, q * factor.ch4, q * factor.n2o, fossil_ch4=factor.fossil_ch4
        )
    return dict(out)


# -- activity data Civitas has itself -----------------------------------------------------------

DERIVED = (
    # KPI, GPC row, label, unit, factor, service; the source names the figure in words
    (
        "transit_vehicle_km",
        "II.1.1",
        "Public transport: the network's vehicle-km (from its timetables)",
        "vehicle-km",
        "diesel-bus-km",
        None,
    ),
    (
        "recycling_route_km",
        "II.1.1",
        "Waste pickers' routes (from the day plans)",
        "km",
        "motocarguero-km",
        "recycling-pickup",
    ),
)


SOURCE_WORDS = {
    "transit_vehicle_km": "the monthly vehicle-km of the public transport network",
    "recycling_route_km": "the monthly kilometres of the waste pickers' planned routes",
}


def derive(db: Session, city: City, year: int) -> int:
    """Lines from Civitas's own monthly figures of the year (public transport's
    vehicle-km, the pickers' route kilometres), replacing those derived before."""
    from civitas.catalogue.models import Service
    from civitas.insight.models import KpiValue

    inventory = inventory_of(db, city, year)
    for old in db.scalars(
        select(ActivityLine).where(ActivityLine.year == year, ActivityLine.origin.like("civitas:%"))
    ):
        db.delete(old)
    db.flush()
    services = set(db.scalars(select(Service.code)))
    made = 0
    for kpi, ref, label, unit, factor, service in DERIVED:
        rows = db.execute(
            select(KpiValue.period, KpiValue.value).where(
                KpiValue.kpi == kpi, KpiValue.dimension == "all", KpiValue.period.like(f"{year}-%")
            )
        ).all()
        values = [(p, float(v)) for p, v in rows if v is not None]
        if not values:
            continue
        months = sorted(p for p, _ in values)
        db.add(
            ActivityLine(
                tenant_id=city.id,
                year=inventory.year,
                gpc_ref=ref,
                label=label,
                quantity=round(sum(v for _, v in values), 1),
                unit=unit,
                factor=factor,
                source=f"Civitas: {SOURCE_WORDS[kpi]}, {months[0]} to {months[-1]} "
                f"({len(months)} months)",
                service=service if service in services else None,
                origin=f"civitas:{kpi}",
            )
        )
        made += 1
    db.flush()
    return made


def set_plan(
    db: Session, city: City, *, base_year: int, target_year: int, reduction_pct: float, basis: str
) -> Plan:
    enter_city(db, city)
    problems = []
    if base_year not in years_of(db, city):
        problems.append(Problem("base_year", N_("Choose a year that has an inventory.")))
    if not base_year < target_year <= 2100:
        problems.append(Problem("target_year", N_("Give a year after the base year, up to 2100.")))
    if not math.isfinite(reduction_pct) or not 0 < reduction_pct <= 100:
        problems.append(Problem("reduction_pct", N_("Give a reduction from 1 to 100 %.")))
    if basis not in ("BASIC", "BASIC+"):
        problems.append(
            Problem("basis", N_("Choose one of: {choices}."), {"choices": "BASIC, BASIC+"})
        )
    if problems:
        raise InvalidInput(N_("The target was not saved."), problems=problems)
    found = db.scalar(select(Plan))
    if found is None:
        found = Plan(
            tenant_id=city.id,
            base_year=base_year,
            target_year=target_year,
            reduction_pct=reduction_pct,
            basis=basis,
        )
        db.add(found)
    found.base_year, found.target_year, found.reduction_pct, found.basis = (
        base_year,
        target_year,
        reduction_pct,
        basis,
    )
    db.flush()
    return found


def delete_line(db: Session, city: City, line_id: int) -> None:
    enter_city(db, city)
    found = db.get(ActivityLine, line_id)
    if found is None:
        raise NotFound(N_("There is no such line."))
    db.delete(found)
