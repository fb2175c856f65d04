"""A picker's day plan: searching until the search settles beside searching to the limit.

``plan_day`` stops a search once it has found no better plan for a while ("settled"), or
at the city's time limit. This bench solves the same days both ways, side by side in one
run: days around Trujillo's centre with 20, 60 and 150 pickups (weights, time windows
and shifts as the demo's), seven pickers, the demo's fairness weight. It reports each
way's seconds, distance, pickups served and income spread, and the settled plan's
distance above the one searched to the limit.

    python bench/day_plan.py [--time-limit 5] [--sizes 20,60,150] [--seeds 3]

Ends with one line: RESULT time_limit_s=… settled_s_<n>=… full_s_<n>=… gap_pct_<n>=… …
"""

from __future__ import annotations

import argparse
import random
import statistics

from civitas.recycling.vrp import Stop, Vehicle, plan_day

CENTRE = (-8.1116, -79.0287)
WINDOWS = ((8 * 3600, 12 * 3600), (11 * 3600, 14 * 3600), (13 * 3600, 17 * 3600))


def day(n: int, seed: int) -> tuple[list[Stop], list[Vehicle]]:
    rng = random.Random(f"day-{n}-{seed}")
    stops = [
        Stop(
            key=i,
            lat=CENTRE[0] + rng.uniform(-0.03, 0.03),
            lon=CENTRE[1] + rng.uniform(-0.03, 0.03),
            load_g=rng.randint(5, 30) * 1000,
            window=rng.choice(WINDOWS),
            service_s=300,
            income_minor=rng.randint(200, 1500),
        )
        for i in range(n)
    ]
    vehicles = [
        Vehicle(
            key=v,
            start=(CENTRE[0] + rng.uniform(-0.02, 0.02), CENTRE[1] + rng.uniform(-0.02, 0.02)),
            end=CENTRE,
            capacity_g=150_000,
            shift=(7 * 3600, 17 * 3600),
            speed_kmh=8.0,
            unload_at=CENTRE,
        )
        for v in range(7)
    ]
    return stops, vehicles


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--time-limit", type=float, default=5.0)
    parser.add_argument("--sizes", default="20,60,150")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    result = [f"time_limit_s={args.time_limit:g}"]
    print(
        f"{'stops':>5} {'seed':>4} {'way':>8} {'seconds':>8} {'km':>8} {'served':>6} {'spread':>7}"
    )
    for n in (int(s) for s in args.sizes.split(",")):
        seconds: dict[str, list[float]] = {"settled": [], "full": []}
        gaps = []
        for seed in range(1, args.seeds + 1):
            stops, vehicles = day(n, seed)
            plans = {}
            for way in ("settled", "full"):  # the same day, one way after the other
                plan = plan_day(
                    stops,
                    vehicles,
                    time_limit=args.time_limit,
                    fairness_weight=2.0,
                    seed=seed,
                    settle=way == "settled",
                )
                plans[way] = plan
                seconds[way].append(plan.seconds)
                served = n - len(plan.unassigned)
                print(
                    f"{n:>5} {seed:>4} {way:>8} {plan.seconds:>8.2f} "
                    f"{plan.distance_m / 1000:>8.1f} {served:>6} {plan.fairness.spread_minor:>7}"
                )
            settled, full = plans["settled"], plans["full"]
            assert len(settled.unassigned) <= len(full.unassigned) + max(1, n // 50), (
                "settling left pickups unserved"
            )
            gaps.append(100 * (settled.distance_m - full.distance_m) / max(full.distance_m, 1))
        result += [
            f"settled_s_{n}={statistics.mean(seconds['settled']):.2f}",
            f"full_s_{n}={statistics.mean(seconds['full']):.2f}",
            f"gap_pct_{n}={statistics.mean(gaps):.1f}",
        ]
    print("RESULT " + " ".join(result))


if __name__ == "__main__":
    main()
