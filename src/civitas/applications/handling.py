"""The office's side of an application (a case of its service) and the applicant's answers:
messages both ways, a missing document asked for (the case's deadline stands still until
the applicant uploads it), withdrawing before handling, and the decision with its notice.

Refusing is a person's act: :func:`decide` needs the name of the member of staff and the
reasons, and nothing in Civitas refuses an application on its own."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.applications import applying, billing, notice, summary
from civitas.applications.applying import APPROVED, REFUSED, SUBMITTED, WITHDRAWN, Opened
from civitas.applications.models import Application, ApplicationMessage
from civitas.cases import service as cases
from civitas.cases.models import ServiceRequest
from civitas.cases.schemas import OPEN_STATUSES, Status
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit
from civitas.core.db import utcnow
from civitas.core.errors import Conflict, InvalidInput, NotFound, Problem
from civitas.core.files import store_bytes
from civitas.core.i18n import N_, format_money, locale_for, pick, translate
from civitas.register import service as register

MIN_REASONS = 20
UNHANDLED = (Status.RECEIVED.value, Status.ACKNOWLEDGED.value)


def for_case(db: Session, city: City, number: int) -> Opened | None:
    """The application a case was filed as (None for a report or a phone request)."""
    request = cases.get_request(db, city, number=number)
    found = db.scalar(select(Application).where(Application.request_id == request.id))
    return applying.open_application(db, city, found) if found else None


def _opened_for_case(db: Session, city: City, number: int) -> tuple[Opened, ServiceRequest]:
    opened = for_case(db, city, number)
    if opened is None:
        raise NotFound("Request {number} is not an online application.", number=number)
    request = applying.case_of(db, city, opened.application)
    assert request is not None
    return opened, request


def messages_of(db: Session, city: City, application_id: int) -> list[ApplicationMessage]:
    enter_city(db, city)
    return list(
        db.scalars(
            select(ApplicationMessage)
            .where(ApplicationMessage.application_id == application_id)
            .order_by(ApplicationMessage.at, ApplicationMessage.id)
        )
    )


def _text(text: str, where: str = "text") -> str:
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput(
            "The message is empty.", problems=[Problem(where, N_("Write the message."))]
        )
    if len(cleaned) > 4000:
        raise InvalidInput(
            "The message is too long.",
            problems=[Problem(where, N_("Use at most {max} characters."), {"max": 4000})],
        )
    return cleaned


def write_to_applicant(
    db: Session, city: City, *, number: int, text: str, asks_for: str | None, actor: str
) -> ApplicationMessage:
    """The office writes to the applicant, perhaps asking for a document: then the case
    waits for the applicant and its deadline stands still."""
    opened, request = _opened_for_case(db, city, number)
    application = opened.application
    if application.status != SUBMITTED:
        raise Conflict("This application is closed; nothing more can be asked.")
    wanted = (asks_for or "").strip()[:200] or None
    message = ApplicationMessage(
        application_id=application.id,
        sender="office",
        author=actor,
        text=_text(text),
        asks_for=wanted,
    )
    db.add(message)
    db.flush()
    if wanted:
        cases.pause_deadline(db, city, request, waiting_for="document", actor=actor)
    cases.add_note(
        db,
        city,
        number=number,
        text=f"{'Asked for: ' + wanted + '. ' if wanted else ''}{message.text}"[:4000],
        public=False,
        actor=actor,
    )
    applying.notify(db, city, application, "message", key=f"message:{message.id}")
    return message


def reply(
    db: Session,
    city: City,
    opened: Opened,
    *,
    text: str,
    files: list[tuple[str, bytes]],
    answering: int | None,
    media_root: Path,
) -> ApplicationMessage:
    """The applicant writes back, with the document the office asked for when it asked."""
    application = opened.application
    if application.status != SUBMITTED:
        raise Conflict("This application is closed; write to the office directly.")
    asked = None
    if answering is not None:
        asked = db.get(ApplicationMessage, answering)
        if asked is None or asked.application_id != application.id or not asked.asks_for:
            raise NotFound("No request for a document {id} in this application.", id=answering)
        if asked.answered_at is not None:
            raise Conflict("You have already sent this document.")
        if not files:
            raise InvalidInput(
                "The file is missing.", problems=[Problem("file", N_("Upload the file."))]
            )
    message = ApplicationMessage(
        application_id=application.id,
        sender="applicant",
        author=application.email,
        text=text.strip()[:4000] if (text.strip() or files) else _text(text),
    )
    db.add(message)
    db.flush()
    for name, data in files:
        applying.upload(
            db,
            city,
            opened,
            key="requested",
            name=name,
            data=data,
            media_root=media_root,
            message=message,
        )
    request = applying.case_of(db, city, application)
    assert request is not None
    if asked is not None:
        asked.answered_at = utcnow()
        still = db.scalar(
            select(ApplicationMessage.id).where(
                ApplicationMessage.application_id == application.id,
                ApplicationMessage.asks_for.is_not(None),
                ApplicationMessage.answered_at.is_(None),
            )
        )
        if still is None and request.waiting_for == "document":
            cases.resume_deadline(db, city, request, actor=f"resident:{application.account_id}")
    application.updated_at = utcnow()
    request.updated_at = utcnow()
    return message


def withdraw(db: Session, city: City, opened: Opened) -> Application:
    """The applicant takes the application back before the office has started on it; a
    fee paid is paid back. A draft is simply deleted."""
    application = opened.application
    actor = f"resident:{application.account_id}"
    if application.status == applying.DRAFT:
        db.delete(application)
        return application
    request = applying.case_of(db, city, application)
    if application.status != SUBMITTED or request is None or request.status not in UNHANDLED:
        raise Conflict("The office has started on this application; write to them to withdraw it.")
    cases.change_status(
        db,
        city,
        number=request.number,
        status=Status.WITHDRAWN,
        actor=actor,
        note=translate(city.default_language, N_("Withdrawn by the applicant.")),
        public=False,
    )
    application.status = WITHDRAWN
    application.withdrawn_at = utcnow()
    application.updated_at = utcnow()
    refunded = billing.refund_paid(db, city, application, actor=actor)
    audit.record(
        db,
        actor=actor,
        action="application.withdrawn",
        entity_type="application",
        entity_id=application.id,
        changes={},
    )
    applying.notify(
        db,
        city,
        application,
        "withdrawn",
        payment=translate(application.language, refunded) if refunded else "",
    )
    return application


def _objection(opened: Opened, city: City, lang: str) -> str:
    if opened.form.objection:
        return pick(opened.form.objection, lang, city.default_language)
    return translate(
        lang, notice.OBJECTION.get(city.country, notice.OBJECTION_ELSEWHERE), city=city.name
    )


def _legal_basis(opened: Opened, lang: str, default: str) -> list[str]:
    laws = opened.form.legal_basis
    if laws is not None:
        return [f"{pick(law.title, lang, default)} ({law.url})" for law in laws]
    return [
        f"{pick(law.get('title'), lang, default)} ({law.get('url')})"
        for law in opened.service.legal_basis or []
    ]


def notice_pdf(db: Session, city: City, opened: Opened, request: ServiceRequest) -> bytes:
    application = opened.application
    lang = application.language
    locale = locale_for(lang, city.country)
    zone = ZoneInfo(city.timezone)
    decided = application.decided_at or utcnow()
    answers = application.answers
    name = " ".join(
        str(answers.get(k, "")) for k in ("given_names", "family_name") if answers.get(k)
    )
    address = answers.get("address") or answers.get("new_address") or {}
    if (not name or not address) and application.person_id is not None:
        # the form did not ask: the notice is addressed from the register (a read, logged)
        known = register.facts_for(
            db,
            city,
            application.person_id,
            on=decided.astimezone(zone).date(),
            parts={"identity", "address"},
            actor=application.decided_by or "",
            actor_kind="staff",
            purpose=N_("Addressing the decision notice"),
            detail=f"{pick(opened.service.name, lang, city.default_language)} · {request.number}",
        )
        if not name and known:
            name = f"{known['given_names']} {known['family_name']}"
        if not address and known.get("address"):
            address = {"text": known["address"]}
    department = request.department
    return notice.render_pdf(
        lang,
        {
            "city": city,
            "number": request.number,
            "department": pick(department.name, lang, city.default_language) if department else "",
            "applicant": name or application.email,
            "address": address.get("text") if isinstance(address, dict) else str(address or ""),
            "service": pick(opened.service.name, lang, city.default_language),
            "submitted_on": format_date(
                (application.submitted_at or decided).astimezone(zone).date(), "long", locale=locale
            ),
            "decided_on": format_date(decided.astimezone(zone).date(), "long", locale=locale),
            "decided_by": application.decided_by or "",
            "approved": application.status == APPROVED,
            "approval_text": pick(opened.form.approval_text, lang, city.default_language)
            if opened.form.approval_text
            else "",
            "reasons": application.reasons or "",
            "fee": format_money(
                application.fee_minor, application.currency or city.currency, locale
            )
            if application.paid_at and application.fee_minor
            else "",
            "legal_basis": _legal_basis(opened, lang, city.default_language),
            "objection": _objection(opened, city, lang),
            "rows": summary.rows(opened.form, answers, lang=lang, locale=locale),
        },
    )


def decide(
    db: Session,
    city: City,
    *,
    number: int,
    approve: bool,
    reasons: str,
    actor: str,
    media_root: Path,
    now: datetime | None = None,
) -> Application:
    """A member of staff grants or refuses the application: the notice is made and kept,
    the case is resolved or rejected, and the applicant is told. Refusing needs reasons."""
    opened, request = _opened_for_case(db, city, number)
    application = opened.application
    if application.status != SUBMITTED:
        raise Conflict("This application is already {status}.", status=application.status)
    if request.status not in OPEN_STATUSES:
        raise Conflict("The case is already closed.")
    if application.fee_minor > 0 and application.paid_at is None:
        raise Conflict("The fee is not paid yet; an application is handled once it is paid.")
    text = reasons.strip()
    if not approve and len(text) < MIN_REASONS:
        raise InvalidInput(
            "A refusal needs its reasons.",
            problems=[
                Problem(
                    "reasons",
                    N_("Give the reasons for the refusal (at least {count} characters)."),
                    {"count": MIN_REASONS},
                )
            ],
        )
    if len(text) > 4000:
        raise InvalidInput(
            "The reasons are too long.",
            problems=[Problem("reasons", N_("Use at most {max} characters."), {"max": 4000})],
        )
    now = now or utcnow()
    application.status = APPROVED if approve else REFUSED
    application.decided_at = now
    application.decided_by = actor
    application.reasons = text or None
    application.updated_at = now
    pdf = notice_pdf(db, city, opened, request)
    path, _ = store_bytes(media_root, f"{city.id}/notices", pdf, "pdf")
    application.notice_path = path
    outcome = Status.RESOLVED if approve else Status.REJECTED
    cases.change_status(
        db,
        city,
        number=number,
        status=outcome,
        actor=actor,
        note=translate(
            city.default_language, N_("Decided: granted.") if approve else N_("Decided: refused.")
        ),
        public=False,
        now=now,
    )
    audit.record(
        db,
        actor=actor,
        action="application.approved" if approve else "application.refused",
        entity_type="application",
        entity_id=application.id,
        changes={"request": number},
        reason=text or None,
    )
    applying.notify(db, city, application, "decided")
    return application
