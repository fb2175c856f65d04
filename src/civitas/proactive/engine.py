"""Deciding who is entitled: the event path (a few persons) and the batch (everyone).

Both paths produce the same decision rows for the same register, rules and date:

* :func:`evaluate_persons` reads the persons' values with :func:`person_features` and
  evaluates each rule with the scalar evaluator, in the caller's transaction;
* :func:`run_batch` reads the whole population with :func:`population_features` and
  evaluates each rule as one Polars expression, then writes the decisions in chunks, each
  chunk one transaction with its payments.

A decision is keyed by (city, rule, person, period) and written with ``ON CONFLICT DO
NOTHING``: a retried event or a re-run creates nothing twice, and a batch killed midway and
run again completes exactly the missing decisions.

The rules only ever grant or offer. A person for whom a rule's condition is not true gets no
decision at all; one for whom its ``review`` condition is true goes to a member of staff
("referred"). Nobody is refused by a machine (GDPR art. 22).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
import polars as pl
from sqlalchemy import Connection, Engine, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, make_transient_to_detached

from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit
from civitas.core.db import UTCDateTime, utcnow
from civitas.core.tenancy import bind_city
from civitas.proactive.expressions import Value
from civitas.proactive.features import person_features, population_features
from civitas.proactive.models import Decision, OptOut, RuleRun
from civitas.proactive.notices import notify
from civitas.proactive.rules import (
    CompiledRule,
    ParamValue,
    active_rules,
    parameters_on,
    ruleset,
)
from civitas.register.service import log_access

OFFERED = "offered"
GRANTED = "granted"
REFERRED = "referred"
CHUNK = 20_000


def period_of(rule: CompiledRule, on: date) -> str:
    if rule.data.period == "year":
        return f"{on.year:04d}"
    if rule.data.period == "month":
        return f"{on.year:04d}-{on.month:02d}"
    return "once"


def _status(rule: CompiledRule) -> str:
    return GRANTED if rule.data.mode == "automatic" else OFFERED


def _explanation_head(
    rule: CompiledRule, params: dict[str, ParamValue], on: date
) -> dict[str, Any]:
    """The part of an explanation that is the same for everyone a rule decides on a date."""
    used = sorted(rule.parameters())
    return {
        "rule": rule.code,
        "version": rule.version,
        "on": on.isoformat(),
        "clauses": [c.text for c in rule.eligible.clauses({})],
        "parameters": {
            name: {
                "value": params[name].value if name in params else None,
                "from": params[name].valid_from.isoformat() if name in params else None,
                "reference": params[name].reference if name in params else None,
            }
            for name in used
        },
    }


def _values(rule: CompiledRule, params: dict[str, ParamValue]) -> dict[str, Value]:
    return {name: params[name].value for name in rule.parameters() if name in params}


@dataclass(frozen=True)
class Outcome:
    person_id: int
    addressee_id: int
    status: str
    amount_minor: int | None
    explanation: dict[str, Any]


def decide(
    rule: CompiledRule,
    person_id: int,
    values: dict[str, Value],
    params: dict[str, ParamValue],
    on: date,
) -> Outcome | None:
    """One rule for one person: a grant or offer, a referral to staff, or nothing."""
    scope: dict[str, Value] = {**values, **_values(rule, params)}
    eligible = rule.eligible.evaluate(scope)
    if eligible is True:
        outcome, status = "eligible", _status(rule)
    elif rule.review is not None and rule.review.evaluate(scope) is True:
        outcome, status = "review", REFERRED
    else:
        return None
    amount = rule.amount.evaluate(scope) if rule.amount is not None else None
    explanation = _explanation_head(rule, params, on)
    explanation["outcome"] = outcome
    explanation["results"] = [c.result for c in rule.eligible.clauses(scope)]
    explanation["values"] = {name: values.get(name) for name in sorted(rule.fields())}
    addressee = values.get("addressee_id")
    return Outcome(
        person_id,
        int(addressee) if isinstance(addressee, int) else person_id,
        status,
        int(amount) if isinstance(amount, int | float) and not isinstance(amount, bool) else None,
        explanation,
    )


# -- writing decisions (both paths) -------------------------------------------------------------


def _insert(conn: Connection) -> Any:
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


def write_decisions(
    conn: Connection, city: City, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Insert decision rows, skipping any whose key exists; create the payments of the new
    automatic ones. Returns the new decisions' rows. In the caller's transaction."""
    if not rows:
        return []
    table: Any = Decision.__table__
    stmt = (
        _insert(conn)(table)
        .on_conflict_do_nothing(index_elements=["tenant_id", "rule_id", "person_id", "period"])
        .returning(*table.c)
    )
    new = [dict(r._mapping) for r in conn.execute(stmt, rows)]
    if new:
        _create_payments(conn, city, [int(r["id"]) for r in new])
    return new


