"""``civitas transit …``: public transport: GTFS feeds and GTFS-Realtime."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from civitas.core.commands import refused

app = typer.Typer(help="Public transport: GTFS feeds and realtime data.", no_args_is_help=True)

File = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]
CitySlug = Annotated[str, typer.Option(help="City slug")]
FeedName = Annotated[str, typer.Option(help="The feed's name: the FEED of FEED:ID")]


@app.command("import-gtfs")
def import_gtfs(file: File, city: CitySlug, feed: FeedName) -> None:
    """Import a static GTFS feed (.zip) as the city's feed of that name, replacing what it
    held in one transaction. Nothing is written when the feed has a problem; each problem
    names its file, line and field."""
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope
    from civitas.core.errors import CivitasError
    from civitas.transit import feeds

    try:
        with session_scope() as db:
            found = get_city_by_slug(db, city)
            result = feeds.import_feed(
                db, found, feed, content=file.read_bytes(), filename=file.name, actor="cli"
            )
    except CivitasError as exc:
        refused(exc)
    counts = " ".join(f"{k}={v}" for k, v in result.counts.items())
    typer.echo(f"feed={result.feed} version={result.version} {counts}")


@app.command("ingest-rt")
def ingest_rt(file: File, city: CitySlug, feed: FeedName) -> None:
    """Take a GTFS-Realtime message (.pb: trip updates, vehicle positions or alerts) for
    the city's feed, whole or not at all."""
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope
    from civitas.core.errors import CivitasError
    from civitas.transit import realtime

    try:
        with session_scope() as db:
            found = get_city_by_slug(db, city)
            result = realtime.ingest(db, found, feed, file.read_bytes(), via="cli")
    except CivitasError as exc:
        refused(exc)
    typer.echo(
        f"feed={result.feed} kind={result.kind} timestamp={result.header_at.isoformat()} "
        f"trip_updates={result.trip_updates} vehicles={result.vehicles} alerts={result.alerts} "
        f"observations={result.observations}"
    )


@app.command("set-realtime")
def set_realtime(
    city: CitySlug,
    feed: FeedName,
    trip_updates: Annotated[str | None, typer.Option(help="The operator's TripUpdates URL")] = None,
    vehicle_positions: Annotated[
        str | None, typer.Option(help="The operator's VehiclePositions URL")
    ] = None,
    alerts: Annotated[str | None, typer.Option(help="The operator's Alerts URL")] = None,
    every: Annotated[int, typer.Option(help="Seconds between two polls", min=10, max=3600)] = 30,
) -> None:
    """Set the operator's GTFS-Realtime URLs the worker polls (none given: stop polling)."""
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope
    from civitas.core.errors import CivitasError
    from civitas.transit import feeds

    try:
        with session_scope() as db:
            found = feeds.set_realtime(
                db,
                get_city_by_slug(db, city),
                feed,
                trip_updates=trip_updates,
                vehicle_positions=vehicle_positions,
                alerts=alerts,
                every=every,
            )
            polled = [
                u
                for u in (found.trip_updates_url, found.vehicle_positions_url, found.alerts_url)
                if u
            ]
    except CivitasError as exc:
        refused(exc)
    typer.echo(f"feed={feed} polled_urls={len(polled)} every={every}s")
