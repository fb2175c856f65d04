"""The KPI interface: each domain registers the figures it can compute from its own data.

A domain describes its KPIs (:class:`Kpi`) and gives one function that computes a family
of them for a city and a month in a few SQL passes, as :class:`Cell` rows, one per KPI
and breakdown (the whole city, or per service, department or channel). ``insight``
stores the cells, builds the scorecard, the comparison and the open data from them; it
never needs to know where a figure comes from, and the domains never import ``insight``.

Registration happens when the domain's KPI module is imported: its manifest lists it, and
the loader (``civitas.core.plugins``) imports it. A city that turned a domain off has
none of its KPIs (:func:`families_for`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, text

from civitas.core.db import UTCDateTime
from civitas.core.i18n import pick, translate

Unit = Literal["count", "percent", "minutes", "hours", "days", "score", "money"]
Better = Literal["up", "down", "none"]
DIMENSIONS = ("all", "service", "department", "channel")

# cells built on fewer cases than this are suppressed in anything published
MIN_PUBLISHED_N = 5


@dataclass(frozen=True)
class Kpi:
    code: str
    label: str  # an N_() message id, translated where shown
    description: str  # how it is computed, in one sentence (N_())
    unit: Unit
    better: Better  # which way is good: decides green and red on the scorecard
    domain: str
    dimensions: tuple[str, ...] = DIMENSIONS
    # a figure entered by hand carries its own names per language instead of a message id
    names: dict[str, str] | None = field(default=None, compare=False, hash=False)

    def title(self, lang: str) -> str:
        return pick(self.names, lang) if self.names else translate(lang, self.label)


@dataclass(frozen=True)
class Cell:
    kpi: str
    dimension: str  # all | service | department | channel
    key: str  # "" for all, else the service code, department code or channel
    value: float | None  # None: nothing to measure (e.g. no case closed)
    n: int  # how many cases (responses, decisions …) the value rests on


@dataclass(frozen=True)
class Period:
    """A calendar month in the city's time zone, as UTC bounds [start, end)."""

    month: str  # YYYY-MM
    start: datetime
    end: datetime

    @classmethod
    def of(cls, month: str, timezone: str = "UTC") -> Period:
        try:
            first = date.fromisoformat(f"{month}-01")
        except ValueError:
            raise ValueError(
                f"{month!r} is not a month: write it as YYYY-MM, e.g. 2026-10"
            ) from None
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        zone = ZoneInfo(timezone)
        start = datetime(first.year, first.month, 1, tzinfo=zone).astimezone(UTC)
        end = datetime(following.year, following.month, 1, tzinfo=zone).astimezone(UTC)
        return cls(month=first.strftime("%Y-%m"), start=start, end=end)

    def previous(self, timezone: str = "UTC") -> Period:
        first = date.fromisoformat(f"{self.month}-01") - timedelta(days=1)
        return Period.of(first.strftime("%Y-%m"), timezone)


Compute = Callable[[Connection, int, Period], Iterable[Cell]]


@dataclass(frozen=True)
class Family:
    domain: str
    kpis: tuple[Kpi, ...]
    compute: Compute


_families: dict[str, Family] = {}


def register(domain: str, kpis: Iterable[Kpi], compute: Compute) -> None:
    """Register (or re-register, on reload) a domain's KPIs and the function computing them."""
    defined = tuple(kpis)
    taken = {k.code for f in _families.values() if f.domain != domain for k in f.kpis}
    clash = taken & {k.code for k in defined}
    if clash:
        raise ValueError(f"KPI codes registered twice: {sorted(clash)}")
    _families[domain] = Family(domain, defined, compute)


def families(city: Any = None) -> list[Family]:
    """Every registered family; for a city, those of the domains it runs."""
    from civitas.core import plugins

    plugins.domains()  # every installed domain's families are registered (once per process)
    found = [_families[name] for name in sorted(_families)]
    if city is None:
        return found
    return [f for f in found if _serves(plugins, city, f)]


def _serves(plugins: Any, city: Any, family: Family) -> bool:
    owner = plugins.domain_of_module(family.compute.__module__)
    return owner is None or plugins.enabled(city, owner.name)


def catalogue(city: Any = None) -> dict[str, Kpi]:
    """Every registered KPI by code; for a city, those of the domains it runs."""
    return {k.code: k for f in families(city) for k in f.kpis}


def hours_between(dialect: str, later: str, earlier: str) -> str:
    """SQL for the hours from ``earlier`` to ``later`` (two datetime columns)."""
    if dialect == "postgresql":
        # date_part gives double precision; EXTRACT gives numeric, far slower to sort
        return f"(date_part('epoch', {later} - {earlier}) / 3600.0)"
    return f"((julianday({later}) - julianday({earlier})) * 24.0)"


def share(part: str, whole: str) -> str:
    """SQL for a percentage, NULL when the whole is zero."""
    return f"(100.0 * ({part}) / NULLIF({whole}, 0))"


