"""The API exactly as its OpenAPI description says, checked by a property-based fuzzer.

Schemathesis reads ``/openapi.json`` from the running app and sends what the description
allows (and what it does not) to every operation, with a staff member's bearer token and
the city's Open311 key. Each answer must be no server error, a documented status, a
documented media type and a body that fits the documented schema. The run is bounded by
the number of examples per operation, so it takes about a minute on each database.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import bearer

pytestmark = pytest.mark.slow

CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    )
)
EXAMPLES = 8


def test_every_operation_answers_as_documented(client, live_server, two_cities, tmp_path):
    city = two_cities.a
    token = bearer(client, city.slug, city.users["administrator"])["Authorization"]
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        "[parameters]\n"
        f'"path.city" = "{city.slug}"\n'
        f'"query.jurisdiction_id" = "{city.jurisdiction_id}"\n'
        f'"query.api_key" = "{city.api_key}"\n',
        encoding="utf-8",
    )
    st = Path(sys.executable).parent / "st"
    result = subprocess.run(
        [
            str(st),
            "--no-color",
            "--config-file",
            str(config),
            "run",
            f"{live_server}/openapi.json",
            "--header",
            f"Authorization: {token}",
            "--checks",
            CHECKS,
            "--max-examples",
            str(EXAMPLES),
            "--seed",
            "20261201",
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "--phases",
            "examples,coverage,fuzzing",
            # signing out would revoke the token the run uses
            "--exclude-operation-id",
            "revoke_token_api_v1_cities__city__auth_token_delete",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
        cwd=tmp_path,
    )
    report = result.stdout[-12000:] + result.stderr[-3000:]
    assert result.returncode == 0, report
    selected = re.search(r"Selected: (\d+)/(\d+)", result.stdout)
    tested = re.search(r"Tested: (\d+)", result.stdout)
    assert selected, report
    assert tested, report
    # every operation but signing out was run
    assert int(tested.group(1)) == int(selected.group(2)) - 1, report
