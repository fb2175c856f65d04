"""The JSON API of online applications: the published forms and each version's JSON
Schema (public), a payment provider's notifications (signed), and an application as the
office's systems read it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from civitas.accounts.service import Principal
from civitas.applications import applying, billing, forms, handling
from civitas.applications.permissions import ApplicationPermission as P
from civitas.core.config import get_settings
from civitas.web.deps import CurrentCity, DbSession, Requires, RowId
from civitas.web.routers import Router

router = Router(prefix="/api/v1/cities/{city}", tags=["applications"])
Reader = Annotated[Principal, Requires(P.APPLICATION_READ)]


class FormEntry(BaseModel):
    service_code: str
    name: dict[str, str]
    version: int
    fee_minor: int
    currency: str
    schema_url: str
    start_url: str


class NotificationAnswer(BaseModel):
    result: str  # paid | already paid | duplicate | cancelled | failed | noted


class ApplicationRead(BaseModel):
    id: int
    number: int | None
    service_code: str
    form_version: int
    schema_url: str
    status: str
    language: str
    answers: dict[str, Any]
    prefilled: dict[str, Any]
    documents: dict[str, list[dict[str, Any]]]
    fee_minor: int
    currency: str | None
    paid_at: datetime | None
    submitted_at: datetime | None
    decided_at: datetime | None
    reasons: str | None


def _base() -> str:
    return get_settings().public_url.rstrip("/")


@router.get("/forms", summary="Published application forms")
def list_forms(city: CurrentCity, db: DbSession, request: Request) -> list[FormEntry]:
    """The services residents can apply for online, with the JSON Schema of each form's
    newest version."""
    found = []
    for code in sorted(forms.published_codes(db, city)):
        service, _, version = forms.published(db, city, code)
        found.append(
            FormEntry(
                service_code=code,
                name=service.name,
                version=version.version,
                fee_minor=applying.fee_of(service, forms.definition(version), city.currency),
                currency=city.currency,
                schema_url=f"{_base()}/api/v1/cities/{city.slug}/forms/{code}/versions/{version.version}/schema.json",
                start_url=f"{_base()}/{city.slug}/apply/{code}",
            )
        )
    return found


@router.get(
    "/forms/{code}/versions/{version}/schema.json",
    summary="The JSON Schema of a form version",
    responses={200: {"content": {"application/schema+json": {}}}},
)
def form_schema(
    city: CurrentCity, db: DbSession, request: Request, code: str, version: RowId
) -> JSONResponse:
    """A machine-readable description of the answers to one version of a service's form
    (JSON Schema 2020-12): types, limits, options, conditions (if/then) and the texts in
    each language (``x-civitas-texts``)."""
    url = f"{_base()}/api/v1/cities/{city.slug}/forms/{code}/versions/{version}/schema.json"
    found = forms.schema(db, city, code=code, number=version, url=url, lang=request.state.lang)
    return JSONResponse(found, media_type="application/schema+json")


@router.post(
    "/payments/{provider}/notifications",
    summary="A payment provider's notification",
    responses={401: {"description": "The signature is missing, forged or expired."}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def notification(
    city: CurrentCity, db: DbSession, request: Request, provider: str
) -> NotificationAnswer:
    """Server to server, signed by the provider (``X-TestPSP-Signature: t=…,v1=…`` for the
    test provider). A duplicate or a replay is acknowledged and changes nothing; a payment
    this city does not know is a 404 and changes nothing."""
    from starlette.concurrency import run_in_threadpool

    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}

    def work() -> NotificationAnswer:
        result = billing.receive_notification(
            db, city, provider=provider, headers=headers, body=body
        )
        db.commit()
        return NotificationAnswer(result=result)

    answer = await run_in_threadpool(work)
    from civitas.web.jobs import kick_outbox

    kick_outbox()
    return answer


@router.get("/applications/{number}", summary="An application (by its case number)")
def get_application(
    city: CurrentCity, db: DbSession, principal: Reader, number: RowId
) -> ApplicationRead:
    """The application a case was filed as: its answers in the shape of its form version's
    JSON Schema (documents as files), what the register prefilled, payment and decision."""
    opened = handling.for_case(db, city, number)
    if opened is None:
        from civitas.core.errors import NotFound

        raise NotFound("Request {number} is not an online application.", number=number)
    application = opened.application
    files: dict[str, list[dict[str, Any]]] = {}
    for d in applying.documents_of(db, city, application.id):
        files.setdefault(d.step, []).append(
            {"name": d.name, "content_type": d.content_type, "size": d.size, "sha256": d.sha256}
        )
    version = opened.version.version
    return ApplicationRead(
        id=application.id,
        number=number,
        service_code=opened.service.code,
        form_version=version,
        schema_url=f"{_base()}/api/v1/cities/{city.slug}/forms/{opened.service.code}/versions/{version}/schema.json",
        status=application.status,
        language=application.language,
        answers=application.answers,
        prefilled=application.prefilled,
        documents=files,
        fee_minor=application.fee_minor,
        currency=application.currency,
        paid_at=application.paid_at,
        submitted_at=application.submitted_at,
        decided_at=application.decided_at,
        reasons=application.reasons,
    )
