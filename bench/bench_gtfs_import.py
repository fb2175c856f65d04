"""Importing the largest real GTFS feed of the repository (Cairns: 1,339 trips, 37,790
stop times, 54 shapes) with ``civitas.transit.feeds.import_feed``, on SQLite and on
PostgreSQL, each in its own process so that its peak memory is its own. Side by side
in the same run, two references: reading every file of the feed with the csv module and
nothing else (the floor of any import), and Civitas's reading and checking alone (no
database). A second import of the same name (the replacement) is timed too.

    python bench/bench_gtfs_import.py [--databases sqlite,postgresql]

Ends with one line: RESULT feed=cairns stop_times=… csv_read_s=… parse_s=… sqlite_s=… …
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from harness import child_json, database
from transit_setup import LARGEST, make_city


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _csv_only(content: bytes) -> dict[str, float]:
    started = time.perf_counter()
    rows = 0
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            text = archive.read(name).decode("utf-8-sig")
            rows += sum(1 for _ in csv.reader(io.StringIO(text)))
    return {"s": time.perf_counter() - started, "rows": rows, "peak_mb": _peak_mb()}


def _parse_only(content: bytes) -> dict[str, float]:
    from civitas.transit.gtfs import parse_feed

    started = time.perf_counter()
    feed = parse_feed(content)
    return {
        "s": time.perf_counter() - started,
        "stop_times": len(feed.stop_times),
        "peak_mb": _peak_mb(),
    }


def _child(url: str) -> None:
    content = LARGEST.read_bytes()
    if url == "csv":
        print(json.dumps(_csv_only(content)))
        return
    if url == "parse":
        print(json.dumps(_parse_only(content)))
        return
    engine = make_city(url)
    from civitas.cities.service import get_city_by_slug
    from civitas.core.db import session_scope
    from civitas.transit import feeds

    times = []
    for _ in range(2):  # the first import, then the replacement of the same name
        started = time.perf_counter()
        with session_scope(engine) as db:
            city = get_city_by_slug(db, "bench")
            result = feeds.import_feed(db, city, "cairns", content=content, filename=LARGEST.name)
        times.append(time.perf_counter() - started)
    engine.dispose()
    print(
        json.dumps(
            {
                "s": times[0],
                "replace_s": times[1],
                "stop_times": result.counts["stop_times"],
                "peak_mb": _peak_mb(),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return
    script = str(Path(__file__).resolve())
    figures: dict[str, object] = {}
    base = child_json(script, "csv")
    print(f"{'csv read':<12} {base['s']:.2f} s, {base['rows']} rows, peak {base['peak_mb']:.0f} MB")
    parsed = child_json(script, "parse")
    print(
        f"{'parse+check':<12} {parsed['s']:.2f} s, {parsed['stop_times']} stop times, "
        f"peak {parsed['peak_mb']:.0f} MB"
    )
    figures.update(
        csv_read_s=round(float(base["s"]), 2),  # type: ignore[arg-type]
        parse_s=round(float(parsed["s"]), 2),  # type: ignore[arg-type]
        parse_peak_mb=round(float(parsed["peak_mb"])),  # type: ignore[arg-type]
    )
    folder = Path(tempfile.mkdtemp(prefix="civitas-bench-"))
    for kind in [k for k in args.databases.split(",") if k]:
        with database(kind, folder, f"{kind}-import.db") as url:
            found = child_json(script, url)
        print(
            f"{kind:<12} {found['s']:.2f} s (again, replacing: {found['replace_s']:.2f} s), "
            f"{found['stop_times']} stop times, peak {found['peak_mb']:.0f} MB"
        )
        figures[f"{kind}_s"] = round(float(found["s"]), 2)  # type: ignore[arg-type]
        figures[f"{kind}_replace_s"] = round(float(found["replace_s"]), 2)  # type: ignore[arg-type]
        figures[f"{kind}_peak_mb"] = round(float(found["peak_mb"]))  # type: ignore[arg-type]
    print(
        f"RESULT feed=cairns stop_times={parsed['stop_times']} "
        + " ".join(f"{k}={v}" for k, v in figures.items())
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
