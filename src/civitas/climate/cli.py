"""``civitas climate …``: the greenhouse-gas inventory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from civitas.core.commands import refused

app = typer.Typer(help="The city's greenhouse-gas inventory (GPC).", no_args_is_help=True)
CitySlug = Annotated[str, typer.Option(help="City slug")]
Year = Annotated[int, typer.Option(help="The inventory's year")]


@app.command("inventory")
def inventory(
    city: CitySlug,
    year: Year,
    format_: Annotated[str, typer.Option("--format", help="json | csv")] = "json",
    gwp: Annotated[str, typer.Option(help="AR4 | AR5 | AR6 (default: the inventory's)")] = "",
) -> None:
    """The inventory in the GPC's layout: every sub-sector and scope with its gases,
    CO₂e, notation key and sources."""
    from civitas.cities.service import get_city_by_slug
    from civitas.climate import export
    from civitas.climate import inventory as service
    from civitas.climate.gwp import SETS
    from civitas.core.db import session_scope
    from civitas.core.errors import CivitasError

    if format_ not in ("json", "csv"):
        typer.echo("Give --format json or csv.", err=True)
        raise typer.Exit(2)
    if gwp and gwp not in SETS:
        typer.echo(f"Unknown GWP set {gwp}: choose one of {', '.join(SETS)}.", err=True)
        raise typer.Exit(2)
    try:
        with session_scope() as db:
            found = service.report(db, get_city_by_slug(db, city), year, gwp=gwp or None)
            text = (
                export.as_json(found).decode() if format_ == "json" else export.as_text_csv(found)
            )
    except CivitasError as exc:
        refused(exc)
    typer.echo(text)


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    city: CitySlug,
) -> None:
    """Activity lines from CSV (year,gpc_ref,label,quantity,unit,factor,source[,service,month]),
    all or nothing; each problem names its line and column."""
    from civitas.cities.service import get_city_by_slug
    from civitas.climate import data_in
    from civitas.core.db import session_scope
    from civitas.core.errors import CivitasError

    try:
        with session_scope() as db:
            count = data_in.import_csv(
                db,
                get_city_by_slug(db, city),
                file.read_text(encoding="utf-8-sig"),
                filename=file.name,
                by="cli",
            )
    except CivitasError as exc:
        refused(exc)
    typer.echo(f"lines={count}")


@app.command("derive")
def derive(city: CitySlug, year: Year) -> None:
    """Lines from Civitas's own figures of the year (transit vehicle-km, the waste
    pickers' route kilometres), replacing those derived before."""
    from civitas.cities.service import get_city_by_slug
    from civitas.climate import inventory as service
    from civitas.core.db import session_scope
    from civitas.core.errors import CivitasError

    try:
        with session_scope() as db:
            made = service.derive(db, get_city_by_slug(db, city), year)
    except CivitasError as exc:
        refused(exc)
    typer.echo(f"lines={made}")
