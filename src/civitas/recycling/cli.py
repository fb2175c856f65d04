"""``civitas recycling …``: recycling: pickups, pickers' routes, sales, figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from civitas.core.commands import refused

app = typer.Typer(help="Recycling: pickups, pickers' routes, sales, figures.", no_args_is_help=True)


@app.command("solve-cvrp")
def recycling_solve_cvrp(
    file: Annotated[Path, typer.Argument(help="A CVRPLIB .vrp file (EUC_2D)")],
    time_limit: Annotated[float, typer.Option(help="Seconds to search", min=0.1)] = 10.0,
    seed: Annotated[int, typer.Option(help="Random seed of the search")] = 1,
) -> None:
    """Solve a CVRPLIB instance with the project's routing; the last line is cost=N."""
    from civitas.core.errors import CivitasError
    from civitas.recycling.vrp import read_cvrplib, solve_cvrp

    try:
        instance = read_cvrplib(file)
    except CivitasError as exc:
        refused(exc)
    solution = solve_cvrp(instance, time_limit=time_limit, seed=seed)
    for number, route in enumerate(solution.routes, start=1):
        typer.echo(f"Route #{number}: {' '.join(str(c) for c in route)}")
    typer.echo(f"cost={solution.cost}")
