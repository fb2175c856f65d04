"""``civitas register …``: the resident register."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from civitas.core.commands import refused

app = typer.Typer(help="The resident register.", no_args_is_help=True)


@app.command("import")
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
        refused(exc)
    refresh_statistics()
    typer.echo(f"events imported: {count}")
