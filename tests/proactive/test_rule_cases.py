"""The demo cities' rule test cases (YAML, readable by policy staff), on both engines."""

from __future__ import annotations

import pytest

from civitas.proactive.casebook import run_cases
from tests.proactive.helpers import DEMO


@pytest.mark.parametrize("city", ["musterstadt", "trujillo"])
def test_the_demo_rule_cases_pass_on_both_engines(city):
    ran, failures = run_cases(
        (DEMO / f"{city}.yaml").read_text(encoding="utf-8"),
        (DEMO / f"{city}.cases.yaml").read_text(encoding="utf-8"),
    )
    assert failures == []
    assert ran >= 8


def test_a_wrong_expectation_is_reported_for_each_engine():
    rules = (DEMO / "musterstadt.yaml").read_text(encoding="utf-8")
    cases = """
- name: Wrongly expects the pass at 60
  rule: senior-culture-pass
  date: 2026-03-01
  person: {age: 60}
  expect: offer
- name: Names a field that does not exist
  rule: senior-culture-pass
  date: 2026-03-01
  person: {agee: 70}
  expect: offer
"""
    ran, failures = run_cases(rules, cases)
    assert ran == 2
    assert failures == [
        "Wrongly expects the pass at 60: expected offer, the scalar engine gave nothing",
        "Wrongly expects the pass at 60: expected offer, the vectorised engine gave nothing",
        "Names a field that does not exist: unknown field(s) agee",
    ]
