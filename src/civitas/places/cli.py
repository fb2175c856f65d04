"""``civitas places …``: the address register and the base map of a city."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from civitas.core.commands import refused, settings

app = typer.Typer(help="Addresses and the base map of a city.", no_args_is_help=True)

File = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]
CitySlug = Annotated[str, typer.Option(help="City slug")]


@app.command("import-addresses")
def import_addresses(file: File, city: CitySlug) -> None:
    """Replace the city's address register with a CSV or GeoJSON file (street, number,
    postcode, district, lat, lon; OpenStreetMap's addr:* tags work too). Nothing is
    written when any row is wrong; each problem names its line and field."""
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope
    from civitas.core.errors import CivitasError
    from civitas.places import service

    try:
        with session_scope() as db:
            found = get_city_by_slug(db, city)
            result = service.import_addresses(
                db, found, content=file.read_bytes(), filename=file.name
            )
    except CivitasError as exc:
        refused(exc)
    typer.echo(f"addresses={result.count} version={result.version}")


@app.command("set-basemap")
def set_basemap(
    city: CitySlug,
    pmtiles: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="A PMTiles file to serve")
    ] = None,
    tile_server: Annotated[
        str | None, typer.Option(help="https://…/{z}/{x}/{y}.png of a tile server the city runs")
    ] = None,
    attribution: Annotated[str | None, typer.Option(help="The map's credit line")] = None,
    drawn: Annotated[bool, typer.Option(help="No base map: draw from the city's data")] = False,
) -> None:
    """Set where the city's base map comes from (one of --pmtiles, --tile-server, --drawn)."""
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope
    from civitas.core.errors import CivitasError
    from civitas.places import basemap

    if sum(x is not None and x is not False for x in (pmtiles, tile_server, drawn)) != 1:
        typer.echo("Give one of --pmtiles, --tile-server or --drawn.", err=True)
        raise typer.Exit(2)
    s = settings()
    try:
        with session_scope() as db:
            found = get_city_by_slug(db, city)
            if pmtiles is not None:
                basemap.store_pmtiles(
                    db, found, s, content=pmtiles.read_bytes(), attribution=attribution
                )
            elif tile_server is not None:
                basemap.set_tile_server(db, found, url=tile_server, attribution=attribution)
            else:
                basemap.set_drawn(db, found)
    except CivitasError as exc:
        refused(exc)
    typer.echo("base map set")
