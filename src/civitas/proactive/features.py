"""The values rules read: register fields and values derived from them, on a given date.

Two implementations with one meaning, checked against each other by the test suite:

* :func:`person_features` for one or a few persons, in plain Python over a handful of rows
  (the event path: a life event arrives, the persons it touched are evaluated at once);
* :func:`population_features` for everyone living in the city on a date, as one Polars
  frame built from a few bulk reads and joins (the batch path).

Both read the same rows with the same SQL (:func:`_states_sql` and friends); they differ only
in how the derived values are computed from them.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl
import psycopg
from sqlalchemy import Connection, Date, bindparam, text

from civitas.proactive.expressions import Field, Value

FIELDS: dict[str, Field] = {
    f.name: f
    for f in [
        Field("age", "int", {"en": "age", "es": "edad", "de": "Alter"}, nullable=False),
        Field(
            "age_days",
            "int",
            {"en": "age in days", "es": "edad en días", "de": "Alter in Tagen"},
            nullable=False,
        ),
        Field("sex", "text", {"en": "sex", "es": "sexo", "de": "Geschlecht"}, nullable=False),
        Field(
            "nationality",
            "text",
            {"en": "nationality", "es": "nacionalidad", "de": "Staatsangehörigkeit"},
        ),
        Field(
            "marital_status",
            "text",
            {"en": "marital status", "es": "estado civil", "de": "Familienstand"},
            nullable=False,
        ),
        Field("district", "text", {"en": "district", "es": "distrito", "de": "Stadtteil"}),
        Field(
            "postcode",
            "text",
            {"en": "postcode", "es": "código postal", "de": "Postleitzahl"},
            nullable=False,
        ),
        Field(
            "parking_zone",
            "text",
            {"en": "parking zone", "es": "zona de estacionamiento", "de": "Parkzone"},
        ),
        Field(
            "household_size",
            "int",
            {"en": "household size", "es": "personas en el hogar", "de": "Personen im Haushalt"},
            nullable=False,
        ),
        Field(
            "household_reference",
            "bool",
            {
                "en": "oldest member of the household",
                "es": "persona de mayor edad del hogar",
                "de": "älteste Person im Haushalt",
            },
            nullable=False,
        ),
        Field(
            "income",
            "int",
            {"en": "monthly income", "es": "ingreso mensual", "de": "Monatseinkommen"},
        ),
        Field(
            "household_income",
            "int",
            {
                "en": "monthly household income",
                "es": "ingreso mensual del hogar",
                "de": "Monatseinkommen des Haushalts",
            },
        ),
        Field(
            "children_count",
            "int",
            {"en": "children under 18", "es": "hijos menores de 18", "de": "Kinder unter 18"},
            nullable=False,
        ),
        Field(
            "youngest_child_age",
            "int",
            {
                "en": "age of the youngest child",
                "es": "edad del hijo menor",
                "de": "Alter des jüngsten Kindes",
            },
        ),
        Field(
            "months_in_city",
            "int",
            {
                "en": "months living in the city",
                "es": "meses viviendo en la ciudad",
                "de": "Monate in der Stadt",
            },
            nullable=False,
        ),
        Field(
            "months_at_address",
            "int",
            {
                "en": "months at this address",
                "es": "meses en esta dirección",
                "de": "Monate unter dieser Anschrift",
            },
            nullable=False,
        ),
        Field(
            "student",
            "bool",
            {"en": "student", "es": "estudiante", "de": "in Ausbildung"},
            nullable=False,
        ),
        Field(
            "has_iban",
            "bool",
            {
                "en": "bank account known",
                "es": "cuenta bancaria conocida",
                "de": "Bankverbindung bekannt",
            },
            nullable=False,
        ),
    ]
}

COLUMNS = ["person_id", "addressee_id", *FIELDS]
ADULT_AGE = 18


def years_between(start: date, on: date) -> int:
    return on.year - start.year - ((on.month, on.day) < (start.month, start.day))


def months_between(start: date, on: date) -> int:
    return (on.year - start.year) * 12 + on.month - start.month - (on.day < start.day)


# -- the rows both paths read ------------------------------------------------------------------

_VALID = "s.valid_from <= :on AND (s.valid_to IS NULL OR s.valid_to > :on)"

_STATE_COLUMNS = [
    ("person_id", pl.Int64),
    ("birth_date", pl.Date),
    ("sex", pl.String),
    ("nationality", pl.String),
    ("marital_status", pl.String),
    ("household_id", pl.Int64),
    ("income", pl.Int64),
    ("student", pl.Boolean),
    ("has_iban", pl.Boolean),
    ("resident_since", pl.Date),
    ("address_since", pl.Date),
    ("district", pl.String),
    ("postcode", pl.String),
    ("parking_zone", pl.String),
]


def _states_sql(where: str = "") -> str:
    # ``where`` is built by this module from integer ids only
    return (
        "SELECT s.person_id, p.birth_date, s.sex, s.nationality, s.marital_status, "  # noqa: S608
        "s.household_id, s.monthly_income_minor, s.student, "
        "CASE WHEN s.iban IS NULL THEN 0 ELSE 1 END, s.resident_since, s.address_since, "
        "a.district, a.postcode, a.parking_zone "
        "FROM register_person_states s "
        "JOIN register_persons p ON p.id = s.person_id "
        "JOIN register_addresses a ON a.id = s.address_id "
        f"WHERE s.tenant_id = :city AND {_VALID}{where}"
    )


_PARENTS_SQL = (
    "SELECT r.person_id AS parent_id, r.other_id AS child_id FROM register_relations r "
    "WHERE r.tenant_id = :city AND r.kind = 'parent' AND r.valid_from <= :on "
    "AND (r.valid_to IS NULL OR r.valid_to > :on)"
)


def _text(sql: str) -> Any:
    return text(sql).bindparams(bindparam("on", type_=Date))


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


# -- one person ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    person_id: int
    birth_date: date
    values: dict[str, Any]


def _rows(conn: Connection, sql: str, params: dict[str, Any]) -> list[_Row]:
    out = []
    for raw in conn.execute(_text(sql), params):
        values = dict(zip([c for c, _ in _STATE_COLUMNS], raw, strict=True))
        values["birth_date"] = _as_date(values["birth_date"])
        values["resident_since"] = _as_date(values["resident_since"])
        values["address_since"] = _as_date(values["address_since"])
        values["student"] = bool(values["student"])
        values["has_iban"] = bool(values["has_iban"])
        out.append(_Row(int(values["person_id"]), values["birth_date"], values))
    return out


def person_features(
    conn: Connection, city_id: int, person_ids: Sequence[int], on: date
) -> dict[int, dict[str, Value]]:
    """The field values of a few persons on a date (those living in the city that day)."""
    if not person_ids:
        return {}
    params: dict[str, Any] = {"city": city_id, "on": on}
    ids = ",".join(str(int(i)) for i in person_ids)
    wanted = {int(i) for i in person_ids}
    # the persons and everyone in their households, in one query
    members = _rows(
        conn,
        _states_sql(
            # ids: integers of our own
            " AND s.household_id IN (SELECT h.household_id FROM register_person_states h "  # noqa: S608
            f"WHERE h.tenant_id = :city AND h.person_id IN ({ids}) AND h.valid_from <= :on "
            "AND (h.valid_to IS NULL OR h.valid_to > :on))"
        ),
        params,
    )
    own = [m for m in members if m.person_id in wanted]
    if not own:
        return {}
    by_household: dict[int, list[_Row]] = defaultdict(list)
    for member in members:
        by_household[member.values["household_id"]].append(member)
    # the persons' children, and the parents of those who are minors: one query
    children_of: dict[int, list[int]] = defaultdict(list)
    parents_of: dict[int, list[int]] = defaultdict(list)
    mine = {r.person_id for r in own}
    minors = {r.person_id for r in own if years_between(r.birth_date, on) < ADULT_AGE}
    either = f"r.person_id IN ({','.join(map(str, mine))})"
    if minors:
        either = f"({either} OR r.other_id IN ({','.join(map(str, minors))}))"
    for parent_id, child_id in conn.execute(_text(_PARENTS_SQL + f" AND {either}"), params):
        if int(parent_id) in mine:
            children_of[int(parent_id)].append(int(child_id))
        if int(child_id) in minors:
            parents_of[int(child_id)].append(int(parent_id))
    all_children = sorted({c for cs in children_of.values() for c in cs})
    # most children live in the household already read; the others are read now
    child_ages = {
        m.person_id: years_between(m.birth_date, on) for m in members if m.person_id in all_children
    }
    elsewhere = [c for c in all_children if c not in child_ages]
    if elsewhere:
        kids = ",".join(map(str, elsewhere))
        for row in _rows(conn, _states_sql(f" AND s.person_id IN ({kids})"), params):
            child_ages[row.person_id] = years_between(row.birth_date, on)
    out: dict[int, dict[str, Value]] = {}
    for row in own:
        v = row.values
        household = by_household[v["household_id"]]
        incomes = [m.values["income"] for m in household if m.values["income"] is not None]
        eldest = min(household, key=lambda m: (m.birth_date, m.person_id))
        ages = [
            child_ages[c]
            for c in children_of.get(row.person_id, [])
            if c in child_ages and child_ages[c] < ADULT_AGE
        ]
        at_home = {m.person_id for m in household}
        carers = sorted(p for p in parents_of.get(row.person_id, []) if p in at_home)
        out[row.person_id] = {
            "addressee_id": carers[0] if carers else row.person_id,
            "age": years_between(row.birth_date, on),
            "age_days": (on - row.birth_date).days,
            "sex": v["sex"],
            "nationality": v["nationality"],
            "marital_status": v["marital_status"],
            "district": v["district"],
            "postcode": v["postcode"],
            "parking_zone": v["parking_zone"],
            "household_size": len(household),
            "household_reference": eldest.person_id == row.person_id,
            "income": v["income"],
            "household_income": sum(incomes) if incomes else None,
            "children_count": len(ages),
            "youngest_child_age": min(ages) if ages else None,
            "months_in_city": months_between(v["resident_since"], on),
            "months_at_address": months_between(v["address_since"], on),
            "student": v["student"],
            "has_iban": v["has_iban"],
        }
    return out


# -- the population -----------------------------------------------------------------------------


def _bind(sql: str, params: dict[str, Any], style: str) -> tuple[str, list[Any]]:
    """``:name`` parameters as the raw driver's positional placeholders."""
    pattern = re.compile(r":(" + "|".join(sorted(params, key=len, reverse=True)) + r")\b")
    values = [params[m.group(1)] for m in pattern.finditer(sql)]
    return pattern.sub("?" if style == "qmark" else "%s", sql), values


