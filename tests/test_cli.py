"""The civitas command on the test database. ``db upgrade`` and ``demo`` run as a person
runs them, as a separate process; the other commands through the same Typer application
in this process (what they print, their exit codes and what they write are the same, and
a process costs a second and a half of a core just to start)."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import traceback
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import func, select, text

from civitas.catalogue.service import list_services, online_route
from civitas.cities.service import get_city_by_slug
from civitas.core.db import session_scope
from civitas.core.migrate import head_revision
from civitas.models import Base

pytestmark = pytest.mark.slow


SEPARATE = {"demo", "db"}  # commands run as their own process


def civitas(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    if args[0] not in SEPARATE:
        return _in_process(args, env, stdin)
    return subprocess.run(
        [sys.executable, "-m", "civitas", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        input=stdin,
        # the demo plans sixty days of routes and simulates three months of offices: about
        # three minutes on PostgreSQL alone, more while the other suite shares the cores
        timeout=900,
        check=False,
    )


def _in_process(
    args: tuple[str, ...], env: dict[str, str] | None, stdin: str | None
) -> subprocess.CompletedProcess[str]:
    """The command through the application's own Typer app (its environment variables set
    for the call only); an exception it did not turn into an exit is its traceback on
    stderr and exit code 1, as Python's would be."""
    from typer.testing import CliRunner

    from civitas.cli import app

    result = CliRunner().invoke(app, list(args), env=env, input=stdin)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        assert result.exc_info is not None
        stderr += "".join(traceback.format_exception(*result.exc_info))
    return subprocess.CompletedProcess(["civitas", *args], result.exit_code, result.stdout, stderr)


def row_counts(engine):
    with engine.connect() as conn:
        return {
            t.name: conn.scalar(select(func.count()).select_from(t))
            for t in Base.metadata.sorted_tables
        }


