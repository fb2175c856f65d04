"""The worker's tasks: the core's own (tracked jobs, idempotency records), then every
installed domain's ``tasks`` module, each registering its tasks on the one Huey instance.
``civitas worker`` imports this module and runs them all."""

from __future__ import annotations

import importlib

import structlog
from huey import crontab

from civitas.core import background, idempotency, plugins
from civitas.core.db import session_factory, session_scope
from civitas.core.errors import CivitasError, NotFound
from civitas.core.jobs import huey

__all__ = ["enqueue_job", "execute_job", "huey", "purge_idempotency", "run_job", "sweep_jobs"]

log = structlog.get_logger("civitas.jobs")


@huey.periodic_task(crontab(minute="27", hour="3"))  # type: ignore[untyped-decorator]
def purge_idempotency() -> int:
    """Nightly: forget stored answers to retries older than two days."""
    with session_scope() as db:
        removed = idempotency.purge(db)
    log.info("purged idempotency records", removed=removed)
    return removed


def execute_job(job_id: int) -> str:
    """Run one tracked job (see ``civitas.core.background``) if it is still queued: claim
    it, run its kind in the city's session, store the result or the error. Answers the
    job's final status, or "skipped" when another worker had it."""
    from civitas.cities.models import City
    from civitas.cities.service import enter_city
    from civitas.core.tenancy import bind_all_cities, bind_city

    with session_scope() as db:
        bind_all_cities(db)
        found = db.get(background.Job, job_id)
        if found is None:
            return "skipped"
        tenant, kind_name, params, actor = found.tenant_id, found.kind, found.params, found.actor
    factory = session_factory()
    with factory() as db:
        bind_city(db, tenant)
        if not background.claim(db, job_id):
            return "skipped"
    with factory() as db:
        try:
            city = db.get_one(City, tenant)
            enter_city(db, city)
            kind = background.KINDS[kind_name]
            owner = plugins.domain_of_module(kind.run.__module__)
            if owner is not None and not plugins.enabled(city, owner.name):
                raise NotFound(f"{city.name} has turned {owner.name} off.")
            result = kind.run(db, city, dict(params), actor)
            db.commit()
        except Exception as exc:
            db.rollback()
            if not isinstance(exc, CivitasError):
                log.exception("job failed", job=job_id, kind=kind_name)
            with factory() as other:
                bind_city(other, tenant)
                background.fail(other, job_id, exc)
            return background.FAILED
    with factory() as db:
        bind_city(db, tenant)
        background.finish(db, job_id, result)
    log.info("job done", job=job_id, kind=kind_name)
    return background.DONE


@huey.task()  # type: ignore[untyped-decorator]
def run_job(job_id: int) -> str:
    return execute_job(job_id)


def enqueue_job(job_id: int) -> None:
    """Hand a committed job to the worker; if the queue is unreachable, the sweep will."""
    try:
        run_job(job_id)
    except Exception as exc:
        log.warning("could not enqueue job", job=job_id, error=str(exc))


@huey.periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def sweep_jobs() -> int:
    """Every minute: enqueue jobs the queue lost; fail jobs whose worker died mid-run."""
    from civitas.core.db import utcnow
    from civitas.core.tenancy import bind_all_cities

    with session_scope() as db:
        bind_all_cities(db)
        found = [(j.id, j.status) for j in background.stale(db, utcnow())]
    for job_id, status in found:
        if status == background.QUEUED:
            enqueue_job(job_id)
        else:
            with session_scope() as db:
                bind_all_cities(db)
                background.fail(db, job_id, RuntimeError("worker lost"))
    return len(found)


def load_domain_tasks() -> None:
    """Import every installed domain's tasks (Huey knows a task once its module ran)."""
    for domain in plugins.domains():
        if domain.tasks:
            importlib.import_module(domain.tasks)


load_domain_tasks()