def _create_payments(conn: Connection, city: City, decision_ids: Sequence[int]) -> None:
    """A payment instruction for each new automatic grant with an amount: to the known
    account of the addressee, or awaiting one."""
    for start in range(0, len(decision_ids), 5000):
        ids = ",".join(str(i) for i in decision_ids[start : start + 5000])
        now = utcnow()
        conn.execute(
            text(
                # the interpolated ids are integers of our own
                "INSERT INTO proactive_payments (tenant_id, decision_id, payee_id, direction, "  # noqa: S608
                "amount_minor, currency, iban, status, created_at, updated_at) "
                "SELECT tenant_id, id, addressee_id, 'to_resident', amount_minor, currency, "
                "iban, CASE WHEN iban IS NULL THEN 'awaiting_account' ELSE 'ready' END, "
                ":now, :now FROM (SELECT d.*, "
                # a correlated lookup by person: the planner uses the person index
                "(SELECT s.iban FROM register_person_states s WHERE s.person_id = d.addressee_id "
                "AND s.valid_to IS NULL) AS iban FROM proactive_decisions d "
                f"WHERE d.tenant_id = :city AND d.id IN ({ids}) AND d.status = 'granted' "
                "AND d.amount_minor IS NOT NULL AND d.amount_minor > 0) AS granted"
            ).bindparams(bindparam("now", type_=UTCDateTime())),
            {"city": city.id, "now": now},
        )


def _row(
    city: City, rule: CompiledRule, outcome: Outcome, on: date, trigger: str, run_id: int | None
) -> dict[str, Any]:
    now = utcnow()
    return {
        "notified_at": now,  # the event path notifies in the same transaction
        "tenant_id": city.id,
        "rule_id": rule.rule_id,
        "rule_version_id": rule.version_id,
        "person_id": outcome.person_id,
        "addressee_id": outcome.addressee_id,
        "period": period_of(rule, on),
        "status": outcome.status,
        "mode": rule.data.mode,
        "amount_minor": outcome.amount_minor,
        "currency": city.currency if outcome.amount_minor is not None else None,
        "evaluated_on": on,
        "explanation": outcome.explanation,
        "trigger": trigger,
        "run_id": run_id,
        "created_at": now,
        "updated_at": now,
    }


def _opted_out(db: Session, person_ids: Iterable[int]) -> set[tuple[int, str]]:
    return {
        (int(p), code)
        for p, code in db.execute(
            select(OptOut.person_id, OptOut.rule_code).where(OptOut.person_id.in_(list(person_ids)))
        ).all()
    }


def _excluded(opt_outs: set[tuple[int, str]], person_id: int, code: str) -> bool:
    return (person_id, code) in opt_outs or (person_id, "*") in opt_outs


# -- the event path -----------------------------------------------------------------------------


def evaluate_persons(
    db: Session,
    city: City,
    person_ids: Sequence[int],
    *,
    on: date,
    trigger: str,
    actor: str = "system:rules",
) -> list[Decision]:
    """Evaluate the rules that this trigger starts for a few persons, in the caller's
    transaction: their reads are logged, new decisions written and their notices queued."""
    enter_city(db, city)
    rule_set = ruleset(db, city)
    rules = [r for r in rule_set.rules if trigger in r.data.triggers]
    if not rules or not person_ids:
        return []
    conn = db.connection()
    features = person_features(conn, city.id, person_ids, on)
    if not features:
        return []
    read = sorted(set().union(*(r.fields() for r in rules)))
    log_access(
        db,
        city,
        person_ids=sorted(features),
        actor=actor,
        actor_kind="rule",
        purpose=f"proactive:{trigger}",
        data=read,
        detail=", ".join(r.code for r in rules),
    )
    params = rule_set.parameters_on(on)
    opt_outs = _opted_out(db, features)
    rows = []
    for rule in rules:
        for person_id, values in features.items():
            if _excluded(opt_outs, person_id, rule.code):
                continue
            outcome = decide(rule, person_id, values, params, on)
            if outcome is not None:
                rows.append(_row(city, rule, outcome, on, f"event:{trigger}", None))
    new = write_decisions(conn, city, rows)
    decisions = []
    for row in new:  # the rows as written, into the session without reading them again
        decision = Decision(**row)
        make_transient_to_detached(decision)
        decisions.append(db.merge(decision, load=False))
    for decision in decisions:
        audit.record(
            db,
            actor=actor,
            action="decision.created",
            entity_type="decision",
            entity_id=decision.id,
            changes={"status": decision.status, "rule_version": decision.rule_version_id},
        )
    definitions = {r.version_id: r.data.model_dump(mode="json") for r in rules}
    notify(db, city, decisions, definitions=definitions)
    return decisions


