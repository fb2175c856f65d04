"""Activity lines from CSV: ``year,gpc_ref,label,quantity,unit,factor,source`` and
optionally ``service`` and ``month``. The whole file is checked first, each problem
named ``file:line:column``; nothing is stored unless every line is right."""

from __future__ import annotations

import csv
import io

from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.climate.inventory import check_activity, factors_for, open_inventory
from civitas.climate.models import ActivityLine
from civitas.core.errors import InvalidInput, Problem
from civitas.core.i18n import N_

COLUMNS = ("year", "gpc_ref", "label", "quantity", "unit", "factor", "source")


def import_csv(
    db: Session, city: City, text: str, *, filename: str = "file.csv", by: str = ""
) -> int:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    absent = [c for c in COLUMNS if c not in header]
    if absent:
        raise InvalidInput(
            N_("{file}, line 1: the columns {columns} are missing."),
            problems=[
                Problem(
                    f"{filename}:1",
                    N_("Expected the columns: {columns}."),
                    {"columns": ",".join(COLUMNS)},
                )
            ],
            file=filename,
            columns=", ".join(absent),
        )
    problems: list[Problem] = []
    lines: list[ActivityLine] = []
    factors: dict[int, dict] = {}  # type: ignore[type-arg]
    for number, record in enumerate(reader, start=2):
        where = f"{filename}:{number}:"
        raw_year = (record.get("year") or "").strip()
        if not raw_year.isdigit() or not 1990 <= int(raw_year) <= 2100:
            problems.append(Problem(f"{where}year", N_("Give a year from 1990 to 2100.")))
            continue
        year = int(raw_year)
        if year not in factors:
            factors[year] = factors_for(db, city, year)
        raw_month = (record.get("month") or "").strip()
        month = int(raw_month) if raw_month.isdigit() else None
        if raw_month and month is None:
            problems.append(
                Problem(
                    f"{where}month", N_("Give a month from 1 to 12, or none for the whole year.")
                )
            )
        label = (record.get("label") or "").strip()
        if not label:
            problems.append(Problem(f"{where}label", N_("Say what the activity is.")))
        found = check_activity(
            factors[year],
            gpc_ref=(record.get("gpc_ref") or "").strip(),
            quantity=(record.get("quantity") or "").strip(),
            unit=(record.get("unit") or "").strip(),
            factor=(record.get("factor") or "").strip(),
            source=record.get("source") or "",
            month=month,
            where=where,
        )
        problems.extend(found)
        if not found and label:
            lines.append(
                ActivityLine(
                    tenant_id=city.id,
                    year=year,
                    month=month,
                    gpc_ref=record["gpc_ref"].strip(),
                    label=label[:200],
                    quantity=float(record["quantity"]),
                    unit=record["unit"].strip(),
                    factor=record["factor"].strip(),
                    source=record["source"].strip()[:300],
                    service=(record.get("service") or "").strip() or None,
                    origin="csv",
                    created_by=by,
                )
            )
    if problems:
        raise InvalidInput(
            N_(
                "{file}: nothing was imported; correct these lines and import the whole file again."
            ),
            problems=problems[:20],
            file=filename,
        )
    for year in {line.year for line in lines}:
        open_inventory(db, city, year)
    db.add_all(lines)
    db.flush()
    return len(lines)
