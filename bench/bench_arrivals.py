"""Arrival prediction on a replay of the demo simulation: learn from the earlier days,
measure on the last, side by side with two baselines in the same run.

The network is Trujillo's demo network (ten bus lines), imported like any feed. Its
simulated buses (civitas.transit.simulation: peak congestion on a third of the segments,
each segment's own bias, a trip's drifting pace, recovery at timepoints) run for five
weekdays; Civitas learns running times from what it would have recorded. On the sixth
weekday, every ten minutes from 06:00 to 21:00, every trip under way is predicted at
each stop still ahead from what it has done so far, by

* ``ours``: civitas.transit.predict (learnt running times by hour, the trip's own pace
  fading, recovery at timepoints);
* ``schedule``: the timetable;
* ``carried``: the last delay carried to every later stop (OneBusAway's method).

Error = actual − predicted, in seconds. A prediction is within Cal-ITP's bounds of
reliable accuracy when −60·ln(t+1.3) < error < 60·ln(t+1.5), t the minutes from the
prediction to the actual departure. Reported per horizon: the share within the bounds
and the mean absolute error.

    python bench/bench_arrivals.py [--learn-days 5]

Ends with one line: RESULT predictions=… ours_within_pct=… schedule_within_pct=…
carried_within_pct=… ours_mae_s=… … beats_both_every_horizon=yes|no
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from transit_setup import make_city

HORIZONS = [(0, 3), (3, 6), (6, 10), (10, 15), (15, 20), (20, 30), (30, 45), (45, 60)]
METHODS = ("ours", "schedule", "carried")


def within(error_s: float, minutes: float) -> bool:
    return -60 * math.log(minutes + 1.3) < error_s < 60 * math.log(minutes + 1.5)


def weekdays_before(last: date, n: int) -> list[date]:
    found: list[date] = []
    day = last - timedelta(days=1)
    while len(found) < n:
        if day.weekday() < 5:
            found.append(day)
        day -= timedelta(days=1)
    return sorted(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learn-days", type=int, default=5)
    parser.add_argument("--every-min", type=int, default=10)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="civitas-bench-"))
    engine = make_city(f"sqlite:///{folder / 'arrivals.db'}")
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope
    from civitas.transit import feeds, predict, simulation
    from civitas.transit.demo import build_feed, spec_of
    from civitas.transit.predict import Seen, carried, learn_rows, model_from
    from civitas.transit.timetable import network

    spec = spec_of("trujillo")
    assert spec is not None
    zone = ZoneInfo(spec["agency"]["timezone"])
    measured = date(2026, 11, 27)  # a Friday
    learnt_days = weekdays_before(measured, args.learn_days)
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "bench")
        feeds.import_feed(
            db, city, "urbano", content=build_feed(spec, measured, "trujillo"), filename="t.zip"
        )
    with session_scope(engine) as db:
        net = network(db, get_city_by_slug(db, "bench"))

    started = time.perf_counter()
    rows = []
    for day in learnt_days:
        rows += simulation.observations_of(net, "urbano", day, zone)
    rows.sort(key=lambda r: (r["trip_id"], r["service_date"], r["sequence"]))
    model = model_from(learn_rows(rows, net, "urbano", zone))
    learn_s = time.perf_counter() - started

    runs = [r for r in net.runs_on(measured) if r.trip.feed == "urbano"]
    truths = {id(r): simulation.truth(net, r, zone) for r in runs}
    errors: dict[str, dict[int, list[float]]] = {m: defaultdict(list) for m in METHODS}
    hits: dict[str, dict[int, int]] = {m: defaultdict(int) for m in METHODS}
    spent = 0.0
    calls = 0
    clock = datetime(measured.year, measured.month, measured.day, 6, tzinfo=zone)
    end = clock.replace(hour=21)
    while clock <= end:
        t = int(clock.timestamp())
        for run in runs:
            actual = truths[id(run)].departures
            if not (actual[0] <= t < actual[-1]):
                continue
            seen = Seen({i: a for i, a in enumerate(actual) if a <= t}, None, t)
            t0 = time.perf_counter()
            ours = predict.predict(net, model, run, seen, zone)
            spent += time.perf_counter() - t0
            calls += 1
            base = carried(run, seen)
            for i, a in enumerate(actual):
                if a <= t:
                    continue
                minutes = (a - t) / 60
                bucket = next(
                    (k for k, (lo, hi) in enumerate(HORIZONS) if lo <= minutes < hi), None
                )
                if bucket is None:
                    continue
                for method, value in (
                    ("ours", ours[i]),
                    ("schedule", run.departures[i]),
                    ("carried", base[i]),
                ):
                    error = a - value
                    errors[method][bucket].append(abs(error))
                    hits[method][bucket] += within(error, minutes)
        clock += timedelta(minutes=args.every_min)

    print(
        f"learnt from {len(rows)} departures on {len(learnt_days)} weekdays in {learn_s:.1f} s "
        f"({len(model.running)} segment-hours); measured {measured} ({len(runs)} runs), "
        f"{calls} trip predictions, {spent / max(calls, 1) * 1e3:.2f} ms each"
    )
    header = f"{'horizon':>10} {'n':>7}" + "".join(
        f" {m + ' within':>16} {m + ' MAE s':>14}" for m in METHODS
    )
    print(header)
    beats = True
    total = {m: [0, 0, 0.0] for m in METHODS}
    for k, (lo, hi) in enumerate(HORIZONS):
        n = len(errors["ours"][k])
        if not n:
            continue
        line = f"{f'{lo}–{hi} min':>10} {n:>7}"
        shares = {}
        maes = {}
        for m in METHODS:
            shares[m] = 100 * hits[m][k] / n
            maes[m] = sum(errors[m][k]) / n
            total[m][0] += hits[m][k]
            total[m][1] += n
            total[m][2] += sum(errors[m][k])
            line += f" {shares[m]:>15.1f}% {maes[m]:>14.0f}"
        print(line)
        if not (
            shares["ours"] > max(shares["schedule"], shares["carried"])
            and maes["ours"] < min(maes["schedule"], maes["carried"])
        ):
            beats = False
    figures = " ".join(
        f"{m}_within_pct={100 * total[m][0] / total[m][1]:.1f} "
        f"{m}_mae_s={total[m][2] / total[m][1]:.0f}"
        for m in METHODS
    )
    print(
        f"RESULT predictions={total['ours'][1]} learn_days={len(learnt_days)} {figures} "
        f"beats_both_every_horizon={'yes' if beats else 'no'}"
    )


if __name__ == "__main__":
    main()
