"""Operations: health and readiness, request ids, body limits, configuration errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from civitas.core.config import ConfigError, load_settings
from civitas.core.migrate import head_revision


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_reports_the_revision_and_pending_migrations(client, engine):
    ok = client.get("/readyz")
    assert ok.status_code == 200
    assert ok.json()["revision"] == head_revision()
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'old'"))
    try:
        pending = client.get("/readyz")
        assert pending.status_code == 503
        assert pending.json()["status"] == "migrations pending"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"UPDATE alembic_version SET version_num = '{head_revision()}'"))


def test_request_id_is_generated_or_kept(client):
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    too_long = client.get("/healthz", headers={"X-Request-ID": "x" * 200}).headers["x-request-id"]
    assert too_long != "x" * 200


def test_streamed_body_over_the_limit_is_refused(client, two_cities):
    def chunks():
        for _ in range(40):
            yield b"x" * 65536  # 2.5 MiB in all, without a Content-Length

    r = client.post(
        "/api/v1/cities/trujillo/auth/token",
        content=chunks(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413


def test_error_pages_for_browsers_are_html(client, two_cities):
    r = client.get("/atlantis/", headers={"Accept": "text/html"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "atlantis" in r.text


def test_openapi_documents_the_json_api(client):
    spec = client.get("/openapi.json").json()
    assert "/api/v1/cities/{city}/services" in spec["paths"]
    assert "/open311/v2/services.{fmt}" in spec["paths"]
    assert not any(p.startswith("/{city}/login") for p in spec["paths"])


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("CIVITAS_DATABASE_URL", "mysql://root@localhost/x", "CIVITAS_DATABASE_URL"),
        ("CIVITAS_PORT", "eighty", "CIVITAS_PORT"),
        ("CIVITAS_SECRET_KEY", "short", "CIVITAS_SECRET_KEY"),
        ("CIVITAS_JOBS_BACKEND", "kafka", "CIVITAS_JOBS_BACKEND"),
    ],
)
def test_invalid_configuration_names_the_setting(monkeypatch, name, value, fragment):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert fragment in str(caught.value)


@pytest.mark.slow
def test_process_refuses_to_start_on_invalid_configuration(tmp_root):
    env = {**os.environ, "CIVITAS_DATABASE_URL": "oracle://nope"}
    result = subprocess.run(
        [sys.executable, "-m", "civitas", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "CIVITAS_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr
