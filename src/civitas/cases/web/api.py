"""The staff JSON API for cases: the queue, filing for callers, and every case action."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import Query, Request, status
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from civitas.accounts.service import Principal
from civitas.cases import service
from civitas.cases.models import ServiceRequest
from civitas.cases.permissions import CasesPermission
from civitas.cases.schemas import (
    STAFF_CHANNELS,
    Assignment,
    CasePage,
    CaseRead,
    CaseSummary,
    Merge,
    NoteCreate,
    NoteRead,
    Reporter,
    RequestCreate,
    Status,
    StatusChange,
)
from civitas.cities.models import City
from civitas.core import audit, idempotency
from civitas.core.errors import InvalidInput, Problem
from civitas.core.i18n import N_
from civitas.web import microcache
from civitas.web.deps import (
    AppSettings,
    Checks,
    CurrentCity,
    DbSession,
    Requires,
    RowId,
    StaffCheck,
    one_turn,
)
from civitas.web.idempotent import run_once
from civitas.web.jobs import kick_outbox
from civitas.web.media import clean_uploads, photo_url, read_uploads
from civitas.web.routers import Router

router = Router(prefix="/api/v1/cities/{city}/requests", tags=["cases"])

Reader = Annotated[Principal, Requires(CasesPermission.CASES_REQUEST_READ)]
Handler = Annotated[Principal, Requires(CasesPermission.CASES_REQUEST_HANDLE)]
Filer = Annotated[Principal, Requires(CasesPermission.CASES_REQUEST_FILE)]


def _summary(
    request: service.Listed, names: dict[int, str], info: service.ServiceInfo
) -> CaseSummary:
    return CaseSummary(
        number=request.number,
        service_code=info.code,
        status=Status(request.status),
        channel=request.channel,
        department=info.department_code,
        assignee=names.get(request.assignee_id) if request.assignee_id else None,
        address=request.address,
        lat=request.lat,
        long=request.long,
        requested_at=request.requested_at,
        updated_at=request.updated_at,
        expected_at=request.expected_at,
        overdue=service.is_overdue(request),
    )


def _summaries(db: Session, city: City, found: Sequence[service.Listed]) -> list[CaseSummary]:
    names = service.usernames(db, city, {r.assignee_id for r in found if r.assignee_id})
    infos = microcache.service_infos(db, city, {r.service_id for r in found})
    return [_summary(r, names, infos[r.service_id]) for r in found]


def _case(db: Session, city: City, request: ServiceRequest) -> CaseRead:
    names = service.usernames(db, city, {request.assignee_id} if request.assignee_id else set())
    duplicate_of = None
    if request.duplicate_of_id:
        original = db.get(ServiceRequest, request.duplicate_of_id)
        duplicate_of = original.number if original else None
    notes = service.notes_of(db, city, number=request.number, public_only=False)
    return CaseRead(
        **_summary(request, names, service.info_of(request)).model_dump(),
        description=request.description,
        address_id=request.address_id,
        zipcode=request.zipcode,
        attributes=request.attributes,
        media_url=request.media_url,
        reporter=Reporter(
            email=request.email,
            first_name=request.first_name,
            last_name=request.last_name,
            phone=request.phone,
            language=request.language,
        ),
        filed_by=request.filed_by,
        closed_at=request.closed_at,
        escalated_at=request.escalated_at,
        duplicate_of=duplicate_of,
        token=request.token,
        notes=[NoteRead.model_validate(n) for n in notes],
    )


@router.get("", response_model=CasePage, summary="The queue of cases, newest first")
async def list_cases(
    city: CurrentCity,
    db: DbSession,
    check: Annotated[StaffCheck, Checks(CasesPermission.CASES_REQUEST_READ)],
    status_: Annotated[list[Status] | None, Query(alias="status")] = None,
    open: bool = False,
    department: str | None = None,
    assignee: str | None = None,
    service_code: str | None = None,
    overdue: bool = False,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    """The busiest staff endpoint: who is asking, the page and the session's end in one
    worker thread turn."""
    flt = service.CaseFilter(
        statuses=status_,
        open_only=open,
        department=department,
        assignee=assignee,
        service_code=service_code,
        overdue=overdue,
        text=q,
        page=page,
        page_size=page_size,
    )

    def work() -> Response:
        check.principal(db)
        items, total = service.list_cases(db, city, flt)
        made = CasePage(
            items=_summaries(db, city, items), total=total, page=page, page_size=page_size
        )
        # serialised here: FastAPI would dump the page, validate it again and dump it again
        return Response(made.model_dump_json(), media_type="application/json")

    return await one_turn(db, work)


@router.post("", response_model=CaseRead, status_code=status.HTTP_201_CREATED)
def file_request(
    request: Request, city: CurrentCity, db: DbSession, data: RequestCreate, principal: Filer
) -> Response:
    """File a request for a caller (phone), a walk-in (office), an e-mail or the chatbot."""
    if data.channel not in STAFF_CHANNELS:
        raise InvalidInput(
            "Staff file requests through these channels: {channels}.",
            channels=", ".join(c.value for c in STAFF_CHANNELS),
        )

    def produce() -> Response:
        created = service.file_request(db, city, data=data, actor=principal.label)
        db.flush()
        body = _case(db, city, created).model_dump_json().encode()
        return Response(body, status_code=status.HTTP_201_CREATED, media_type="application/json")

    fp = idempotency.fingerprint("POST", request.url.path, [("body", data.model_dump_json())])
    response, new = run_once(
        db,
        client=principal.label,
        header=request.headers.get("idempotency-key"),
        fp=fp,
        produce=produce,
    )
    if new:
        kick_outbox()
    return response


@router.get("/{number}", response_model=CaseRead)
def get_case(city: CurrentCity, db: DbSession, number: RowId, _: Reader) -> CaseRead:
    return _case(db, city, service.get_request(db, city, number=number))


@router.post("/{number}/status", response_model=CaseRead)
def change_status(
    city: CurrentCity, db: DbSession, number: RowId, data: StatusChange, principal: Handler
) -> CaseRead:
    """Move the case on; a public note reaches the reporter and Open311 clients."""
    changed = service.change_status(
        db,
        city,
        number=number,
        status=data.status,
        note=data.note,
        public=data.public,
        actor=principal.label,
    )
    db.commit()
    kick_outbox()
    return _case(db, city, changed)


@router.post("/{number}/notes", response_model=NoteRead, status_code=status.HTTP_201_CREATED)
def add_note(
    city: CurrentCity, db: DbSession, number: RowId, data: NoteCreate, principal: Handler
) -> NoteRead:
    note = service.add_note(
        db, city, number=number, text=data.text, public=data.public, actor=principal.label
    )
    db.commit()
    return NoteRead.model_validate(note)


@router.post("/{number}/assign", response_model=CaseRead)
def assign(
    city: CurrentCity, db: DbSession, number: RowId, data: Assignment, principal: Handler
) -> CaseRead:
    assigned = service.assign(
        db, city, number=number, username=data.username, actor=principal.label
    )
    db.commit()
    return _case(db, city, assigned)


@router.post("/{number}/media", status_code=status.HTTP_201_CREATED)
async def add_photos(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    settings: AppSettings,
    number: RowId,
    principal: Handler,
) -> list[dict[str, object]]:
    """Add photos (multipart field ``media``) to a case, e.g. from a field worker's phone."""
    form = await request.form()
    uploads = await read_uploads(form.multi_items(), settings)

    def work() -> list[dict[str, object]]:
        images = clean_uploads(uploads, settings)
        if not images:
            raise InvalidInput(
                "The photo cannot be accepted.",
                problems=[Problem("media", N_("Send photos in the field 'media'."))],
            )
        case = service.get_request(db, city, number=number)
        stored = service.attach_photos(
            db, city, case, images=images, media_root=settings.media_root, actor=principal.label
        )
        db.commit()
        return [
            {
                "id": m.id,
                "url": photo_url(settings, city.slug, case, m),
                "content_type": m.content_type,
                "width": m.width,
                "height": m.height,
                "size": m.size,
            }
            for m in stored
        ]

    return await run_in_threadpool(work)


