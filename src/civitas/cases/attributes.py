"""Check a request's attribute values against its service definition (GeoReport v2 datatypes)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from civitas.core.errors import Problem
from civitas.core.i18n import N_

MAX_STRING = 1000
MAX_TEXT = 4000


def _where(code: str) -> str:
    return f"attribute[{code}]"


def _check_one(attr: dict[str, Any], value: Any) -> tuple[Any, Problem | None]:
    code, datatype = attr["code"], attr["datatype"]
    keys = [v["key"] for v in attr.get("values", [])]
    if datatype == "multivaluelist":
        values = value if isinstance(value, list) else [value]
        values = [v for v in values if v != ""]
        unknown = [v for v in values if v not in keys]
        if unknown:
            return None, Problem(
                _where(code),
                N_("'{value}' is not one of the allowed keys: {keys}."),
                {"value": unknown[0], "keys": ", ".join(keys)},
            )
        return values, None
    if isinstance(value, list):
        if len(value) != 1:
            return None, Problem(
                _where(code), N_("Give one value only; this is not a multivaluelist.")
            )
        value = value[0]
    if datatype == "singlevaluelist":
        if value not in keys:
            return None, Problem(
                _where(code),
                N_("'{value}' is not one of the allowed keys: {keys}."),
                {"value": value, "keys": ", ".join(keys)},
            )
        return value, None
    if datatype == "number":
        try:
            number = float(value)
        except ValueError:
            return None, Problem(_where(code), N_("Give a number, e.g. 12 or 3.5."))
        if not math.isfinite(number):
            return None, Problem(_where(code), N_("Give a number, e.g. 12 or 3.5."))
        return number, None
    if datatype == "datetime":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            return None, Problem(
                _where(code),
                N_("Give a date and time as ISO 8601 with offset (2026-11-23T09:30:00-05:00)."),
            )
        return moment.isoformat(), None
    if datatype == "string":
        if "\n" in value or "\r" in value:
            return None, Problem(_where(code), N_("A string has no line breaks; use one line."))
        if len(value) > MAX_STRING:
            return None, Problem(
                _where(code), N_("Use at most {max_length} characters."), {"max_length": MAX_STRING}
            )
        return value, None
    if len(value) > MAX_TEXT:  # text
        return None, Problem(
            _where(code), N_("Use at most {max_length} characters."), {"max_length": MAX_TEXT}
        )
    return value, None


def check_attributes(
    definition: list[dict[str, Any]], given: dict[str, Any]
) -> tuple[dict[str, Any], list[Problem]]:
    """The values to store (typed by datatype) and every problem found."""
    by_code = {a["code"]: a for a in definition}
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for code in given:
        attr = by_code.get(code)
        if attr is None:
            problems.append(
                Problem(_where(code), N_("This service has no attribute '{code}'."), {"code": code})
            )
        elif not attr.get("variable", True):
            problems.append(
                Problem(_where(code), N_("This attribute only informs; it takes no value."))
            )
    for attr in sorted(definition, key=lambda a: a["order"]):
        code = attr["code"]
        raw = given.get(code)
        empty = (
            raw is None
            or raw == ""
            or raw == []
            or (isinstance(raw, list) and all(v == "" for v in raw))
        )
        if empty:
            if attr.get("required") and attr.get("variable", True):
                problems.append(Problem(_where(code), N_("This attribute is required.")))
            continue
        value, problem = _check_one(attr, raw)
        if problem:
            problems.append(problem)
        else:
            values[code] = value
    return values, problems
