"""Air quality, measured:

* **correctness**: the four index modules against the golden table read from the
  official tables (tests/air/golden_indices.csv): differences must be 0; the
  corrections against the published formulas, computed here independently, on 100,000
  random inputs across every range limit: the largest difference.
* **ingestion**: a year of hourly data for 200 sensors (1,752,000 readings, one CSV per
  sensor, read through the same import a city uses, with its range checks), then the
  hourly and daily means and the indices (the rollup), on SQLite and on PostgreSQL, each
  in its own process: time and peak memory. Beside it, in the same run, the floor: the
  same rows written by one bare INSERT … executemany (no parsing, no checks). A sample of
  daily means is checked against a brute-force mean of the file's own numbers.
* **push**: 32 clients each a sensor.community node posting its JSON to the push
  endpoint of a served city, as fast as answers come; p50 and p99, beside the bare
  /healthz at the same 32 clients in the same run (rounds taken in turns).

    python bench/bench_air.py [--sensors 200] [--days 365] [--seconds 20]

Ends with one line: RESULT index_differences=… correction_max_diff=… ingest_sqlite_s=…
ingest_sqlite_floor_s=… rollup_sqlite_s=… ingest_sqlite_rss_mb=… ingest_pg_s=…
ingest_pg_floor_s=… rollup_pg_s=… ingest_pg_rss_mb=… daily_checked=… daily_wrong=…
push_sqlite_p99_ms=… push_pg_p99_ms=… bare_p99_ms=… push_errors=…
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

HERE = Path(__file__).resolve()
GOLDEN = HERE.parent.parent / "tests" / "air" / "golden_indices.csv"
START = datetime(2025, 1, 1, tzinfo=UTC)


def correctness() -> dict[str, Any]:
    from civitas.air import corrections, indices

    lines = [x for x in GOLDEN.read_text().splitlines() if x and not x.startswith("#")]
    differences = 0
    for scale, pollutant, value, index, category in csv.reader(lines):
        found = indices.compute(scale, pollutant, float(value))
        if (found.index, found.category) != (int(index), category):
            differences += 1
            print(f"  DIFFERS {scale} {pollutant} {value}: {found.index} {found.category}")

    def low(pa: float, rh: float) -> float:
        return 0.524 * pa - 0.0862 * rh + 5.75

    def quad(pa: float) -> float:
        return 0.46 * pa + 3.93e-4 * pa**2 + 2.97

    rng = random.Random(20)
    worst = 0.0
    for _ in range(100_000):
        pa, rh = rng.uniform(0, 1000), rng.uniform(0, 100)
        w = 0.0244 * pa - 13.9
        published_2022 = (
            low(pa, rh)
            if pa < 570
            else (w * quad(pa) + (1 - w) * low(pa, rh) if pa < 611 else quad(pa))
        )
        published_2021 = low(pa, rh) if pa <= 343 else quad(pa)
        kappa = pa / (1 + (0.4 / 1.65) / (100 / min(max(rh, 1e-9), 99) - 1))
        worst = max(
            worst,
            abs(corrections.epa_2022(pa, rh) - max(0.0, published_2022)),
            abs(corrections.epa_2021(pa, rh) - max(0.0, published_2021)),
            abs(corrections.kappa_koehler(pa, max(rh, 1e-9)) - kappa),
        )
    return {"rows": len(lines), "differences": differences, "max_diff": worst}


# -- ingestion --------------------------------------------------------------------------------


def _ready(url: str) -> None:
    os.environ["CIVITAS_DATABASE_URL"] = url
    from civitas.core.db import engine_for
    from civitas.core.migrate import upgrade

    upgrade(engine_for(url))


def _city(db: Any, slug: str) -> Any:
    from civitas.cities.schemas import CityCreate
    from civitas.cities.service import create_city, enter_city

    city = create_city(
        db,
        CityCreate.model_validate(
            {
                "slug": slug,
                "name": "Benchstadt",
                "country": "PE",
                "languages": ["es", "en"],
                "default_language": "es",
                "timezone": "America/Lima",
                "currency": "PEN",
                "jurisdiction_id": f"{slug}.example",
                "center_lat": -8.11,
                "center_lon": -79.03,
                "extent": {"min_lat": -8.3, "min_lon": -79.2, "max_lat": -7.9, "max_lon": -78.8},
            }
        ),
    )
    enter_city(db, city)
    return city


def series(sensor: int, hours: int) -> list[tuple[datetime, float, float, float]]:
    """A sensor's year: PM2.5, PM10 and humidity each hour (a daily cycle and noise)."""
    rng = random.Random(sensor)
    out = []
    for h in range(hours):
        at = START + timedelta(hours=h, minutes=2)
        pm = max(0.0, 15 + 8 * math.sin(2 * math.pi * (h % 24) / 24) + rng.gauss(0, 4))
        out.append((at, round(pm, 1), round(pm * 1.6, 1), round(55 + 30 * rng.random(), 1)))
    return out


