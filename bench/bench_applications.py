"""Online applications under load, on a real server (uvicorn on loopback):

* **submit**: 16 residents at once, each signed in, apply again and again for a permit:
  five question pages, two documents uploaded (a PDF and a PNG, checked by content and
  written durably), then "Send", which files the application as a case. Reported: p50
  and p99 of "Send" and of an upload, side by side with a bare endpoint (``/healthz``)
  asked by the same clients in the same run.
* **render**: one resident's pages of a 40-question form with conditions (every third
  question shown only after a yes): a question page and "check your answers" with all 40
  answers; server round trip on loopback, p50, beside ``/healthz``.

    python bench/bench_applications.py [--db sqlite|postgresql] [--clients 16] [--seconds 30]

Ends with one line: RESULT db=… clients=… applications=… submit_p50_ms=… submit_p99_ms=…
upload_p99_ms=… healthz_p99_ms=… render_check_p50_ms=… render_question_p50_ms=…
render_healthz_p50_ms=… render_under_50ms=yes|no
"""

from __future__ import annotations

import argparse
import http.client
import io
import os
import re
import statistics
import sys
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import demo_env, server_on

PASSWORD = "bench-password-1"  # noqa: S105 - the benchmark residents' own
SMALL = """
questions:
  - {id: name, type: text, label: {en: Name}}
  - {id: born, type: date, max: today, label: {en: Born}}
  - id: kind
    type: choice
    label: {en: Kind}
    options: [{value: a, label: {en: A}}, {value: b, label: {en: B}}]
  - {id: phone, type: phone, label: {en: Phone}}
  - {id: ok, type: declaration, label: {en: I declare}}
documents:
  - {code: doc-a, name: {en: First}, max_mb: 2}
  - {code: doc-b, name: {en: Second}, max_mb: 2}
"""


def big_form() -> str:
    """40 questions: every third a yes/no that opens the next two."""
    lines = ["questions:"]
    for i in range(40):
        if i % 3 == 0:
            lines.append(
                f"  - {{id: q{i}, type: yesno, label: {{en: Question {i}, de: Frage {i}}}}}"
            )
        else:
            gate = i - (i % 3)
            label = f"{{en: Question {i}, de: Frage {i}}}"
            lines.append(
                f"  - {{id: q{i}, type: text, max_length: 80, label: {label},"
                f" show_if: {{question: q{gate}, equals: true}}}}"
            )
    return "\n".join(lines) + "\n"


def setup(url: str, clients: int) -> None:
    os.environ["CIVITAS_DATABASE_URL"] = url
    from argon2 import PasswordHasher

    from civitas.applications import forms
    from civitas.catalogue.schemas import ServiceIn
    from civitas.catalogue.service import save_service
    from civitas.cities.schemas import CityCreate, DepartmentCreate
    from civitas.cities.service import create_city, create_department, enter_city
    from civitas.core.db import engine_for, session_scope, utcnow
    from civitas.core.migrate import upgrade
    from civitas.residents.models import ResidentAccount

    engine = engine_for(url)
    upgrade(engine)
    with session_scope(engine) as db:
        city = create_city(
            db,
            CityCreate.model_validate(
                {
                    "slug": "bench",
                    "name": "Benchstadt",
                    "country": "DE",
                    "languages": ["de", "en"],
                    "default_language": "de",
                    "timezone": "Europe/Berlin",
                    "currency": "EUR",
                    "jurisdiction_id": "bench.example",
                    "center_lat": 51.34,
                    "center_lon": 12.37,
                    "extent": {"min_lat": 51.2, "min_lon": 12.2, "max_lat": 51.5, "max_lon": 12.6},
                }
            ),
        )
        enter_city(db, city)
        create_department(
            db, city, data=DepartmentCreate(code="office", name={"en": "Office"}), actor="bench"
        )
        for code in ("permit", "big"):
            save_service(
                db,
                city,
                data=ServiceIn.model_validate(
                    {
                        "code": code,
                        "name": {"en": f"A {code}"},
                        "description": {"en": "For the benchmark."},
                        "category": "citizens_office",
                        "channels": ["office"],
                        "department": "office",
                        "target_hours": 48,
                    }
                ),
                actor="bench",
            )
            forms.save_form(
                db, city, code=code, text=SMALL if code == "permit" else big_form(), actor="bench"
            )
            forms.set_published(db, city, code=code, published=True, actor="bench")
        hashed = PasswordHasher().hash(PASSWORD)
        for i in range(clients + 1):
            db.add(
                ResidentAccount(
                    email=f"r{i}@bench.example", password_hash=hashed, verified_at=utcnow()
                )
            )
    engine.dispose()


