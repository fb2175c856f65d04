"""The resident's side: an application from its first page to its decision.

A signed-in resident starts an application on a service's published form; it is a draft,
kept with their account (so they can stop and come back), prefilled from the register
where the form asks for it (each read logged with its purpose for "Who read my data").
Each page's answers are checked when the page is sent. "Send" checks the whole set again
and files the application as a private case of its service, in one transaction: the
case's number is its reference. A fee pauses the case's deadline until it is paid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from civitas.applications import documents, forms
from civitas.applications.answers import (
    Refused,
    Step,
    check_all,
    file_spec,
    missing_message,
    problem,
    read_answer,
    read_item,
    steps,
)
from civitas.applications.definition import (
    HOUSEHOLD_FIELDS,
    PREFILL_PARTS,
    FormDefinition,
    Question,
)
from civitas.applications.models import (
    Application,
    ApplicationDocument,
    ApplicationMessage,
    FormVersion,
)
from civitas.cases import service as cases
from civitas.cases.models import ServiceRequest
from civitas.cases.schemas import RequestChannel, RequestCreate
from civitas.catalogue.models import Service
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit
from civitas.core.config import get_settings
from civitas.core.db import utcnow
from civitas.core.errors import Conflict, InvalidInput, NotFound, Problem
from civitas.core.i18n import N_, NP_, pick, translate
from civitas.notifications.service import enqueue_email
from civitas.places import service as places
from civitas.register import service as register
from civitas.residents.models import ResidentAccount

DRAFT, SUBMITTED, WITHDRAWN, APPROVED, REFUSED = (
    "draft",
    "submitted",
    "withdrawn",
    "approved",
    "refused",
)
READER = N_("You, through the online application")
PURPOSE = N_("Prefilling your online application")


def today(city: City) -> date:
    return datetime.now(ZoneInfo(city.timezone)).date()


@dataclass(frozen=True)
class Opened:
    """An application with what it is filled in against."""

    application: Application
    service: Service
    version: FormVersion
    form: FormDefinition


def fee_of(service: Service, form: FormDefinition, currency: str) -> int:
    """The fee in minor units: the catalogue's fees of the service in the city's currency."""
    if form.fee == "none":
        return 0
    return sum(int(f["amount_minor"]) for f in service.fees or [] if f.get("currency") == currency)


def document_name(
    service: Service, code: str, own: Mapping[Any, str] | None = None
) -> dict[str, str]:
    """A document's name in every language: the form's own, else the catalogue's entry of
    that code, else the code."""
    if own:
        return {str(lang): text for lang, text in own.items()}
    for entry in service.documents or []:
        if entry.get("code") == code:
            return dict(entry["name"])
    return {"en": code}


def step_title(service: Service, step: Step) -> dict[str, str]:
    """The heading of a document page (a documents entry, or a file question's label)."""
    if step.document is not None:
        return document_name(service, step.key, step.document.name)
    assert step.question is not None
    return {str(lang): text for lang, text in step.question.label.items()}


def open_application(db: Session, city: City, application: Application) -> Opened:
    service = db.get(Service, application.service_id)
    version = db.get(FormVersion, application.version_id)
    assert service is not None
    assert version is not None
    return Opened(application, service, version, forms.definition(version))


def own(db: Session, city: City, account: ResidentAccount, application_id: int) -> Opened:
    """One of the resident's own applications (another's is as unknown as none)."""
    enter_city(db, city)
    found = db.get(Application, application_id)
    if found is None or found.account_id != account.id:
        raise NotFound("No application {id} in your account.", id=application_id)
    return open_application(db, city, found)


def mine(db: Session, city: City, account: ResidentAccount) -> list[Application]:
    enter_city(db, city)
    return list(
        db.scalars(
            select(Application)
            .where(Application.account_id == account.id)
            .order_by(Application.updated_at.desc(), Application.id.desc())
        )
    )


# -- starting, with the register's help ------------------------------------------------------


def start(db: Session, city: City, account: ResidentAccount, *, code: str, lang: str) -> Opened:
    """The resident's draft for this service (a new one, prefilled, if they have none)."""
    service, _, version = forms.published(db, city, code)
    draft = db.scalar(
        select(Application).where(
            Application.account_id == account.id,
            Application.service_id == service.id,
            Application.status == DRAFT,
        )
    )
    if draft is not None:
        return open_application(db, city, draft)
    form = forms.definition(version)
    application = Application(
        service_id=service.id,
        version_id=version.id,
        account_id=account.id,
        status=DRAFT,
        language=lang,
        email=account.email,
        fee_minor=fee_of(service, form, city.currency),
        currency=city.currency,
    )
    db.add(application)
    db.flush()
    _prefill(db, city, application, service, form, lang)
    return Opened(application, service, version, form)


def _prefill(
    db: Session,
    city: City,
    application: Application,
    service: Service,
    form: FormDefinition,
    lang: str,
) -> None:
    # who the applicant is in the register (no data read yet: only the link, which the
    # decision notice uses when the form asks no name)
    person = register.own_person(db, city, application.email, today(city))
    application.person_id = person
    asked = [q for q in form.questions if q.prefill]
    if person is None or not asked:
        return
    facts = register.facts_for(
        db,
        city,
        person,
        on=today(city),
        parts={PREFILL_PARTS[q.prefill] for q in asked if q.prefill},
        actor=READER,
        actor_kind="resident",
        purpose=PURPOSE,
        detail=translate(
            lang,
            N_("{service}, application draft {id}"),
            service=pick(service.name, lang),
            id=application.id,
        ),
    )
    values: dict[str, Any] = {}
    for q in asked:
        value = _fact(q, facts)
        if value not in (None, "", []):
            values[q.id] = value
    application.person_id = person
    application.prefilled = values
    application.answers = dict(values)


def _fact(q: Question, facts: Mapping[str, Any]) -> Any:
    name = (q.prefill or "").removeprefix("person.")
    if name == "household":
        wanted = {s.id for s in q.questions} & set(HOUSEHOLD_FIELDS)
        return [
            {
                k: (v.isoformat() if isinstance(v, date) else v)
                for k, v in member.items()
                if k in wanted and v
            }
            for member in facts.get("household") or []
        ]
    value = facts.get(name)
    if isinstance(value, date):
        return value.isoformat()
    if name == "address" and value and q.type == "address":
        return {"text": value, "address_id": None}
    return value


# -- answering page by page ----------------------------------------------------------------


def editable(opened: Opened) -> Application:
    application = opened.application
    if application.status != DRAFT:
        raise Conflict("This application was sent; it can no longer be changed.")
    return application


def step_of(opened: Opened, key: str) -> Step:
    for step in steps(opened.form, opened.application.answers):
        if step.key == key:
            return step
    raise NotFound("This form has no question '{key}' for your answers.", key=key)


def _refuse(problems: list[Problem]) -> None:
    if problems:
        raise InvalidInput(
            NP_("The answer has {count} problem.", "The answer has {count} problems."),
            problems=problems,
            count=len(problems),
        )


def _settle_address(db: Session, city: City, value: dict[str, Any], where: str) -> dict[str, Any]:
    """An address through the city's address register, when it has one: the register's
    own label and id, or a problem when it does not know the address."""
    if not places.has_register(db, city):
        return value
    settled = places.settle(
        db, city, address=value["text"], address_id=value.get("address_id"), lat=None, long=None
    )
    if settled.problems or settled.address_id is None:
        raise InvalidInput(
            "The answer has {count} problem.",
            count=1,
            problems=[
                Problem(
                    where,
                    N_("{city} has no address like this; check the street, number and postcode."),
                    {"city": city.name},
                )
            ],
        )
    return {"text": settled.address or value["text"], "address_id": settled.address_id}


def answer(
    db: Session, city: City, opened: Opened, *, key: str, raw: Mapping[str, Any], lang: str
) -> None:
    """Keep the answer to one question page (its problems, else nothing changes)."""
    application = editable(opened)
    step = step_of(opened, key)
    q = step.question
    if step.kind != "question" or q is None:
        raise NotFound("This form has no question '{key}' for your answers.", key=key)
    value_in: Any = raw.get(q.id)
    if q.type == "address":
        value_in = {"text": raw.get(q.id) or "", "address_id": raw.get(f"{q.id}_id") or None}
    try:
        value = read_answer(q, value_in, today=today(city), country=city.country)
    except Refused as exc:
        _refuse([problem(q.id, q, exc, lang)])
        return
    if value is None and q.required:
        _refuse([Problem(q.id, missing_message(q))])
    if q.type == "address" and value is not None:
        value = _settle_address(db, city, value, q.id)
    answers = dict(application.answers)
    if value is None:
        answers.pop(q.id, None)
    else:
        answers[q.id] = value
    application.answers = answers
    application.updated_at = utcnow()


def save_item(
    db: Session,
    city: City,
    opened: Opened,
    *,
    key: str,
    index: int | None,
    raw: Mapping[str, Any],
    lang: str,
) -> None:
    """Add (``index`` None) or change one item of a group (one person moving in)."""
    application = editable(opened)
    step = step_of(opened, key)
    q = step.question
    if step.kind != "group" or q is None:
        raise NotFound("This form has no question '{key}' for your answers.", key=key)
    items = list(application.answers.get(q.id) or [])
    if index is not None and not 0 <= index < len(items):
        raise NotFound("This form has no question '{key}' for your answers.", key=f"{key}[{index}]")
    if index is None and q.max_items and len(items) >= q.max_items:
        _refuse([Problem(q.id, N_("Add at most {count}."), {"count": q.max_items})])
    item, problems = read_item(
        q, raw, application.answers, today=today(city), country=city.country, lang=lang
    )
    _refuse(problems)
    if index is None:
        items.append(item)
    else:
        items[index] = item
    application.answers = {**application.answers, q.id: items}
    application.updated_at = utcnow()


def remove_item(db: Session, city: City, opened: Opened, *, key: str, index: int) -> None:
    application = editable(opened)
    step = step_of(opened, key)
    items = list(application.answers.get(step.key) or [])
    if step.kind != "group" or not 0 <= index < len(items):
        raise NotFound("This form has no question '{key}' for your answers.", key=f"{key}[{index}]")
    del items[index]
    application.answers = {**application.answers, step.key: items}
    application.updated_at = utcnow()


# -- documents -------------------------------------------------------------------------------


def documents_of(db: Session, city: City, application_id: int) -> list[ApplicationDocument]:
    enter_city(db, city)
    return list(
        db.scalars(
            select(ApplicationDocument)
            .where(ApplicationDocument.application_id == application_id)
            .order_by(ApplicationDocument.id)
        )
    )


def upload(
    db: Session,
    city: City,
    opened: Opened,
    *,
    key: str,
    name: str,
    data: bytes,
    media_root: Path,
    message: ApplicationMessage | None = None,
) -> ApplicationDocument:
    """A file for a document page (or for the office's request for a document): checked
    by content and size, written durably, then recorded."""
    application = opened.application
    if message is None:
        editable(opened)
        step = step_of(opened, key)
        if step.kind != "document":
            raise NotFound("This form has no question '{key}' for your answers.", key=key)
        types, max_bytes, most, _ = file_spec(step)
        held = [d for d in documents_of(db, city, application.id) if d.step == key]
        if len(held) >= most:
            _refuse([Problem(key, N_("Upload at most {count} files."), {"count": most})])
    else:
        types, max_bytes = ["pdf", "jpeg", "png"], 10 * 1024 * 1024
    checked = documents.check(data, name=name, where=key, types=types, max_bytes=max_bytes)
    path, digest = documents.store(media_root, city.id, checked)
    document = ApplicationDocument(
        application_id=application.id,
        step=key,
        name=checked.name,
        content_type=checked.content_type,
        size=len(checked.data),
        sha256=digest,
        path=path,
        message_id=message.id if message else None,
    )
    db.add(document)
    application.updated_at = utcnow()
    db.flush()
    return document


def remove_document(db: Session, city: City, opened: Opened, *, document_id: int) -> None:
    application = editable(opened)
    found = db.get(ApplicationDocument, document_id)
    if found is None or found.application_id != application.id:
        raise NotFound("No document {id} in this application.", id=document_id)
    db.delete(found)
    application.updated_at = utcnow()


def get_document(
    db: Session, city: City, application_id: int, document_id: int
) -> ApplicationDocument:
    enter_city(db, city)
    found = db.get(ApplicationDocument, document_id)
    if found is None or found.application_id != application_id:
        raise NotFound("No document {id} in this application.", id=document_id)
    return found


def file_counts(db: Session, city: City, application_id: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for d in documents_of(db, city, application_id):
        if d.message_id is None:
            counts[d.step] = counts.get(d.step, 0) + 1
    return counts


def remaining(
    db: Session, city: City, opened: Opened, *, lang: str
) -> tuple[dict[str, Any], list[Problem]]:
    """The answers as they would be sent, and every problem left."""
    application = opened.application
    return check_all(
        opened.form,
        application.answers,
        file_counts(db, city, application.id),
        today=today(city),
        country=city.country,
        lang=lang,
    )


# -- sending -----------------------------------------------------------------------------


def _names(answers: Mapping[str, Any]) -> tuple[str | None, str | None]:
    first = answers.get("given_names") or answers.get("first_name")
    last = answers.get("family_name") or answers.get("last_name")
    return (str(first)[:100] if first else None, str(last)[:100] if last else None)


def submit(db: Session, city: City, opened: Opened, *, lang: str) -> Application:
    """Send the application: everything is checked again, then it becomes a private case of
    its service, all in the caller's transaction. A second press (or a retry) sends nothing
    again and answers with the application as it was sent."""
    application = opened.application
    if application.status != DRAFT:
        return application
    clean, problems = remaining(db, city, opened, lang=lang)
    if problems:
        raise InvalidInput(
            NP_(
                "The application has {count} problem; nothing was sent.",
                "The application has {count} problems; nothing was sent.",
            ),
            problems=problems,
            count=len(problems),
        )
    # only one press wins: the other finds the row no longer a draft
    claimed = db.execute(  # type: ignore[attr-defined]
        update(Application)
        .where(Application.id == application.id, Application.status == DRAFT)
        .values(status=SUBMITTED)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.refresh(application)
        return application
    now = utcnow()
    first, last = _names(clean)
    request = cases.create_request(
        db,
        city,
        data=RequestCreate(
            service_code=opened.service.code,
            channel=RequestChannel.WEB,
            first_name=first,
            last_name=last,
            language=application.language,
            account_id=f"resident:{application.account_id}",
        ),
        filed_by="resident",
        now=now,
        location_given=False,
        private=True,
    )
    db.flush()
    application.status = SUBMITTED
    application.answers = clean
    application.request_id = request.id
    application.submitted_at = now
    application.updated_at = now
    if application.fee_minor > 0:
        cases.pause_deadline(db, city, request, waiting_for="payment", actor="resident", now=now)
    audit.record(
        db,
        actor=f"resident:{application.account_id}",
        action="application.submitted",
        entity_type="application",
        entity_id=application.id,
        changes={"request": request.number, "version": opened.version.version},
    )
    _mail(db, city, application, request, opened.service, "received")
    return application


def case_of(db: Session, city: City, application: Application) -> ServiceRequest | None:
    if application.request_id is None:
        return None
    enter_city(db, city)
    return db.get(ServiceRequest, application.request_id)


# -- mail to the applicant ----------------------------------------------------------------

MAILS = {
    "received": (
        N_("Your application {number}: {service}"),
        N_(
            "We have received your application for {service}. Its reference number is {number}.\n\n"
            "{payment}You can follow it, answer our questions and read the decision under "
            '"My applications": {link}'
        ),
    ),
    "paid": (
        N_("Payment received for application {number}"),
        N_(
            "We have received your payment for application {number} ({service}). "
            "We are now handling it.\n\n{link}"
        ),
    ),
    "message": (
        N_("A message about your application {number}"),
        N_(
            "The office has written to you about your application {number} ({service}). "
            "Read it here: {link}"
        ),
    ),
    "decided": (
        N_("Decision on your application {number}"),
        N_(
            "Your application {number} ({service}) has been decided. The decision notice is "
            'under "My applications": {link}'
        ),
    ),
    "withdrawn": (
        N_("Application {number} withdrawn"),
        N_("You have withdrawn your application {number} ({service}).{payment}\n\n{link}"),
    ),
}


def link_of(city: City, application: Application) -> str:
    base = get_settings().public_url.rstrip("/")
    return f"{base}/{city.slug}/account/applications/{application.id}?lang={application.language}"


def _mail(
    db: Session,
    city: City,
    application: Application,
    request: ServiceRequest,
    service: Service,
    event: str,
    *,
    key: str | None = None,
    payment: str = "",
) -> None:
    lang = application.language
    subject, body = MAILS[event]
    params = {"number": request.number, "service": pick(service.name, lang, city.default_language)}
    if event == "received" and application.fee_minor > 0 and application.paid_at is None:
        from civitas.core.i18n import format_money, locale_for

        payment = translate(
            lang,
            N_(
                "The fee of {amount} is due before we handle it; "
                "pay it from the application's page.\n\n"
            ),
            amount=format_money(
                application.fee_minor,
                application.currency or city.currency,
                locale_for(lang, city.country),
            ),
        )
    enqueue_email(
        db,
        city,
        dedupe_key=f"application:{application.id}:{key or event}",
        recipient=application.email,
        subject=translate(lang, subject, **params),
        body=translate(lang, body, **params, payment=payment, link=link_of(city, application)),
        language=lang,
    )


def notify(
    db: Session,
    city: City,
    application: Application,
    event: str,
    *,
    key: str | None = None,
    payment: str = "",
) -> None:
    request = case_of(db, city, application)
    service = db.get(Service, application.service_id)
    if request is not None and service is not None:
        _mail(db, city, application, request, service, event, key=key, payment=payment)
