"""The journey planner (RAPTOR) on the largest real feed, checked query by query against
a brute-force reference written here: the Connection Scan Algorithm (Dibbelt et al.
2013) over connections built straight from the feed's rows with this file's own calendar
and frequency logic, not from Civitas's timetable.

1,000 random stop-to-stop queries on a weekday of Cairns' feed (random departure between
05:00 and 21:59), twice: pure timetable (``max_walk_m=0``: no walking, changes only at
one stop_id) and with walks of up to 500 m between stops. Every earliest arrival must
equal the reference's (both unreachable counts as equal). For the first 300 that arrive,
an arrive-by query at that arrival must answer the latest departure exactly: the
reference arrives in time from it and not from a second later. Timed on one core, side by
side with the reference; the network's load and the day's build are timed apart.

    python bench/bench_planner.py [--queries 1000] [--seed 1]

Ends with one line: RESULT queries=… mismatches=… p50_ms=… p95_ms=… …
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import tempfile
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from civitas.core.geo import haversine_m
from civitas.transit.gtfs import ParsedFeed, parse_feed
from transit_setup import LARGEST, make_city

DAY = date(2014, 6, 3)  # a Tuesday in the feed's validity
INF = 1 << 62
WALK_M = 500
SPEED = 1.2
DETOUR = 1.25


# --- the reference ---------------------------------------------------------------------


def connections(
    feed: ParsedFeed, day: date
) -> list[tuple[int, int, str, str, str, bool, bool, int]]:
    """(departure, arrival, run, from, to, boards, alights, position) of every ride
    between two stops of every run of the service days around ``day``, in epoch
    seconds, sorted by departure."""
    zone = ZoneInfo(feed.timezone)
    weekly = {s["service_id"]: s for s in feed.services}
    exceptions = {(d["service_id"], d["date"]): d["exception_type"] for d in feed.service_dates}

    def active(service: str, on: date) -> bool:
        if (service, on) in exceptions:
            return bool(exceptions[service, on] == 1)
        found = weekly.get(service)
        return bool(
            found
            and found["start_date"] <= on <= found["end_date"]
            and found["weekdays"] >> on.weekday() & 1
        )

    calls: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for call in feed.stop_times:
        calls[call["trip_id"]].append(call)
    frequencies: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in feed.frequencies:
        frequencies[f["trip_id"]].append(f)
    out = []
    for on in (day - timedelta(days=1), day, day + timedelta(days=1)):
        noon = datetime(on.year, on.month, on.day, 12, tzinfo=zone)
        origin = int(noon.timestamp()) - 43200
        for trip in feed.trips:
            if not active(trip["service_id"], on):
                continue
            stops = sorted(calls[trip["trip_id"]], key=lambda c: c["sequence"])
            starts = [0]
            if frequencies[trip["trip_id"]]:
                first = stops[0]["departure"]
                starts = [
                    begin - first
                    for f in frequencies[trip["trip_id"]]
                    for begin in range(f["start"], f["end"], f["headway"])
                ]
            for shift in starts:
                run = f"{trip['trip_id']}@{on}+{shift}"
                for position, (a, b) in enumerate(itertools.pairwise(stops)):
                    out.append(
                        (
                            origin + shift + a["departure"],
                            origin + shift + b["arrival"],
                            run,
                            a["stop_id"],
                            b["stop_id"],
                            a["pickup_type"] != 1,
                            b["drop_off_type"] != 1,
                            position,
                        )
                    )
    out.sort(key=lambda c: (c[0], c[1]))
    return out


def footpaths(feed: ParsedFeed, metres: float) -> dict[str, list[tuple[str, int]]]:
    """Every pair of stops within ``metres`` of walking (brute force over all pairs)."""
    stops = [s for s in feed.stops if s["location_type"] == 0]
    out: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for a in stops:
        for b in stops:
            if a is b:
                continue
            d = haversine_m((a["lat"], a["lon"]), (b["lat"], b["lon"])) * DETOUR
            if d <= metres:
                out[a["stop_id"]].append((b["stop_id"], round(d / SPEED)))
    return out


Connection = tuple[int, int, str, str, str, bool, bool, int]


def csa(
    conns: list[Connection],
    source: str,
    target: str,
    depart: int,
    walks: dict[str, list[tuple[str, int]]],
) -> int:
    """The earliest arrival at ``target``: scan every connection once, in order of
    departure; connections leaving at one second are scanned until nothing changes
    (a zero-minute ride can feed a change at the same second); a run counts from the
    first position it was boarded at."""
    best: dict[str, int] = defaultdict(lambda: INF)
    best[source] = depart
    for other, seconds in walks.get(source, ()):
        best[other] = min(best[other], depart + seconds)
    boarded: dict[str, int] = {}  # run → the first position it was boarded at
    i = 0
    n = len(conns)
    while i < n:
        if conns[i][0] < depart:
            i += 1
            continue
        if conns[i][0] >= best[target]:
            break
        j = i
        while j < n and conns[j][0] == conns[i][0]:
            j += 1
        changed = True
        while changed:
            changed = False
            for dep, arr, run, a, b, boards, alights, position in conns[i:j]:
                if boards and best[a] <= dep and position < boarded.get(run, INF):
                    boarded[run] = position
                    changed = True
                if boarded.get(run, INF) <= position and alights:
                    if arr < best[b]:
                        best[b] = arr
                        changed = True
                    # walks start from every arrival of a vehicle, even one that came
                    # after a walk reached the stop (two walks in a row are not allowed)
                    for other, seconds in walks.get(b, ()):
                        if arr + seconds < best[other]:
                            best[other] = arr + seconds
                            changed = True
        i = j
    return best[target]


# --- the run ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--arrive-by", type=int, default=300, help="queries checked backwards")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core

    folder = Path(tempfile.mkdtemp(prefix="civitas-bench-"))
    engine = make_city(f"sqlite:///{folder / 'planner.db'}")
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope
    from civitas.transit import feeds, raptor, timetable

    content = LARGEST.read_bytes()
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "bench")
        feeds.import_feed(db, city, "cairns", content=content, filename=LARGEST.name)
    started = time.perf_counter()
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "bench")
        network = timetable.network(db, city)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    day = network.day(DAY)
    day_s = time.perf_counter() - started

    parsed = parse_feed(content)
    conns = connections(parsed, DAY)
    walks = footpaths(parsed, WALK_M)
    zone = ZoneInfo(parsed.timezone)
    served = sorted({s for p in day.patterns for s in p.stops})
    rng = random.Random(args.seed)
    queries = []
    for _ in range(args.queries):
        a, b = rng.sample(served, 2)
        clock = datetime(
            DAY.year, DAY.month, DAY.day, rng.randint(5, 21), rng.randint(0, 59), tzinfo=zone
        )
        queries.append((a, b, int(clock.timestamp())))

    figures: dict[str, float | int] = {}
    mismatches = 0
    for mode, walk in (("timetable", 0), ("walk", WALK_M)):
        ours: list[float] = []
        theirs: list[float] = []
        journeys = 0
        reachable = 0
        backward: list[float] = []
        backward_checked: list[int] = []
        for a, b, depart in queries:
            query = raptor.Query(
                access={a: 0}, egress={b: 0}, time=depart, max_transfers=12, max_walk_m=walk
            )
            t0 = time.perf_counter()
            found = raptor.plan(network, day, query)
            ours.append(time.perf_counter() - t0)
            journeys += len(found)
            arrival = found[0].arrival if found else INF
            source, target = network.stops[a].stop_id, network.stops[b].stop_id
            t0 = time.perf_counter()
            reference = csa(conns, source, target, depart, walks if walk else {})
            theirs.append(time.perf_counter() - t0)
            reachable += reference < INF
            if arrival != reference:
                mismatches += 1
                print(f"MISMATCH {mode} {source}→{target} at {depart}: {arrival} vs {reference}")
            if reference == INF or len(backward_checked) >= args.arrive_by:
                continue
            # arrive by that arrival: the latest departure that makes it, exactly (leaving
            # a second later arrives later, says the reference)
            query.arrive_by, query.time = True, reference
            t0 = time.perf_counter()
            latest = raptor.plan(network, day, query)
            backward.append(time.perf_counter() - t0)
            leave = latest[0].departure if latest else -1
            feasible = csa(conns, source, target, leave, walks if walk else {}) <= reference
            tight = csa(conns, source, target, leave + 1, walks if walk else {}) > reference
            backward_checked.append(1)
            if not (depart <= leave and feasible and tight):
                mismatches += 1
                print(f"MISMATCH arrive-by {mode} {source}→{target} by {reference}: leave {leave}")
        ours.sort()
        theirs.sort()
        backward.sort()

        def pct(values: list[float], q: float) -> float:
            return values[min(int(len(values) * q), len(values) - 1)] * 1000

        print(
            f"{mode:<10} queries={len(queries)} reachable={reachable} journeys={journeys} "
            f"raptor p50={pct(ours, 0.5):.2f} p95={pct(ours, 0.95):.2f} "
            f"max={ours[-1] * 1000:.2f} ms   "
            f"csa p50={pct(theirs, 0.5):.2f} p95={pct(theirs, 0.95):.2f} ms"
        )
        figures[f"{mode}_p50_ms"] = round(pct(ours, 0.5), 2)
        figures[f"{mode}_p95_ms"] = round(pct(ours, 0.95), 2)
        figures[f"{mode}_csa_p95_ms"] = round(pct(theirs, 0.95), 2)
        figures[f"{mode}_arrive_by_checked"] = len(backward)
        figures[f"{mode}_arrive_by_p95_ms"] = round(pct(backward, 0.95), 2)
        print(
            f"{'':<10} arrive-by checked={len(backward)} p50={pct(backward, 0.5):.2f} "
            f"p95={pct(backward, 0.95):.2f} ms"
        )
        figures[f"{mode}_reachable"] = reachable
        figures[f"{mode}_mean_journeys"] = round(journeys / len(queries), 2)
    print(
        f"network load {load_s:.2f} s ({len(network.stops)} stops, {len(network.trips)} trips); "
        f"day built in {day_s:.3f} s ({len(day.patterns)} patterns, {day.runs} runs); "
        f"reference: {len(conns)} connections"
    )
    print(
        f"RESULT queries={len(queries)} mismatches={mismatches} "
        + " ".join(f"{k}={v}" for k, v in figures.items())
        + f" load_s={load_s:.2f} day_s={day_s:.3f}"
    )


if __name__ == "__main__":
    main()
