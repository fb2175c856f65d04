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
import os
import time

from harness import demo_env, demo_server, get, load, table


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
    env = demo_env(args.database_url)
    paths = {
        "bare": "/healthz",
        "open311_services": "/open311/v2/services.json?jurisdiction_id=trujillo.example",
        "catalogue_json": "/api/v1/cities/trujillo/services",
        "catalogue_page": "/trujillo/",
    }
    with demo_server(env) as port:
        load(port, get(paths["catalogue_json"]), 1.0, 4)  # warm up
        results = {
            name: load(port, get(path), args.seconds, args.clients) for name, path in paths.items()
        }
    db = "postgresql" if env["CIVITAS_DATABASE_URL"].startswith("postgresql") else "sqlite"
    print(f"database: {db}; {args.clients} clients; {args.seconds:.0f} s per endpoint")
    table(results)
    timings = in_process(env)
    for key, value in timings.items():
        print(f"{key}: {value:.1f} ms")
    fields = [f"db={db}"]
    for name, r in results.items():
        fields += [f"{name}_rps={r['rps']:.0f}", f"{name}_p99_ms={r['p99_ms']:.1f}"]
    fields += [f"{k}={v:.1f}" for k, v in timings.items()]
    print("RESULT " + " ".join(fields))


if __name__ == "__main__":
    main()
