"""The two engines reach the same decisions; decisions are made exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date

import orjson
import polars as pl
import pytest
from sqlalchemy import delete, func, select

from civitas.cities.service import enter_city
from civitas.core.db import session_scope
from civitas.proactive.engine import decide, evaluate_frame, evaluate_persons, run_batch
from civitas.proactive.features import COLUMNS, person_features, population_features
from civitas.proactive.models import Decision, Payment, Rule, RuleRun
from civitas.proactive.rules import active_rules, parameters_on
from tests.proactive.helpers import with_register, with_rules

ON = date(2026, 11, 20)


@pytest.mark.parametrize("on", [ON, date(2028, 2, 29)])
def test_both_feature_paths_compute_the_same_values(engine, two_cities, on):
    city = with_rules(engine, "musterstadt")
    with_register(engine, city, 1500, seed=3, on=date(2026, 11, 20))
    with engine.connect() as conn:
        frame = population_features(conn, city.id, on)
        assert frame.columns == COLUMNS
        scalar = person_features(conn, city.id, frame["person_id"].to_list(), on)
    assert len(frame) >= 1500
    mismatches = [
        (row["person_id"], name, row[name], scalar[row["person_id"]][name])
        for row in frame.iter_rows(named=True)
        for name in COLUMNS[1:]
        if row[name] != scalar[row["person_id"]][name]
    ]
    assert mismatches == []
    # the register is varied enough for the rules to mean something
    assert frame.filter(pl.col("children_count") >= 3).height > 0
    assert frame["household_income"].null_count() > 0
    assert frame["parking_zone"].null_count() < len(frame)
    assert (frame["addressee_id"] != frame["person_id"]).sum() > 0


def test_event_path_and_batch_reach_identical_decisions(engine, two_cities):
    city = with_rules(engine, "musterstadt")
    with_register(engine, city, 2000, seed=11, on=ON)
    with session_scope(engine) as db:
        enter_city(db, city)
        rules = active_rules(db, city)
        params = parameters_on(db, city, ON)
        conn = db.connection()
        frame = population_features(conn, city.id, ON)
        scalar = person_features(conn, city.id, frame["person_id"].to_list(), ON)
    batch = evaluate_frame(frame, rules, params, ON)
    by_id = {r.rule_id: r for r in rules}
    from_batch = {
        (by_id[row["rule_id"]].code, row["person_id"]): (
            row["status"],
            row["amount_minor"],
            row["addressee_id"],
            orjson.loads(row["explanation"]),
        )
        for row in batch.iter_rows(named=True)
    }
    from_events = {}
    for rule in rules:
        for person_id, values in scalar.items():
            outcome = decide(rule, person_id, values, params, ON)
            if outcome is not None:
                from_events[(rule.code, person_id)] = (
                    outcome.status,
                    outcome.amount_minor,
                    outcome.addressee_id,
                    outcome.explanation,
                )
    assert from_batch == from_events
    kinds = {(code, value[0]) for (code, _), value in from_events.items()}
    # every rule decided something in this register, and some edge cases go to a person
    assert {code for code, _ in kinds} >= {
        "senior-culture-pass",
        "waste-fee-reduction",
        "student-bus-pass",
        "family-pass",
        "library-card-school-start",
        "birth-grant",
    }
    assert ("waste-fee-reduction", "referred") in kinds


def _decisions(db, city):
    enter_city(db, city)
    rows = db.execute(
        select(
            Rule.code,
            Decision.person_id,
            Decision.status,
            Decision.amount_minor,
            Decision.explanation,
        ).join(Rule, Rule.id == Decision.rule_id)
    ).all()
    return {(code, pid): (status, amount, expl) for code, pid, status, amount, expl in rows}


def test_persisted_decisions_are_the_same_by_either_path(engine, two_cities):
    city = with_rules(engine, "musterstadt")
    with_register(engine, city, 800, seed=5, on=ON)
    result = run_batch(engine, city, on=ON)
    with session_scope(engine) as db:
        by_batch = _decisions(db, city)
        # the same register evaluated person by person on the event path, after clearing
        db.execute(delete(Payment))
        db.execute(delete(Decision))
    assert result.created == len(by_batch) > 0
    with session_scope(engine) as db:
        enter_city(db, city)
        ids = sorted(population_features(db.connection(), city.id, ON)["person_id"].to_list())
    for start in range(0, len(ids), 50):
        with session_scope(engine) as db:
            evaluate_persons(db, city, ids[start : start + 50], on=ON, trigger="periodic")
    with session_scope(engine) as db:
        assert _decisions(db, city) == by_batch


def test_a_second_run_creates_nothing(engine, two_cities):
    city = with_rules(engine, "musterstadt")
    with_register(engine, city, 600, seed=9, on=ON)
    first = run_batch(engine, city, on=ON)
    second = run_batch(engine, city, on=ON)
    assert first.created > 0
    assert second.decided == first.decided
    assert second.created == 0
    with session_scope(engine) as db:
        enter_city(db, city)
        assert db.scalar(select(func.count(Decision.id))) == first.created
        grants = int(
            db.scalar(
                select(func.count(Decision.id)).where(
                    Decision.status == "granted", Decision.amount_minor > 0
                )
            )
            or 0
        )
        assert db.scalar(select(func.count(Payment.id))) == grants > 0
        runs = db.scalars(select(RuleRun).order_by(RuleRun.id)).all()
        assert [r.status for r in runs] == ["finished", "finished"]
        assert runs[0].persons == first.persons


CHILD = """
import sys, time
from datetime import date
from civitas.core.db import get_engine, session_scope
from civitas.cities.service import get_city_by_slug
from civitas.proactive.engine import run_batch

