"""The inventory as rows (the GPC reporting layout: one row per sub-sector and scope,
with the gases, CO₂e, the notation key and the sources) for CSV, JSON, the CLI and the
open data."""

from __future__ import annotations

from typing import Any

import orjson

from civitas.climate import gpc
from civitas.climate.inventory import Report
from civitas.core.opendata import as_csv

FIELDS = [
    "year",
    "gpc_ref",
    "sector",
    "subsector",
    "scope",
    "basis",
    "notation_key",
    "explanation",
    "co2_t",
    "ch4_t",
    "n2o_t",
    "co2e_t",
    "gwp",
    "activities",
    "sources",
    "factors",
]


def _r(value: float) -> float:
    return round(value, 4)


def rows(found: Report) -> list[dict[str, Any]]:
    out = []
    for result in found.rows:
        row = result.row
        out.append(
            {
                "year": found.year,
                "gpc_ref": row.ref,
                "sector": row.sector,
                "subsector": row.subsector,
                "scope": row.scope,
                "basis": row.basis or "reported only",
                "notation_key": None
                if result.lines
                else (result.notation[0] if result.notation else None),
                "explanation": result.notation[1] if result.notation and not result.lines else None,
                "co2_t": _r(result.co2_t) if result.lines else None,
                "ch4_t": _r(result.ch4_t) if result.lines else None,
                "n2o_t": _r(result.n2o_t) if result.lines else None,
                "co2e_t": _r(result.co2e_t) if result.lines else None,
                "gwp": found.gwp.code,
                "activities": " | ".join(
                    f"{line.label}: {line.quantity:g} {line.unit}" for line in result.lines
                ),
                "sources": " | ".join(line.source for line in result.lines),
                "factors": " | ".join(
                    f"{line.factor.code} ({line.factor.source}, from {line.factor.valid_from})"
                    if line.factor
                    else "IPCC 2006 first-order decay"
                    for line in result.lines
                ),
            }
        )
    return out


def as_json(found: Report) -> bytes:
    body = {
        "city": found.city.slug,
        "year": found.year,
        "protocol": "GHG Protocol for Cities (GPC), 2014",
        "gwp": {
            "set": found.gwp.code,
            "ch4": found.gwp.ch4,
            "n2o": found.gwp.n2o,
            "source": found.gwp.source,
        },
        "totals_co2e_t": {k: _r(v) for k, v in found.totals.items()},
        "by_scope_co2e_t": {str(k): _r(v) for k, v in sorted(found.by_scope.items())},
        "by_sector_co2e_t": {k: _r(v) for k, v in sorted(found.by_sector.items())},
        "services_co2e_t": {k: _r(v) for k, v in sorted(found.services.items())},
        "missing": found.missing,
        "memo": {k: _r(v) for k, v in found.memo.items()},
        "rows": rows(found),
        "notation_keys": dict(gpc.NOTATION_KEYS),
    }
    return orjson.dumps(body, option=orjson.OPT_INDENT_2)


def as_text_csv(found: Report) -> str:
    return as_csv(FIELDS, iter(rows(found)))