def read_frame(
    conn: Connection, sql: str, params: dict[str, Any], schema: list[tuple[str, Any]]
) -> pl.DataFrame:
    """A query's rows as a typed Polars frame, by the fastest path of each database:
    ``COPY … TO STDOUT`` as CSV on PostgreSQL, a plain cursor on SQLite."""
    names = [n for n, _ in schema]
    dtypes = dict(schema)
    raw: Any = conn.connection.dbapi_connection
    assert raw is not None
    if conn.dialect.name == "postgresql":
        query, values = _bind(sql, params, "format")
        statement = psycopg.ClientCursor(raw).mogrify(query, values)
        with raw.cursor() as cursor:
            buffer = io.BytesIO()
            with cursor.copy(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)") as copy:
                for chunk in copy:
                    buffer.write(chunk)
        if buffer.tell() == 0:
            return pl.DataFrame(schema=dtypes)
        buffer.seek(0)
        read_types = {n: (pl.String if t in (pl.Date, pl.Boolean) else t) for n, t in schema}
        frame = pl.read_csv(
            buffer,
            has_header=False,
            new_columns=names,
            schema_overrides=read_types,
            quote_char='"',
        )
    else:
        query, values = _bind(sql, params, "qmark")
        values = [v.isoformat() if isinstance(v, date) else v for v in values]
        cursor = raw.cursor()
        try:
            cursor.execute(query, values)
            columns: list[Any] = list(zip(*cursor.fetchall(), strict=True)) or [[] for _ in names]
        finally:
            cursor.close()
        frame = pl.DataFrame(
            {
                n: pl.Series(
                    n, list(col), dtype=pl.String if t in (pl.Date,) else None, strict=False
                )
                for (n, t), col in zip(schema, columns, strict=True)
            }
        )
    casts = []
    for n, t in schema:
        if t == pl.Date:
            casts.append(pl.col(n).cast(pl.String).str.to_date("%Y-%m-%d"))
        elif t == pl.Boolean:
            col = pl.col(n)
            if frame.schema[n] == pl.String:
                casts.append(col.is_in(["t", "true", "1"]).alias(n))
            else:
                casts.append(col.cast(pl.Int64).cast(pl.Boolean))
        else:
            casts.append(pl.col(n).cast(t))
    return frame.with_columns(casts) if len(frame) else pl.DataFrame(schema=dtypes)


