"""Mail to reporters: written to the outbox with the change, sent by the worker over real
SMTP (aiosmtpd on loopback), retried with backoff, never lost, at least once."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from huey.consumer import Consumer
from sqlalchemy import select

from civitas.core.config import get_settings
from civitas.core.db import session_factory, session_scope, utcnow
from civitas.core.tenancy import bind_all_cities
from civitas.notifications.models import OutboxMessage
from civitas.notifications.service import claim_due, deliver_due
from tests.factories import bearer
from tests.mailserver import mail_settings


def outbox() -> list[OutboxMessage]:
    with session_scope() as db:
        bind_all_cities(db)
        return list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def file(client, headers=None, **extra):
    data = {
        "api_key": extra.pop("api_key"),
        "jurisdiction_id": "trujillo.example",
        "service_code": "a-light",
        "address_string": "Jr. Pizarro 123",
        "attribute[fault]": "out",
        "email": "rosa@example.org",
        "first_name": "Rosa",
    }
    data.update(extra)
    r = client.post("/open311/v2/requests.json", data=data, headers=headers or {})
    assert r.status_code == 200, r.text
    return int(r.json()[0]["service_request_id"])


def test_mail_is_written_with_the_request_and_sent_by_the_worker(client, two_cities, smtp):
    number = file(client, api_key=two_cities.a.api_key)
    # the web request only wrote the outbox row; nothing was sent
    (row,) = [m for m in outbox() if m.recipient == "rosa@example.org"]
    assert row.sent_at is None
    assert smtp.messages == []
    counts = deliver_due(session_factory(), mail_settings(smtp.controller.port))
    assert counts["sent"] >= 1
    (message,) = [m for m in smtp.messages if m["To"] == "rosa@example.org"]
    assert message["Subject"] == f"Recibimos su solicitud {number}"
    body = message.get_payload(decode=True).decode()
    assert "Hola Rosa," in body
    assert "Jr. Pizarro 123" in body
    assert message["From"] == "Trujillo <noreply@trujillo.example>"


def test_reporter_language_is_used(client, two_cities, smtp):
    file(
        client,
        headers={"Accept-Language": "en"},
        api_key=two_cities.a.api_key,
        email="sam@example.org",
        first_name="Sam",
    )
    deliver_due(session_factory(), mail_settings(smtp.controller.port))
    (message,) = [m for m in smtp.messages if m["To"] == "sam@example.org"]
    assert message["Subject"].startswith("We received your request")


def test_public_status_changes_mail_the_reporter_internal_ones_do_not(client, two_cities, smtp):
    number = file(client, api_key=two_cities.a.api_key)
    worker = bearer(client, "trujillo", "a-caseworker")
    base = f"/api/v1/cities/trujillo/requests/{number}"
    client.post(f"{base}/status", json={"status": "acknowledged", "public": False}, headers=worker)
    client.post(f"{base}/notes", json={"text": "internal", "public": False}, headers=worker)
    client.post(
        f"{base}/status",
        json={"status": "in_progress", "note": "Cuadrilla en camino."},
        headers=worker,
    )
    deliver_due(session_factory(), mail_settings(smtp.controller.port))
    subjects = [m["Subject"] for m in smtp.messages if m["To"] == "rosa@example.org"]
    assert subjects == [f"Recibimos su solicitud {number}", f"Su solicitud {number}: En proceso"]
    last = [m for m in smtp.messages if m["To"] == "rosa@example.org"][-1]
    assert "Cuadrilla en camino." in last.get_payload(decode=True).decode()


def test_no_mail_without_an_address(client, two_cities):
    before = len(outbox())
    file(client, api_key=two_cities.a.api_key, email="")
    assert len(outbox()) == before


def test_smtp_outage_is_retried_with_backoff(client, two_cities, smtp):
    file(client, api_key=two_cities.a.api_key)
    port = smtp.controller.port
    smtp.controller.stop()
    now = utcnow()
    counts = deliver_due(session_factory(), mail_settings(port), now=now)
    assert counts["sent"] == 0
    assert counts["failed"] >= 1
    row = next(m for m in outbox() if m.recipient == "rosa@example.org")
    assert row.sent_at is None
    assert row.attempts == 1
    assert "ConnectionRefusedError" in (row.last_error or "")
    assert row.next_attempt_at == now + timedelta(minutes=1)
    # not due again before the backoff has passed (a new server on the same port)
    smtp.controller = Controller(smtp, hostname="127.0.0.1", port=port)
    smtp.controller.start()
    assert deliver_due(
        session_factory(), mail_settings(smtp.controller.port), now=now + timedelta(seconds=30)
    ) == {"sent": 0, "failed": 0}
    later = deliver_due(
        session_factory(), mail_settings(smtp.controller.port), now=now + timedelta(minutes=2)
    )
    assert later["sent"] >= 1
    row = next(m for m in outbox() if m.recipient == "rosa@example.org")
    assert row.sent_at is not None
    assert row.attempts == 2
    assert len([m for m in smtp.messages if m["To"] == "rosa@example.org"]) == 1


def test_a_sender_that_dies_mid_send_is_replaced_after_the_lease(client, two_cities, smtp):
    file(client, api_key=two_cities.a.api_key)
    now = utcnow()
    # a worker claims the message and dies before recording anything
    with session_factory()() as db:
        claimed = claim_due(db, now=now, limit=50)
        assert claimed
        db.commit()
    settings = mail_settings(smtp.controller.port)
    assert deliver_due(session_factory(), settings, now=now + timedelta(minutes=1)) == {
        "sent": 0,
        "failed": 0,
    }
    after_lease = deliver_due(session_factory(), settings, now=now + timedelta(minutes=6))
    assert after_lease["sent"] >= 1
    assert len([m for m in smtp.messages if m["To"] == "rosa@example.org"]) == 1


def test_a_resend_after_a_crash_carries_the_same_message_id(client, two_cities, smtp):
    """At least once: a crash after the server accepted the mail but before it was recorded
    sends it again; the receiver sees the same Message-ID and can tell it is one message."""
    deliver_due(session_factory(), mail_settings(smtp.controller.port))  # earlier mail out
    smtp.messages.clear()
    file(client, api_key=two_cities.a.api_key)
    settings = mail_settings(smtp.controller.port)
    from civitas.notifications import mail

    def accepted_then_crash(s, message):
        mail.send(s, message)
        raise SystemExit("worker killed after the server accepted the mail")

    now = utcnow()
    with pytest.raises(SystemExit):
        deliver_due(session_factory(), settings, now=now, sender=accepted_then_crash)
    deliver_due(session_factory(), settings, now=now + timedelta(minutes=6))
    copies = [m for m in smtp.messages if m["To"] == "rosa@example.org"]
    assert len(copies) == 2
    assert copies[0]["Message-ID"] == copies[1]["Message-ID"]
    assert next(m for m in outbox() if m.recipient == "rosa@example.org").sent_at is not None


def test_the_worker_delivers_after_the_request_commits(client, two_cities, smtp, monkeypatch):
    """The whole path: a POST enqueues a job; a real Huey consumer sends the mail."""
    monkeypatch.setenv("CIVITAS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CIVITAS_SMTP_PORT", str(smtp.controller.port))
    get_settings.cache_clear()
    from civitas import tasks

    tasks.huey.flush()
    consumer = Consumer(
        tasks.huey, workers=1, worker_type="thread", periodic=False, check_worker_health=False
    )
    consumer.start()
    try:
        file(client, api_key=two_cities.a.api_key)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(
            m["To"] == "rosa@example.org" for m in smtp.messages
        ):
            time.sleep(0.1)
        assert any(m["To"] == "rosa@example.org" for m in smtp.messages)
    finally:
        consumer.stop(graceful=True)
        tasks.huey.flush()
        monkeypatch.undo()
        get_settings.cache_clear()


def test_a_backlog_drains_in_one_run_batch_after_batch(two_cities, smtp, monkeypatch):
    """120 messages waiting: one run of the worker's task sends them all (three batches),
    not 50 a minute (a resident's confirmation must not wait behind a backlog)."""
    from civitas.cities.service import get_city_by_slug
    from civitas.notifications import tasks
    from civitas.notifications.service import enqueue_email

    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        for n in range(120):
            enqueue_email(
                db,
                city,
                dedupe_key=f"backlog:{n}",
                recipient=f"r{n}@example.org",
                subject=f"Message {n}",
                body="Hello.",
                language="es",
            )
    monkeypatch.setattr(tasks, "get_settings", lambda: mail_settings(smtp.controller.port))
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        enqueue_email(
            db,
            city,
            dedupe_key="fresh",
            recipient="fresh@example.org",
            subject="Your appointment",
            body="Hello.",
            language="es",
        )
    # the run a change asks for sends that change's mail first, then drains the rest
    counts = tasks.deliver(newest_first=True)
    assert counts["failed"] == 0
    assert counts["sent"] >= 121
    assert smtp.messages[0]["To"] == "fresh@example.org"
    assert len([m for m in smtp.messages if m["Subject"].startswith("Message ")]) == 120