class Browser:
    """One keep-alive connection with its cookies, as a resident's browser."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.origin = f"http://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def send(
        self, method: str, path: str, body: bytes | None = None, ctype: str | None = None
    ) -> tuple[int, str, str]:
        headers = {
            "cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "origin": self.origin,  # as a browser sends it with a form
        }
        if ctype:
            headers["content-type"] = ctype
        self.conn.request(method, path, body=body, headers=headers)
        answer = self.conn.getresponse()
        text = answer.read().decode("utf-8", "replace")
        for value in answer.headers.get_all("set-cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return answer.status, answer.headers.get("location", ""), text

    def form(self, path: str, fields: dict[str, str]) -> tuple[int, str, str]:
        body = urllib.parse.urlencode({"csrf": self.csrf, **fields}).encode()
        return self.send("POST", path, body, "application/x-www-form-urlencoded")

    @staticmethod
    def _field(boundary: str, name: str, value: str) -> bytes:
        head = f'--{boundary}\r\ncontent-disposition: form-data; name="{name}"\r\n\r\n'
        return f"{head}{value}\r\n".encode()

    def upload(self, path: str, name: str, data: bytes, kind: str) -> tuple[int, str, str]:
        boundary = uuid.uuid4().hex
        parts = [
            self._field(boundary, "csrf", self.csrf),
            self._field(boundary, "action", "upload"),
            f'--{boundary}\r\ncontent-disposition: form-data; name="file"; filename="{name}"\r\n'
            f"content-type: {kind}\r\n\r\n".encode()
            + data
            + b"\r\n",
            f"--{boundary}--\r\n".encode(),
        ]
        return self.send("POST", path, b"".join(parts), f"multipart/form-data; boundary={boundary}")

    def sign_in(self, email: str) -> None:
        _, _, page = self.send("GET", "/bench/account?lang=en")
        self.csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
        status, _, text = self.form("/bench/account/signin", {"email": email, "password": PASSWORD})
        assert status == 303, (status, self.cookies, text[:300])
        _, _, page = self.send("GET", "/bench/account?lang=en")
        self.csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)


def files() -> tuple[bytes, bytes]:
    from PIL import Image
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    pdf = io.BytesIO()
    writer.write(pdf)
    png = io.BytesIO()
    Image.new("RGB", (400, 300), (10, 120, 200)).save(png, "PNG")
    return pdf.getvalue(), png.getvalue()


def apply_once(b: Browser, pdf: bytes, png: bytes, times: dict[str, list[float]]) -> None:
    status, where, _ = b.form("/bench/apply/permit?lang=en", {})
    assert status == 303, status
    base = re.match(r"(/bench/account/applications/\d+)/", where).group(1)
    for key, fields in (
        ("name", {"name": "Erika"}),
        ("born", {"born": "1990-01-02"}),
        ("kind", {"kind": "a"}),
        ("phone", {"phone": "+49 151 23456789"}),
        ("ok", {"ok": "yes"}),
    ):
        status, _, text = b.form(f"{base}/q/{key}?lang=en", fields)
        assert status == 303, (key, status, text[:300])
    for key, name, data, kind in (
        ("doc-a", "a.pdf", pdf, "application/pdf"),
        ("doc-b", "b.png", png, "image/png"),
    ):
        started = time.perf_counter()
        status, _, _ = b.upload(f"{base}/q/{key}?lang=en", name, data, kind)
        times["upload"].append(time.perf_counter() - started)
        assert status == 303, status
    started = time.perf_counter()
    b.send("GET", "/healthz")
    times["healthz"].append(time.perf_counter() - started)
    started = time.perf_counter()
    status, _, _ = b.form(f"{base}/check?lang=en", {})
    times["submit"].append(time.perf_counter() - started)
    assert status == 303, status


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1)] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--render", type=int, default=200)
    args = parser.parse_args()
    url = None
    if args.db == "postgresql":
        import psycopg

        name = f"bench_apps_{os.getpid()}"
        with psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    env = demo_env(url, CIVITAS_SECURE_COOKIES="false")
    setup(env["CIVITAS_DATABASE_URL"], args.clients)
    pdf, png = files()
    times: dict[str, list[float]] = {"submit": [], "upload": [], "healthz": []}
    failures: list[str] = []
    with server_on(env) as port:
        stop = time.monotonic() + args.seconds

        def client(i: int) -> None:
            b = Browser(port)
            b.sign_in(f"r{i}@bench.example")
            while time.monotonic() < stop:
                try:
                    apply_once(b, pdf, png, times)
                except Exception as exc:  # counted and reported
                    failures.append(repr(exc))
                    return

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # rendering a 40-question form, one resident, one request at a time
        b = Browser(port)
        b.sign_in(f"r{args.clients}@bench.example")
        status, where, _ = b.form("/bench/apply/big?lang=en", {})
        base = re.match(r"(/bench/account/applications/\d+)/", where).group(1)
        for i in range(40):
            fields = {f"q{i}": "yes"} if i % 3 == 0 else {f"q{i}": f"Answer {i}"}
            status, _, text = b.form(f"{base}/q/q{i}?lang=en", fields)
            assert status == 303, (i, status, text[:200])
        render: dict[str, list[float]] = {"check": [], "question": [], "healthz": []}
        for _ in range(args.render):
            for kind, path in (
                ("check", f"{base}/check?lang=de"),
                ("question", f"{base}/q/q20?lang=de"),
                ("healthz", "/healthz"),
            ):
                started = time.perf_counter()
                status, _, text = b.send("GET", path)
                render[kind].append(time.perf_counter() - started)
                assert status == 200, (path, status)
        assert "Frage 39" in b.send("GET", f"{base}/check?lang=de")[2]
    count = len(times["submit"])
    print(f"database: {args.db}; {args.clients} clients for {args.seconds:.0f} s; {count} sent")
    print(f"{'':10} {'p50 ms':>8} {'p99 ms':>8}")
    for kind in ("submit", "upload", "healthz"):
        print(f"{kind:10} {pct(times[kind], 50):8.1f} {pct(times[kind], 99):8.1f}")
    print("render (one resident, 40 questions):")
    for kind in ("check", "question", "healthz"):
        print(f"{kind:10} p50 {statistics.median(render[kind]) * 1000:6.1f} ms")
    if failures:
        print("failures:", failures[:3])
    result = [
        f"db={args.db}",
        f"clients={args.clients}",
        f"applications={count}",
        f"failures={len(failures)}",
        f"submit_p50_ms={pct(times['submit'], 50):.1f}",
        f"submit_p99_ms={pct(times['submit'], 99):.1f}",
        f"upload_p99_ms={pct(times['upload'], 99):.1f}",
        f"healthz_p99_ms={pct(times['healthz'], 99):.1f}",
        f"render_check_p50_ms={statistics.median(render['check']) * 1000:.1f}",
        f"render_question_p50_ms={statistics.median(render['question']) * 1000:.1f}",
        f"render_healthz_p50_ms={statistics.median(render['healthz']) * 1000:.1f}",
        f"render_under_50ms={'yes' if statistics.median(render['check']) < 0.05 else 'no'}",
    ]
    print("RESULT " + " ".join(result))


if __name__ == "__main__":
    main()
