"""The ``civitas`` command: the root Typer app with one sub-app per area."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, cast

import typer

from civitas.core.config import ConfigError, Settings, get_settings

app = typer.Typer(
    help="Civitas: municipal services for residents.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Staff users.", no_args_is_help=True)
catalogue_app = typer.Typer(help="The service catalogue.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(catalogue_app, name="catalogue")
register_app = typer.Typer(help="The resident register.", no_args_is_help=True)
proactive_app = typer.Typer(help="Proactive services: rules and runs.", no_args_is_help=True)
app.add_typer(register_app, name="register")
app.add_typer(proactive_app, name="proactive")
insight_app = typer.Typer(help="Figures: KPIs, the scorecard, the network.", no_args_is_help=True)
app.add_typer(insight_app, name="insight")
recycling_app = typer.Typer(
    help="Recycling: pickups, pickers' routes, sales, figures.", no_args_is_help=True
)
app.add_typer(recycling_app, name="recycling")


def settings() -> Settings:
    try:
        return get_settings()
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(1)


@app.callback()
def _check_config() -> None:
    """Refuse to run at all on an invalid configuration."""
    settings()


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Migrate the database to the latest revision (creates the SQLite file if needed)."""
    from civitas.core.db import get_engine
    from civitas.core.migrate import current_revision, upgrade

    engine = get_engine(settings())
    upgrade(engine, revision)
    typer.echo(f"database at revision {current_revision(engine)}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's revision and whether it is the latest."""
    from civitas.core.db import get_engine
    from civitas.core.migrate import current_revision, head_revision

    engine = get_engine(settings())
    typer.echo(f"current: {current_revision(engine)}  head: {head_revision()}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    with_worker: Annotated[
        bool,
        typer.Option(
            "--with-worker",
            help="Also run the background worker (`civitas worker`) as a child process",
        ),
    ] = False,
) -> None:
    """Serve the web app and APIs (graceful shutdown on SIGTERM/SIGINT)."""
    import signal
    import subprocess
    import sys

    import uvicorn

    s = settings()
    child = subprocess.Popen([sys.executable, "-m", "civitas", "worker"]) if with_worker else None
    try:
        uvicorn.run(
            "civitas.main:create_app",
            factory=True,
            host=host or s.host,
            port=port or s.port,
            workers=workers,
            timeout_graceful_shutdown=10,
            log_config=None,
            access_log=False,
        )
    finally:
        if child is not None:
            child.send_signal(signal.SIGINT)  # Huey's graceful stop: the task at hand ends
            child.wait(timeout=60)


@app.command()
def worker(workers: Annotated[int, typer.Option(help="Worker threads")] = 2) -> None:
    """Run the background job worker (Huey consumer)."""
    from civitas.core.logging import configure_logging
    from civitas.tasks import huey

    configure_logging(settings())
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    consumer.run()


@app.command()
def demo() -> None:
    """Load the demo cities trujillo and musterstadt (safe to run again)."""
    from civitas.core.db import get_engine, refresh_statistics, session_scope
    from civitas.core.migrate import is_current
    from civitas.demo import DEFAULT_PASSWORD, DEMO_CITIES, DEMO_USERS, load_demo_city

    s = settings()
    if not is_current(get_engine(s)):
        fail("The database is not migrated; run: civitas db upgrade")
    for data in DEMO_CITIES:
        with session_scope() as db:
            result = load_demo_city(db, s, data)
        state = "created" if result.created else "already there, completed"
        typer.echo(
            f"\n{result.name} ({result.slug}, jurisdiction_id {result.jurisdiction_id}): {state}"
        )
        typer.echo(f"  catalogue:      {s.public_url}/{result.slug}/")
        typer.echo(f"  Open311 api_key: {result.api_key}")
        if result.requests:
            typer.echo(f"  demo requests:   {result.requests}")
    password = s.demo_password or DEFAULT_PASSWORD
    from civitas.proactive.demo import load_demo_register

    for data in DEMO_CITIES:
        register = load_demo_register(get_engine(s), data.slug, password)
        typer.echo(
            f"\n{data.name} register: {register.persons} persons, "
            f"{register.decisions_created} new proactive decisions"
        )
        if register.resident_email:
            typer.echo(
                f"  resident login:  {s.public_url}/{data.slug}/account  "
                f"{register.resident_email} / {password}"
            )
    from civitas.cities.service import get_city_by_slug
    from civitas.insight.demo import load_demo_insight

    for data in DEMO_CITIES:
        with session_scope() as db:
            made = load_demo_insight(db, get_city_by_slug(db, data.slug))
        typer.echo(
            f"\n{data.name} figures: {made.requests} requests of history, "
            f"{made.responses} survey answers, {made.figures} KPI figures"
        )
        typer.echo(f"  scorecard:       {s.public_url}/{data.slug}/staff/scorecard")
    from civitas.recycling.demo import load_demo_recycling

    with session_scope() as db:
        made_pickups = load_demo_recycling(db, get_city_by_slug(db, "trujillo"), password)
    if made_pickups["pickups"]:
        typer.echo(f"\nTrujillo recycling: {made_pickups['pickups']} pickups, a plan for the day")
    typer.echo("  pickers' logins: picker-rosa, picker-juan, … (waste pickers); buyer (buyer)")
    refresh_statistics(get_engine(s))
    typer.echo("\nStaff logins (each city, at /<city>/login), password: " + password)
    for username, _, role, _ in DEMO_USERS:
        typer.echo(f"  {username:<12} {role}")