# -- the batch ----------------------------------------------------------------------------------


@dataclass
class BatchResult:
    run_id: int
    persons: int
    decided: int
    created: int
    seconds: dict[str, float]


def evaluate_outcomes(
    features: pl.DataFrame, rules: Sequence[CompiledRule], params: dict[str, ParamValue]
) -> pl.DataFrame:
    """The rule evaluation proper: every rule over the whole population in one lazy Polars
    select, so that parts shared between rules are computed once and the rules run in
    parallel. Column ``e<i>`` says whether rule i's condition holds for each person (null:
    not known), ``r<i>`` whether its review condition does, ``a<i>`` is its amount."""
    columns = [pl.col("person_id")]
    for i, rule in enumerate(rules):
        values = _values(rule, params)
        columns.append(rule.eligible.to_polars(values).alias(f"e{i}"))
        if rule.review is not None:
            columns.append(rule.review.to_polars(values).alias(f"r{i}"))
        if rule.amount is not None:
            columns.append(rule.amount.to_polars(values).cast(pl.Int64).alias(f"a{i}"))
    return features.lazy().select(columns).collect()


def evaluate_frame(
    features: pl.DataFrame,
    rules: Sequence[CompiledRule],
    params: dict[str, ParamValue],
    on: date,
    opt_outs: pl.DataFrame | None = None,
    outcomes: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Every rule over the whole population: one row per decision, with the columns of a
    decision row (explanations as JSON text, built only for the persons decided)."""
    if outcomes is None:
        outcomes = evaluate_outcomes(features, rules, params)
    both = features.hstack(outcomes.drop("person_id")).lazy()
    frames = []
    for i, rule in enumerate(rules):
        values = _values(rule, params)
        eligible = pl.col(f"e{i}").fill_null(False)
        review = pl.col(f"r{i}").fill_null(False) if rule.review is not None else pl.lit(False)
        decided = both.filter(eligible | review)
        if opt_outs is not None and len(opt_outs):
            out = opt_outs.lazy().filter(pl.col("rule_code").is_in([rule.code, "*"]))
            decided = decided.join(out.select("person_id").unique(), on="person_id", how="anti")
        clauses = [rule.eligible.part_to_polars(k, values) for k in range(rule.eligible.size())]
        used = sorted(rule.fields())
        head = orjson.dumps(_explanation_head(rule, params, on)).decode()[:-1]
        tail = pl.struct(
            pl.when(eligible).then(pl.lit("eligible")).otherwise(pl.lit("review")).alias("outcome"),
            pl.concat_list(clauses).alias("results"),
            pl.struct([pl.col(n) for n in used]).alias("values")
            if used
            else pl.lit(None).alias("values"),
        ).struct.json_encode()
        amount = pl.col(f"a{i}") if rule.amount is not None else pl.lit(None, dtype=pl.Int64)
        frames.append(
            decided.select(
                pl.lit(rule.rule_id).alias("rule_id"),
                pl.lit(rule.version_id).alias("rule_version_id"),
                pl.col("person_id"),
                pl.col("addressee_id"),
                pl.lit(period_of(rule, on)).alias("period"),
                pl.when(eligible)
                .then(pl.lit(_status(rule)))
                .otherwise(pl.lit(REFERRED))
                .alias("status"),
                pl.lit(rule.data.mode).alias("mode"),
                amount.alias("amount_minor"),
                (pl.lit(head + ",") + tail.str.slice(1)).alias("explanation"),
            )
        )
    if not frames:
        return pl.DataFrame()
    return pl.concat(pl.collect_all(frames))


def run_batch(
    engine: Engine,
    city: City,
    *,
    on: date,
    actor: str = "system:rules",
    trigger: str = "periodic",
    codes: list[str] | None = None,
    chunk: int = CHUNK,
    after_chunk: Any = None,
) -> BatchResult:
    """Evaluate the periodic rules (or the named ones) for everyone living in the city on
    ``on`` and write the new decisions in chunks of ``chunk`` rows, each its own transaction.
    The run is recorded first; it stands in each person's access log for the read."""
    import time

    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    with Session(engine, expire_on_commit=False) as db:
        bind_city(db, city.id)
        rules = [
            r for r in active_rules(db, city, codes=codes) if codes or trigger in r.data.triggers
        ]
        params = parameters_on(db, city, on)
        run = RuleRun(
            on_date=on,
            trigger=trigger,
            rules=[r.code for r in rules],
            fields=sorted(set().union(*(r.fields() for r in rules))) if rules else [],
            actor=actor,
        )
        db.add(run)
        db.commit()
        run_id = run.id
        conn = db.connection()
        features = population_features(conn, city.id, on)
        opt_outs = pl.DataFrame(
            db.execute(select(OptOut.person_id, OptOut.rule_code)).all(),
            schema={"person_id": pl.Int64, "rule_code": pl.String},
            orient="row",
        )
        db.rollback()
    seconds["load"] = time.perf_counter() - clock
    clock = time.perf_counter()
    outcomes = evaluate_outcomes(features, rules, params)
    seconds["evaluate"] = time.perf_counter() - clock
    clock = time.perf_counter()
    decided = evaluate_frame(features, rules, params, on, opt_outs, outcomes)
    seconds["explain"] = time.perf_counter() - clock
    clock = time.perf_counter()
    created = 0
    if len(decided):
        decided = decided.with_columns(
            pl.lit(city.id).alias("tenant_id"),
            pl.when(pl.col("amount_minor").is_not_null())
            .then(pl.lit(city.currency))
            .otherwise(None)
            .alias("currency"),
            pl.lit(on).alias("evaluated_on"),
            pl.lit("run").alias("trigger"),
            pl.lit(run_id).alias("run_id"),
        )
        for offset in range(0, len(decided), chunk):
            part = decided.slice(offset, chunk)
            with engine.begin() as conn:
                created += len(_write_frame(conn, city, part))
            if after_chunk is not None:
                after_chunk(offset + len(part))
    seconds["write"] = time.perf_counter() - clock
    with Session(engine) as db:
        bind_city(db, city.id)
        db.execute(
            update(RuleRun)
            .where(RuleRun.id == run_id)
            .values(status="finished", persons=len(features), created=created, finished_at=utcnow())
        )
        audit.record(
            db,
            actor=actor,
            action="rules.run",
            entity_type="rule_run",
            entity_id=run_id,
            changes={
                "on": on.isoformat(),
                "persons": len(features),
                "decisions": len(decided),
                "created": created,
            },
        )
        db.commit()
    return BatchResult(run_id, len(features), len(decided), created, seconds)


_COLUMNS = (
    "tenant_id",
    "rule_id",
    "rule_version_id",
    "person_id",
    "addressee_id",
    "period",
    "status",
    "mode",
    "amount_minor",
    "currency",
    "evaluated_on",
    "explanation",
    "trigger",
    "run_id",
)
_STAGE = (
    "CREATE TEMP TABLE decisions_stage (tenant_id int, rule_id int, rule_version_id int, "
    "person_id int, addressee_id int, period text, status text, mode text, "
    "amount_minor bigint, currency text, evaluated_on date, explanation json, trigger text, "
    "run_id int) ON COMMIT DROP"
)
_CONFLICT = "ON CONFLICT (tenant_id, rule_id, person_id, period) DO NOTHING RETURNING id"


def _write_frame(conn: Connection, city: City, part: pl.DataFrame) -> list[int]:
    """One chunk of batch decisions: insert what is new, then its payments. On PostgreSQL
    the chunk is copied into a staging table (COPY, as CSV) and inserted from there in one
    statement; on SQLite it goes row by row through one prepared statement."""
    now: Any = utcnow()
    data = part.select(_COLUMNS).with_columns(pl.col("evaluated_on").cast(pl.String))
    columns = ", ".join(_COLUMNS)
    raw: Any = conn.connection.dbapi_connection
    assert raw is not None
    new_ids: list[int] = []
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cursor:
            cursor.execute(_STAGE)
            with cursor.copy(
                f"COPY decisions_stage ({columns}) FROM STDIN WITH (FORMAT csv)"
            ) as copy:
                copy.write(data.write_csv(include_header=False))
            cursor.execute(
                # the column list is the constant above
                f"INSERT INTO proactive_decisions ({columns}, created_at, updated_at) "  # noqa: S608
                f"SELECT {columns}, %s, %s FROM decisions_stage {_CONFLICT}",
                (now, now),
            )
            new_ids = [int(row[0]) for row in cursor.fetchall()]
            cursor.execute("DROP TABLE decisions_stage")
    else:
        stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy stores a DateTime here
        sql = (
            f"INSERT INTO proactive_decisions ({columns}, created_at, updated_at) "  # noqa: S608
            f"VALUES ({', '.join(['?'] * len(_COLUMNS))}, ?, ?) {_CONFLICT}"
        )
        cursor = raw.cursor()
        try:
            for row in data.iter_rows():
                got = cursor.execute(sql, (*row, stamp, stamp)).fetchone()
                if got is not None:
                    new_ids.append(int(got[0]))
        finally:
            cursor.close()
    if new_ids:
        _create_payments(conn, city, new_ids)
    return new_ids
