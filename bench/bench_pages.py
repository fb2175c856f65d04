"""Resident pages: weight in a real browser, and server time.

A real server (`civitas serve`) with the demo cities. For each resident page:
  - first load with a cold cache, and a repeat visit, in Debian's Chromium (its headless
    shell, driven by Playwright):
    bytes transferred (compressed bodies plus headers), summed over every request;
    aim: <= 150 KB first, <= 30 KB repeat;
  - server time: p50/p99 of the page alone at 4 keep-alive clients for a few seconds
    (wrk when installed); aim: p50 < 50 ms.
Map tiles come from a tile server outside; they are not counted (none load here).

Run: .venv/bin/python bench/bench_pages.py [--seconds 5]
Ends with one line: RESULT key=value ...
"""

from __future__ import annotations

import argparse
import shutil
from typing import Any

from harness import demo_env, demo_server, get, load

PAGES = {
    "catalogue": "/trujillo/",
    "search": "/trujillo/?q=alumbrado",
    "service": "/trujillo/services/streetlight",
    "report_where": "/trujillo/report/streetlight/where",
    "status": "/trujillo/requests/1",
    "track": "/trujillo/track",
}
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def transferred(page: Any, url: str) -> tuple[int, int]:
    """Bytes over the wire for one navigation (local requests only), and their count."""
    seen: list[Any] = []

    def finished(request: Any) -> None:
        seen.append(request)

    page.on("requestfinished", finished)
    page.goto(url, wait_until="networkidle")
    page.remove_listener("requestfinished", finished)
    total = 0
    count = 0
    for request in seen:
        if not request.url.startswith(url.split("/trujillo")[0]):
            continue  # map tiles and the like
        sizes = request.sizes()
        total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        count += 1
    return total, count


def weigh(base: str) -> dict[str, dict[str, float]]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium-headless-shell")
    if not chromium:
        raise SystemExit(
            "Debian's chromium-headless-shell is needed: bash scripts/ensure-chromium.sh"
        )
    out: dict[str, dict[str, float]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=FLAGS)
        for name, path in PAGES.items():
            context = browser.new_context(viewport={"width": 360, "height": 740})
            page = context.new_page()
            first, n_first = transferred(page, base + path)
            repeat, n_repeat = transferred(page, base + path)
            out[name] = {
                "first_kb": first / 1024,
                "repeat_kb": repeat / 1024,
                "first_requests": n_first,
                "repeat_requests": n_repeat,
            }
            context.close()
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    env = demo_env(None)
    with demo_server(env) as port:
        base = f"http://127.0.0.1:{port}"
        weights = weigh(base)
        timing = {
            name: load(port, get(path), args.seconds, args.clients) for name, path in PAGES.items()
        }
    print(
        f"{'page':<14}{'first KB':>10}{'reqs':>6}{'repeat KB':>11}{'reqs':>6}"
        f"{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}"
    )
    for name in PAGES:
        w, t = weights[name], timing[name]
        print(
            f"{name:<14}{w['first_kb']:>10.1f}{w['first_requests']:>6.0f}{w['repeat_kb']:>11.1f}"
            f"{w['repeat_requests']:>6.0f}{t['rps']:>8.0f}{t['p50_ms']:>8.1f}{t['p99_ms']:>8.1f}"
        )
    fields = [f"clients={args.clients}"]
    for name in PAGES:
        fields += [
            f"{name}_first_kb={weights[name]['first_kb']:.1f}",
            f"{name}_repeat_kb={weights[name]['repeat_kb']:.1f}",
            f"{name}_p50_ms={timing[name]['p50_ms']:.1f}",
        ]
    fields += [
        f"max_first_kb={max(w['first_kb'] for w in weights.values()):.1f}",
        f"max_repeat_kb={max(w['repeat_kb'] for w in weights.values()):.1f}",
        f"max_p50_ms={max(t['p50_ms'] for t in timing.values()):.1f}",
        f"errors={sum(int(t['errors']) for t in timing.values())}",
    ]
    print("RESULT " + " ".join(fields))


if __name__ == "__main__":
    main()
