"""Retries create one request and get the same answer (Idempotency-Key, or an identical POST
from the same client within a minute), also when the retries race each other."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from civitas.cases.models import ServiceRequest
from civitas.core import idempotency
from civitas.core.db import session_scope
from civitas.core.tenancy import bind_all_cities
from tests.factories import bearer


def count() -> int:
    with session_scope() as db:
        bind_all_cities(db)
        return int(db.scalar(select(func.count(ServiceRequest.id))) or 0)


def form(world, **extra):
    return {
        "api_key": world.a.api_key,
        "jurisdiction_id": "trujillo.example",
        "service_code": "a-light",
        "address_string": "Jr. Pizarro 123",
        "attribute[fault]": "out",
        **extra,
    }


def test_same_key_same_answer_one_request(client, two_cities):
    before = count()
    headers = {"Idempotency-Key": "retry-abc-1"}
    first = client.post("/open311/v2/requests.json", data=form(two_cities), headers=headers)
    second = client.post("/open311/v2/requests.json", data=form(two_cities), headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert count() == before + 1


def test_a_key_reused_for_another_request_is_refused(client, two_cities):
    headers = {"Idempotency-Key": "retry-abc-2"}
    client.post("/open311/v2/requests.json", data=form(two_cities), headers=headers)
    other = client.post(
        "/open311/v2/requests.json", data=form(two_cities, description="other"), headers=headers
    )
    assert other.status_code == 409


def test_identical_post_without_key_within_a_minute_is_a_retry(client, two_cities):
    before = count()
    first = client.post("/open311/v2/requests.json", data=form(two_cities, description="Same"))
    second = client.post("/open311/v2/requests.json", data=form(two_cities, description="Same"))
    assert first.json() == second.json()
    assert count() == before + 1
    different = client.post("/open311/v2/requests.json", data=form(two_cities, description="Other"))
    assert different.json() != first.json()
    assert count() == before + 2


def test_after_the_window_an_identical_post_is_a_new_request(client, two_cities):
    first = client.post("/open311/v2/requests.json", data=form(two_cities, description="Again"))
    with session_scope() as db:
        bind_all_cities(db)
        for record in db.scalars(select(idempotency.IdempotencyRecord)):
            record.created_at = record.created_at - timedelta(minutes=3)
            record.key = record.key.rsplit(":", 1)[0] + ":1"  # an old time bucket
    second = client.post("/open311/v2/requests.json", data=form(two_cities, description="Again"))
    assert second.json() != first.json()


def test_keys_are_per_client(client, two_cities):
    """The same key from two clients are two requests (and never one city's answer to another)."""
    headers = {"Idempotency-Key": "shared-key"}
    a = client.post("/open311/v2/requests.json", data=form(two_cities), headers=headers)
    b = client.post(
        "/open311/v2/requests.json",
        headers=headers,
        data={
            "api_key": two_cities.b.api_key,
            "jurisdiction_id": "musterstadt.example",
            "service_code": "b-light",
            "address_string": "Markt 1",
            "attribute[fault]": "out",
        },
    )
    assert "idempotent-replayed" not in b.headers
    assert a.json()[0]["service_request_id"] == b.json()[0]["service_request_id"] == "2"


def test_concurrent_retries_create_one_request(app, two_cities, db_kind):
    """Eight clients send the same key at once: one request, eight identical answers."""
    from fastapi.testclient import TestClient

    before = count()
    answers: list[bytes] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def send() -> None:
        try:
            with TestClient(app) as c:
                barrier.wait()
                r = c.post(
                    "/open311/v2/requests.json",
                    data=form(two_cities),
                    headers={"Idempotency-Key": "race-1"},
                )
                assert r.status_code == 200, r.text
                answers.append(r.content)
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(answers)) == 1
    assert count() == before + 1


def test_staff_filing_is_idempotent_too(client, two_cities):
    agent = {**bearer(client, "trujillo", "a-agent"), "Idempotency-Key": "call-77"}
    body = {
        "service_code": "a-light",
        "channel": "phone",
        "address_string": "Plaza",
        "attributes": {"fault": "out"},
    }
    first = client.post("/api/v1/cities/trujillo/requests", json=body, headers=agent)
    second = client.post("/api/v1/cities/trujillo/requests", json=body, headers=agent)
    assert first.status_code == second.status_code == 201
    assert first.json()["number"] == second.json()["number"]