def test_db_upgrade_is_idempotent(engine):
    result = civitas("db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert f"database at revision {head_revision()}" in result.stdout


def test_demo_loads_two_cities_and_running_it_again_changes_nothing(engine):
    first = civitas("demo", env={"CIVITAS_DEMO_API_KEY": "cvk_fixed_for_the_test_0123456789"})
    assert first.returncode == 0, first.stderr
    assert "Trujillo (trujillo, jurisdiction_id trujillo.example): created" in first.stdout
    assert "Musterstadt (musterstadt, jurisdiction_id musterstadt.example): created" in first.stdout
    assert first.stdout.count("Open311 api_key: cvk_fixed_for_the_test_0123456789") == 2
    for login in ("admin", "manager", "caseworker", "agent", "fieldworker"):
        assert f"  {login}" in first.stdout
    counts = row_counts(engine)
    assert counts["cities"] == 2
    assert counts["services"] == 70
    # 8 staff users a city (the bus operator's among them), and in Trujillo 7 waste
    # pickers, a buyer and the learning network's outside expert
    assert counts["users"] == 25
    # recycling in Trujillo: sixty days of collections and sales, and a planned day
    assert counts["recycling_pickers"] == 7
    assert counts["recycling_pickups"] > 300
    assert counts["recycling_collected"] > 300
    assert counts["recycling_sales"] > 20
    assert counts["recycling_allocations"] >= counts["recycling_sale_lines"]
    assert counts["recycling_plans"] > 20
    # public transport: a network a city, its buses' last days, last month observed
    assert counts["transit_feeds"] == 2
    assert counts["transit_observations"] > 50_000
    assert counts["transit_route_months"] >= 2 * (5 + 1)
    assert counts["transit_alerts"] == 2
    # 300 recent ones per city in every status, and twelve whole months of history
    assert counts["service_requests"] >= 600 + 12 * (160 + 220)
    assert counts["survey_responses"] > 1000
    assert counts["scorecard_versions"] == 2
    assert counts["kpi_values"] > 10000
    assert counts["network_figures"] > 100  # both cities publish to the learning network
    # the learning network: four published practices and one waiting, each measured on its
    # city's own figures (the pickers' income too thin to tell), an adoption, two groups,
    # an answered discussion, two events, a partnership's project with measured aims, a
    # circle both cities share in, a contest with four entries and a juror
    with engine.connect() as conn:
        statuses = conn.execute(text("SELECT status FROM network_practices")).scalars().all()
        verdicts = [
            json.loads(e)["verdict"] if isinstance(e, str) else e["verdict"]
            for e in conn.execute(text("SELECT effect FROM network_evidence")).scalars()
        ]
        answered = conn.execute(
            text("SELECT COUNT(*) FROM network_discussions WHERE accepted_post_id IS NOT NULL")
        ).scalar()
    assert sorted(statuses) == ["published"] * 4 + ["submitted"]
    assert verdicts.count("improved") >= 4
    assert "too_thin" in verdicts
    assert counts["network_adoptions"] == 1
    assert (counts["network_groups"], counts["network_events"], answered) == (2, 2, 1)
    assert counts["network_aims"] == 3
    assert counts["network_missions"] == 1
    assert counts["network_circle_members"] == 2
    assert (counts["network_entries"], counts["network_jurors"]) == (4, 1)
    # the register, the rules and what they decided (the demo family's grant among it)
    assert counts["register_persons"] > 6000
    assert counts["proactive_rules"] == 19
    assert counts["proactive_decisions"] > 1000
    assert counts["proactive_payments"] > 0
    assert "anwohnerin@musterstadt.example / civitas-demo" in first.stdout
    # every service that says "online" has a route: an Open311 service or a published form
    assert counts["application_forms"] == 30
    for slug in ("trujillo", "musterstadt"):
        with session_scope(engine) as db:
            city = get_city_by_slug(db, slug)
            for found in list_services(db, city):
                assert "online" not in found.channels or online_route(
                    db, city, found.code, found.channels
                ), (slug, found.code)
    # applications in every state, each city
    with engine.connect() as conn:
        states = set(conn.execute(text("SELECT DISTINCT status FROM applications")).scalars())
        waiting = conn.execute(
            text("SELECT COUNT(*) FROM service_requests WHERE waiting_for IS NOT NULL")
        ).scalar()
    assert states == {"draft", "submitted", "approved", "refused", "withdrawn"}
    assert waiting == 4  # per city: one fee by transfer, one document asked for
    # offices: Musterstadt's citizens' office with four counters, Trujillo's main and
    # district office; three months of visits with a morning and a Monday peak
    assert counts["appointment_offices"] == 3
    # air quality: Trujillo 6 nodes, a PurpleAir and a reference; Musterstadt 4 and one;
    # five weeks of hours through the import paths, one calibration each
    assert counts["air_sensors"] == 8 + 5
    assert counts["air_hours"] > 13 * 24 * 30
    assert counts["air_days"] > 13 * 30
    assert counts["air_calibrations"] == 2
    assert counts["air_alerts"] == 2
    # the GPC inventories: three years and the one under way, with notation keys
    assert counts["climate_inventories"] == 2 * 4
    assert counts["climate_activities"] > 2 * 3 * 10
    assert counts["climate_notation_keys"] > 2 * 3 * 20
    assert "climate:         GPC inventories 2023–2025" in first.stdout
    assert counts["appointment_counters"] == 4 + 3 + 2
    assert counts["appointment_tickets"] > 10_000
    with engine.connect() as conn:
        kinds = set(conn.execute(text("SELECT DISTINCT status FROM appointments")).scalars())
        arrivals = list(
            conn.execute(
                text(
                    "SELECT t.arrived_at FROM appointment_tickets t JOIN cities c "
                    "ON c.id = t.tenant_id WHERE c.slug = 'musterstadt' AND t.kind = 'walk_in'"
                )
            ).scalars()
        )
        waits = conn.execute(
            text(
                "SELECT COUNT(*) FROM kpi_values "
                "WHERE kpi = 'appointments_wait_p50' AND dimension = 'all' AND value > 0"
            )
        ).scalar()
    assert {"booked", "done", "no_show"} <= kinds
    berlin = ZoneInfo("Europe/Berlin")
    local = [
        (a if isinstance(a, datetime) else datetime.fromisoformat(a))
        .replace(tzinfo=UTC)
        .astimezone(berlin)
        for a in arrivals
    ]
    morning = sum(1 for a in local if 8 <= a.hour < 10)
    midday = sum(1 for a in local if 10 <= a.hour < 12)
    assert morning > 1.2 * midday

    # Mondays are busier, hour for hour: the mornings compared, per day (the window of
    # days ends today, in Berlin's time, and holds a Monday more or less than Tuesdays
    # depending on when the demo is loaded; Tuesday's afternoon opening is longer)
    def mornings(weekday: int) -> float:
        days = {a.date() for a in local if a.weekday() == weekday}
        found = sum(1 for a in local if a.weekday() == weekday and a.hour < 12)
        return found / max(1, len(days))

    assert mornings(0) > mornings(1)
    assert waits >= 2 * 3  # a figure a month in each city, three months and more
    # the history looks like a city's: a season and a trend in the volume, the digital
    # share rising month by month, the proactive share from when the services started
    series: dict[str, list[float]] = {}
    with engine.connect() as conn:
        for kpi, value in conn.execute(
            text(
                "SELECT kpi, value FROM kpi_values JOIN cities ON cities.id = tenant_id "
                "WHERE slug = 'musterstadt' AND dimension = 'all' "
                "AND kpi IN ('volume', 'digital_pct', 'proactive_pct') ORDER BY period"
            )
        ):
            series.setdefault(kpi, []).append(value)
    whole = series["volume"][:-1]  # the month under way is not whole
    assert len(whole) == 12
    assert max(whole) > 1.2 * min(whole)
    digital = series["digital_pct"][:-1]
    assert digital[-1] - digital[0] > 12
    assert all(later > earlier - 3 for earlier, later in itertools.pairwise(digital))
    proactive = series["proactive_pct"]
    assert 4 <= len(proactive) <= 8  # from the month the first rule started, not all year
    assert proactive[1] < 80
    assert proactive[-2] > proactive[1]
    # Musterstadt runs no recycling programme: the domain is off there, on in Trujillo
    with engine.connect() as conn:
        off = dict(conn.execute(text("SELECT slug, disabled_domains FROM cities")).all())
    assert {slug: json.loads(v) if isinstance(v, str) else v for slug, v in off.items()} == {
        "trujillo": [],
        "musterstadt": ["recycling"],
    }
    with engine.connect() as conn:
        snapshot = {t.name: conn.execute(select(t)).all() for t in Base.metadata.sorted_tables}
    second = civitas("demo", env={"CIVITAS_DEMO_API_KEY": "cvk_fixed_for_the_test_0123456789"})
    assert second.returncode == 0, second.stderr
    assert "already there" in second.stdout
    with engine.connect() as conn:
        assert {
            t.name: conn.execute(select(t)).all() for t in Base.metadata.sorted_tables
        } == snapshot
    # the printed key works for Open311
    from civitas.accounts.service import verify_api_key

    with session_scope() as db:
        key = verify_api_key(
            db, get_city_by_slug(db, "musterstadt"), raw="cvk_fixed_for_the_test_0123456789"
        )
        assert key.name == "Demo Open311 client"


def test_users_create(two_cities):
    ok = civitas(
        "users",
        "create",
        "--city",
        "trujillo",
        "--username",
        "ana",
        "--name",
        "Ana Quispe",
        "--role",
        "agent",
        "--role",
        "case_worker",
        env={"CIVITAS_NEW_PASSWORD": "a-long-password"},
    )
    assert ok.returncode == 0, ok.stderr
    dup = civitas(
        "users",
        "create",
        "--city",
        "trujillo",
        "--username",
        "ana",
        "--name",
        "Ana",
        "--role",
        "agent",
        env={"CIVITAS_NEW_PASSWORD": "a-long-password"},
    )
    assert dup.returncode == 1
    assert "A user named 'ana' exists already." in dup.stderr
    bad = civitas(
        "users",
        "create",
        "--city",
        "trujillo",
        "--username",
        "bo",
        "--name",
        "Bo",
        "--role",
        "king",
        env={"CIVITAS_NEW_PASSWORD": "short"},
    )
    assert bad.returncode == 1
    assert "password" in bad.stderr
    assert "roles" in bad.stderr


def test_catalogue_import_reports_problems_and_writes_nothing(two_cities, tmp_path, engine):
    bad = tmp_path / "bad.yaml"
    bad.write_text("services:\n  - code: x\n    category: moon\n", encoding="utf-8")
    before = row_counts(engine)
    result = civitas("catalogue", "import", str(bad), "--city", "trujillo")
    assert result.returncode == 1
    assert "nothing was imported" in result.stderr
    assert "line 3: services[0].category" in result.stderr
    assert row_counts(engine) == before
    good = tmp_path / "good.csv"
    good.write_text(
        "code,name_en,description_en,category,channels,department\n"
        "bench,Park bench,Report a broken bench.,roads,open311,roads\n",
        encoding="utf-8",
    )
    result = civitas("catalogue", "import", str(good), "--city", "trujillo")
    assert result.returncode == 0, result.stderr
    assert "created: 1" in result.stdout


@pytest.mark.parametrize("fmt", ["cpsv-ap", "open311", "yaml"])
def test_catalogue_export_formats(two_cities, fmt):
    result = civitas("catalogue", "export", "--city", "musterstadt", "--format", fmt)
    assert result.returncode == 0, result.stderr
    if fmt == "cpsv-ap":
        assert json.loads(result.stdout)["@graph"]
    elif fmt == "open311":
        assert json.loads(result.stdout)[0]["service_code"] == "b-light"
    else:
        assert yaml.safe_load(result.stdout)["services"][0]["code"] == "b-light"


def test_unknown_city_and_format_are_clear_errors(two_cities):
    result = civitas("catalogue", "export", "--city", "atlantis")
    assert result.returncode == 1
    assert "No city 'atlantis'" in result.stderr
    result = civitas("catalogue", "export", "--city", "trujillo", "--format", "pdf")
    assert result.returncode == 1
    assert "Unknown format 'pdf'" in result.stderr


def test_air_and_climate_commands(two_cities, tmp_path):
    added = civitas(
        "air",
        "sensors",
        "add",
        "--city",
        "trujillo",
        "--chip-id",
        "13512461",
        "--type",
        "sds011",
        "--lat",
        "-8.11",
        "--lon",
        "-79.03",
    )
    assert added.returncode == 0, added.stderr
    assert "sensor=sds011-13512461" in added.stdout
    wrong = civitas(
        "air",
        "sensors",
        "add",
        "--city",
        "trujillo",
        "--chip-id",
        "x",
        "--type",
        "sds012",
        "--lat",
        "-8.11",
        "--lon",
        "-79.03",
    )
    assert wrong.returncode != 0
    assert "type" in wrong.stderr
    archive = tmp_path / "day.csv"
    archive.write_text("time_stamp,pm25\n2026-11-01T00:00:00Z,12.5\n2026-11-01T01:00:00Z,bad\n")
    refused = civitas("air", "import", str(archive), "--city", "trujillo", "--sensor", "13512461")
    assert refused.returncode != 0
    assert "day.csv:3:pm25" in refused.stderr
    index = civitas("air", "index", "--scale", "inca-pe", "--value", "12.6")
    assert index.stdout.strip() == "index=51 category=moderate"
    assert civitas("air", "index", "--scale", "mars", "--value", "1").returncode == 2
    lines = tmp_path / "fleet.csv"
    lines.write_text(
        "year,gpc_ref,label,quantity,unit,factor,source\n2025,II.1.1,Fleet,1000,L,diesel-mobile,Cards\n"
    )
    imported = civitas("climate", "import", str(lines), "--city", "trujillo")
    assert imported.returncode == 0, imported.stderr
    report = civitas(
        "climate", "inventory", "--city", "trujillo", "--year", "2025", "--format", "json"
    )
    assert report.returncode == 0, report.stderr
    body = json.loads(report.stdout)
    assert body["totals_co2e_t"]["BASIC"] == pytest.approx(
        1000 * (2.67649 + 0.00014087 * 293) / 1000, abs=1e-3
    )
    as_csv = civitas(
        "climate", "inventory", "--city", "trujillo", "--year", "2025", "--format", "csv"
    )
    assert as_csv.stdout.startswith("year,gpc_ref,")
    assert civitas("climate", "inventory", "--city", "trujillo", "--year", "2019").returncode != 0