@router.get("/{number}/duplicates", response_model=list[CaseSummary])
def duplicates(city: CurrentCity, db: DbSession, number: RowId, _: Reader) -> list[CaseSummary]:
    """Open requests for the same service nearby: candidates to merge."""
    return _summaries(db, city, service.duplicate_candidates(db, city, number=number))


@router.post("/{number}/merge", response_model=CaseRead)
def merge(
    city: CurrentCity, db: DbSession, number: RowId, data: Merge, principal: Handler
) -> CaseRead:
    """Close this request as a duplicate of another; its reporter follows the original."""
    merged = service.merge(
        db, city, number=number, into=data.into, note=data.note, actor=principal.label
    )
    db.commit()
    kick_outbox()
    return _case(db, city, merged)


@router.get("/{number}/audit", summary="Every change of the case: who, when, what, why")
def case_audit(
    city: CurrentCity, db: DbSession, number: RowId, _: Reader
) -> list[dict[str, object]]:
    service.get_request(db, city, number=number)
    return [
        {
            "at": e.at.isoformat(),
            "actor": e.actor,
            "action": e.action,
            "changes": e.changes,
            "reason": e.reason,
        }
        for e in audit.list_entries(
            db, entity_type="service_request", entity_id=str(number), oldest_first=True
        )
    ]
