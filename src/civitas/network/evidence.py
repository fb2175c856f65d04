"""The measured effect of a practice: a KPI of a city before and after, from the city's
own figures as it publishes them to the network (values resting on fewer than five cases
are left out, as everywhere outside the city's staff). Each window's value is the mean
of its months weighted by their cases; the verdict says plainly when the data is too
thin to tell."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.errors import Problem
from civitas.core.i18n import N_
from civitas.core.kpis import MIN_PUBLISHED_N, Period, catalogue
from civitas.insight.figures import current_month
from civitas.insight.models import KpiValue
from civitas.insight.scorecard import published_kpis

MIN_CASES = 30  # in each window, before a change is called
MIN_MONTHS = 2  # months with a figure in each window
NO_CHANGE = 0.02  # a relative change smaller than this is no change

VERDICTS = {
    "improved": N_("improved"),
    "worsened": N_("worsened"),
    "no_change": N_("no clear change"),
    "changed": N_("changed"),
    "too_thin": N_("too few cases to tell"),
}


@dataclass(frozen=True)
class Windows:
    baseline_from: str
    baseline_to: str
    after_from: str
    after_to: str


@dataclass(frozen=True)
class Effect:
    kpi: str
    unit: str
    better: str
    baseline: float | None
    after: float | None
    change: float | None  # after − baseline
    relative: float | None  # change / baseline
    n_baseline: int
    n_after: int
    months_baseline: int
    months_after: int
    verdict: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def months(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last``, both included."""
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out


def month_problem(value: str, field: str, city: City) -> Problem | None:
    try:
        Period.of(value, city.timezone)
    except ValueError:
        return Problem(field, N_("Write the month as YYYY-MM, e.g. 2026-03."))
    return None


def check(db: Session, city: City, kpi: str, windows: Windows, *, where: str = "") -> list[Problem]:
    """Every problem of a KPI and its windows, each at its field: months that are not
    months, a window that ends before it begins, windows that overlap or are in the wrong
    order, an after window in the future, a KPI the city does not publish."""
    problems: list[Problem] = []
    prefix = f"{where}." if where else ""
    known = catalogue()
    if kpi not in known:
        problems.append(Problem(f"{prefix}kpi", N_("There is no KPI {kpi}."), {"kpi": kpi}))
    elif kpi not in published_kpis(db, city):
        problems.append(
            Problem(
                f"{prefix}kpi",
                N_(
                    "{city} does not publish {kpi} to the network; add it to the "
                    "scorecard's published KPIs first."
                ),
                {"city": city.name, "kpi": kpi},
            )
        )
    fields = {
        "baseline_from": windows.baseline_from,
        "baseline_to": windows.baseline_to,
        "after_from": windows.after_from,
        "after_to": windows.after_to,
    }
    bad = [p for name, value in fields.items() if (p := month_problem(value, prefix + name, city))]
    problems += bad
    if bad:
        return problems
    if windows.baseline_from > windows.baseline_to:
        problems.append(Problem(f"{prefix}baseline_to", N_("The baseline ends before it begins.")))
    if windows.after_from > windows.after_to:
        problems.append(Problem(f"{prefix}after_to", N_("The after period ends before it begins.")))
    if windows.baseline_to >= windows.after_from:
        problems.append(
            Problem(
                f"{prefix}after_from",
                N_(
                    "The periods overlap: the after period must begin after the baseline "
                    "ends ({month})."
                ),
                {"month": windows.baseline_to},
            )
        )
    this_month = current_month(city)
    if windows.after_to > this_month:
        problems.append(
            Problem(
                f"{prefix}after_to",
                N_("The after period lies in the future: it can end with {month} at the latest."),
                {"month": this_month},
            )
        )
    return problems


def _window(db: Session, kpi: str, first: str, last: str) -> tuple[float | None, int, int]:
    rows = db.execute(
        select(KpiValue.value, KpiValue.n, KpiValue.source).where(
            KpiValue.kpi == kpi,
            KpiValue.dimension == "all",
            KpiValue.period.in_(months(first, last)),
        )
    ).all()
    total = weight = 0.0
    cases = used = 0
    for value, n, source in rows:
        if value is None or (source == "computed" and n < MIN_PUBLISHED_N):
            continue  # suppressed outside the city, so left out here too
        w = max(1, n)
        total += value * w
        weight += w
        cases += n
        used += 1
    return (total / weight if weight else None), cases, used


def effect(db: Session, city: City, kpi: str, windows: Windows) -> Effect:
    """The KPI before and after, from the city's figures (call :func:`check` first)."""
    enter_city(db, city)
    found = catalogue()[kpi]
    before, n_before, m_before = _window(db, kpi, windows.baseline_from, windows.baseline_to)
    after, n_after, m_after = _window(db, kpi, windows.after_from, windows.after_to)
    change = relative = None
    if before is not None and after is not None:
        change = after - before
        relative = change / before if before else None
    if (
        change is None
        or n_before < MIN_CASES
        or n_after < MIN_CASES
        or m_before < MIN_MONTHS
        or m_after < MIN_MONTHS
    ):
        verdict = "too_thin"
    elif (relative is not None and abs(relative) < NO_CHANGE) or change == 0:
        verdict = "no_change"
    elif found.better == "none":
        verdict = "changed"
    else:
        verdict = "improved" if (change > 0) == (found.better == "up") else "worsened"
    return Effect(
        kpi=kpi,
        unit=found.unit,
        better=found.better,
        baseline=None if before is None else round(before, 3),
        after=None if after is None else round(after, 3),
        change=None if change is None else round(change, 3),
        relative=None if relative is None else round(relative, 4),
        n_baseline=n_before,
        n_after=n_after,
        months_baseline=m_before,
        months_after=m_after,
        verdict=verdict,
    )


def published_by(db: Session, city: City) -> list[str]:
    """The KPIs ``city`` publishes to the network, read for another city's page (a
    partner's): in a session of its own, bound to that city, as its scorecard is its own."""
    from civitas.core.db import session_scope

    bind = db.get_bind()
    with session_scope(bind if isinstance(bind, Engine) else None) as other:
        found = other.get(City, city.id)
        return [] if found is None else published_kpis(other, found)
