"""Catalogue benchmark: a real server on loopback with the two demo cities.

Measures, at 32 concurrent keep-alive clients, requests per second and p50/p99 latency of
  - GET /healthz (the bare framework endpoint, for comparison on the same server),
  - GET /open311/v2/services.json (Open311 service list),
  - GET /api/v1/cities/{city}/services (the catalogue JSON, 35 services),
  - GET /{city}/ (the HTML catalogue page),
and in-process: validating + importing the 35-service demo catalogue, and the CPSV-AP export.

Run: .venv/bin/python bench/bench_catalogue.py [--seconds 5] [--database-url URL]
Ends with one line: RESULT key=value ...
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load(port: int, path: str, seconds: float, clients: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine: list[float] = []
        bad = 0
        while time.perf_counter() < stop:
            started = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            if response.status != 200:
                bad += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "errors": errors,
        "n": len(latencies),
    }


def in_process(env: dict[str, str]) -> dict[str, float]:
    os.environ.update(env)
    import yaml

    from civitas.catalogue.cpsv import export_cpsv
    from civitas.catalogue.demo import demo_catalogue
    from civitas.catalogue.importer import import_catalogue
    from civitas.catalogue.service import list_services
    from civitas.cities.service import enter_city, get_city_by_slug
    from civitas.core.config import get_settings
    from civitas.core.db import session_scope

    with session_scope() as db:
        city = enter_city(db, get_city_by_slug(db, "trujillo"))
        text = yaml.safe_dump(demo_catalogue(city).model_dump(mode="json"), allow_unicode=True)
    runs = 10
    started = time.perf_counter()
    for _ in range(runs):
        with session_scope() as db:
            city = get_city_by_slug(db, "trujillo")
            import_catalogue(db, city, text=text, fmt="yaml", actor="bench")
    import_ms = (time.perf_counter() - started) / runs * 1000
    started = time.perf_counter()
    for _ in range(runs):
        with session_scope() as db:
            city = enter_city(db, get_city_by_slug(db, "trujillo"))
            export_cpsv(city, list_services(db, city), base_url=get_settings().public_url)
    export_ms = (time.perf_counter() - started) / runs * 1000
    return {"import_35_ms": import_ms, "cpsv_export_35_ms": export_ms}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="civitas-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    env = {
        "CIVITAS_DATABASE_URL": url,
        "CIVITAS_JOBS_PATH": str(tmp / "jobs.db"),
        "CIVITAS_LOG_LEVEL": "WARNING",
    }
    full_env = {**os.environ, **env}
    civitas = [sys.executable, "-m", "civitas"]
    subprocess.run([*civitas, "db", "upgrade"], env=full_env, check=True, capture_output=True)
    subprocess.run([*civitas, "demo"], env=full_env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [*civitas, "serve", "--port", str(port)],
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        paths = {
            "bare": "/healthz",
            "open311_services": "/open311/v2/services.json?jurisdiction_id=trujillo.example",
            "catalogue_json": "/api/v1/cities/trujillo/services",
            "catalogue_page": "/trujillo/",
        }
        load(port, paths["catalogue_json"], 1.0, 4)  # warm up
        results = {
            name: load(port, path, args.seconds, args.clients) for name, path in paths.items()
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
    db_kind = "postgresql" if url.startswith("postgresql") else "sqlite"
    print(f"database: {db_kind}; {args.clients} clients; {args.seconds:.0f} s per endpoint")
    print(f"{'endpoint':<18}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'% bare':>9}{'errors':>8}")
    bare = results["bare"]["rps"]
    for name, r in results.items():
        print(
            f"{name:<18}{r['rps']:>9.0f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
            f"{100 * r['rps'] / bare:>8.0f}%{r['errors']:>8.0f}"
        )
    timings = in_process(env)
    for key, value in timings.items():
        print(f"{key}: {value:.1f} ms")
    fields = [f"db={db_kind}"]
    for name, r in results.items():
        fields += [f"{name}_rps={r['rps']:.0f}", f"{name}_p99_ms={r['p99_ms']:.1f}"]
    fields += [f"{k}={v:.1f}" for k, v in timings.items()]
    print("RESULT " + " ".join(fields))


if __name__ == "__main__":
    main()
