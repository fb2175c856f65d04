"""``civitas catalogue …``: the service catalogue."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, cast

import typer

from civitas.core.commands import fail, settings

app = typer.Typer(help="The service catalogue.", no_args_is_help=True)


@app.command("import")
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
        typer.echo(exc.text("en"), err=True)
        for p in exc.problems:
            typer.echo(f"  {p.location}: {translate('en', p.message, **p.params)}", err=True)
        raise typer.Exit(1) from None
    typer.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


@app.command("export")
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
