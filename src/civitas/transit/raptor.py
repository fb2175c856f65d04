"""RAPTOR (Delling, Pajor, Werneck: "Round-Based Public Transit Routing", 2012), as
OpenTripPlanner 2 plans: round k finds the earliest arrival at every stop with k
vehicles, so the answer is the Pareto set of journeys by arrival time and number of
transfers, and the earliest arrival is exact.

Walking follows each ride (one walk between two rides: to a nearby stop, or as
transfers.txt says: a minimum time, or not possible), and starts and ends a journey at
a point. With ``max_walk_m=0`` there is no walking at all and a change of vehicle
happens only at one stop_id, with no minimum change time.

Arrive-by queries run the same rounds over the timetable turned around (each pattern's
stops reversed, times negated): the latest departures that still arrive in time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from civitas.transit.timetable import Day, Network, Pattern, Run

INF = 1 << 62


@dataclass(frozen=True)
class Leg:
    mode: str  # "transit" or "walk"
    from_stop: int | None  # None: the query's own point
    to_stop: int | None
    departure: int  # epoch seconds
    arrival: int
    run: Run | None = None
    board: int | None = None  # positions in the run's trip
    alight: int | None = None
    metres: float | None = None


@dataclass(frozen=True)
class Journey:
    legs: tuple[Leg, ...]

    @property
    def departure(self) -> int:
        return self.legs[0].departure

    @property
    def arrival(self) -> int:
        return self.legs[-1].arrival

    @property
    def rides(self) -> list[Leg]:
        return [leg for leg in self.legs if leg.mode == "transit"]

    @property
    def transfers(self) -> int:
        return max(len(self.rides) - 1, 0)


@dataclass
class Query:
    """Where a journey may start (stop → seconds of walking from the origin, 0 at the
    origin stop itself) and end (stop → seconds of walking to the destination), when,
    and how far riders walk between stops."""

    access: dict[int, int]
    egress: dict[int, int]
    time: int  # epoch: depart at (or, arrive_by, arrive by)
    max_transfers: int = 4
    max_walk_m: float = 800.0
    walk_speed: float = 1.2
    arrive_by: bool = False
    access_metres: dict[int, float] = field(default_factory=dict)
    egress_metres: dict[int, float] = field(default_factory=dict)
    # trips the journey must not use (a rider who wants emptier vehicles)
    avoid: frozenset[str] = frozenset()


@dataclass
class _Table:
    """The patterns one search runs over: the day's, or the day's turned around
    (``original`` then holds the day's patterns, the runs as they go)."""

    patterns: list[Pattern]
    by_stop: list[list[tuple[int, int]]]
    original: list[Pattern] | None = None

    @property
    def flipped(self) -> bool:
        return self.original is not None


def _table(day: Day, flipped: bool) -> _Table:
    if not flipped:
        return _Table(day.patterns, day.by_stop)
    if day.turned is not None:
        return day.turned  # type: ignore[no-any-return]
    patterns: list[Pattern] = []
    for p in day.patterns:
        n = len(p.stops)
        runs = [
            Run(
                r.trip,
                r.service_date,
                -r.arrivals[-1],
                tuple(-r.departures[n - 1 - i] for i in range(n)),
                tuple(-r.arrivals[n - 1 - i] for i in range(n)),
                r.exact,
            )
            for r in reversed(p.runs)
        ]
        turned = Pattern(p.index, p.route, p.stops[::-1], p.alights[::-1], p.boards[::-1], runs)
        turned.seal()
        patterns.append(turned)
    by_stop: list[list[tuple[int, int]]] = [[] for _ in day.by_stop]
    for p in patterns:
        for position, stop in enumerate(p.stops):
            by_stop[stop].append((p.index, position))
    # kept with the day (two threads may make it at once: both make the same)
    day.turned = _Table(patterns, by_stop, day.patterns)
    return day.turned  # type: ignore[no-any-return]


def plan(network: Network, day: Day, query: Query) -> list[Journey]:
    """The Pareto set of journeys (arrival, transfers), earliest arrival first; for an
    arrive-by query (latest departure, transfers), latest departure first."""
    table = _table(day, query.arrive_by)
    if query.arrive_by:
        found = _search(network, table, query, query.egress, query.access, -query.time)
        journeys = [_turn(j) for j in found]
        journeys.sort(key=lambda j: (-j.departure, j.transfers))
    else:
        journeys = _search(network, table, query, query.access, query.egress, query.time)
        journeys.sort(key=lambda j: (j.arrival, j.transfers))
    return journeys


def _turn(journey: Journey) -> Journey:
    """A journey found over the turned-around timetable, put the right way round (its
    rides already name the runs and positions as they go)."""
    return Journey(
        tuple(
            Leg(
                leg.mode,
                leg.to_stop,
                leg.from_stop,
                -leg.arrival,
                -leg.departure,
                leg.run,
                leg.board,
                leg.alight,
                leg.metres,
            )
            for leg in reversed(journey.legs)
        )
    )


Label = tuple[str, int]  # how a stop was reached: ("source" | "ride" | "walk", round)


def _search(
    network: Network,
    table: _Table,
    query: Query,
    access: dict[int, int],
    egress: dict[int, int],
    start: int,
) -> list[Journey]:
    """The rounds. ``best`` is each stop's earliest arrival by any means, ``by_ride`` by
    a vehicle: walks start only from a vehicle's arrival (never two walks in a row), so
    a ride that arrives after a walk did still counts for the walks from it."""
    stops = len(network.stops)
    walking = query.max_walk_m > 0
    speed = max(query.walk_speed, 0.1)
    feet: dict[int, list[tuple[int, int, float]]] = {}

    def foot(p: int) -> list[tuple[int, int, float]]:
        found = feet.get(p)
        if found is None:
            found = []
            seen = set()
            for q, metres in network.near[p]:
                if metres > query.max_walk_m:
                    break
                rule = network.transfers.get((q, p) if table.flipped else (p, q))
                if rule is not None and rule[0] == 3:
                    continue
                seconds = round(metres / speed)
                if rule is not None and rule[0] == 2 and rule[1] is not None:
                    seconds = rule[1]
                found.append((q, seconds, metres))
                seen.add(q)
            for (a, b), (kind, minimum) in network.transfers.items():
                if table.flipped:
                    a, b = b, a
                if a == p and b != p and b not in seen and kind == 2 and minimum is not None:
                    found.append((b, minimum, 0.0))
            feet[p] = found
        return found

    def change(p: int) -> int:
        if not walking:
            return 0
        rule = network.transfers.get((p, p))
        if rule is not None and rule[0] == 2 and rule[1] is not None:
            return rule[1]
        return 0

    best = [INF] * stops
    by_ride = [INF] * stops
    boarding = [INF] * stops  # the earliest a vehicle can be boarded at each stop
    label: list[Label | None] = [None] * stops
    # per round: stop → (pattern, run, board position, alight position, boarded after)
    rides: list[dict[int, tuple[int, int, int, int, Label]]] = [{}]
    walks: list[dict[int, tuple[int, int, float]]] = [{}]  # stop → (from, seconds, metres)
    sources: dict[int, int] = {}
    marked: set[int] = set()
    for stop, seconds in access.items():
        t = start + seconds
        if t < best[stop]:
            best[stop] = boarding[stop] = t
            label[stop] = ("source", 0)
            sources[stop] = seconds
            marked.add(stop)
    if walking and all(seconds == 0 for seconds in access.values()):
        # from a stop: walk to the stops around it before the first ride
        for p in list(marked):
            for q, seconds, metres in foot(p):
                t = best[p] + seconds
                if t < best[q]:
                    best[q] = boarding[q] = t
                    label[q] = ("walk", 0)
                    walks[0][q] = (p, seconds, metres)
                    marked.add(q)
    target = INF
    found: list[tuple[int, int, Label]] = []  # (round, stop at which it ends, how)
    for stop in marked & egress.keys():
        t = best[stop] + egress[stop]
        if t < target:
            target = t
            found[:] = [(0, stop, label[stop] or ("source", 0))]
    avoid = query.avoid
    for k in range(1, query.max_transfers + 2):
        queue: dict[int, int] = {}
        for p in marked:
            for through, position in table.by_stop[p]:
                if position < queue.get(through, INF):
                    queue[through] = position
        marked = set()
        previous = boarding[:]
        reached = label[:]
        ride_labels: dict[int, tuple[int, int, int, int, Label]] = {}
        ridden: dict[int, int] = {}
        for index, first in queue.items():
            pattern = table.patterns[index]
            runs = len(pattern.runs)
            run = -1
            boarded = -1
            arrivals = pattern.arrivals
            for i in range(first, len(pattern.stops)):
                p = pattern.stops[i]
                if run >= 0 and pattern.alights[i]:
                    t = arrivals[i][run]
                    if t < by_ride[p] and t < target:
                        by_ride[p] = ridden[p] = t
                        how = reached[pattern.stops[boarded]]
                        assert how is not None
                        ride_labels[p] = (index, run, boarded, i, how)
                        if t < best[p]:
                            best[p] = t
                            label[p] = ("ride", k)
                            marked.add(p)
                at = previous[p]
                if at < INF and pattern.boards[i]:
                    limit = run if run >= 0 else runs
                    r = pattern.first_catchable(i, at, limit)
                    while r < limit and avoid and pattern.runs[r].trip.key in avoid:
                        r += 1
                    if r < limit:
                        run, boarded = r, i
        walk_labels: dict[int, tuple[int, int, float]] = {}
        if walking:
            for p, t_ride in ridden.items():
                for q, seconds, metres in foot(p):
                    t = t_ride + seconds
                    if t < best[q] and t < target:
                        best[q] = t
                        label[q] = ("walk", k)
                        walk_labels[q] = (p, seconds, metres)
                        marked.add(q)
        for p in marked:
            boarding[p] = best[p] + (change(p) if p in ride_labels and p not in walk_labels else 0)
        rides.append(ride_labels)
        walks.append(walk_labels)
        for stop in marked & egress.keys():
            t = best[stop] + egress[stop]
            if t < target:
                target = t
                how = label[stop]
                assert how is not None
                if found and found[-1][0] == k:
                    found[-1] = (k, stop, how)
                else:
                    found.append((k, stop, how))
        if not marked:
            break
    return [
        _journey(table, rides, walks, sources, egress, query, stop, how, start)
        for _, stop, how in found
    ]


def _journey(
    table: _Table,
    rides: list[dict[int, tuple[int, int, int, int, Label]]],
    walks: list[dict[int, tuple[int, int, float]]],
    sources: dict[int, int],
    egress: dict[int, int],
    query: Query,
    stop: int,
    how: Label,
    start: int,
) -> Journey:
    """The journey that ends at ``stop``, followed back label by label."""
    steps: list[Leg] = []  # backwards; a walk's departure holds its length for now
    p = stop
    kind, j = how
    while kind != "source":
        if kind == "walk":
            q, seconds, metres = walks[j][p]
            steps.append(Leg("walk", q, p, seconds, 0, metres=metres))
            p = q
            kind = "ride" if j > 0 else "source"  # a walk follows a ride, or the start
            continue
        index, run, board, alight, (kind, j) = rides[j][p]
        pattern = table.patterns[index]
        departure, arrival = pattern.departures[board][run], pattern.arrivals[alight][run]
        if table.original is None:
            ride, on, off = pattern.runs[run], board, alight
        else:  # name the run and the positions as the trip goes
            n = len(pattern.stops)
            original = table.original[index]
            ride = original.runs[len(original.runs) - 1 - run]
            on, off = n - 1 - alight, n - 1 - board
        steps.append(Leg("transit", pattern.stops[board], p, departure, arrival, ride, on, off))
        p = pattern.stops[board]
    steps.reverse()
    legs: list[Leg] = []
    flipped = table.flipped
    if sources.get(p, 0) > 0:
        near = (query.egress_metres if flipped else query.access_metres).get(p)
        legs.append(Leg("walk", None, p, start, start + sources[p], metres=near))
    clock = start + sources.get(p, 0)
    for step in steps:
        if step.mode == "walk":
            seconds = step.departure
            legs.append(
                Leg(
                    "walk", step.from_stop, step.to_stop, clock, clock + seconds, metres=step.metres
                )
            )
            clock += seconds
        else:
            legs.append(step)
            clock = step.arrival
    if egress.get(stop, 0) > 0:
        far = (query.access_metres if flipped else query.egress_metres).get(stop)
        legs.append(Leg("walk", stop, None, clock, clock + egress[stop], metres=far))
    return Journey(tuple(legs))