def ingest(url: str, sensors: int, days: int) -> dict[str, Any]:
    _ready(url)
    from sqlalchemy import func, insert, select

    from civitas.air import ingest as air_ingest
    from civitas.air import rollup
    from civitas.air.models import Day, Reading
    from civitas.air.sensors import add_sensor
    from civitas.core.db import session_scope

    hours = 24 * days
    with session_scope() as db:
        city = _city(db, "air")
        made = [
            add_sensor(db, city, chip_id=f"{100000 + i}", kind="sds011", lat=-8.1, lon=-79.0).id
            for i in range(sensors)
        ]
        city_id = city.id
    with session_scope() as db:
        floor_city = _city(db, "floor")
        floors = [
            add_sensor(
                db, floor_city, chip_id=f"{900000 + i}", kind="sds011", lat=-8.1, lon=-79.0
            ).id
            for i in range(sensors)
        ]
        floor_id = floor_city.id
    files = []
    for i in range(sensors):
        lines = ["time_stamp,pm25,pm10,humidity"]
        lines += [f"{at.isoformat()},{pm},{pm10},{rh}" for at, pm, pm10, rh in series(i, hours)]
        files.append("\n".join(lines))
    # the floor: the same rows, one bare INSERT … executemany per sensor, nothing checked
    began = time.perf_counter()
    with session_scope() as db:
        from civitas.core.tenancy import bind_all_cities

        bind_all_cities(db)
        for i, sensor_id in enumerate(floors):
            rows = [
                {
                    "tenant_id": floor_id,
                    "sensor_id": sensor_id,
                    "at": at,
                    "channel": "node",
                    "pm25": pm,
                    "pm10": pm10,
                    "humidity": rh,
                }
                for at, pm, pm10, rh in series(i, hours)
            ]
            db.execute(insert(Reading), rows)
    floor_s = time.perf_counter() - began
    began = time.perf_counter()
    from civitas.cities.models import City

    with session_scope() as db:
        city = db.get_one(City, city_id)
        for i in range(sensors):
            air_ingest.import_csv(
                db, city, files[i], filename=f"{i}.csv", sensor_chip=f"{100000 + i}"
            )
    import_s = time.perf_counter() - began
    del files
    began = time.perf_counter()
    with session_scope() as db:
        city = db.get_one(City, city_id)
        done_hours = rollup.rollup(db, city)
    rollup_s = time.perf_counter() - began
    # a sample of days against a brute-force mean of the numbers written to the files
    from zoneinfo import ZoneInfo

    from civitas.air.corrections import kappa_koehler
    from civitas.cities.service import enter_city

    zone = ZoneInfo("America/Lima")
    checked = wrong = 0
    with session_scope() as db:
        city = db.get_one(City, city_id)
        enter_city(db, city)
        for i in random.Random(5).sample(range(sensors), min(5, sensors)):
            by_day: dict[Any, list[tuple[float, float]]] = {}
            for at, pm, _, rh in series(i, hours):
                by_day.setdefault(at.astimezone(zone).date(), []).append(
                    (pm, kappa_koehler(pm, rh))
                )
            for found in db.scalars(select(Day).where(Day.sensor_id == made[i])):
                values = by_day[found.day]
                checked += 1
                raw = statistics.fmean(v[0] for v in values)
                corrected = statistics.fmean(v[1] for v in values)
                if (
                    found.pm25_raw is None
                    or found.pm25 is None
                    or abs(found.pm25_raw - raw) > 1e-9
                    or abs(found.pm25 - corrected) > 1e-9
                    or found.hours != len(values)
                    or found.complete != (len(values) >= 18)
                ):
                    wrong += 1
        days_made = db.scalar(select(func.count(Day.id)))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "readings": sensors * hours,
        "import_s": round(import_s, 1),
        "floor_s": round(floor_s, 1),
        "rollup_s": round(rollup_s, 1),
        "hours": done_hours,
        "days": days_made,
        "rss_mb": round(rss_mb),
        "checked": checked,
        "wrong": wrong,
    }


# -- push -------------------------------------------------------------------------------------


def push(url: str, seconds: float, clients: int = 32) -> dict[str, Any]:
    _ready(url)
    from civitas.air.sensors import add_sensor
    from civitas.core.db import session_scope
    from harness import server_on

    with session_scope() as db:
        city = _city(db, "push")
        for i in range(clients):
            add_sensor(db, city, chip_id=f"{500000 + i}", kind="sds011", lat=-8.1, lon=-79.0)
    env = {**os.environ, "CIVITAS_DATABASE_URL": url, "CIVITAS_LOG_LEVEL": "WARNING"}
    with server_on(env) as port:
        rounds = 4
        got: dict[str, list[dict[str, float]]] = {"push": [], "bare": []}
        for _ in range(rounds):
            got["push"].append(_load(port, seconds / rounds, clients, push=True))
            got["bare"].append(_load(port, seconds / rounds, clients, push=False))
    return {
        name: {
            "p50_ms": round(statistics.median(t["p50_ms"] for t in turns), 1),
            "p99_ms": round(statistics.median(t["p99_ms"] for t in turns), 1),
            "rps": round(sum(t["n"] for t in turns) / sum(t["seconds"] for t in turns)),
            "errors": sum(t["errors"] for t in turns),
        }
        for name, turns in got.items()
    }


