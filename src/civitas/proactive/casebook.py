"""Rule test cases that policy staff can read and write (YAML), run by the test suite.

Each case names a rule, a date and a person by the values that matter; every other field
takes the baseline below (an adult of 40 living alone, no children, nothing else known).
The expected outcome is ``offer``, ``grant``, ``review`` or ``nothing``, optionally with an
amount. Every case is run through both engines, the scalar one and the vectorised one::

    - name: A 65-year-old is offered the culture pass
      rule: senior-culture-pass
      date: 2026-03-01
      person: {age: 65}
      expect: offer
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import yaml
from pydantic import TypeAdapter

from civitas.proactive.engine import decide, evaluate_frame
from civitas.proactive.expressions import Value
from civitas.proactive.features import COLUMNS, FIELDS
from civitas.proactive.rules import CompiledRule, ParamValue, check_expressions, type_of
from civitas.proactive.schemas import RuleCase, RuleFile

BASELINE: dict[str, Value] = {
    "addressee_id": 1,
    "age": 40,
    "age_days": 40 * 365 + 10,
    "sex": "female",
    "nationality": None,
    "marital_status": "single",
    "district": "Centro",
    "postcode": "10000",
    "parking_zone": None,
    "household_size": 1,
    "household_reference": True,
    "income": None,
    "household_income": None,
    "children_count": 0,
    "youngest_child_age": None,
    "months_in_city": 120,
    "months_at_address": 120,
    "student": False,
    "has_iban": False,
}
_OUTCOME = {"offered": "offer", "granted": "grant", "referred": "review"}
_DTYPES = {"bool": pl.Boolean, "int": pl.Int64, "number": pl.Float64, "text": pl.String}


def _params_on(document: RuleFile, on: date) -> dict[str, ParamValue]:
    out: dict[str, ParamValue] = {}
    for item in document.parameters:
        for entry in sorted(item.values, key=lambda v: v.valid_from):
            if entry.valid_from <= on:
                out[item.name] = ParamValue(
                    item.name,
                    entry.value,
                    entry.valid_from,
                    item.reference,
                    item.url,
                    {str(k): v for k, v in item.label.items()},
                )
    return out


def run_cases(rule_file: str, cases_file: str) -> tuple[int, list[str]]:
    """Run every case; returns how many ran and a sentence for each that failed."""
    document = RuleFile.model_validate(yaml.safe_load(rule_file))
    types = {p.name: type_of(p.values[0].value) for p in document.parameters}
    rules: dict[str, CompiledRule] = {}
    for i, data in enumerate(document.rules):
        eligible, review, amount = check_expressions(data, types)
        rules[data.code] = CompiledRule(i + 1, i + 1, 1, data, eligible, review, amount)
    cases = TypeAdapter(list[RuleCase]).validate_python(yaml.safe_load(cases_file))
    failures = []
    for case in cases:
        failures += _run(case, rules, document)
    return len(cases), failures


def _run(case: RuleCase, rules: dict[str, CompiledRule], document: RuleFile) -> list[str]:
    rule = rules.get(case.rule)
    if rule is None:
        return [f"{case.name}: no rule '{case.rule}' in the file"]
    unknown = sorted(set(case.person) - set(FIELDS))
    if unknown:
        return [f"{case.name}: unknown field(s) {', '.join(unknown)}"]
    values: dict[str, Any] = {**BASELINE, **case.person}
    params = _params_on(document, case.on)
    scalar = decide(rule, 1, values, params, case.on)
    frame = pl.DataFrame(
        [{"person_id": 1, **values}],
        schema={
            "person_id": pl.Int64,
            "addressee_id": pl.Int64,
            **{n: _DTYPES[f.type] for n, f in FIELDS.items()},
        },
    ).select(COLUMNS)
    vector = evaluate_frame(frame, [rule], params, case.on)
    got = {
        "scalar": (_OUTCOME[scalar.status], scalar.amount_minor) if scalar else ("nothing", None),
        "vectorised": (
            (_OUTCOME[vector["status"][0]], vector["amount_minor"][0])
            if len(vector)
            else ("nothing", None)
        ),
    }
    failures = []
    for engine, (outcome, amount) in got.items():
        if outcome != case.expect:
            failures.append(
                f"{case.name}: expected {case.expect}, the {engine} engine gave {outcome}"
            )
        elif case.amount is not None and amount != case.amount:
            failures.append(
                f"{case.name}: expected amount {case.amount}, the {engine} engine gave {amount}"
            )
    return failures
