"""Follow long work started through the API (``civitas.core.background``): its state, and
its result or error in the reader's language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from civitas.accounts.service import Principal
from civitas.cities.models import City
from civitas.core import background
from civitas.core.errors import PermissionDenied, Unauthenticated
from civitas.core.i18n import translate
from civitas.web.deps import CurrentCity, DbSession, OptionalPrincipal, RowId
from civitas.web.routers import Router

router = Router(prefix="/api/v1/cities/{city}", tags=["jobs"])
# the same for the back office's pages, whose session cookie is the city's (path /{city})
page_router = Router(include_in_schema=False)


class JobProblem(BaseModel):
    location: str
    message: str


class JobError(BaseModel):
    code: str
    message: str
    problems: list[JobProblem] = []


class JobRead(BaseModel):
    id: int
    kind: str
    status: str  # queued, running, done, failed
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: dict[str, Any] | None
    error: JobError | None
    links: dict[str, str]


def job_read(request: Request, city_slug: str, job: background.Job) -> JobRead:
    lang = request.state.lang
    error = None
    if job.error:
        error = JobError(
            code=job.error["code"],
            message=stored_message(lang, job.error),
            problems=[
                JobProblem(location=p["location"], message=stored_message(lang, p))
                for p in job.error.get("problems", [])
            ],
        )
    return JobRead(
        id=job.id,
        kind=job.kind,
        status=job.status,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        result=job.result,
        error=error,
        links={"self": job_link(city_slug, job.id)},
    )


def stored_message(lang: str, stored: dict[str, Any]) -> str:
    """A message kept as its template and parameters, in the reader's language."""
    template = str(stored.get("message", ""))
    return translate(lang, template, **stored.get("params", {}))


def job_link(city_slug: str, job_id: int) -> str:
    return f"/api/v1/cities/{city_slug}/jobs/{job_id}"


@router.get("/jobs/{job_id}", response_model=JobRead, responses={403: {}})
def get_job(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal, job_id: RowId
) -> JobRead:
    """The state of a job (queued, running, done, failed) and, when it is over, its result
    or its error. Only a member of staff who may start such work may follow it."""
    return _follow(request, city, db, principal, job_id)


@page_router.get("/{city}/staff/jobs/{job_id}", response_model=JobRead)
def follow_job(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal, job_id: RowId
) -> JobRead:
    """What a page's script asks while it waits for a job (see static/civitas.js)."""
    return _follow(request, city, db, principal, job_id)


def _follow(
    request: Request, city: City, db: Session, principal: Principal | None, job_id: int
) -> JobRead:
    if principal is None:
        raise Unauthenticated("Sign in first: send a bearer token or a session cookie.")
    job = background.get(db, job_id)
    permission = background.KINDS[job.kind].permission
    if not principal.can(permission):
        raise PermissionDenied(
            "Your role does not allow this ({permission}).", permission=str(permission)
        )
    return job_read(request, city.slug, job)