def tick(done):
    print(done, flush=True)
    time.sleep(0.5)

with session_scope() as db:
    city = get_city_by_slug(db, "musterstadt")
run_batch(get_engine(), city, on=date(2026, 11, 20), chunk=int(sys.argv[1]), after_chunk=tick)
print("finished", flush=True)
"""


@pytest.mark.slow
def test_a_killed_batch_run_again_ends_with_exactly_the_right_decisions(engine, two_cities):
    city = with_rules(engine, "musterstadt")
    with_register(engine, city, 1200, seed=13, on=ON)
    with session_scope(engine) as db:
        enter_city(db, city)
        rules = active_rules(db, city)
        expected = len(
            evaluate_frame(
                population_features(db.connection(), city.id, ON),
                [r for r in rules if "periodic" in r.data.triggers],
                parameters_on(db, city, ON),
                ON,
            )
        )
    chunk = max(1, expected // 6)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(chunk)],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    assert child.stdout is not None
    seen = [child.stdout.readline().strip() for _ in range(2)]
    child.send_signal(signal.SIGKILL)  # midway, as a power cut or an OOM kill would
    child.wait(timeout=30)
    assert seen == [str(chunk), str(2 * chunk)]
    with session_scope(engine) as db:
        enter_city(db, city)
        partial = db.scalar(select(func.count(Decision.id))) or 0
        assert 2 * chunk <= partial < expected
        assert db.scalar(select(RuleRun.status)) == "running"  # the run did not finish
    again = run_batch(engine, city, on=ON)
    assert again.created == expected - partial
    with session_scope(engine) as db:
        enter_city(db, city)
        assert db.scalar(select(func.count(Decision.id))) == expected
        keys = db.execute(select(Decision.rule_id, Decision.person_id, Decision.period)).all()
        assert len(set(keys)) == expected
        granted = db.scalar(
            select(func.count(Decision.id)).where(
                Decision.status == "granted", Decision.amount_minor > 0
            )
        )
        assert db.scalar(select(func.count(Payment.id))) == granted
        assert db.scalar(select(func.count(func.distinct(Payment.decision_id)))) == granted


def test_a_batch_reads_and_decides_for_its_own_city_only(engine, two_cities):
    city_a = with_rules(engine, "trujillo", "trujillo.yaml")
    city_b = with_rules(engine, "musterstadt")
    with_register(engine, city_a, 300, seed=1, on=ON)
    with_register(engine, city_b, 500, seed=2, on=ON)
    with engine.connect() as conn:
        a = population_features(conn, city_a.id, ON)
        b = population_features(conn, city_b.id, ON)
    assert set(a["person_id"]).isdisjoint(set(b["person_id"]))
    result = run_batch(engine, city_b, on=ON)
    assert result.persons == len(b)
    with session_scope(engine) as db:
        enter_city(db, city_b)
        decided = set(db.scalars(select(Decision.person_id)))
        assert decided
        assert decided <= set(b["person_id"])
    with session_scope(engine) as db:
        enter_city(db, city_a)
        assert db.scalar(select(func.count(Decision.id))) == 0
