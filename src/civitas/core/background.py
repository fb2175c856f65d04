"""Long work (planning, batch runs) as tracked background jobs: at most one per city and
kind, followed through a link.

A request that starts long work writes a :class:`Job` row and answers 202 with the job's
address; the worker claims the row, runs the kind's function and stores the result or the
error. A partial unique index keeps one queued-or-running job per city and kind, so a
double press, a retry or a second member of staff gets the job already under way (or a
conflict if they asked for something else) instead of starting the work twice.

A domain registers each kind once with :func:`kind`; the worker (``civitas.tasks``) runs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Index, String, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from civitas.core.db import Base, utcnow
from civitas.core.errors import CivitasError, Conflict, NotFound
from civitas.core.i18n import N_
from civitas.core.tenancy import TenantMixin

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
ACTIVE = (QUEUED, RUNNING)
# a job that has run longer than this is taken for lost (its worker died) and failed
STALE = timedelta(hours=1)


class Job(TenantMixin, Base):
    __tablename__ = "jobs"
    __table_args__ = (
        # one queued-or-running job per city and kind
        Index(
            "uq_jobs_active",
            "tenant_id",
            "kind",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(12), default=QUEUED)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # the error as a message template and its parameters, translated when it is read
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)


Runner = Callable[[Session, Any, dict[str, Any], str], dict[str, Any]]


@dataclass(frozen=True)
class Kind:
    name: str
    permission: str  # who may start it and follow it
    run: Runner  # (db, city, params, actor) -> result; raises CivitasError for the reader


KINDS: dict[str, Kind] = {}


def kind(name: str, permission: str) -> Callable[[Runner], Runner]:
    """Register a kind of long work (a domain does this once, at import)."""

    def register(run: Runner) -> Runner:
        KINDS[name] = Kind(name, permission, run)
        return run

    return register


def active(db: Session, kind_name: str) -> Job | None:
    return db.scalar(select(Job).where(Job.kind == kind_name, Job.status.in_(ACTIVE)))


def start(db: Session, *, kind_name: str, params: dict[str, Any], actor: str) -> tuple[Job, bool]:
    """The job doing this work: the one under way with the same parameters, or a new one
    (committed; the caller enqueues it). Another job of the kind under way is a conflict."""
    if kind_name not in KINDS:
        raise NotFound("No such kind of job: {kind}.", kind=kind_name)
    running = active(db, kind_name)
    if running is None:
        job = Job(kind=kind_name, params=params, actor=actor, status=QUEUED)
        db.add(job)
        try:
            db.commit()
            return job, True
        except IntegrityError:  # another request started one a moment ago
            db.rollback()
            running = active(db, kind_name)
            if running is None:
                raise
    if running.params != params:
        raise Conflict(
            "This work is already under way (job {job}, started by {actor}); wait for it "
            "to finish, then ask again.",
            job=running.id,
            actor=running.actor,
        )
    return running, False


def get(db: Session, job_id: int) -> Job:
    job = db.get(Job, job_id)
    if job is None:
        raise NotFound("No job {job} in this city.", job=job_id)
    return job


def claim(db: Session, job_id: int) -> bool:
    """Take a queued job for running; False when another worker has it or it is over."""
    taken = db.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == QUEUED)
        .values(status=RUNNING, started_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.commit()
    return bool(getattr(taken, "rowcount", 0))


def _end(db: Session, job_id: int, **values: Any) -> None:
    db.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(finished_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    db.commit()


def finish(db: Session, job_id: int, result: dict[str, Any]) -> None:
    _end(db, job_id, status=DONE, result=result)


def fail(db: Session, job_id: int, exc: BaseException) -> None:
    if isinstance(exc, CivitasError):
        error = {
            "code": exc.code,
            "message": exc.message,
            "params": {k: str(v) for k, v in exc.params.items()},
            "problems": [
                {
                    "location": p.location,
                    "message": p.message,
                    "params": {k: str(v) for k, v in p.params.items()},
                }
                for p in exc.problems
            ],
        }
    else:
        error = {"code": "server_error", "message": LOST, "params": {}, "problems": []}
    _end(db, job_id, status=FAILED, error=error)


LOST = N_("The work stopped on an unexpected error; it was logged. Start it again.")


def stale(db: Session, now: datetime) -> list[Job]:
    """Jobs to look after: queued ones never picked up, running ones whose worker died."""
    return list(
        db.scalars(
            select(Job).where(
                ((Job.status == QUEUED) & (Job.created_at < now - timedelta(minutes=1)))
                | ((Job.status == RUNNING) & (Job.started_at < now - STALE))
            )
        )
    )
