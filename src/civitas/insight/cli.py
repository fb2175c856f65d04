"""``civitas insight …``: figures: KPIs, the scorecard, the network."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from civitas.core.commands import fail, refused

app = typer.Typer(help="Figures: KPIs, the scorecard, the network.", no_args_is_help=True)


@app.command("kpis")
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
        refused(exc)
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


@app.command("refresh")
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
        refused(exc)
    typer.echo(f"figures stored: {written}")


@app.command("load-scorecard")
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
        refused(exc)
    typer.echo(f"scorecard saved as version {version}")