@users_app.command("create")
def users_create(
    city: Annotated[str, typer.Option(help="City slug")],
    username: Annotated[str, typer.Option()],
    full_name: Annotated[str, typer.Option("--name")],
    role: Annotated[
        list[str],
        typer.Option(help="administrator, manager, case_worker, agent, field_worker, registrar"),
    ],
    email: Annotated[str | None, typer.Option()] = None,
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True, envvar="CIVITAS_NEW_PASSWORD"
        ),
    ] = "",
) -> None:
    """Create a staff user in a city."""
    from pydantic import ValidationError

    from civitas.accounts.schemas import UserCreate
    from civitas.accounts.service import create_user
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope
    from civitas.core.errors import CivitasError
    from civitas.core.i18n import translate

    try:
        data = UserCreate(
            username=username, full_name=full_name, email=email, password=password, roles=role
        )
    except ValidationError as exc:
        fail("\n".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
        return
    try:
        with session_scope() as db:
            found = get_city_by_slug(db, city)
            create_user(db, found, data=data, actor="system:cli")
    except CivitasError as exc:
        fail(translate("en", exc.message, **exc.params))
    typer.echo(f"created {username} in {city}")


@catalogue_app.command("import")
def catalogue_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    city: Annotated[str, typer.Option(help="City slug")],
    format: Annotated[
        str | None, typer.Option(help="yaml or csv (default: from the file name)")
    ] = None,
) -> None:
    """Import services (and departments) from YAML or CSV; nothing is written on any error."""
    from civitas.catalogue.importer import import_catalogue
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope
    from civitas.core.errors import CivitasError
    from civitas.core.i18n import translate

    fmt = format or ("csv" if file.suffix.lower() == ".csv" else "yaml")
    try:
        with session_scope() as db:
            found = get_city_by_slug(db, city)
            counts = import_catalogue(
                db, found, text=file.read_text(encoding="utf-8"), fmt=fmt, actor="system:cli"
            )
    except CivitasError as exc:
        typer.echo(translate("en", exc.message, **exc.params), err=True)
        for p in exc.problems:
            typer.echo(f"  {p.location}: {translate('en', p.message, **p.params)}", err=True)
        raise typer.Exit(1) from None
    typer.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


@catalogue_app.command("export")
def catalogue_export(
    city: Annotated[str, typer.Option(help="City slug")],
    format: Annotated[str, typer.Option(help="cpsv-ap, open311 or yaml")] = "cpsv-ap",
    lang: Annotated[str | None, typer.Option(help="Language for Open311 names")] = None,
) -> None:
    """Write the published catalogue to standard output."""
    from civitas.catalogue.formats import ExportFormat, export_catalogue
    from civitas.cities.service import enter_city, get_city_by_slug
    from civitas.core.db import session_scope
    from civitas.core.errors import CivitasError

    if format not in ("cpsv-ap", "open311", "yaml"):
        fail(f"Unknown format {format!r}; use cpsv-ap, open311 or yaml.")
    fmt = cast(ExportFormat, format)
    s = settings()
    try:
        with session_scope() as db:
            found = enter_city(db, get_city_by_slug(db, city))
            body = export_catalogue(
                db,
                found,
                fmt=fmt,
                base_url=s.public_url,
                lang=lang or found.default_language,
                include_unpublished=False,
            )
    except CivitasError as exc:
        fail(str(exc))
    sys.stdout.write(body if body.endswith("\n") else body + "\n")