def _load(port: int, seconds: float, clients: int, *, push: bool) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker(index: int) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad, n = [], 0, 0
        while time.perf_counter() < stop:
            n += 1
            if push:
                body = json.dumps(
                    {
                        "esp8266id": str(500000 + index),
                        "sensordatavalues": [
                            {"value_type": "SDS_P1", "value": f"{20 + n % 50:.2f}"},
                            {"value_type": "SDS_P2", "value": f"{10 + n % 37:.2f}"},
                            {"value_type": "BME280_humidity", "value": f"{50 + n % 40:.2f}"},
                            {"value_type": "BME280_temperature", "value": "21.00"},
                        ],
                    }
                )
                began = time.perf_counter()
                conn.request(
                    "POST",
                    "/api/v1/cities/push/air/push/sensor-community",
                    body=body,
                    headers={"Content-Type": "application/json", "X-Pin": "1"},
                )
            else:
                began = time.perf_counter()
                conn.request("GET", "/healthz")
            answer = conn.getresponse()
            answer.read()
            mine.append(time.perf_counter() - began)
            bad += answer.status != 200
        conn.close()
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[max(math.ceil(len(latencies) * 0.99) - 1, 0)] * 1000,
        "n": len(latencies),
        "seconds": elapsed,
        "errors": errors,
    }


# -- the run ----------------------------------------------------------------------------------


def child(kind: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            str(HERE),
            "--child",
            kind,
            "--url",
            url,
            "--sensors",
            str(args.sensors),
            "--days",
            str(args.days),
            "--seconds",
            str(args.seconds),
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
    parser.add_argument("--sensors", type=int, default=200)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--child")
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.child == "ingest":
        print(json.dumps(ingest(args.url, args.sensors, args.days)))
        return
    if args.child == "push":
        print(json.dumps(push(args.url, args.seconds)))
        return
    from harness import drop_postgres, postgres_database

    print("== correctness: the golden index table, the corrections against their formulas")
    c = correctness()
    print(
        f"  {c['rows']} golden rows, {c['differences']} differences; "
        f"corrections: largest difference {c['max_diff']:.2e}"
    )
    results: dict[str, Any] = {}
    print(f"== ingestion: {args.sensors} sensors × {args.days} days of hours")
    results["sqlite"] = child("ingest", sqlite_url(), args)
    pg_url, dsn, name = postgres_database()
    try:
        results["pg"] = child("ingest", pg_url, args)
    finally:
        drop_postgres(dsn, name)
    for db in ("sqlite", "pg"):
        r = results[db]
        print(
            f"  {db:<7} {r['readings']:,} readings: import {r['import_s']} s "
            f"(bare INSERT {r['floor_s']} s), rollup {r['rollup_s']} s ({r['hours']:,} hours, "
            f"{r['days']:,} days), peak {r['rss_mb']} MB; "
            f"{r['checked']} days checked by brute force, {r['wrong']} wrong"
        )
    print(f"== push: 32 sensor.community nodes, {args.seconds:.0f} s in rounds, beside /healthz")
    results["push_sqlite"] = child("push", sqlite_url(), args)
    pg_url, dsn, name = postgres_database()
    try:
        results["push_pg"] = child("push", pg_url, args)
    finally:
        drop_postgres(dsn, name)
    for db in ("sqlite", "pg"):
        r = results[f"push_{db}"]
        print(
            f"  {db:<7} push p50 {r['push']['p50_ms']} ms p99 {r['push']['p99_ms']} ms "
            f"({r['push']['rps']} req/s, {r['push']['errors']} errors); "
            f"/healthz p50 {r['bare']['p50_ms']} ms p99 {r['bare']['p99_ms']} ms "
            f"({r['bare']['rps']} req/s)"
        )
    fields = {
        "index_differences": c["differences"],
        "correction_max_diff": f"{c['max_diff']:.1e}",
        **{f"ingest_{db}_s": results[db]["import_s"] for db in ("sqlite", "pg")},
        **{f"ingest_{db}_floor_s": results[db]["floor_s"] for db in ("sqlite", "pg")},
        **{f"rollup_{db}_s": results[db]["rollup_s"] for db in ("sqlite", "pg")},
        **{f"ingest_{db}_rss_mb": results[db]["rss_mb"] for db in ("sqlite", "pg")},
        "daily_checked": results["sqlite"]["checked"] + results["pg"]["checked"],
        "daily_wrong": results["sqlite"]["wrong"] + results["pg"]["wrong"],
        "push_sqlite_p99_ms": results["push_sqlite"]["push"]["p99_ms"],
        "push_pg_p99_ms": results["push_pg"]["push"]["p99_ms"],
        "bare_p99_ms": results["push_sqlite"]["bare"]["p99_ms"],
        "push_errors": results["push_sqlite"]["push"]["errors"]
        + results["push_pg"]["push"]["errors"],
    }
    print("RESULT " + " ".join(f"{k}={v}" for k, v in fields.items()))


if __name__ == "__main__":
    main()
