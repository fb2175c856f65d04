"""Vehicle routing for the recyclers: CVRPLIB instances and the day's pickup plan.

The solver is PyVRP (hybrid genetic search, iterated local search in 0.14). It was chosen
over OR-Tools by ``bench/cvrp.py``: on the CVRPLIB sets A and B at the same time limit it
comes closer to the best-known values (``docs/benchmarks.md``). Nothing here touches the
database; ``recycling.planning`` turns pickups and pickers into :class:`Stop` and
:class:`Vehicle` and stores what comes back.

Units: distances in metres, times in seconds since the plan day's local midnight, loads in
grams, expected income in minor units of the city's currency.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from civitas.core.errors import InvalidInput
from civitas.core.geo import haversine_m

# streets are not straight lines: road distance over great-circle distance in a dense grid
# of streets (Boscoe et al. 2012 measured 1.2–1.4 in US cities; we take the middle)
DETOUR_FACTOR = 1.3
# a stop that can be visited is worth more than any detour, so the solver leaves a pickup
# out only when no picker can reach it within the windows, shifts and capacities
UNSERVED_PENALTY_M = 10_000_000
INCOME_UNBOUNDED = 10**12


# --- CVRPLIB -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CvrpInstance:
    """A CVRPLIB instance: node 0 is the depot; distances are rounded as CVRPLIB does."""

    name: str
    capacity: int
    demands: tuple[int, ...]
    coords: tuple[tuple[float, float], ...]
    distances: tuple[tuple[int, ...], ...]

    @property
    def customers(self) -> int:
        return len(self.demands) - 1


def read_cvrplib(path: Path) -> CvrpInstance:
    """Read a CVRPLIB (TSPLIB-style) CVRP file with EUC_2D coordinates.

    Distances are the Euclidean ones rounded to the nearest integer (TSPLIB's ``nint``),
    which is how CVRPLIB's best-known values are computed."""
    import vrplib

    if not path.is_file():
        raise InvalidInput("There is no file {path}: give the path of a .vrp file.", path=path)
    try:
        data = vrplib.read_instance(str(path), compute_edge_weights=False)
    except Exception as exc:  # vrplib raises whatever its parser meets
        raise InvalidInput(
            "{path} is not a CVRPLIB file ({error}): it needs NAME, TYPE : CVRP, DIMENSION, "
            "EDGE_WEIGHT_TYPE : EUC_2D, CAPACITY, NODE_COORD_SECTION, DEMAND_SECTION and "
            "DEPOT_SECTION.",
            path=path,
            error=exc,
        ) from None
    missing = [
        key.upper()
        for key in ("dimension", "capacity", "node_coord", "demand", "depot")
        if key not in data
    ]
    if missing:
        raise InvalidInput(
            "{path} lacks {fields}: a CVRPLIB file needs each of them.",
            path=path,
            fields=", ".join(missing),
        )
    kind = str(data.get("edge_weight_type", "")).strip()
    if kind != "EUC_2D":
        raise InvalidInput(
            "{path} has EDGE_WEIGHT_TYPE {kind!r}; only EUC_2D (coordinates in the plane) "
            "is supported.",
            path=path,
            kind=kind or "none",
        )
    coords = tuple((float(x), float(y)) for x, y in data["node_coord"])
    demands = tuple(int(d) for d in data["demand"])
    depot = int(data["depot"][0])
    if len(coords) != int(data["dimension"]) or len(demands) != len(coords):
        raise InvalidInput(
            "{path} says DIMENSION {dimension} but has {nodes} coordinates and {demands} demands.",
            path=path,
            dimension=data["dimension"],
            nodes=len(coords),
            demands=len(demands),
        )
    capacity = int(data["capacity"])
    if depot != 0:  # put the depot first, as the solvers expect
        order = [depot, *(i for i in range(len(coords)) if i != depot)]
        coords = tuple(coords[i] for i in order)
        demands = tuple(demands[i] for i in order)
    too_big = [i for i, d in enumerate(demands) if d > capacity]
    if too_big:
        raise InvalidInput(
            "{path}: node {node} demands {demand}, more than the capacity {capacity}; no "
            "route can serve it.",
            path=path,
            node=too_big[0] + 1,
            demand=demands[too_big[0]],
            capacity=capacity,
        )
    distances = tuple(
        tuple(math.floor(math.hypot(ax - bx, ay - by) + 0.5) for bx, by in coords)
        for ax, ay in coords
    )
    return CvrpInstance(
        name=str(data.get("name", path.stem)),
        capacity=capacity,
        demands=demands,
        coords=coords,
        distances=distances,
    )


@dataclass(frozen=True)
class CvrpSolution:
    routes: tuple[tuple[int, ...], ...]  # customers by node number (1 = first customer)
    cost: int
    seconds: float


def route_cost(instance: CvrpInstance, routes: Sequence[Sequence[int]]) -> int:
    """The cost of routes from and back to the depot, with the instance's distances."""
    total = 0
    for route in routes:
        path = [0, *route, 0]
        total += sum(instance.distances[a][b] for a, b in itertools.pairwise(path))
    return total


def check_cvrp_solution(instance: CvrpInstance, routes: Sequence[Sequence[int]]) -> None:
    """Raise if the routes do not visit every customer exactly once within capacity."""
    seen = sorted(c for route in routes for c in route)
    if seen != list(range(1, instance.customers + 1)):
        raise ValueError("the routes do not visit every customer exactly once")
    for route in routes:
        load = sum(instance.demands[c] for c in route)
        if load > instance.capacity:
            raise ValueError(f"a route carries {load}, over the capacity {instance.capacity}")


def solve_cvrp(instance: CvrpInstance, *, time_limit: float, seed: int = 1) -> CvrpSolution:
    """Solve a CVRP instance with PyVRP within ``time_limit`` seconds."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    started = time.perf_counter()
    model = pyvrp.Model()
    locations = [model.add_location(x=x, y=y) for x, y in instance.coords]
    depot = model.add_depot(locations[0])
    model.add_vehicle_type(
        num_available=instance.customers, capacity=instance.capacity, start_depot=depot
    )
    for node in range(1, len(locations)):
        model.add_client(locations[node], delivery=instance.demands[node])
    for a, frm in enumerate(locations):
        row = instance.distances[a]
        for b, to in enumerate(locations):
            if a != b:
                model.add_edge(frm, to, distance=row[b])
    result = model.solve(stop=MaxRuntime(time_limit), seed=seed, display=False)
    if not result.best.is_feasible():
        raise ValueError(f"no feasible solution of {instance.name} within {time_limit} s")
    routes = tuple(
        tuple(a.idx + 1 for a in route if a.type == pyvrp.ActivityType.CLIENT)
        for route in result.best.routes()
    )
    routes = tuple(r for r in routes if r)
    cost = route_cost(instance, routes)
    return CvrpSolution(routes=routes, cost=cost, seconds=time.perf_counter() - started)


# --- the day's pickup plan ---------------------------------------------------------------


@dataclass(frozen=True)
class Stop:
    """A pickup to visit: where, how much, when, and what it is expected to earn."""

    key: int
    lat: float
    lon: float
    load_g: int
    window: tuple[int, int]  # seconds since local midnight
    service_s: int
    income_minor: int


@dataclass(frozen=True)
class Vehicle:
    """A picker for the day: where they start and end, what they carry, when they work."""

    key: int
    start: tuple[float, float]
    end: tuple[float, float]
    capacity_g: int
    shift: tuple[int, int]  # seconds since local midnight
    speed_kmh: float
    # where a full load can be left (the association's collection centre) to go on
    unload_at: tuple[float, float] | None = None


@dataclass(frozen=True)
class Visit:
    stop: int
    arrival_s: int  # when the visit begins (after any wait for the window)
    departure_s: int


@dataclass(frozen=True)
class Route:
    vehicle: int
    visits: tuple[Visit, ...]
    distance_m: int
    start_s: int
    end_s: int
    load_g: int
    income_minor: int


@dataclass(frozen=True)
class Fairness:
    """How evenly the expected income is spread over the pickers who work that day."""

    mean_minor: float
    min_minor: int
    max_minor: int
    spread_minor: int  # max - min
    gini: float  # 0 = everyone the same


@dataclass(frozen=True)
class Plan:
    routes: tuple[Route, ...]
    unassigned: tuple[int, ...]
    distance_m: int
    fairness: Fairness
    income_cap_minor: int | None  # the fairness bound the chosen plan was solved with
    seconds: float
    candidates: tuple[dict[str, int | None], ...] = field(default=())


# iterations without a better plan after which a search counts as settled
SETTLED = 2_000


def road_m(a: tuple[float, float], b: tuple[float, float]) -> int:
    """The estimated street distance between two points, in whole metres."""
    return round(haversine_m(a, b) * DETOUR_FACTOR)


def fairness_of(incomes: Sequence[int]) -> Fairness:
    if not incomes:
        return Fairness(0.0, 0, 0, 0, 0.0)
    ordered = sorted(incomes)
    n = len(ordered)
    total = sum(ordered)
    gini = (
        0.0
        if total == 0
        else sum((2 * (i + 1) - n - 1) * x for i, x in enumerate(ordered)) / (n * total)
    )
    return Fairness(
        mean_minor=total / n,
        min_minor=ordered[0],
        max_minor=ordered[-1],
        spread_minor=ordered[-1] - ordered[0],
        gini=round(gini, 4),
    )


def plan_day(
    stops: Sequence[Stop],
    vehicles: Sequence[Vehicle],
    *,
    time_limit: float = 10.0,
    fairness_weight: float = 0.0,
    seed: int = 1,
    settle: bool = True,
) -> Plan:
    """Assign stops to vehicles and order them, within the time limit.

    Capacities, time windows and shifts are hard constraints; a stop that no vehicle can
    serve is left unassigned (and reported), not forced. ``fairness_weight`` is the city's
    price of inequality: metres of extra route worth one minor unit less spread between the
    highest and the lowest expected income. With a weight, the plan is also solved with
    income caps near the fair share, and the plan with the least
    ``distance + weight * spread`` that serves as many stops is kept. With ``settle`` a
    search also ends once it has found nothing better for a while (bench/day_plan.py
    measures what that costs against searching to the limit).
    """
    started = time.perf_counter()
    if not stops or not vehicles:
        return _plan_of(stops, vehicles, None, None, started, ())
    caps: list[int | None] = [None]
    if fairness_weight > 0 and len(vehicles) > 1:
        share = sum(s.income_minor for s in stops) / len(vehicles)
        caps += [math.ceil(share * factor) for factor in (1.5, 1.25, 1.1)]
    budget = time_limit / len(caps)
    best: tuple[float, int | None, object] | None = None
    served_most = -1
    tried: list[dict[str, int | None]] = []
    for cap in caps:
        solution = _solve(stops, vehicles, cap, budget, seed, settle)
        if solution is None:
            tried.append({"cap": cap, "served": None, "distance_m": None, "spread": None})
            continue
        routes, unassigned = _routes_of(solution, stops, vehicles)
        served = len(stops) - len(unassigned)
        distance = sum(r.distance_m for r in routes)
        spread = fairness_of([r.income_minor for r in routes]).spread_minor
        tried.append({"cap": cap, "served": served, "distance_m": distance, "spread": spread})
        score = distance + fairness_weight * spread
        if served > served_most or (served == served_most and best and score < best[0]):
            best, served_most = (score, cap, solution), served
    if best is None:
        return _plan_of(stops, vehicles, None, None, started, tuple(tried))
    return _plan_of(stops, vehicles, best[2], best[1], started, tuple(tried))


def _plan_of(
    stops: Sequence[Stop],
    vehicles: Sequence[Vehicle],
    solution: object | None,
    cap: int | None,
    started: float,
    tried: tuple[dict[str, int | None], ...],
) -> Plan:
    if solution is None:
        routes: tuple[Route, ...] = ()
        unassigned = tuple(s.key for s in stops)
    else:
        routes, unassigned = _routes_of(solution, stops, vehicles)
    return Plan(
        routes=routes,
        unassigned=unassigned,
        distance_m=sum(r.distance_m for r in routes),
        fairness=fairness_of(
            [next((r.income_minor for r in routes if r.vehicle == v.key), 0) for v in vehicles]
        ),
        income_cap_minor=cap,
        seconds=round(time.perf_counter() - started, 3),
        candidates=tried,
    )


def _solve(
    stops: Sequence[Stop],
    vehicles: Sequence[Vehicle],
    income_cap: int | None,
    time_limit: float,
    seed: int,
    settle: bool = True,
) -> object | None:
    import pyvrp
    from pyvrp.stop import MaxRuntime, MultipleCriteria, NoImprovement

    model = pyvrp.Model()
    points: list[tuple[float, float]] = []
    index: dict[tuple[float, float], int] = {}

    def location(point: tuple[float, float]) -> int:
        if point not in index:
            index[point] = len(points)
            points.append(point)
        return index[point]

    depot_points = sorted(
        {v.start for v in vehicles}
        | {v.end for v in vehicles}
        | {v.unload_at for v in vehicles if v.unload_at is not None}
    )
    for point in depot_points:
        location(point)
    for stop in stops:
        location((stop.lat, stop.lon))
    locs = [model.add_location(x=lon, y=lat) for lat, lon in points]
    depots = {point: model.add_depot(locs[index[point]]) for point in depot_points}
    speeds = sorted({v.speed_kmh for v in vehicles})
    profiles = {speed: model.add_profile(name=f"{speed} km/h") for speed in speeds}
    cap = INCOME_UNBOUNDED if income_cap is None else income_cap
    for vehicle in vehicles:
        model.add_vehicle_type(
            num_available=1,
            capacity=[vehicle.capacity_g, cap],
            start_depot=depots[vehicle.start],
            end_depot=depots[vehicle.end],
            tw_early=vehicle.shift[0],
            tw_late=vehicle.shift[1],
            profile=profiles[vehicle.speed_kmh],
            reload_depots=[] if vehicle.unload_at is None else [depots[vehicle.unload_at]],
            name=str(vehicle.key),
        )
    for stop in stops:
        model.add_client(
            locs[index[(stop.lat, stop.lon)]],
            pickup=[stop.load_g, stop.income_minor],
            service_duration=stop.service_s,
            tw_early=stop.window[0],
            tw_late=stop.window[1],
            prize=UNSERVED_PENALTY_M,
            required=False,
            name=str(stop.key),
        )
    for a, pa in enumerate(points):
        for b, pb in enumerate(points):
            if a == b:
                continue
            metres = road_m(pa, pb)
            for speed, profile in profiles.items():
                seconds = math.ceil(metres / (speed / 3.6))
                model.add_edge(locs[a], locs[b], distance=metres, duration=seconds, profile=profile)
    # a day's few dozen stops settle long before the limit: stop once the search has found
    # nothing better for a while, or at the limit, whichever comes first
    criteria = MultipleCriteria(
        [MaxRuntime(time_limit), NoImprovement(max(SETTLED, 40 * len(stops)))]
        if settle
        else [MaxRuntime(time_limit)]
    )
    result = model.solve(stop=criteria, seed=seed, display=False)
    return result.best if result.best.is_feasible() else None


def _routes_of(
    solution: object, stops: Sequence[Stop], vehicles: Sequence[Vehicle]
) -> tuple[tuple[Route, ...], tuple[int, ...]]:
    import pyvrp

    assert isinstance(solution, pyvrp.Solution)
    routes: list[Route] = []
    served: set[int] = set()
    for route in solution.routes():
        vehicle = vehicles[route.vehicle_type()]
        visits: list[Visit] = []
        for activity in route.schedule():
            if activity.type != pyvrp.ActivityType.CLIENT:
                continue
            stop = stops[activity.idx]
            served.add(stop.key)
            visits.append(Visit(stop.key, int(activity.start_time), int(activity.end_time)))
        if not visits:
            continue
        chosen = [stops[a.idx] for a in route.schedule() if a.type == pyvrp.ActivityType.CLIENT]
        routes.append(
            Route(
                vehicle=vehicle.key,
                visits=tuple(visits),
                distance_m=int(route.distance()),
                start_s=int(route.start_time()),
                end_s=int(route.end_time()),
                load_g=sum(s.load_g for s in chosen),
                income_minor=sum(s.income_minor for s in chosen),
            )
        )
    unassigned = tuple(s.key for s in stops if s.key not in served)
    return tuple(routes), unassigned
