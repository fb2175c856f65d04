"""Proactive services benchmark: the full batch over a synthetic population, on SQLite and
PostgreSQL, and the same rules on the same population evaluated by OpenFisca-core.

For each database: a fresh database is migrated, Musterstadt's 11 rules and their dated
parameters are saved, and a synthetic register of N persons (realistic ages and households,
see civitas.register.synthetic) is loaded in bulk. Then the full batch runs in a child
process, as `civitas proactive run` would: load the population from the database, derive
the values, evaluate every rule, write the decisions with their explanations and payments.
Its wall time (batch_s) and the child's peak resident memory (peak_mb) are measured.

Rule evaluation alone (eval_s) is timed on the population frame the batch reads: every rule
as one Polars expression, with outcome, amount and the JSON explanation of each decision.
OpenFisca-core evaluates the same 11 rules (same conditions, same dated parameters) on the
same values as NumPy formulas (openfisca_eval_s); both must find the same persons eligible.

Then 300 life events are applied one by one, each in its own transaction as the API does:
the change to the register, then the rules it triggers for the persons it touched with
their decisions, payments and notices (rules_p50_ms, rules_p99_ms: this second part, the
event-triggered rule path), and the whole event with its commit (event_p50_ms,
event_p99_ms).

Run: .venv/bin/python bench/proactive.py --persons 1000000
     [--databases sqlite,postgresql] [--no-openfisca] [--events 300]
Needs the bench extra for OpenFisca: pip install -e '.[bench]'.
Ends with one line: RESULT persons=… batch_s=… peak_mb=… eval_s=… openfisca_eval_s=…
ratio_vs_openfisca=…
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from harness import child_json, database, figure_line

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "src" / "civitas" / "proactive" / "demo" / "musterstadt.yaml"
ON = date(2026, 11, 20)


def _prepare(url: str, persons: int) -> dict[str, float]:
    """Migrate, create the city with its rules, load the register. Returns timings."""
    os.environ["CIVITAS_DATABASE_URL"] = url
    from civitas.cities.service import create_city
    from civitas.core.db import engine_for, session_scope
    from civitas.core.migrate import upgrade
    from civitas.demo import DEMO_CITIES
    from civitas.proactive.rules import save_rule_file
    from civitas.register import synthetic

    engine = engine_for(url)
    upgrade(engine)
    with session_scope(engine) as db:
        city = create_city(db, DEMO_CITIES[1])
        save_rule_file(db, city, text=RULES.read_text(encoding="utf-8"), actor="bench")
        city_id = city.id
    started = time.perf_counter()
    register = synthetic.generate(persons, seed=2026, on=ON, start_id=1)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    synthetic.load(engine, city_id, register)
    loaded = time.perf_counter() - started
    engine.dispose()
    return {"generate_s": generated, "load_s": loaded, "persons": len(register.persons)}


def _child(url: str) -> None:
    """The batch, alone in this process (so its peak memory is its own)."""
    os.environ["CIVITAS_DATABASE_URL"] = url
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import engine_for, session_scope
    from civitas.proactive.engine import run_batch
    from civitas.proactive.rules import list_rules

    engine = engine_for(url)
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "musterstadt")
        codes = [r.code for r, _ in list_rules(db, city)]
    started = time.perf_counter()
    result = run_batch(engine, city, on=ON, codes=codes, actor="bench")
    total = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "batch_s": total,
                "peak_mb": peak_kb / 1024,
                "persons": result.persons,
                "decisions": result.decided,
                "created": result.created,
                "rules": len(codes),
                **{f"{k}_s": v for k, v in result.seconds.items()},
            }
        )
    )


def _event_latency(url: str, events: int) -> dict[str, float]:
    """Life events on the loaded register, one transaction each as the API applies them:
    the change, the rules it triggers for the persons touched, their decisions and notices.
    A third each: a new income (update), a move into a parking zone, a birth."""
    import random

    from pydantic import TypeAdapter
    from sqlalchemy import text

    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import engine_for, session_scope
    from civitas.proactive.engine import evaluate_persons
    from civitas.register.schemas import LifeEventIn
    from civitas.register.service import record_event

    engine = engine_for(url)
    adapter: TypeAdapter[Any] = TypeAdapter(LifeEventIn)
    with engine.connect() as conn:
        numbers = [
            row[0]
            for row in conn.execute(
                text(
                    "SELECT p.register_number FROM register_persons p "
                    "JOIN register_person_states s ON s.person_id = p.id AND s.valid_to IS NULL "
                    "WHERE p.birth_date BETWEEN '1975-01-01' AND '2000-01-01' LIMIT :n"
                ),
                {"n": events * 20},
            )
        ]
    rng = random.Random(7)
    chosen = rng.sample(numbers, min(events, len(numbers)))
    day = "2026-11-21"
    timings: list[float] = []
    rules: list[float] = []
    for i, number in enumerate(chosen):
        kind = i % 3
        if kind == 0:
            raw: dict[str, Any] = {
                "type": "update",
                "person": number,
                "facts": {"monthly_income_minor": 90000 + i},
            }
        elif kind == 1:
            raw = {
                "type": "move_within",
                "person": number,
                "household": "keep",
                "address": {
                    "street": "Bench Street",
                    "number": str(i),
                    "postcode": "10000",
                    "parking_zone": "A",
                },
            }
        else:
            raw = {
                "type": "birth",
                "parents": [number],
                "child": {"given_names": "Bench", "family_name": "Baby", "sex": "female"},
            }
        event = adapter.validate_python({"event_id": f"bench-{i}", "date": day, **raw})
        # what flows.receive_event does, timed in its two parts
        started = time.perf_counter()
        with session_scope(engine) as db:
            city = get_city_by_slug(db, "musterstadt")
            applied = record_event(db, city, event, source="bench", actor="bench")
            evaluating = time.perf_counter()
            evaluate_persons(db, city, applied.persons, on=event.date, trigger=event.type)
            rules.append((time.perf_counter() - evaluating) * 1000)
        timings.append((time.perf_counter() - started) * 1000)

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))]

    return {
        "rules_p50_ms": pct(rules, 0.5),
        "rules_p99_ms": pct(rules, 0.99),
        "event_p50_ms": pct(timings, 0.5),
        "event_p99_ms": pct(timings, 0.99),
    }


# -- rule evaluation: ours and OpenFisca's, on the same frame ------------------------------


def _frame_and_rules(url: str) -> tuple[Any, Any, Any]:
    os.environ["CIVITAS_DATABASE_URL"] = url
    from civitas.cities.service import enter_city, get_city_by_slug
    from civitas.core.db import engine_for, session_scope
    from civitas.proactive.features import population_features
    from civitas.proactive.rules import active_rules, parameters_on

    with session_scope(engine_for(url)) as db:
        city = enter_city(db, get_city_by_slug(db, "musterstadt"))
        rules = active_rules(db, city)
        params = parameters_on(db, city, ON)
        frame = population_features(db.connection(), city.id, ON)
    return frame, rules, params


def _ours(
    frame: Any, rules: Any, params: Any, repeat: int = 5
) -> tuple[float, float, dict[str, int]]:
    """Best-of timings: the rule evaluation (outcomes and amounts of every rule for
    everyone), and building the decision rows with their explanations from it."""
    from civitas.proactive.engine import evaluate_frame, evaluate_outcomes

    best = best_rows = float("inf")
    outcomes = None
    for _ in range(repeat):
        started = time.perf_counter()
        outcomes = evaluate_outcomes(frame, rules, params)
        best = min(best, time.perf_counter() - started)
        started = time.perf_counter()
        evaluate_frame(frame, rules, params, ON, outcomes=outcomes)
        best_rows = min(best_rows, time.perf_counter() - started)
    assert outcomes is not None
    counts = {r.code: int(outcomes[f"e{i}"].fill_null(False).sum()) for i, r in enumerate(rules)}
    return best, best_rows, counts


def _openfisca(frame: Any, repeat: int = 5) -> tuple[float, dict[str, int]]:
    """The 11 rules as an OpenFisca tax-benefit system over the same values."""
    import numpy as np
    import yaml
    from openfisca_core.entities import build_entity
    from openfisca_core.parameters import ParameterNode
    from openfisca_core.periods import MONTH
    from openfisca_core.simulation_builder import SimulationBuilder
    from openfisca_core.taxbenefitsystems import TaxBenefitSystem
    from openfisca_core.variables import Variable

    person = build_entity(key="person", plural="persons", label="Person", is_person=True)

    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    tree: dict[str, Any] = {}
    for item in document["parameters"]:
        head, leaf = item["name"].split(".", 1)
        tree.setdefault(head, {})[leaf] = {
            "values": {str(v["from"]): {"value": v["value"]} for v in item["values"]}
        }

    def variable(name: str, kind: type, formula: Any = None) -> type:
        attrs: dict[str, Any] = {
            "value_type": kind,
            "entity": person,
            "definition_period": MONTH,
            "label": name,
        }
        if kind is float:
            attrs["default_value"] = float("nan")
        if formula is not None:
            attrs["formula"] = formula
        return type(name, (Variable,), attrs)

    inputs = {
        "age": int,
        "age_days": int,
        "household_size": int,
        "children_count": int,
        "months_in_city": int,
        "months_at_address": int,
        "household_income": float,
        "household_reference": bool,
        "student": bool,
        "has_parking_zone": bool,
    }

    def limit(p: Any, person_: Any, period: Any) -> Any:
        size = person_("household_size", period)
        return p.waste_fee.income_limit + p.waste_fee.income_per_person * (size - 1)

    formulas: dict[str, Any] = {
        "resident_parking_permit": lambda pe, period, ps: (
            pe("has_parking_zone", period)
            * (pe("age", period) >= 18)
            * (pe("months_at_address", period) < 2)
        ),
        "birth_grant": lambda pe, period, ps: (
            pe("age_days", period) <= ps(period).birth_grant.claim_days
        ),
        "senior_culture_pass": lambda pe, period, ps: (
            pe("age", period) >= ps(period).senior_pass.min_age
        ),
        "library_card_school_start": lambda pe, period, ps: (
            pe("age", period) == ps(period).library_card.school_age
        ),
        "waste_fee_reduction": lambda pe, period, ps: (
            pe("household_reference", period)
            * (pe("household_income", period) <= limit(ps(period), pe, period))
        ),
        "student_bus_pass": lambda pe, period, ps: (
            pe("student", period)
            * (pe("age", period) >= 16)
            * (pe("age", period) < ps(period).student_pass.max_age)
        ),
        "family_pass": lambda pe, period, ps: (
            pe("children_count", period) >= ps(period).family_pass.min_children
        ),
        "welcome_package": lambda pe, period, ps: (
            (pe("months_in_city", period) < ps(period).welcome.window_months)
            * (pe("age", period) >= 18)
        ),
        "school_starter_kit": lambda pe, period, ps: (
            (pe("age", period) == ps(period).library_card.school_age)
            * (pe("household_income", period) <= limit(ps(period), pe, period))
        ),
        "senior_heating_allowance": lambda pe, period, ps: (
            (pe("age", period) >= ps(period).heating.min_age)
            * pe("household_reference", period)
            * (pe("household_income", period) <= limit(ps(period), pe, period))
        ),
        "single_parent_relief": lambda pe, period, ps: (
            (pe("children_count", period) >= ps(period).single_parent.min_children)
            * (pe("household_size", period) == pe("children_count", period) + 1)
            * (pe("age", period) >= 18)
        ),
    }

    # the review conditions and the amounts, as Civitas evaluates them too
    extra: dict[str, tuple[type, Any]] = {
        "waste_fee_reduction_review": (
            bool,
            lambda pe, period, ps: (
                pe("household_reference", period)
                * (pe("household_income", period) <= limit(ps(period), pe, period) * 11 / 10)
            ),
        ),
        "resident_parking_permit_amount": (
            int,
            lambda pe, period, ps: ps(period).parking.fee * pe("resident_parking_permit", period),
        ),
        "birth_grant_amount": (
            int,
            lambda pe, period, ps: ps(period).birth_grant.amount * pe("birth_grant", period),
        ),
        "waste_fee_reduction_amount": (
            int,
            lambda pe, period, ps: (
                ps(period).waste_fee.reduction * pe("waste_fee_reduction", period)
            ),
        ),
        "school_starter_kit_amount": (
            int,
            lambda pe, period, ps: ps(period).school_kit.amount * pe("school_starter_kit", period),
        ),
        "senior_heating_allowance_amount": (
            int,
            lambda pe, period, ps: (
                ps(period).heating.amount * pe("senior_heating_allowance", period)
            ),
        ),
    }

    class Rules(TaxBenefitSystem):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__([person])
            for name, kind in inputs.items():
                self.add_variable(variable(name, kind))
            for name, formula in formulas.items():
                self.add_variable(variable(name, bool, formula))
            for name, (kind, formula) in extra.items():
                self.add_variable(variable(name, kind, formula))
            self.parameters = ParameterNode("", data=tree)

    system = Rules()
    arrays = {
        "age": frame["age"].to_numpy(),
        "age_days": frame["age_days"].to_numpy(),
        "household_size": frame["household_size"].to_numpy(),
        "children_count": frame["children_count"].to_numpy(),
        "months_in_city": frame["months_in_city"].to_numpy(),
        "months_at_address": frame["months_at_address"].to_numpy(),
        "household_income": frame["household_income"]
        .cast(float)
        .fill_null(float("nan"))
        .to_numpy(),
        "household_reference": frame["household_reference"].to_numpy(),
        "student": frame["student"].to_numpy(),
        "has_parking_zone": frame["parking_zone"].is_not_null().to_numpy(),
    }
    period = f"{ON.year}-{ON.month:02d}"
    best = float("inf")
    counts: dict[str, int] = {}
    for _ in range(repeat):
        simulation = SimulationBuilder().build_default_simulation(system, len(frame))
        for name, values in arrays.items():
            simulation.set_input(name, period, values)
        started = time.perf_counter()
        results = {name: simulation.calculate(name, period) for name in formulas}
        for name in extra:
            simulation.calculate(name, period)
        best = min(best, time.perf_counter() - started)
        counts = {name.replace("_", "-"): int(np.count_nonzero(v)) for name, v in results.items()}
    return best, counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--no-openfisca", action="store_true")
    parser.add_argument("--events", type=int, default=300, help="life events timed one by one")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return
    figures: dict[str, dict[str, Any]] = {}
    tmp = Path(tempfile.mkdtemp(prefix="civitas-bench-"))
    sqlite_url = None
    for kind in args.databases.split(","):
        with database(kind, tmp, "proactive.db") as url:
            if kind == "sqlite":
                sqlite_url = url
            prepared = _prepare(url, args.persons)
            batch = child_json(__file__, url)
            latency = _event_latency(url, args.events)
            figures[kind] = {**prepared, **batch, **latency}
        print(figure_line(kind, figures[kind]), flush=True)
    # rule evaluation, ours and OpenFisca's, on the SQLite population (or the last database)
    eval_url = sqlite_url or url
    if eval_url.startswith("postgresql"):
        raise SystemExit("evaluation needs the SQLite database; include sqlite in --databases")
    frame, rules, params = _frame_and_rules(eval_url)
    eval_s, rows_s, ours = _ours(frame, rules, params)
    print(
        f"ours       eval_s={eval_s:.3f} explain_s={rows_s:.3f} rules={len(rules)} "
        f"eligible={sum(ours.values())}"
    )
    of_s: float | None = None
    if not args.no_openfisca:
        of_s, theirs = _openfisca(frame)
        print(f"openfisca  eval_s={of_s:.3f} eligible={sum(theirs.values())}")
        differ = {k: (ours.get(k, 0), v) for k, v in theirs.items() if ours.get(k, 0) != v}
        if differ:
            raise SystemExit(f"OpenFisca and Civitas disagree (ours, theirs): {differ}")
        print("same persons eligible for every rule in both")
    shutil.rmtree(tmp, ignore_errors=True)  # the SQLite file of a million is 750 MB
    main_kind = "sqlite" if "sqlite" in figures else next(iter(figures))
    result = {
        "persons": figures[main_kind]["persons"],
        "rules": figures[main_kind]["rules"],
        "batch_s": round(figures[main_kind]["batch_s"], 2),
        "peak_mb": round(figures[main_kind]["peak_mb"]),
    }
    result["rules_p99_ms"] = round(figures[main_kind]["rules_p99_ms"], 1)
    result["event_p99_ms"] = round(figures[main_kind]["event_p99_ms"], 1)
    if "postgresql" in figures:
        result["batch_pg_s"] = round(figures["postgresql"]["batch_s"], 2)
        result["peak_pg_mb"] = round(figures["postgresql"]["peak_mb"])
        result["rules_pg_p99_ms"] = round(figures["postgresql"]["rules_p99_ms"], 1)
        result["event_pg_p99_ms"] = round(figures["postgresql"]["event_p99_ms"], 1)
    result["decisions"] = figures[main_kind]["decisions"]
    result["eval_s"] = round(eval_s, 3)
    if of_s is not None:
        result["openfisca_eval_s"] = round(of_s, 3)
        result["ratio_vs_openfisca"] = round(eval_s / of_s, 2)
    print("RESULT " + " ".join(f"{k}={v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
