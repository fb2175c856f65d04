"""Appointments and queues, measured:

* **race**: 32 clients race to book the last 5 places of a day (every other start of the
  day is full), round after round, each client in its own thread and transaction as the
  server runs them; on SQLite and on PostgreSQL. Exactly 5 must win each round. Reported:
  p50 and p99 of a booking under the race, beside an uncontended booking in the same run.
* **slots**: 10 offices with three months of bookings (about three in five places taken);
  the free times of a service over the whole three months, for random offices and
  services: p50 and p99 (target p99 < 100 ms), beside the bare query of the office's
  bookings for the span; a sample of the answers checked against a brute-force count.
* **mmc**: an M/M/c queue (Poisson arrivals, exponential service, c counters, load 0.8)
  driven through the real ticket and call code (queue.issue, call_next, finish) on a
  simulated clock; the mean wait as the waiting-time statistics measure it (first call
  minus arrival, from the tickets' rows), beside Erlang C's formula. The same random
  numbers drive a brute-force FIFO reference, whose waits must equal the code's; two runs
  with antithetic random numbers halve the noise; the standard error comes from batch
  means. At load 0.8 the mean wait of a run is noisy (long busy periods): a million
  customers (two runs of half a million, side by side, about 20 minutes) give a
  standard error near 0.6 %; --customers sets how many.

    python bench/bench_appointments.py [--rounds 10] [--searches 200] [--customers 1000000]

Ends with one line: RESULT race_sqlite_p99_ms=… race_pg_p99_ms=… race_exact=yes|no
slots_p50_ms=… slots_p99_ms=… slots_under_100ms=yes|no mmc_customers=… mmc_mean_wait_s=…
erlang_c_s=… mmc_error_pct=… mmc_stderr_pct=… mmc_within_2pct=yes|no mmc_same_path=yes|no
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

HERE = Path(__file__).resolve()
COUNTERS = 4
LOAD = 0.8
SERVICE_S = 0.5  # mean service time, seconds of the simulated clock (a day holds the run)


def _city(db: Any, slug: str = "bench") -> Any:
    from civitas.catalogue.schemas import ServiceIn
    from civitas.catalogue.service import save_service
    from civitas.cities.schemas import CityCreate, DepartmentCreate
    from civitas.cities.service import create_city, create_department, enter_city

    city = create_city(
        db,
        CityCreate.model_validate(
            {
                "slug": slug,
                "name": "Benchstadt",
                "country": "DE",
                "languages": ["de", "en"],
                "default_language": "de",
                "timezone": "UTC",
                "currency": "EUR",
                "jurisdiction_id": f"{slug}.example",
                "center_lat": 51.34,
                "center_lon": 12.37,
                "extent": {"min_lat": 51.2, "min_lon": 12.2, "max_lat": 51.5, "max_lon": 12.6},
            }
        ),
    )
    enter_city(db, city)
    create_department(db, city, data=DepartmentCreate(code="o", name={"en": "O"}), actor="b")
    for code in ("a", "b", "c"):
        save_service(
            db,
            city,
            data=ServiceIn.model_validate(
                {
                    "code": f"svc-{code}",
                    "name": {"en": f"Service {code}"},
                    "description": {"en": "For the benchmark."},
                    "category": "citizens_office",
                    "channels": ["office"],
                    "department": "o",
                    "target_hours": 1,
                }
            ),
            actor="b",
        )
    return city


def office_text(code: str, counters: int, *, all_day: bool = False, ahead: int = 100) -> str:
    hours = (
        '{days: [mo, tu, we, th, fr, sa, su], opens: "00:00", closes: "23:50"}'
        if all_day
        else '{days: [mo, tu, we, th, fr], opens: "08:00", closes: "16:00"}'
    )
    lines = [
        f"code: {code}",
        "name: {en: Office " + code + "}",
        "address: Street 1",
        "lat: 51.3",
        "lon: 12.3",
        "hours:",
        f"  - {hours}",
        "counters:",
        *(f'  - {{code: "{i}", name: {{en: Counter {i}}}}}' for i in range(1, counters + 1)),
        "services:",
        "  - {service: svc-a, minutes: 20, letter: A}",
        "  - {service: svc-b, minutes: 10, letter: B}",
        "  - {service: svc-c, minutes: 30, letter: C}",
        "booking:",
        "  slot_minutes: 10",
        f"  days_ahead: {ahead}",
        "  min_notice_minutes: 0",
        '  release_at: ["00:00"]',
        "  max_per_email: 50",
        "  max_per_person: 50",
        "  max_attempts_per_hour: 1000",
    ]
    return "\n".join(lines) + "\n"


def _ready(url: str) -> None:
    os.environ["CIVITAS_DATABASE_URL"] = url
    from civitas.core.db import engine_for
    from civitas.core.migrate import upgrade

    upgrade(engine_for(url))


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


# -- race -----------------------------------------------------------------------------------


def race(url: str, rounds: int) -> dict[str, Any]:
    _ready(url)
    from sqlalchemy import insert

    from civitas.appointments import booking, calendar
    from civitas.appointments.models import Appointment
    from civitas.appointments.offices import definition_of, office_by_code, save_office
    from civitas.cities.service import enter_city, get_city_by_slug
    from civitas.core.db import session_scope, utcnow

    with session_scope() as db:
        city = _city(db)
        save_office(db, city, text=office_text("race", 5), actor="bench")
    now = utcnow()
    with session_scope() as db:
        city = get_city_by_slug(db, "bench")
        enter_city(db, city)
        office = office_by_code(db, city, "race")
        today = calendar.local_now(city, now).date()
        days: list[date] = []
        day = today + timedelta(days=2)
        while len(days) < rounds + 1:
            if calendar.openings(city, definition_of(office), day):
                days.append(day)
            day += timedelta(days=1)
        # every start of each day full but 10:00, whose 5 places are the last
        rows: list[dict[str, Any]] = []
        for d in days:
            for unit in calendar.units_of(
                definition_of(office),
                *calendar.openings(city, definition_of(office), d)[0],
            ):
                if unit in (600, 610):  # 10:00 and the unit a 20-minute visit at 10:00 takes next
                    continue
                start = calendar.at(city, d, unit).astimezone(UTC)
                for n in range(5):
                    rows.append(
                        {
                            "tenant_id": city.id,
                            "office_id": office.id,
                            "service_id": 1,
                            "services": [{"id": 1, "code": "svc-b", "minutes": 10}],
                            "start": start,
                            "end": start + timedelta(minutes=10),
                            "status": "booked",
                            "reference": f"R{d.toordinal() % 100000:05d}{unit:04d}{n}"[:12],
                            "name": "Full",
                            "person_key": "full",
                            "email": "full@example.org",
                            "language": "en",
                            "channel": "staff",
                        }
                    )
        db.execute(insert(Appointment), rows)
    times: list[float] = []
    solo: list[float] = []
    exact = True

    def attempt(n: int, d: date, barrier: threading.Barrier, out: list[tuple[str, float]]) -> None:
        barrier.wait()
        began = time.perf_counter()
        try:
            with session_scope() as db:
                here = get_city_by_slug(db, "bench")
                booking.book(
                    db,
                    here,
                    office=office_by_code(db, here, "race"),
                    services=["svc-a"],
                    start=calendar.at(here, d, 600),
                    name=f"Client {n}",
                    email=f"c{n}@example.org",
                    language="en",
                    channel="online",
                )
            result = "booked"
        except booking.SlotTaken:
            result = "taken"
        out.append((result, (time.perf_counter() - began) * 1000))

    for d in days[:rounds]:
        barrier = threading.Barrier(32)
        out: list[tuple[str, float]] = []
        threads = [threading.Thread(target=attempt, args=(n, d, barrier, out)) for n in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        won = sum(1 for r, _ in out if r == "booked")
        exact = exact and won == 5 and len(out) == 32
        times.extend(ms for _, ms in out)
    # the reference: the same booking with nobody else trying (the spare day)
    for n in range(20):
        began = time.perf_counter()
        try:
            with session_scope() as db:
                here = get_city_by_slug(db, "bench")
                booking.book(
                    db,
                    here,
                    office=office_by_code(db, here, "race"),
                    services=["svc-b"],
                    start=calendar.at(here, days[-1], 8 * 60 + 10 * (n % 6)),
                    name=f"Solo {n}",
                    email=f"s{n}@example.org",
                    language="en",
                    channel="online",
                )
        except booking.SlotTaken:
            pass
        solo.append((time.perf_counter() - began) * 1000)
    return {
        "p50_ms": round(_pct(times, 0.5), 1),
        "p99_ms": round(_pct(times, 0.99), 1),
        "solo_p50_ms": round(statistics.median(solo), 1),
        "exact": exact,
        "attempts": len(times),
    }


# -- slot search ------------------------------------------------------------------------------


def slots(url: str, searches: int) -> dict[str, Any]:
    _ready(url)
    from sqlalchemy import insert, select

    from civitas.appointments import calendar
    from civitas.appointments.models import Appointment
    from civitas.appointments.offices import counters_of, definition_of, office_by_code, save_office
    from civitas.cities.service import enter_city, get_city_by_slug
    from civitas.core.db import session_scope, utcnow

    rng = random.Random(19)
    now = utcnow()
    with session_scope() as db:
        city = _city(db)
        for i in range(10):
            save_office(db, city, text=office_text(f"o{i}", 3 + i % 4), actor="bench")
    with session_scope() as db:
        city = get_city_by_slug(db, "bench")
        enter_city(db, city)
        from civitas.catalogue.models import Service

        services = {s.code: s.id for s in db.scalars(select(Service))}
        minutes = {"svc-a": 20, "svc-b": 10, "svc-c": 30}
        today = calendar.local_now(city, now).date()
        rows: list[dict[str, Any]] = []
        for i in range(10):
            office = office_by_code(db, city, f"o{i}")
            spec = definition_of(office)
            pool = len(counters_of(db, city, office))
            for back in range(92):
                d = today + timedelta(days=back + 1)
                for opens, closes in calendar.openings(city, spec, d):
                    end = closes.hour * 60 + closes.minute
                    for _lane in range(pool):
                        minute = opens.hour * 60 + opens.minute
                        while minute < end:
                            code = rng.choice(list(minutes))
                            if minute + minutes[code] > end:
                                break
                            if rng.random() < 0.6:
                                start = calendar.at(city, d, minute).astimezone(UTC)
                                rows.append(
                                    {
                                        "tenant_id": city.id,
                                        "office_id": office.id,
                                        "service_id": services[code],
                                        "services": [
                                            {
                                                "id": services[code],
                                                "code": code,
                                                "minutes": minutes[code],
                                            }
                                        ],
                                        "start": start,
                                        "end": start + timedelta(minutes=minutes[code]),
                                        "status": "booked",
                                        "reference": f"S{len(rows):011d}",
                                        "name": "Taken",
                                        "person_key": "taken",
                                        "email": "t@example.org",
                                        "language": "en",
                                        "channel": "staff",
                                    }
                                )
                            minute += minutes[code]
        for chunk in range(0, len(rows), 5000):
            db.execute(insert(Appointment), rows[chunk : chunk + 5000])
    search_ms: list[float] = []
    bare_ms: list[float] = []
    checked = 0
    wrong = 0
    with session_scope() as db:
        city = get_city_by_slug(db, "bench")
        enter_city(db, city)
        offices = [office_by_code(db, city, f"o{i}") for i in range(10)]
        first, last = today, today + timedelta(days=92)
        for n in range(searches):
            office = rng.choice(offices)
            code = rng.choice(list(minutes))
            began = time.perf_counter()
            free = calendar.free_slots(db, city, office, code, minutes[code], first, last, now=now)
            search_ms.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            list(
                db.execute(
                    select(Appointment.start, Appointment.end, Appointment.services).where(
                        Appointment.office_id == office.id,
                        Appointment.start < calendar.at(city, last, 0),
                        Appointment.end > calendar.at(city, first, 0),
                    )
                )
            )
            bare_ms.append((time.perf_counter() - began) * 1000)
            if n < 5:  # brute force: count the bookings overlapping each unit of the visit
                pool = len(counters_of(db, city, office))
                booked = list(
                    db.scalars(
                        select(Appointment).where(
                            Appointment.office_id == office.id, Appointment.status == "booked"
                        )
                    )
                )
                for slot in free[:: max(1, len(free) // 40)]:
                    finish = slot.start + timedelta(minutes=minutes[code])
                    worst = 0
                    step = timedelta(minutes=10)
                    unit = slot.start
                    while unit < finish:
                        worst = max(
                            worst, sum(1 for a in booked if a.start < unit + step and a.end > unit)
                        )
                        unit += step
                    checked += 1
                    wrong += int(pool - worst != slot.remaining)
    return {
        "p50_ms": round(_pct(search_ms, 0.5), 1),
        "p99_ms": round(_pct(search_ms, 0.99), 1),
        "bare_p50_ms": round(_pct(bare_ms, 0.5), 1),
        "bookings": len(rows),
        "checked": checked,
        "wrong": wrong,
    }


# -- M/M/c --------------------------------------------------------------------------------------


def erlang_c_wait(c: int, lam: float, mu: float) -> float:
    a = lam / mu
    below = sum(a**k / math.factorial(k) for k in range(c))
    top = a**c / math.factorial(c) * c / (c - a)
    return (top / (below + top)) / (c * mu - lam)


def draws(n: int, seed: int, flip: bool) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        ua, us = rng.random(), rng.random()
        if flip:
            ua, us = 1 - ua, 1 - us
        out.append((ua, us))
    return out


def reference_waits(pairs: list[tuple[float, float]], c: int, lam: float, mu: float) -> list[float]:
    """Brute force FIFO with c servers (the first free server takes the next in line)."""
    free = [0.0] * c
    t = 0.0
    waits = []
    for ua, us in pairs:
        t += -math.log(1 - ua) / lam
        start = max(t, heapq.heappop(free))
        waits.append(start - t)
        heapq.heappush(free, start - math.log(1 - us) / mu)
    return waits


def mmc_run(url: str, customers: int, flip: bool) -> dict[str, Any]:
    _ready(url)
    from sqlalchemy import select

    from civitas.appointments import queue
    from civitas.appointments.models import Ticket
    from civitas.appointments.offices import counters_of, office_by_code, save_office
    from civitas.cities.service import enter_city
    from civitas.core.db import session_scope

    mu = 1 / SERVICE_S
    lam = LOAD * COUNTERS * mu
    pairs = draws(customers, 2026, flip)
    with session_scope() as db:
        city = _city(db)
        save_office(db, city, text=office_text("mmc", COUNTERS, all_day=True), actor="bench")
    zero = datetime(2027, 3, 2, 0, 0, 30, tzinfo=UTC)
    began = time.perf_counter()
    with session_scope() as db:
        city = db.merge(city)
        enter_city(db, city)
        office = office_by_code(db, city, "mmc")
        counters = counters_of(db, city, office)
        events: list[tuple[float, int, int]] = []
        t = 0.0
        for i, (ua, _) in enumerate(pairs):
            t += -math.log(1 - ua) / lam
            events.append((t, 1, i))  # arrivals after completions at the same instant
        heapq.heapify(events)
        at_counter: dict[int, Any] = {}
        served = 0

        def call(k: int, clock: float) -> None:
            nonlocal served
            ticket = queue.call_next(
                db, city, office, counters[k], now=zero + timedelta(seconds=clock)
            )
            if ticket is not None:
                at_counter[k] = ticket
                length = -math.log(1 - pairs[served][1]) / mu
                served += 1
                heapq.heappush(events, (clock + length, 0, k))

        done = 0
        while events:
            clock, kind, x = heapq.heappop(events)
            now = zero + timedelta(seconds=clock)
            if kind == 1:
                queue.issue(db, city, office, "svc-a", now=now, check_hours=False)
                idle = next((k for k in range(COUNTERS) if k not in at_counter), None)
                if idle is not None:
                    call(idle, clock)
            else:
                queue.finish(db, city, at_counter.pop(x), counters[x], now=now)
                call(x, clock)
            done += 1
            if done % 2000 == 0:
                db.commit()
        db.commit()
        measured = [
            (called - due).total_seconds()  # type: ignore[operator]
            for called, due in db.execute(
                select(Ticket.first_called_at, Ticket.due_at)
                .where(Ticket.office_id == office.id)
                .order_by(Ticket.number)
            )
        ]
    seconds = time.perf_counter() - began
    reference = reference_waits(pairs, COUNTERS, lam, mu)
    same = (
        len(measured) == len(reference)
        and max(abs(a - b) for a, b in zip(measured, reference, strict=True)) < 1e-5
    )
    warm = customers // 20
    kept = measured[warm:]
    batches = 40
    size = len(kept) // batches
    means = [statistics.fmean(kept[i * size : (i + 1) * size]) for i in range(batches)]
    return {
        "mean": statistics.fmean(kept),
        "batch_sd": statistics.stdev(means) / math.sqrt(batches),
        "same_path": same,
        "seconds": seconds,
        "p90": _pct(kept, 0.9),
    }


# -- the driver ----------------------------------------------------------------------------------


def child(kind: str, url: str, n: int, flip: bool = False) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            str(HERE),
            "--child",
            kind,
            "--url",
            url,
            "--n",
            str(n),
            *(["--flip"] if flip else []),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "CIVITAS_LOG_LEVEL": "WARNING"},
    )
    if out.returncode != 0:
        raise SystemExit(out.stderr[-4000:])
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def sqlite_url() -> str:
    return f"sqlite:///{Path(tempfile.mkdtemp(prefix='civitas-bench-')) / 'bench.db'}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--child")
    parser.add_argument("--url")
    parser.add_argument("--n", type=int)
    parser.add_argument("--flip", action="store_true")
    args = parser.parse_args()
    if args.child:
        work = {"race": race, "slots": slots}
        if args.child == "mmc":
            print(json.dumps(mmc_run(args.url, args.n, args.flip)))
        else:
            print(json.dumps(work[args.child](args.url, args.n)))
        return
    from harness import drop_postgres, postgres_database

    results: dict[str, Any] = {}
    print(f"== race: 32 clients for the last 5 places, {args.rounds} rounds")
    results["race_sqlite"] = child("race", sqlite_url(), args.rounds)
    pg_url, dsn, name = postgres_database()
    try:
        results["race_pg"] = child("race", pg_url, args.rounds)
    finally:
        drop_postgres(dsn, name)
    for db in ("sqlite", "pg"):
        r = results[f"race_{db}"]
        print(
            f"  {db:<7} p50 {r['p50_ms']:>7} ms  p99 {r['p99_ms']:>7} ms  "
            f"uncontended p50 {r['solo_p50_ms']:>6} ms  exactly 5 each round: {r['exact']}"
        )
    print(f"== slots: 10 offices, {args.searches} searches of three months each")
    s = results["slots"] = child("slots", sqlite_url(), args.searches)
    print(
        f"  {s['bookings']} bookings; search p50 {s['p50_ms']} ms, p99 {s['p99_ms']} ms; "
        f"bare query p50 {s['bare_p50_ms']} ms; brute force: {s['checked']} times "
        f"checked, {s['wrong']} wrong"
    )
    race_ok = results["race_sqlite"]["exact"] and results["race_pg"]["exact"]
    slots_ok = s["p99_ms"] < 100 and s["wrong"] == 0
    fields: dict[str, Any] = {
        "race_sqlite_p99_ms": results["race_sqlite"]["p99_ms"],
        "race_pg_p99_ms": results["race_pg"]["p99_ms"],
        "race_exact": "yes" if race_ok else "no",
        "slots_p50_ms": s["p50_ms"],
        "slots_p99_ms": s["p99_ms"],
        "slots_under_100ms": "yes" if slots_ok else "no",
    }
    if args.customers <= 0:  # --customers 0: the race and the search only
        print("RESULT " + " ".join(f"{k}={v}" for k, v in fields.items()))
        return
    half = args.customers // 2
    print(
        f"== M/M/{COUNTERS} at load {LOAD}: {args.customers} customers through the queue "
        "code (two antithetic runs)"
    )
    with ThreadPoolExecutor(2) as pool:  # the two runs side by side, one core each
        runs = list(pool.map(lambda flip: child("mmc", sqlite_url(), half, flip), (False, True)))
    mu = 1 / SERVICE_S
    expected = erlang_c_wait(COUNTERS, LOAD * COUNTERS * mu, mu)
    mean = statistics.fmean(r["mean"] for r in runs)
    stderr = 100 * math.sqrt(sum(r["batch_sd"] ** 2 for r in runs)) / 2 / expected
    error = 100 * (mean / expected - 1)
    same = all(r["same_path"] for r in runs)
    print(
        f"  measured mean wait {mean:.4f} s (runs {runs[0]['mean']:.4f}, "
        f"{runs[1]['mean']:.4f}); Erlang C {expected:.4f} s; error {error:+.2f} % "
        f"(standard error {stderr:.2f} %)"
    )
    print(
        "  the code's waits equal the brute-force FIFO's on the same random numbers: "
        f"{same}; {sum(r['seconds'] for r in runs):.0f} s"
    )
    fields |= {
        "mmc_customers": args.customers,
        "mmc_mean_wait_s": f"{mean:.4f}",
        "erlang_c_s": f"{expected:.4f}",
        "mmc_error_pct": f"{error:.2f}",
        "mmc_stderr_pct": f"{stderr:.2f}",
        "mmc_within_2pct": "yes" if abs(error) < 2 else "no",
        "mmc_same_path": "yes" if same else "no",
    }
    print("RESULT " + " ".join(f"{k}={v}" for k, v in fields.items()))


if __name__ == "__main__":
    main()
