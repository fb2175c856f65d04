"""CVRPLIB sets A and B: the project's routing (PyVRP) beside OR-Tools, at one time limit.

Every instance of ``bench/data/cvrplib`` is read with ``civitas.recycling.vrp`` (EUC_2D,
distances rounded to integers as CVRPLIB does), solved by each solver with the same
matrix and the same limit per instance, checked (every customer once, no route over
capacity), costed with the same matrix, and compared with the best-known value in
``bench/data/cvrplib/bks.csv``. OR-Tools (the ``bench`` extra) runs its routing library
with guided local search, as its documentation recommends for the CVRP.

    python bench/cvrp.py [--time-limit 10] [--only A-n32-k5,...] [--solvers pyvrp,ortools]

Ends with one line: RESULT instances=… time_limit_s=… pyvrp_mean_gap_pct=… ortools_mean_gap_pct=…
"""

from __future__ import annotations

import argparse
import csv
import math
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from civitas.recycling.vrp import (
    CvrpInstance,
    CvrpSolution,
    check_cvrp_solution,
    read_cvrplib,
    route_cost,
    solve_cvrp,
)

DATA = Path(__file__).resolve().parent / "data" / "cvrplib"


def solve_ortools(instance: CvrpInstance, *, time_limit: float, seed: int = 1) -> CvrpSolution:
    """OR-Tools' routing library: savings-free cheapest arc, then guided local search."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    started = time.perf_counter()
    # the fleet: the instance's k (from its name) plus one, so that a feasible start is easy
    named = re.search(r"-k(\d+)", instance.name)
    lower = math.ceil(sum(instance.demands) / instance.capacity)
    vehicles = max(int(named.group(1)) if named else lower, lower) + 1
    manager = pywrapcp.RoutingIndexManager(len(instance.demands), vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    matrix = instance.distances

    def distance(i: int, j: int) -> int:
        return int(matrix[manager.IndexToNode(i)][manager.IndexToNode(j)])

    transit = routing.RegisterTransitCallback(distance)
    routing.SetArcCostEvaluatorOfAllVehicles(transit)

    def demand(i: int) -> int:
        return int(instance.demands[manager.IndexToNode(i)])

    load = routing.RegisterUnaryTransitCallback(demand)
    routing.AddDimensionWithVehicleCapacity(load, 0, [instance.capacity] * vehicles, True, "load")
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(time_limit * 1000))
    found = routing.SolveWithParameters(params)
    if found is None:
        raise ValueError(f"OR-Tools found no solution of {instance.name}")
    routes: list[tuple[int, ...]] = []
    for v in range(vehicles):
        index = routing.Start(v)
        route: list[int] = []
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            if node:
                route.append(node)
            index = found.Value(routing.NextVar(index))
        if route:
            routes.append(tuple(route))
    return CvrpSolution(
        routes=tuple(routes),
        cost=route_cost(instance, routes),
        seconds=time.perf_counter() - started,
    )


SOLVERS: dict[str, Callable[..., CvrpSolution]] = {"pyvrp": solve_cvrp, "ortools": solve_ortools}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--only", default="", help="comma-separated instance names")
    parser.add_argument("--solvers", default="pyvrp,ortools")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with (DATA / "bks.csv").open(encoding="utf-8") as handle:
        bks = {row["instance"]: int(row["bks"]) for row in csv.DictReader(handle)}
    names = [n for n in args.only.split(",") if n] or sorted(bks)
    solvers = [s for s in args.solvers.split(",") if s]
    gaps: dict[str, list[float]] = {s: [] for s in solvers}
    optimal: dict[str, int] = dict.fromkeys(solvers, 0)
    header = f"{'instance':<12} {'n':>3} {'bks':>5}" + "".join(
        f" {s + ' cost':>13} {'gap %':>6}" for s in solvers
    )
    print(f"time limit {args.time_limit} s per instance and solver, seed {args.seed}")
    print(header)
    for name in names:
        instance = read_cvrplib(DATA / f"{name}.vrp")
        line = f"{name:<12} {instance.customers:>3} {bks[name]:>5}"
        for solver in solvers:
            solution = SOLVERS[solver](instance, time_limit=args.time_limit, seed=args.seed)
            check_cvrp_solution(instance, solution.routes)
            gap = 100 * (solution.cost - bks[name]) / bks[name]
            gaps[solver].append(gap)
            optimal[solver] += solution.cost <= bks[name]
            line += f" {solution.cost:>13} {gap:>6.2f}"
        print(line, flush=True)
    result = {"instances": len(names), "time_limit_s": args.time_limit}
    for solver in solvers:
        print(
            f"{solver}: mean gap {statistics.fmean(gaps[solver]):.3f} %, max "
            f"{max(gaps[solver]):.2f} %, best-known reached on {optimal[solver]}/{len(names)}"
        )
        result[f"{solver}_mean_gap_pct"] = round(statistics.fmean(gaps[solver]), 3)
        result[f"{solver}_max_gap_pct"] = round(max(gaps[solver]), 2)
        result[f"{solver}_at_bks"] = optimal[solver]
    print("RESULT " + " ".join(f"{k}={v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
