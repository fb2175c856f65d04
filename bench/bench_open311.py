"""Open311 benchmark: a real server on loopback with the demo cities (300 requests each).

At 32 concurrent keep-alive clients, for each endpoint: requests per second and p50/p99
latency, compared in the same run with the bare framework endpoint on the same server:
  - GET  /healthz                                   (bare)
  - GET  /open311/v2/requests.json (50 results)     aim: >= 30 % of bare, p99 < 100 ms
  - POST /open311/v2/requests.json (durable commit)  aim: >= 15 % of bare, p99 < 100 ms

Run: .venv/bin/python bench/bench_open311.py [--seconds 10] [--database-url URL]
Ends with one line: RESULT key=value ...
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

API_KEY = "cvk_bench_key_0123456789abcdefghij"
GET_PATH = "/open311/v2/requests.json?jurisdiction_id=trujillo.example&page_size=50"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load(port: int, make_request, seconds: float, clients: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker(index: int) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        bad = 0
        for n in itertools.count():
            if time.perf_counter() >= stop:
                break
            method, path, body, headers = make_request(index, n)
            started = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            if response.status != 200:
                bad += 1
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
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000,
        "errors": errors,
        "n": len(latencies),
    }


def bare(_: int, __: int):
    return "GET", "/healthz", None, {}


def get_requests(_: int, __: int):
    return "GET", GET_PATH, None, {}


def post_request(index: int, n: int):
    body = urllib.parse.urlencode(
        {
            "api_key": API_KEY,
            "jurisdiction_id": "trujillo.example",
            "service_code": "streetlight",
            "lat": "-8.1116",
            "long": "-79.0287",
            "attribute[fault]": "out",
            "description": f"Benchmark report {index}-{n}",
        }
    )
    return (
        "POST",
        "/open311/v2/requests.json",
        body,
        {"Content-Type": "application/x-www-form-urlencoded"},
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="civitas-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    env = {
        **os.environ,
        "CIVITAS_DATABASE_URL": url,
        "CIVITAS_JOBS_PATH": str(tmp / "jobs.db"),
        "CIVITAS_MEDIA_ROOT": str(tmp / "media"),
        "CIVITAS_LOG_LEVEL": "WARNING",
        "CIVITAS_DEMO_API_KEY": API_KEY,
    }
    civitas = [sys.executable, "-m", "civitas"]
    subprocess.run([*civitas, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([*civitas, "demo"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [*civitas, "serve", "--port", str(port)],
        env=env,
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
        load(port, get_requests, 1.0, 4)  # warm up
        results = {
            "bare": load(port, bare, args.seconds, args.clients),
            "get_requests": load(port, get_requests, args.seconds, args.clients),
            "post_request": load(port, post_request, args.seconds, args.clients),
        }
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", GET_PATH)
        sample = conn.getresponse().read()
    finally:
        server.terminate()
        server.wait(timeout=30)
    import json

    returned = len(json.loads(sample))
    db_kind = "postgresql" if url.startswith("postgresql") else "sqlite"
    print(
        f"database: {db_kind}; {args.clients} clients; {args.seconds:.0f} s per endpoint; "
        f"GET returns {returned}"
    )
    print(f"{'endpoint':<14}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'% bare':>9}{'errors':>8}")
    base = results["bare"]["rps"]
    for name, r in results.items():
        print(
            f"{name:<14}{r['rps']:>9.0f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
            f"{100 * r['rps'] / base:>8.0f}%{r['errors']:>8.0f}"
        )
    fields = [f"db={db_kind}", f"clients={args.clients}", f"get_results={returned}"]
    for name, r in results.items():
        fields += [
            f"{name}_rps={r['rps']:.0f}",
            f"{name}_p50_ms={r['p50_ms']:.1f}",
            f"{name}_p99_ms={r['p99_ms']:.1f}",
        ]
    fields += [
        f"get_pct_of_bare={100 * results['get_requests']['rps'] / base:.0f}",
        f"post_pct_of_bare={100 * results['post_request']['rps'] / base:.0f}",
        f"errors={sum(int(r['errors']) for r in results.values())}",
    ]
    print("RESULT " + " ".join(fields))


if __name__ == "__main__":
    main()
