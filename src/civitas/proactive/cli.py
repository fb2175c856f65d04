"""``civitas proactive …``: proactive services: rules and runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from civitas.core.commands import refused, settings

app = typer.Typer(help="Proactive services: rules and runs.", no_args_is_help=True)


@app.command("load-rules")
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
        refused(exc)
    typer.echo(", ".join(f"{k} saved: {v}" for k, v in counts.items()))


@app.command("run")
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


@app.command("test-rules")
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
