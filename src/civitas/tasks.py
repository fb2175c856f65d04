"""Every background task, registered on the one Huey instance. ``civitas worker`` runs them."""

from __future__ import annotations

from datetime import date, datetime

import structlog
from huey import crontab

from civitas.accounts.service import purge_expired_tokens
from civitas.cases import drafts
from civitas.cases import service as cases
from civitas.core import background, idempotency
from civitas.core.config import get_settings
from civitas.core.db import session_factory, session_scope
from civitas.core.errors import CivitasError
from civitas.core.jobs import huey
from civitas.notifications.service import deliver_due
from civitas.recycling import planning as _planning  # noqa: F401 - registers its job kinds
from civitas.residents import service as residents

__all__ = [
    "deliver_outbox",
    "enqueue_job",
    "escalate_overdue",
    "huey",
    "insight_nightly",
    "proactive_nightly",
    "proactive_run",
    "purge_idempotency",
    "purge_tokens",
    "run_job",
    "sweep_jobs",
    "sweep_outbox",
]

log = structlog.get_logger("civitas.jobs")


@huey.periodic_task(crontab(minute="17", hour="3"))  # type: ignore[untyped-decorator]
def purge_tokens() -> int:
    """Nightly: delete expired sessions and bearer tokens of every city."""
    with session_scope() as db:
        removed = purge_expired_tokens(db)
    log.info("purged expired tokens", removed=removed)
    return removed


def _deliver() -> dict[str, int]:
    counts = deliver_due(session_factory(), get_settings())
    if counts["sent"] or counts["failed"]:
        log.info("outbox delivered", **counts)
    return counts


@huey.task()  # type: ignore[untyped-decorator]
def deliver_outbox() -> dict[str, int]:
    """Send due mail now (enqueued after a change that wrote to the outbox)."""
    return _deliver()


@huey.periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def sweep_outbox() -> dict[str, int]:
    """Every minute: retries after backoff, and messages whose sender crashed mid-send."""
    return _deliver()


@huey.periodic_task(crontab(minute="27", hour="3"))  # type: ignore[untyped-decorator]
def purge_idempotency() -> int:
    """Nightly: forget stored answers to retries older than two days."""
    with session_scope() as db:
        removed = idempotency.purge(db)
    log.info("purged idempotency records", removed=removed)
    return removed


@huey.periodic_task(crontab(minute="37", hour="3"))  # type: ignore[untyped-decorator]
def purge_report_drafts() -> int:
    """Nightly: drop residents' unsent request drafts older than a day, and their spent or
    expired sign-in links and sessions."""
    with session_scope() as db:
        removed = drafts.purge_drafts(db)
    with session_scope() as db:
        removed += residents.purge_tokens(db)
    log.info("purged report drafts", removed=removed)
    return removed


@huey.periodic_task(crontab(minute="*/15"))  # type: ignore[untyped-decorator]
def escalate_overdue() -> int:
    """Every 15 minutes: escalate open cases past their target time to their managers."""
    count = cases.escalate_overdue(session_factory())
    if count:
        log.info("escalated overdue cases", count=count)
        _deliver()
    return count


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
            result = background.KINDS[kind_name].run(db, city, dict(params), actor)
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


def _run_rules(city_id: int, on: date, codes: list[str] | None, actor: str) -> dict[str, int]:
    from civitas.cities.models import City
    from civitas.core.db import get_engine
    from civitas.proactive.engine import run_batch
    from civitas.proactive.notices import notify_pending

    engine = get_engine()
    with session_scope() as db:
        city = db.get_one(City, city_id)
        db.expunge(city)
    result = run_batch(
        engine, city, on=on, codes=codes, actor=actor, trigger="manual" if codes else "periodic"
    )
    queued = notify_pending(engine, city)
    if queued:
        deliver_outbox()
    log.info("proactive run", city=city.slug, run=result.run_id, created=result.created)
    return {"run": result.run_id, "created": result.created, "notices": queued}


@huey.task()  # type: ignore[untyped-decorator]
def proactive_run(city_id: int, on: str, codes: list[str], actor: str) -> dict[str, int]:
    """A batch run started by a member of staff (API or CLI)."""
    return _run_rules(city_id, date.fromisoformat(on), codes or None, actor)


@huey.periodic_task(crontab(minute="5", hour="2"))  # type: ignore[untyped-decorator]
def proactive_nightly() -> int:
    """Nightly: every city's periodic rules over its whole population, on its own date."""
    from zoneinfo import ZoneInfo

    from civitas.cities.models import City
    from civitas.core.tenancy import bind_all_cities

    with session_scope() as db:
        bind_all_cities(db)
        cities = [(c.id, c.timezone) for c in db.query(City).all()]
    for city_id, zone in cities:
        _run_rules(city_id, datetime.now(ZoneInfo(zone)).date(), None, "system:nightly")
    return len(cities)


@huey.periodic_task(crontab(minute="45", hour="2"))  # type: ignore[untyped-decorator]
def insight_nightly() -> int:
    """Nightly: recompute every city's KPIs of this month and the last (late closings and
    survey answers change the last month too) and republish them to the network."""
    from civitas.cities.models import City
    from civitas.cities.service import enter_city
    from civitas.core.tenancy import bind_all_cities
    from civitas.insight import figures
    from civitas.insight.service import refresh_figures

    with session_scope() as db:
        bind_all_cities(db)
        ids = [c.id for c in db.query(City).all()]
    written = 0
    for city_id in ids:
        with session_scope() as db:
            city = db.get_one(City, city_id)
            enter_city(db, city)
            months = figures.months_back(city, figures.current_month(city), 2)
            written += refresh_figures(db, city, months, actor="system:nightly")
    log.info("kpis refreshed", cities=len(ids), figures=written)
    return written
