"""Life events imported from CSV and Parquet by the CLI; rules loaded and run from it."""

from __future__ import annotations

import polars as pl
import pytest
from sqlalchemy import func, select

from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope
from civitas.proactive.models import Decision
from civitas.register.models import LifeEvent, Person
from tests.proactive.helpers import DEMO
from tests.test_cli import civitas

pytestmark = pytest.mark.slow

HEADER = (
    "event_id,type,date,person,register_number,given_names,family_name,birth_date,sex,"
    "street,number,postcode,parking_zone,household_with,parents"
)
GOOD = (
    HEADER
    + """
m1,move_in,2026-01-05,,P1,Ana,Muster,1950-02-01,female,Calle Real,1,10000,,,
m2,move_in,2026-01-05,,P2,Beto,Muster,1985-02-01,male,Calle Real,2,10000,,,
b1,birth,2026-11-01,,,Clara,Muster,,female,,,,,,P2
w1,move_within,2026-11-10,P2,,,,,,Calle Grau,7,10010,A,,
"""
)


def counts(engine):
    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "musterstadt"))
        return (
            db.scalar(select(func.count(Person.id))),
            db.scalar(select(func.count(LifeEvent.id))),
            db.scalar(select(func.count(Decision.id))),
        )


def test_a_csv_with_errors_is_refused_whole_with_line_numbers(engine, two_cities, tmp_path):
    bad = GOOD.replace("1985-02-01", "1985-13-01").replace("P2\n", "P9\n", 1)
    (tmp_path / "events.csv").write_text(bad, encoding="utf-8")
    result = civitas("register", "import", str(tmp_path / "events.csv"), "--city", "musterstadt")
    assert result.returncode == 1
    assert "line 3: person.birth_date" in result.stderr
    assert counts(engine) == (0, 0, 0)
    # an error only the register can see (an unknown parent) is reported with its line too
    later = GOOD.replace(",P2\n", ",P7\n")
    (tmp_path / "events.csv").write_text(later, encoding="utf-8")
    result = civitas("register", "import", str(tmp_path / "events.csv"), "--city", "musterstadt")
    assert result.returncode == 1
    assert "line 4: parents[0]: No person with register number P7." in result.stderr
    assert counts(engine) == (0, 0, 0)


def test_rules_and_events_from_files_then_a_run(engine, two_cities, tmp_path):
    loaded = civitas(
        "proactive", "load-rules", str(DEMO / "musterstadt.yaml"), "--city", "musterstadt"
    )
    assert loaded.returncode == 0, loaded.stderr
    assert "rules saved: 11" in loaded.stdout
    frame = pl.read_csv(GOOD.encode(), infer_schema=False)
    frame.write_parquet(tmp_path / "events.parquet")
    result = civitas(
        "register", "import", str(tmp_path / "events.parquet"), "--city", "musterstadt"
    )
    assert result.returncode == 0, result.stderr
    assert "events imported: 4" in result.stdout
    persons, events, decisions = counts(engine)
    assert (persons, events) == (3, 4)
    assert decisions >= 3  # senior pass on moving in, birth grant, parking permit offer
    run = civitas("proactive", "run", "--city", "musterstadt", "--on", "2026-11-20")
    assert run.returncode == 0, run.stderr
    assert "3 persons" in run.stdout
    again = civitas("proactive", "run", "--city", "musterstadt", "--on", "2026-11-20")
    assert ", 0 new," in again.stdout


def test_rule_cases_from_the_command_line(tmp_path):
    result = civitas(
        "proactive", "test-rules", str(DEMO / "trujillo.yaml"), str(DEMO / "trujillo.cases.yaml")
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("passed, 0 failed")
