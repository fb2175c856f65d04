"""Open311 benchmark: a real server on loopback with the demo cities (300 requests each).

At 32 concurrent keep-alive clients, for each endpoint: requests per second and p50/p99
latency, compared in the same run with the bare framework endpoint on the same server:
  - GET  /healthz                                   (bare)
  - GET  /open311/v2/requests.json (50 results)     aim: >= 30 % of bare, p99 < 100 ms
  - POST /open311/v2/requests.json (durable commit)  aim: >= 15 % of bare, p99 < 100 ms
  - the same GET with a cache-buster (``_=…``, different on every request), and the staff
    API's list of requests (bearer token) the same way: lists computed afresh every time,
    aim p99 < 250 ms
  - the uncached lists and the POST again from a second server on the same database with
    ``--workers 2`` (rows ``…_2w``)

Run: .venv/bin/python bench/bench_open311.py [--seconds 10] [--database-url URL]
Ends with one line: RESULT key=value ...
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json

from harness import Shot, demo_env, demo_server, get, interleaved, load, server_on, table

API_KEY = "cvk_bench_key_0123456789abcdefghij"
GET_PATH = "/open311/v2/requests.json?jurisdiction_id=trujillo.example&page_size=50"
STAFF_PATH = "/api/v1/cities/trujillo/requests?page_size=50&open=true"


def _token(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = json.dumps({"username": "manager", "password": "civitas-demo"})
    conn.request(
        "POST", "/api/v1/cities/trujillo/auth/token", body, {"Content-Type": "application/json"}
    )
    return str(json.loads(conn.getresponse().read())["access_token"])


POST = Shot(
    "POST",
    "/open311/v2/requests.json",
    form={
        "api_key": API_KEY,
        "jurisdiction_id": "trujillo.example",
        "service_code": "streetlight",
        "lat": "-8.1116",
        "long": "-79.0287",
        "attribute[fault]": "out",
        "description": "Benchmark report",
    },
    unique="description",  # all differ: none is a retry
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--rounds", type=int, default=4, help="turns each row's time is cut in")
    parser.add_argument("--workers", type=int, default=2, help="also serve with N processes")
    args = parser.parse_args()
    env = demo_env(args.database_url, CIVITAS_DEMO_API_KEY=API_KEY)
    with demo_server(env) as port, contextlib.ExitStack() as more:
        load(port, get(GET_PATH), 1.0, 4)  # warm up
        staff = {"Authorization": f"Bearer {_token(port)}"}
        fresh = Shot("GET", GET_PATH, unique="_")
        staff_list = Shot("GET", STAFF_PATH, unique="_", headers=staff)
        load(port, staff_list, 1.0, 4)  # warm up
        jobs = {
            "bare": (port, get("/healthz")),
            "get_requests": (port, get(GET_PATH)),
            "get_uncached": (port, fresh),
            "staff_list": (port, staff_list),
            "post_request": (port, POST),
        }
        w = f"{args.workers}w"
        if args.workers > 1:
            # the same rows from a second server on the same database, N processes
            port_n = more.enter_context(server_on(env, "--workers", str(args.workers)))
            load(port_n, staff_list, 1.0, 8)  # warm up every process
            jobs |= {
                f"bare_{w}": (port_n, get("/healthz")),
                f"get_uncached_{w}": (port_n, fresh),
                f"staff_list_{w}": (port_n, staff_list),
                f"post_request_{w}": (port_n, POST),
            }
        results = interleaved(jobs, args.seconds, args.clients, args.rounds)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", GET_PATH)
        returned = len(json.loads(conn.getresponse().read()))
    db = "postgresql" if env["CIVITAS_DATABASE_URL"].startswith("postgresql") else "sqlite"
    print(
        f"database: {db}; {args.clients} clients; {args.seconds:.0f} s each; GET gives {returned}"
    )
    table(results)
    base = results["bare"]["rps"]
    fields = [f"db={db}", f"clients={args.clients}", f"get_results={returned}"]
    for name, r in results.items():
        fields += [
            f"{name}_rps={r['rps']:.0f}",
            f"{name}_p50_ms={r['p50_ms']:.1f}",
            f"{name}_p99_ms={r['p99_ms']:.1f}",
        ]
    fields += [
        f"get_pct_of_bare={100 * results['get_requests']['rps'] / base:.0f}",
        f"uncached_pct_of_bare={100 * results['get_uncached']['rps'] / base:.0f}",
        f"post_pct_of_bare={100 * results['post_request']['rps'] / base:.0f}",
        *(
            [
                f"post_{w}_pct_of_bare={100 * results['post_request_' + w]['rps'] / bare_n:.0f}",
                f"uncached_{w}_pct_of_bare="
                f"{100 * results['get_uncached_' + w]['rps'] / bare_n:.0f}",
            ]
            if (bare_n := results.get(f"bare_{w}", {}).get("rps"))
            else []
        ),
        f"errors={sum(int(r['errors']) for r in results.values())}",
    ]
    print("RESULT " + " ".join(fields))


if __name__ == "__main__":
    main()
