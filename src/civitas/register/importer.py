"""Import life events from CSV or Parquet: one event a row, in date order.

Every row is checked first (all problems of form are reported at once); then the events
are applied in order in one transaction. If a row fails, nothing is kept and the whole file
is refused with each reason and its line (CSV) or row (Parquet).

Columns (only ``event_id``, ``type`` and ``date`` are always needed)::

    event_id, type, date, person, partner, register_number, given_names, family_name,
    partner_family_name, birth_date, sex, marital_status, nationality, email, phone,
    language, monthly_income_minor, student, iban, street, number, postcode, district,
    lat, lon, parking_zone, household_with, household, parents (separated by ;)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.core.errors import InvalidInput, Problem
from civitas.core.i18n import N_, NP_
from civitas.core.validation import location, template_for
from civitas.register.schemas import LifeEventIn

COLUMNS = (
    "event_id",
    "type",
    "date",
    "person",
    "partner",
    "register_number",
    "given_names",
    "family_name",
    "partner_family_name",
    "birth_date",
    "sex",
    "marital_status",
    "nationality",
    "email",
    "phone",
    "language",
    "monthly_income_minor",
    "student",
    "iban",
    "street",
    "number",
    "postcode",
    "district",
    "lat",
    "lon",
    "parking_zone",
    "household_with",
    "household",
    "parents",
)
FACTS = ("nationality", "email", "phone", "language", "monthly_income_minor", "student", "iban")
ADDRESS = ("street", "number", "postcode", "district", "lat", "lon", "parking_zone")
MAX_ROWS = 200_000
_EVENT: TypeAdapter[Any] = TypeAdapter(LifeEventIn)


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in row.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        out[key] = value.strip() if isinstance(value, str) else value
    return out


def _pick(row: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {n: row[n] for n in names if n in row}


def to_event(raw: dict[str, Any]) -> dict[str, Any]:
    """A flat row as the nested event the API takes."""
    row = _clean(raw)
    event: dict[str, Any] = {k: row[k] for k in ("event_id", "type", "date") if k in row}
    kind = row.get("type")
    parents = [p.strip() for p in str(row.get("parents", "")).split(";") if p.strip()]
    if kind == "birth":
        event["child"] = _pick(row, ("register_number", "given_names", "family_name", "sex"))
        event["parents"] = parents
    elif kind in ("death", "move_out"):
        event["person"] = row.get("person")
    elif kind == "move_in":
        event["person"] = _pick(
            row,
            (
                "register_number",
                "given_names",
                "family_name",
                "birth_date",
                "sex",
                "marital_status",
                *FACTS,
            ),
        )
        event["address"] = _pick(row, ADDRESS)
        event.update(_pick(row, ("household_with",)))
        event["parents"] = parents
    elif kind == "move_within":
        event["person"] = row.get("person")
        event["address"] = _pick(row, ADDRESS)
        event.update(_pick(row, ("household",)))
    elif kind == "marriage":
        event.update(_pick(row, ("person", "partner", "family_name", "partner_family_name")))
    elif kind == "update":
        event["person"] = row.get("person")
        event["facts"] = _pick(row, FACTS)
    return event


def read_rows(data: bytes, fmt: str) -> list[tuple[str, dict[str, Any]]]:
    """(where, row) pairs: ``line N`` for CSV, ``row N`` for Parquet."""
    if fmt == "parquet":
        import polars as pl

        try:
            frame = pl.read_parquet(io.BytesIO(data))
        except Exception as exc:  # any unreadable file is the same to the person
            raise InvalidInput(
                "The file cannot be read as Parquet: {error}", error=str(exc)[:200]
            ) from None
        _check_columns(frame.columns)
        return [(f"row {i + 1}", row) for i, row in enumerate(frame.iter_rows(named=True))]
    if fmt != "csv":
        raise InvalidInput("Unknown import format '{fmt}'; use csv or parquet.", fmt=fmt)
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    _check_columns(reader.fieldnames or [])
    rows = []
    for row in reader:
        rows.append((f"line {reader.line_num}", dict(row)))
    return rows


def _check_columns(columns: Sequence[str]) -> None:
    unknown = [c for c in columns if c not in COLUMNS]
    missing = [c for c in ("event_id", "type", "date") if c not in columns]
    if unknown or missing:
        problems = [
            Problem("line 1", N_("Unknown column '{column}'."), {"column": c}) for c in unknown
        ]
        problems += [
            Problem("line 1", N_("Missing column '{column}'."), {"column": c}) for c in missing
        ]
        raise InvalidInput("The file's columns are wrong.", problems=problems)


def import_events(
    db: Session,
    city: City,
    *,
    data: bytes,
    fmt: str,
    actor: str,
    apply: Callable[[Session, City, Any], Any],
) -> int:
    """Check every row, then apply them all in the caller's transaction, or refuse the file
    with every problem. ``apply`` applies one event (the flow that also runs the rules)."""
    rows = read_rows(data, fmt)
    if len(rows) > MAX_ROWS:
        raise InvalidInput("The file has more than {max} events; split it.", max=MAX_ROWS)
    problems: list[Problem] = []
    events = []
    for where, row in rows:
        try:
            events.append((where, _EVENT.validate_python(to_event(row))))
        except ValidationError as exc:
            for err in exc.errors():
                template, params = template_for(err)
                loc = [
                    p
                    for p in err["loc"]
                    if p
                    not in (
                        "birth",
                        "death",
                        "move_in",
                        "move_out",
                        "move_within",
                        "marriage",
                        "update",
                    )
                ]
                problems.append(Problem(f"{where}: {location(loc)}", template, params))
    if problems:
        raise InvalidInput(
            NP_(
                "The file has {count} problem; nothing was imported.",
                "The file has {count} problems; nothing was imported.",
            ),
            problems=problems,
            count=len(problems),
        )
    for where, event in events:
        try:
            apply(db, city, event)
        except InvalidInput as exc:
            # the register's own checks depend on the rows before: the first that fails
            # is reported, and the caller's transaction is rolled back whole
            raise InvalidInput(
                NP_(
                    "The file has {count} problem; nothing was imported.",
                    "The file has {count} problems; nothing was imported.",
                ),
                problems=[
                    Problem(f"{where}: {p.location}", p.message, p.params) for p in exc.problems
                ],
                count=len(exc.problems),
            ) from None
    return len(events)