def _refused(exc: Exception) -> None:
    from civitas.core.errors import CivitasError
    from civitas.core.i18n import translate

    assert isinstance(exc, CivitasError)
    typer.echo(translate("en", exc.message, **exc.params), err=True)
    for p in exc.problems:
        typer.echo(f"  {p.location}: {translate('en', p.message, **p.params)}", err=True)
    raise typer.Exit(1)


@register_app.command("import")
def register_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    city: Annotated[str, typer.Option(help="City slug")],
) -> None:
    """Import life events from CSV or Parquet; on any error nothing is imported and every
    problem is listed with its line."""
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import refresh_statistics, session_scope
    from civitas.core.errors import CivitasError
    from civitas.proactive.flows import receive_event
    from civitas.register.importer import import_events

    fmt = "parquet" if file.suffix.lower() in (".parquet", ".pq") else "csv"

    def apply(db: Any, found: Any, event: Any) -> None:
        receive_event(db, found, event, source=f"import:{file.name}", actor="system:cli")

    try:
        with session_scope() as db:
            found = get_city_by_slug(db, city)
            count = import_events(
                db, found, data=file.read_bytes(), fmt=fmt, actor="system:cli", apply=apply
            )
    except CivitasError as exc:
        _refused(exc)
    refresh_statistics()
    typer.echo(f"events imported: {count}")


@proactive_app.command("load-rules")
def proactive_load_rules(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    city: Annotated[str, typer.Option(help="City slug")],
) -> None:
    """Check and save a YAML file of parameters and rules (a changed rule gets a new version)."""
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope
    from civitas.core.errors import CivitasError
    from civitas.proactive.rules import save_rule_file

    try:
        with session_scope() as db:
            found = get_city_by_slug(db, city)
            counts = save_rule_file(
                db, found, text=file.read_text(encoding="utf-8"), actor="system:cli"
            )
    except CivitasError as exc:
        _refused(exc)
    typer.echo(", ".join(f"{k} saved: {v}" for k, v in counts.items()))


@proactive_app.command("run")
def proactive_run(
    city: Annotated[str, typer.Option(help="City slug")],
    on: Annotated[str | None, typer.Option(help="Date, YYYY-MM-DD (default: today)")] = None,
    rule: Annotated[list[str] | None, typer.Option(help="Only these rule codes")] = None,
) -> None:
    """Evaluate the periodic rules over everyone living in the city (safe to run again)."""
    from datetime import date

    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import get_engine, session_scope
    from civitas.proactive.engine import run_batch
    from civitas.proactive.notices import notify_pending

    day = date.fromisoformat(on) if on else date.today()
    with session_scope() as db:
        found = get_city_by_slug(db, city)
    engine = get_engine(settings())
    result = run_batch(
        engine, found, on=day, codes=rule or None, trigger="manual" if rule else "periodic"
    )
    notices = notify_pending(engine, found)
    typer.echo(
        f"run {result.run_id}: {result.persons} persons, {result.decided} decisions, "
        f"{result.created} new, {notices} e-mails queued"
    )


