"""``civitas air …``: sensors, data files, calibration, indices."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from civitas.core.commands import refused

app = typer.Typer(help="Air quality: sensors, data, calibration.", no_args_is_help=True)
sensors_app = typer.Typer(help="The city's sensors and reference stations.", no_args_is_help=True)
app.add_typer(sensors_app, name="sensors")

CitySlug = Annotated[str, typer.Option(help="City slug")]
File = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]


@sensors_app.command("add")
def add(
    city: CitySlug,
    chip_id: Annotated[
        str,
        typer.Option(
            "--chip-id", help="What the sensor sends (esp8266id, PurpleAir id, archive sensor_id)"
        ),
    ],
    type_: Annotated[
        str, typer.Option("--type", help="sds011 | sps30 | pms5003 | purpleair | reference")
    ],
    lat: Annotated[float, typer.Option(help="Latitude")],
    lon: Annotated[float, typer.Option(help="Longitude")],
    name: Annotated[str, typer.Option(help="The name residents see")] = "",
    indoor: Annotated[bool, typer.Option(help="Indoor: never shown in public")] = False,
    host: Annotated[str, typer.Option(help="city | resident (shown on a 200 m grid)")] = "city",
    archive_id: Annotated[
        str,
        typer.Option(
            "--archive-id", help="The PM sensor's sensor_id in sensor.community's archives"
        ),
    ] = "",
    humidity_chip: Annotated[
        str,
        typer.Option("--humidity-chip", help="The paired humidity sensor's sensor_id in archives"),
    ] = "",
    password: Annotated[str, typer.Option(help="Basic-auth password the sensor must send")] = "",
) -> None:
    """Register a sensor or a reference station."""
    from civitas.air import sensors
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope
    from civitas.core.errors import CivitasError

    try:
        with session_scope() as db:
            found = sensors.add_sensor(
                db,
                get_city_by_slug(db, city),
                chip_id=chip_id,
                kind=type_,
                lat=lat,
                lon=lon,
                name=name,
                indoor=indoor,
                host=host,
                humidity_chip=humidity_chip or None,
                archive_id=archive_id or None,
                password=password or None,
            )
            code = found.code
    except CivitasError as exc:
        refused(exc)
    typer.echo(f"sensor={code} chip={chip_id} type={type_}")


@sensors_app.command("list")
def list_sensors(city: CitySlug) -> None:
    """Every sensor: code, type, chip, position, last data."""
    from civitas.air import sensors
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope

    with session_scope() as db:
        for s in sensors.sensors(db, get_city_by_slug(db, city)):
            seen = s.last_seen_at.isoformat() if s.last_seen_at else "never"
            typer.echo(f"{s.code}\t{s.kind}\t{s.chip_id}\t{s.lat:.5f},{s.lon:.5f}\t{seen}")


@app.command("import")
def import_file(
    file: File,
    city: CitySlug,
    sensor: Annotated[
        str, typer.Option(help="The sensor's chip id, when the file does not name it")
    ] = "",
) -> None:
    """Import a CSV file (sensor.community archive, PurpleAir CSV, or time_stamp,pm25 for a
    reference station), whole or not at all; then the hourly and daily means."""
    from civitas.air import ingest, rollup
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope
    from civitas.core.errors import CivitasError

    try:
        with session_scope() as db:
            found = get_city_by_slug(db, city)
            result = ingest.import_csv(
                db,
                found,
                file.read_text(encoding="utf-8-sig"),
                filename=file.name,
                sensor_chip=sensor or None,
            )
            hours = rollup.rollup(db, found)
    except CivitasError as exc:
        refused(exc)
    per = " ".join(f"{k}={v}" for k, v in sorted(result.sensors.items()))
    typer.echo(f"format={result.format} rows={result.rows} hours={hours} {per}")


@app.command("calibrate")
def calibrate(
    city: CitySlug,
    sensor: Annotated[str, typer.Option(help="The sensor's code")],
    reference: Annotated[str, typer.Option(help="The reference station's code")],
    start: Annotated[str, typer.Option("--from", help="YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--to", help="YYYY-MM-DD")],
) -> None:
    """Fit a sensor against a reference station over a period and store the calibration."""
    from civitas.air import calibration, rollup
    from civitas.air.sensors import by_code
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope
    from civitas.core.errors import CivitasError

    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        typer.echo("Give --from and --to as YYYY-MM-DD.", err=True)
        raise typer.Exit(2) from None
    try:
        with session_scope() as db:
            found = get_city_by_slug(db, city)
            mine = by_code(db, found, sensor)
            made = calibration.collocate(
                db, found, mine, by_code(db, found, reference), first, last, by="cli"
            )
            rollup.rollup(db, found, sensor_ids=[mine.id])
            figures = made.figures
            coefficients = made.coefficients
    except CivitasError as exc:
        refused(exc)
    typer.echo(
        f"intercept={coefficients['intercept']:.4f} slope={coefficients['slope']:.4f} "
        f"rh={coefficients['rh']:.4f} "
        f"r2={figures['r2']:.3f} rmse={figures['rmse']:.2f} meets={all(figures['meets'].values())}"
    )


@app.command("index")
def index(
    scale: Annotated[str, typer.Option(help="us-epa-2024 | inca-pe | eaqi | uba")],
    value: Annotated[float, typer.Option(help="µg/m³")],
    pollutant: Annotated[str, typer.Option(help="pm25 | pm10")] = "pm25",
) -> None:
    """The index of a concentration."""
    from civitas.air import indices

    try:
        found = indices.compute(scale, pollutant, value)
    except indices.UnknownScaleError:
        typer.echo(f"Unknown scale {scale}: choose one of {', '.join(indices.SCALES)}.", err=True)
        raise typer.Exit(2) from None
    except indices.OutOfScaleError as exc:
        typer.echo(f"Not on this scale: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"index={found.index} category={found.category}")


@app.command("demo-episode")
def demo_episode(
    city: CitySlug,
    minutes: Annotated[int, typer.Option("--in", help="Minutes from now")] = 10,
    hours: Annotated[float, typer.Option(help="How long it lasts")] = 4.0,
) -> None:
    """Schedule another episode of the demo's simulated air (demo cities only)."""
    from datetime import UTC, datetime, timedelta

    from civitas.air.sensors import settings_of
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope

    with session_scope() as db:
        found = settings_of(db, get_city_by_slug(db, city))
        demo = dict(found.demo or {})
        if not demo.get("simulate"):
            typer.echo(f"{city} has no simulated sensors: this is for the demo.", err=True)
            raise typer.Exit(2)
        start = datetime.now(UTC) + timedelta(minutes=minutes)
        demo["episodes"] = [
            *demo.get("episodes", []),
            {"start": start.isoformat(), "hours": hours, "peak": 5.0},
        ]
        found.demo = demo
    typer.echo(f"episode={start.isoformat()} hours={hours}")
