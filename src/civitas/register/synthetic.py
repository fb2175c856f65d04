"""A synthetic register with a realistic age and household structure, for tests, the demo
and the benchmark. Deterministic for a seed.

Households follow the shape of a European city's register: about 40 % live alone, a third
in couples, the rest are families with children (some single parents) and a few
three-generation homes. Ages of adults follow a broad pyramid; children are 0–17 and born
to parents aged 20–45. Incomes (wages, pensions from 67) are log-normal per adult, unknown
for some; a share of the
16–26-year-olds are in education; some addresses lie in resident parking zones.

:func:`generate` builds the rows in memory; :func:`load` writes them in bulk (COPY on
PostgreSQL, executemany on SQLite), with explicit ids following the ones in use.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, text

DISTRICTS = [
    "Centro",
    "Norte",
    "Sur",
    "Este",
    "Oeste",
    "Alto",
    "Bajo",
    "Puerto",
    "Parque",
    "Jardín",
]
STREETS = [
    "Avenida España",
    "Calle Real",
    "Jirón Pizarro",
    "Calle Bolívar",
    "Avenida Larco",
    "Calle Grau",
    "Hauptstraße",
    "Bahnhofstraße",
    "Schillerweg",
    "Lindenallee",
]
ZONES = ["A", "B", "C", "D"]
IBANS = {"DE": "DE89370400440532013000", "PE": "DE02120300000000202051"}
# household sizes 1..6 and their shares
SIZES = [(1, 0.40), (2, 0.33), (3, 0.12), (4, 0.10), (5, 0.04), (6, 0.01)]


@dataclass
class Register:
    addresses: list[tuple[Any, ...]] = field(default_factory=list)
    households: list[int] = field(default_factory=list)
    persons: list[tuple[Any, ...]] = field(default_factory=list)
    states: list[tuple[Any, ...]] = field(default_factory=list)
    relations: list[tuple[Any, ...]] = field(default_factory=list)


def _adult_age(rng: random.Random) -> int:
    # a broad pyramid: more people of working age, fewer of the very old
    while True:
        age = int(rng.triangular(18, 98, 42))
        if age < 95 or rng.random() < 0.3:
            return age


def _birth(rng: random.Random, on: date, age: int) -> date:
    return on - timedelta(days=age * 365 + rng.randrange(365) + age // 4)


def generate(
    persons: int, *, seed: int = 1, on: date, country: str = "DE", start_id: int = 1
) -> Register:
    """About ``persons`` persons (the last household may round it up) living in the city
    on ``on``. Ids start at ``start_id`` in every table."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    reg = Register()
    n_addresses = max(1, persons // 8)
    for i in range(n_addresses):
        aid = start_id + i
        reg.addresses.append(
            (
                aid,
                STREETS[i % len(STREETS)],
                str(i // len(STREETS) + 1),
                f"{10000 + (i % 50) * 10}",
                DISTRICTS[i % len(DISTRICTS)],
                ZONES[i % len(ZONES)] if rng.random() < 0.2 else None,
            )
        )
    pid = start_id
    hid = start_id
    sizes, weights = zip(*SIZES, strict=True)
    iban = IBANS.get(country, IBANS["DE"])
    while pid - start_id < persons:
        size = rng.choices(sizes, weights)[0]
        address = start_id + rng.randrange(n_addresses)
        members: list[tuple[int, int, bool]] = []  # person id, age, is_child
        if size == 1:
            members.append((pid, _adult_age(rng), False))
        elif size == 2 and rng.random() < 0.85:
            first = _adult_age(rng)
            second = max(18, min(98, first + rng.randint(-6, 6)))
            members += [(pid, first, False), (pid + 1, second, False)]
        else:
            single_parent = size == 2 or rng.random() < 0.12
            parent_age = rng.randint(22, 50)
            adults = 1 if single_parent else 2
            for k in range(adults):
                members.append((pid + k, max(20, parent_age + rng.randint(-4, 4) * k), False))
            kids = size - adults
            if kids >= 3 and rng.random() < 0.1:  # a grandparent lives with them
                members.append((pid + adults, rng.randint(65, 90), False))
                kids -= 1
            for _ in range(kids):
                child_age = min(17, max(0, int(rng.triangular(0, min(17, parent_age - 20), 6))))
                members.append((pid + len(members), child_age, True))
        hid_now = hid
        reg.households.append(hid_now)
        hid += 1
        parents = [m for m in members if not m[2]][:2] if any(m[2] for m in members) else []
        for person_id, age, is_child in members:
            born = _birth(rng, on, age)
            if age == 0:
                born = on - timedelta(days=rng.randrange(1, 365))
            reg.persons.append((person_id, f"S{person_id:09d}", born))
            since = (
                born
                if rng.random() < 0.35
                else born + timedelta(days=rng.randrange(max(1, (on - born).days)))
            )
            address_since = since + timedelta(days=rng.randrange(max(1, (on - since).days)))
            income = None
            student = False
            if not is_child and rng.random() < 0.85:  # wages, or a pension from 67
                median = 180000 if age < 67 else 120000
                income = int(math.exp(rng.gauss(math.log(median), 0.6)))
            if 16 <= age <= 26 and rng.random() < 0.55:
                student = True
            reg.states.append(
                (
                    person_id,
                    since if since <= on else on,
                    "Muster",
                    f"Person {person_id}",
                    rng.choice(["female", "male"]) if rng.random() < 0.99 else "diverse",
                    country if rng.random() < 0.88 else rng.choice(["IT", "PL", "VE", "SY"]),
                    "married"
                    if (
                        size >= 2
                        and not is_child
                        and not student
                        and age > 25
                        and rng.random() < 0.6
                    )
                    else "single",
                    address,
                    hid_now,
                    min(since, on),
                    min(address_since, on),
                    income,
                    student,
                    iban if (not is_child and rng.random() < 0.5) else None,
                )
            )
            if is_child:
                for parent in parents:
                    reg.relations.append((parent[0], person_id, born))
        pid += len(members)
    return reg


_TABLES: dict[str, tuple[str, ...]] = {
    "register_addresses": ("id", "street", "number", "postcode", "district", "parking_zone"),
    "register_households": ("id",),
    "register_persons": ("id", "register_number", "birth_date"),
    "register_person_states": (
        "person_id",
        "valid_from",
        "family_name",
        "given_names",
        "sex",
        "nationality",
        "marital_status",
        "address_id",
        "household_id",
        "resident_since",
        "address_since",
        "monthly_income_minor",
        "student",
        "iban",
    ),
    "register_relations": ("person_id", "other_id", "valid_from"),
}


def next_ids(engine: Engine) -> int:
    """An id above every id in use in the register tables."""
    with engine.connect() as conn:
        top = 0
        for table in ("register_addresses", "register_households", "register_persons"):
            sql = f"SELECT COALESCE(MAX(id), 0) FROM {table}"  # noqa: S608 - constant names
            top = max(top, int(conn.execute(text(sql)).scalar_one()))
        return top + 1


def _rows(reg: Register, table: str, city_id: int) -> list[tuple[Any, ...]]:
    if table == "register_households":
        return [(city_id, h) for h in reg.households]
    if table == "register_relations":
        return [(city_id, "parent", *r) for r in reg.relations]
    source = {
        "register_addresses": reg.addresses,
        "register_persons": reg.persons,
        "register_person_states": reg.states,
    }[table]
    return [(city_id, *r) for r in source]


def _columns(table: str) -> tuple[str, ...]:
    extra = ("kind",) if table == "register_relations" else ()
    return ("tenant_id", *extra, *_TABLES[table])


_CREATED = ("register_households", "register_persons")


def _copy(conn: Connection, table: str, columns: tuple[str, ...], rows: list[Any]) -> None:
    raw: Any = conn.connection.dbapi_connection
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def load(engine: Engine, city_id: int, reg: Register) -> None:
    """Write the register in one transaction (all of it or nothing)."""
    with engine.begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        now: Any = datetime.now(UTC) if postgres else "2026-01-01 00:00:00.000000"
        for table in _TABLES:
            columns = _columns(table)
            rows = _rows(reg, table, city_id)
            if table in _CREATED:
                columns = (*columns, "created_at")
                rows = [(*r, now) for r in rows]
            if postgres:
                _copy(conn, table, columns, rows)
                continue
            rows = [tuple(v.isoformat() if isinstance(v, date) else v for v in r) for r in rows]
            raw: Any = conn.connection.dbapi_connection
            raw.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - constant names
                f"VALUES ({', '.join('?' * len(columns))})",
                rows,
            )
        if postgres:
            for table in _TABLES:
                sql = (  # constant table names
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
                conn.execute(text(sql))
    analyze(engine)


def analyze(engine: Engine) -> None:
    """Fresh planner statistics for the register (after a bulk load; nightly otherwise):
    without them both databases guess, and SQLite picks the city index over the person's."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("ANALYZE " + ", ".join(_TABLES))
            )
        else:
            conn.execute(text("ANALYZE"))
            conn.commit()
