"""KPI refresh benchmark: every registered KPI family over N requests with their survey
answers, on SQLite and PostgreSQL.

For each database: a fresh database is migrated and the demo city Musterstadt is loaded
(its catalogue of 35 services in 9 departments); then N requests spread over twelve
months are written in bulk by civitas.insight.synthetic (channels shifting to digital,
acknowledgement and closing times from each service's target, 4 % reopened, calls
solved on the phone, about 30 % of closed requests answered in the survey, page votes).
The refresh then runs in a child process, as the nightly job does: for each of the
twelve months, every KPI family is computed in SQL for the city and per service,
department and channel, and the month's figures are replaced in one transaction.
Its wall time (refresh_s, all twelve months; month_s, the slowest single month) and the
child's peak resident memory (peak_mb) are measured.

Run: .venv/bin/python bench/kpis.py --requests 1000000 [--databases sqlite,postgresql]
Ends with one line: RESULT requests=… responses=… refresh_s=… month_s=… peak_mb=…
refresh_pg_s=… month_pg_s=… peak_pg_mb=…
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import child_json, database, figure_line

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
MONTHS = [f"2025-{m:02d}" for m in range(11, 13)] + [f"2026-{m:02d}" for m in range(1, 11)]


def _prepare(url: str, requests: int) -> dict[str, float]:
    os.environ["CIVITAS_DATABASE_URL"] = url
    from sqlalchemy import text

    from civitas.cities.service import get_city_by_slug
    from civitas.core.config import get_settings
    from civitas.core.db import engine_for, session_scope
    from civitas.core.migrate import upgrade
    from civitas.demo import DEMO_CITIES, load_demo_city
    from civitas.insight.synthetic import history

    engine = engine_for(url)
    upgrade(engine)
    with session_scope(engine) as db:
        load_demo_city(db, get_settings(), DEMO_CITIES[1])
    started = time.perf_counter()
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "musterstadt")
        made = history(db, city, MONTHS, per_month=requests // len(MONTHS), now=NOW, seed="bench")
    loaded = time.perf_counter() - started
    with engine.connect() as conn:  # fresh statistics, as after any bulk load
        conn.execute(text("ANALYZE"))
        conn.commit()
    engine.dispose()
    return {
        "requests": made.requests,
        "responses": made.responses,
        "invitations": made.invitations,
        "load_s": loaded,
    }


def _child(url: str) -> None:
    """The refresh, alone in this process (so its peak memory is its own)."""
    os.environ["CIVITAS_DATABASE_URL"] = url
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import engine_for, session_scope
    from civitas.insight.figures import refresh

    engine = engine_for(url)
    per_month = []
    figures = 0
    started = time.perf_counter()
    for month in MONTHS:
        t0 = time.perf_counter()
        with session_scope(engine) as db:
            city = get_city_by_slug(db, "musterstadt")
            figures += refresh(db, city, [month], actor="bench")
        per_month.append(time.perf_counter() - t0)
    total = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "refresh_s": total,
                "month_s": max(per_month),
                "month_median_s": sorted(per_month)[len(per_month) // 2],
                "figures": figures,
                "peak_mb": peak_kb / 1024,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return
    figures: dict[str, dict[str, Any]] = {}
    tmp = Path(tempfile.mkdtemp(prefix="civitas-bench-"))
    for kind in args.databases.split(","):
        with database(kind, tmp, "kpis.db") as url:
            prepared = _prepare(url, args.requests)
            figures[kind] = {**prepared, **child_json(__file__, url)}
        print(figure_line(kind, figures[kind]), flush=True)
    first = next(iter(figures.values()))
    result: dict[str, Any] = {"requests": first["requests"], "responses": first["responses"]}
    if "sqlite" in figures:
        result["refresh_s"] = round(figures["sqlite"]["refresh_s"], 2)
        result["month_s"] = round(figures["sqlite"]["month_s"], 2)
        result["peak_mb"] = round(figures["sqlite"]["peak_mb"])
    if "postgresql" in figures:
        result["refresh_pg_s"] = round(figures["postgresql"]["refresh_s"], 2)
        result["month_pg_s"] = round(figures["postgresql"]["month_s"], 2)
        result["peak_pg_mb"] = round(figures["postgresql"]["peak_mb"])
    print("RESULT " + " ".join(f"{k}={v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