def _years(start: pl.Expr, on: date) -> pl.Expr:
    before = (start.dt.month() > on.month) | (
        (start.dt.month() == on.month) & (start.dt.day() > on.day)
    )
    return (on.year - start.dt.year().cast(pl.Int64)) - before.cast(pl.Int64)


def _months(start: pl.Expr, on: date) -> pl.Expr:
    return (
        (on.year - start.dt.year().cast(pl.Int64)) * 12
        + (on.month - start.dt.month().cast(pl.Int64))
        - (start.dt.day() > on.day).cast(pl.Int64)
    )


def population_features(conn: Connection, city_id: int, on: date) -> pl.DataFrame:
    """One row per person living in the city on ``on``, one column per field."""
    params: dict[str, Any] = {"city": city_id, "on": on}
    states = read_frame(conn, _states_sql(), params, _STATE_COLUMNS)
    parents = read_frame(
        conn, _PARENTS_SQL, params, [("parent_id", pl.Int64), ("child_id", pl.Int64)]
    )
    return features_from_frames(states, parents, on)


def features_from_frames(states: pl.DataFrame, parents: pl.DataFrame, on: date) -> pl.DataFrame:
    base = states.with_columns(
        age=_years(pl.col("birth_date"), on),
        age_days=(pl.lit(on) - pl.col("birth_date")).dt.total_days().cast(pl.Int64),
        months_in_city=_months(pl.col("resident_since"), on),
        months_at_address=_months(pl.col("address_since"), on),
    )
    households = (
        base.sort(["birth_date", "person_id"])
        .group_by("household_id", maintain_order=True)
        .agg(
            household_size=pl.len().cast(pl.Int64),
            household_income=pl.when(pl.col("income").is_not_null().any())
            .then(pl.col("income").sum())
            .otherwise(None)
            .cast(pl.Int64),
            eldest=pl.col("person_id").first(),
        )
    )
    children = (
        parents.join(
            base.select(pl.col("person_id").alias("child_id"), pl.col("age").alias("child_age")),
            on="child_id",
            how="inner",
        )
        .filter(pl.col("child_age") < ADULT_AGE)
        .group_by("parent_id")
        .agg(
            children_count=pl.len().cast(pl.Int64),
            youngest_child_age=pl.col("child_age").min().cast(pl.Int64),
        )
    )
    carers = (
        parents.join(
            base.select(
                pl.col("person_id").alias("parent_id"),
                pl.col("household_id").alias("parent_household"),
            ),
            on="parent_id",
            how="inner",
        )
        .join(
            base.filter(pl.col("age") < ADULT_AGE).select(
                pl.col("person_id").alias("child_id"), "household_id"
            ),
            on="child_id",
            how="inner",
        )
        .filter(pl.col("parent_household") == pl.col("household_id"))
        .group_by("child_id")
        .agg(carer=pl.col("parent_id").min())
    )
    return (
        base.join(households, on="household_id", how="left")
        .join(children, left_on="person_id", right_on="parent_id", how="left")
        .join(carers, left_on="person_id", right_on="child_id", how="left")
        .with_columns(
            addressee_id=pl.coalesce(pl.col("carer"), pl.col("person_id")),
            household_reference=pl.col("eldest") == pl.col("person_id"),
            children_count=pl.col("children_count").fill_null(0),
        )
        .select(COLUMNS)
        .sort("person_id")
    )


def as_dicts(frame: pl.DataFrame) -> Iterable[dict[str, Value]]:
    return frame.iter_rows(named=True)
