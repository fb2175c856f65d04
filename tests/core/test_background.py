"""Long work as tracked background jobs (civitas.core.background): the call answers 202 with
a link at once; one job per city and kind however often it is asked for; the worker runs
it (a real Huey consumer here too); errors reach the reader in their language; a lost job
is picked up again or failed, never left hanging."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import func, select, update

from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core import background
from civitas.core.db import session_scope, utcnow
from civitas.core.tenancy import bind_all_cities
from civitas.tasks import execute_job, sweep_jobs
from tests.factories import bearer
from tests.recycling.helpers import file_pickups, programme

API = "/api/v1/cities/trujillo"


def jobs_of_city(slug: str = "trujillo") -> list[background.Job]:
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, slug))
        found = list(db.scalars(select(background.Job).order_by(background.Job.id)))
        db.expunge_all()
        return found


def test_a_plan_is_a_job_one_at_a_time_and_followed_by_its_link(client, engine, two_cities):
    prog = programme(engine)
    file_pickups(engine, prog.day)
    staff = bearer(client, "trujillo", "a-manager")
    day = prog.day.isoformat()
    first = client.post(f"{API}/recycling/plans", json={"day": day}, headers=staff)
    assert first.status_code == 202, first.text
    job = first.json()
    assert job["status"] == "queued"
    assert first.headers["location"] == f"{API}/jobs/{job['id']}"
    # a double press, a retry: the same job, not a second solve
    again = client.post(f"{API}/recycling/plans", json={"day": day}, headers=staff)
    assert again.status_code == 202
    assert again.json()["id"] == job["id"]
    # another day while this one is under way: wait, with the reason
    later = (prog.day + timedelta(days=1)).isoformat()
    other = client.post(
        f"{API}/recycling/plans", json={"day": later}, headers=staff | {"Accept-Language": "es"}
    )
    assert other.status_code == 409
    assert f"trabajo {job['id']}" in other.json()["error"]["message"]
    assert len(jobs_of_city()) == 1
    # a day that is over is refused at once, not queued
    past = client.post(f"{API}/recycling/plans", json={"day": "2020-01-01"}, headers=staff)
    assert past.status_code == 400
    assert "2020-01-01" in past.json()["error"]["message"]

    assert execute_job(job["id"]) == "done"
    assert execute_job(job["id"]) == "skipped"  # a second delivery of the task does nothing
    done = client.get(first.headers["location"], headers=staff).json()
    assert done["status"] == "done"
    assert done["result"]["version"] == 1
    assert done["started_at"] <= done["finished_at"]
    plan = client.get(f"{API}/recycling/plans/{day}", headers=staff).json()
    assert plan["version"] == done["result"]["version"]
    # once it is over, the next plan is a new job
    nxt = client.post(f"{API}/recycling/plans", json={"day": later}, headers=staff)
    assert nxt.status_code == 202
    assert nxt.json()["id"] != job["id"]


def test_a_failed_job_says_why_in_the_readers_language(client, engine, two_cities):
    programme(engine)
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        job = background.Job(
            kind="recycling.plan", params={"day": "2020-01-01", "reason": "plan"}, actor="t"
        )
        db.add(job)
        db.flush()
        job_id = job.id
    assert execute_job(job_id) == "failed"
    staff = bearer(client, "trujillo", "a-manager")
    read = client.get(f"{API}/jobs/{job_id}?lang=es", headers=staff).json()
    assert read["status"] == "failed"
    assert read["error"]["code"] == "invalid_input"
    assert "2020-01-01 ya pasó" in read["error"]["message"]
    # the kind's permission guards following it; another city's job is not there
    agent = bearer(client, "trujillo", "a-agent")
    assert client.get(f"{API}/jobs/{job_id}", headers=agent).status_code == 403
    other = bearer(client, "musterstadt", "b-manager")
    assert client.get(f"/api/v1/cities/musterstadt/jobs/{job_id}", headers=other).status_code == 404


def test_simultaneous_asks_make_one_job(engine, two_cities):
    programme(engine)
    made: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def ask() -> None:
        try:
            barrier.wait()
            with session_scope() as db:
                enter_city(db, get_city_by_slug(db, "trujillo"))
                job, _ = background.start(
                    db,
                    kind_name="recycling.plan",
                    params={"day": "2031-01-02", "reason": "plan"},
                    actor="t",
                )
                made.append(job.id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(made)) == 1
    assert len(jobs_of_city()) == 1


def test_the_sweep_requeues_lost_jobs_and_fails_dead_ones(engine, two_cities):
    from civitas.tasks import huey

    programme(engine)
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        lost = background.Job(kind="recycling.plan", params={"day": "2031-01-03"}, actor="t")
        db.add(lost)
        db.flush()
        lost_id = lost.id
    with session_scope() as db:
        bind_all_cities(db)
        db.execute(
            update(background.Job)
            .where(background.Job.id == lost_id)
            .values(created_at=utcnow() - timedelta(minutes=5))
        )
    huey.flush()
    assert sweep_jobs.call_local() == 1
    assert huey.pending_count() == 1  # handed to the worker again
    # its worker died mid-run: after an hour it is failed, and a new plan may start
    with session_scope() as db:
        bind_all_cities(db)
        db.execute(
            update(background.Job)
            .where(background.Job.id == lost_id)
            .values(status="running", started_at=utcnow() - timedelta(hours=2))
        )
    assert sweep_jobs.call_local() == 1
    (job,) = jobs_of_city()
    assert job.status == "failed"
    assert job.error is not None
    assert job.error["code"] == "server_error"
    huey.flush()


def test_the_worker_runs_the_job(client, engine, two_cities):
    """A real Huey consumer on the configured queue, as ``civitas worker`` runs it."""
    from civitas.tasks import huey

    prog = programme(engine)
    file_pickups(engine, prog.day)
    huey.flush()
    consumer = huey.create_consumer(
        workers=1, worker_type="thread", periodic=False, check_worker_health=False
    )
    consumer.start()
    try:
        staff = bearer(client, "trujillo", "a-manager")
        r = client.post(f"{API}/recycling/plans", json={"day": prog.day.isoformat()}, headers=staff)
        assert r.status_code == 202
        deadline = time.monotonic() + 60
        status = r.json()["status"]
        while status in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.2)
            status = client.get(r.headers["location"], headers=staff).json()["status"]
    finally:
        consumer.stop(graceful=True)
        huey.flush()
    assert status == "done"
    with session_scope() as db:
        bind_all_cities(db)
        assert db.scalar(select(func.count()).select_from(background.Job)) == 1