def rows(conn: Connection, sql: str, city_id: int, period: Period, **extra: Any) -> list[Any]:
    """Run a KPI query with ``:city``, ``:start`` and ``:end`` (and ``extra``) bound."""
    bounds = [n for n in ("start", "end") if f":{n}" in sql]
    stmt = text(sql).bindparams(*(bindparam(n, type_=UTCDateTime()) for n in bounds))
    params = {"city": city_id, **{n: getattr(period, n) for n in bounds}, **extra}
    return list(conn.execute(stmt, params))


def breakdown_sql(
    dialect: str,
    inner: str,
    dims: dict[str, str],
    aggregates: list[str],
    percentiles: list[tuple[str, str, float]] | None = None,
) -> str:
    """One statement giving a family's aggregates for the whole city and per breakdown,
    as rows of (dimension, k, aggregates…).

    ``inner`` selects one row per case, with a non-null column per breakdown (``dims``:
    dimension → column). ``percentiles`` are (alias, column, p), nearest rank: the
    smallest value with at least p of the values at or below it (NULLs left out).

    PostgreSQL computes every breakdown in one scan (GROUPING SETS, percentile_disc);
    SQLite, which has neither, unions one grouping per breakdown and ranks with window
    functions. Both give the same figures; the tests run on both."""
    pcts = percentiles or []
    if dialect == "postgresql":
        dimension = " ".join(f"WHEN GROUPING({c}) = 0 THEN '{d}'" for d, c in dims.items())
        key = " ".join(f"WHEN GROUPING({c}) = 0 THEN CAST({c} AS VARCHAR)" for c in dims.values())
        # one sort a column for all its percentiles: percentile_disc over an array
        by_column: dict[str, list[tuple[str, float]]] = {}
        for a, c, p in pcts:
            by_column.setdefault(c, []).append((a, p))
        ranked = [
            f"percentile_disc(ARRAY[{', '.join(str(p) for _, p in wanted)}]) "
            f"WITHIN GROUP (ORDER BY {c}) AS pct_{i}"
            for i, (c, wanted) in enumerate(by_column.items())
        ]
        unpacked = [
            f"pct_{i}[{j + 1}] AS {a}"
            for i, wanted in enumerate(by_column.values())
            for j, (a, _) in enumerate(wanted)
        ]
        sets = ", ".join(["()", *(f"({c})" for c in dims.values())])
        columns = ", ".join([*aggregates, *ranked])
        grouped = (
            f"SELECT CASE {dimension} ELSE 'all' END AS dimension, "  # noqa: S608 - our names
            f"CASE {key} ELSE '' END AS k, {columns} "
            f"FROM ({inner}) AS t GROUP BY GROUPING SETS ({sets}) "
            "HAVING COUNT(*) > 0"  # the grand total of nothing is no row, as in SQLite
        )
        if not unpacked:
            return grouped
        return f"SELECT g.*, {', '.join(unpacked)} FROM ({grouped}) AS g"  # noqa: S608
    ranked_columns = sorted({c for _, c, _ in pcts})
    parts = []
    for d, c in {"all": "''", **dims}.items():
        windows = ", ".join(
            f"ROW_NUMBER() OVER (PARTITION BY {c}, {v} IS NULL ORDER BY {v}) AS rn_{i}, "
            f"COUNT({v}) OVER (PARTITION BY {c}) AS cnt_{i}"
            for i, v in enumerate(ranked_columns)
        )
        ranked = [
            f"MIN({v}) FILTER (WHERE {v} IS NOT NULL AND rn_{ranked_columns.index(v)} >= "
            f"{p} * cnt_{ranked_columns.index(v)}) AS {a}"
            for a, v, p in pcts
        ]
        source = f"(SELECT t.*, {windows} FROM t)" if windows else "t"  # noqa: S608
        columns = ", ".join([*aggregates, *ranked])
        parts.append(
            f"SELECT '{d}' AS dimension, CAST({c} AS VARCHAR) AS k, {columns} "  # noqa: S608
            f"FROM {source} AS w GROUP BY 2"
        )
    # the cases are read once, not once a breakdown
    return f"WITH t AS MATERIALIZED ({inner}) " + " UNION ALL ".join(parts)


def names(conn: Connection, city_id: int) -> dict[str, dict[str, str]]:
    """Breakdown keys as the queries give them (ids, for speed) → the codes shown."""
    services = conn.execute(
        text("SELECT id, code FROM services WHERE tenant_id = :city"), {"city": city_id}
    )
    departments = conn.execute(
        text("SELECT id, code FROM departments WHERE tenant_id = :city"), {"city": city_id}
    )
    return {
        "service": {str(i): c for i, c in services},
        "department": {str(i): c for i, c in departments},
    }


def key_of(lookup: dict[str, dict[str, str]], dimension: str, key: object) -> str:
    text_key = "" if key is None else str(key)
    return lookup.get(dimension, {}).get(text_key, text_key if dimension == "channel" else "")