@proactive_app.command("test-rules")
def proactive_test_rules(
    rules: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    cases: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Run a rule file's YAML test cases on both engines."""
    from civitas.proactive.casebook import run_cases

    ran, failures = run_cases(rules.read_text(encoding="utf-8"), cases.read_text(encoding="utf-8"))
    for failure in failures:
        typer.echo(f"FAIL {failure}", err=True)
    typer.echo(
        f"{ran - len({f.split(':')[0] for f in failures})} passed, "
        f"{len({f.split(':')[0] for f in failures})} failed"
    )
    if failures:
        raise typer.Exit(1)


def main() -> None:
    app()


@insight_app.command("kpis")
def insight_kpis(
    city: Annotated[str, typer.Option(help="City slug")],
    period: Annotated[str, typer.Option(help="The month, YYYY-MM")],
    format: Annotated[str, typer.Option(help="csv or json")] = "csv",
    dimension: Annotated[str, typer.Option(help="all, service, department or channel")] = "all",
    fresh: Annotated[bool, typer.Option(help="Compute now instead of reading stored")] = True,
) -> None:
    """Print a month's KPIs of a city (computed from the data now, unless --no-fresh)."""
    import csv
    import json

    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope
    from civitas.core.errors import CivitasError
    from civitas.core.kpis import catalogue
    from civitas.insight import figures

    if format not in ("csv", "json"):
        fail(f"--format must be csv or json, not {format!r}")
    if dimension not in ("all", "service", "department", "channel"):
        fail(f"--dimension must be all, service, department or channel, not {dimension!r}")
    try:
        with session_scope() as db:
            found = get_city_by_slug(db, city)
            month = figures.period(found, period).month
            if fresh:
                known = catalogue()
                rows = [
                    (c.kpi, c.dimension, c.key, c.value, c.n, known[c.kpi].unit)
                    for c in figures.compute(db, found, month)
                    if c.dimension == dimension
                ]
            else:
                rows = [
                    (f.kpi.code, f.dimension, f.key, f.value, f.n, f.kpi.unit)
                    for f in figures.figures(db, found, month, dimension=dimension)
                ]
    except CivitasError as exc:
        _refused(exc)
    names = ["kpi", "dimension", "key", "value", "n", "unit"]
    if format == "json":
        out = {
            "city": city,
            "period": month,
            "kpis": [dict(zip(names, r, strict=True)) for r in rows],
        }
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["period", *names])
    for r in rows:
        writer.writerow([month, *("" if v is None else v for v in r)])


@insight_app.command("refresh")
def insight_refresh(
    city: Annotated[str, typer.Option(help="City slug")],
    period: Annotated[list[str], typer.Option(help="Months, YYYY-MM (repeat the option)")],
) -> None:
    """Recompute and store the months' KPIs, and republish the city's network figures."""
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope
    from civitas.core.errors import CivitasError
    from civitas.insight.service import refresh_figures

    try:
        with session_scope() as db:
            written = refresh_figures(db, get_city_by_slug(db, city), period, actor="system:cli")
    except CivitasError as exc:
        _refused(exc)
    typer.echo(f"figures stored: {written}")


@insight_app.command("load-scorecard")
def insight_load_scorecard(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    city: Annotated[str, typer.Option(help="City slug")],
) -> None:
    """Check and save the city's balanced scorecard (YAML) as a new version."""
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope
    from civitas.core.errors import CivitasError
    from civitas.insight.service import save_scorecard

    try:
        with session_scope() as db:
            found = get_city_by_slug(db, city)
            row = save_scorecard(
                db, found, text=file.read_text(encoding="utf-8"), actor="system:cli"
            )
            version = row.version
    except CivitasError as exc:
        _refused(exc)
    typer.echo(f"scorecard saved as version {version}")


@recycling_app.command("solve-cvrp")
def recycling_solve_cvrp(
    file: Annotated[Path, typer.Argument(help="A CVRPLIB .vrp file (EUC_2D)")],
    time_limit: Annotated[float, typer.Option(help="Seconds to search", min=0.1)] = 10.0,
    seed: Annotated[int, typer.Option(help="Random seed of the search")] = 1,
) -> None:
    """Solve a CVRPLIB instance with the project's routing; the last line is cost=N."""
    from civitas.core.errors import CivitasError
    from civitas.recycling.routing import read_cvrplib, solve_cvrp

    try:
        instance = read_cvrplib(file)
    except CivitasError as exc:
        _refused(exc)
    solution = solve_cvrp(instance, time_limit=time_limit, seed=seed)
    for number, route in enumerate(solution.routes, start=1):
        typer.echo(f"Route #{number}: {' '.join(str(c) for c in route)}")
    typer.echo(f"cost={solution.cost}")
