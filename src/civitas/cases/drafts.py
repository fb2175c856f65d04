"""A resident's request in the making, one question per page (the web channel).

The answers of each step are checked when the step is sent and kept in a draft row until
the resident confirms them on the "check your answers" page; only then is the request
filed, through :func:`civitas.cases.service.create_request` like every other channel.
Photos are checked and stored when uploaded; the draft keeps their file names. Drafts
older than a day are purged.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from civitas.cases.attributes import check_attributes
from civitas.cases.media import CleanImage
from civitas.cases.models import ReportDraft, ServiceRequest
from civitas.cases.schemas import RequestChannel, RequestCreate
from civitas.cases.service import check_location, create_request, link_photos, stored_photo
from civitas.catalogue.models import Service
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.db import utcnow
from civitas.core.errors import InvalidInput, NotFound, Problem
from civitas.core.i18n import N_, NP_
from civitas.core.tenancy import bind_all_cities
from civitas.core.validation import template_for
from civitas.places import service as places

LIFETIME = timedelta(days=1)
MAX_PHOTOS = 3
STEPS = ("where", "details", "contact", "check")


def reportable(db: Session, city: City, code: str) -> Service:
    """A published service that takes requests online."""
    enter_city(db, city)
    found = db.scalar(select(Service).where(Service.code == code, Service.published.is_(True)))
    if found is None or not found.is_open311:
        raise NotFound("No service with code '{code}' in this city.", code=code)
    return found


def _fresh(db: Session, city: City, draft_id: str | None, code: str) -> ReportDraft | None:
    if not draft_id:
        return None
    enter_city(db, city)
    draft = db.get(ReportDraft, draft_id)
    if draft is None or draft.service_code != code or draft.created_at < utcnow() - LIFETIME:
        return None
    return draft


def get_draft(db: Session, city: City, *, draft_id: str | None, code: str) -> ReportDraft | None:
    """The visitor's draft for this service, if it is still fresh and not sent yet."""
    draft = _fresh(db, city, draft_id, code)
    return draft if draft is not None and draft.request_id is None else None


def filed_from(
    db: Session, city: City, *, draft_id: str | None, code: str
) -> ServiceRequest | None:
    """The request this draft was already sent as, if it was."""
    draft = _fresh(db, city, draft_id, code)
    if draft is None or draft.request_id is None:
        return None
    return db.get(ServiceRequest, draft.request_id)


class AlreadyFiled(Exception):  # noqa: N818 - named for what happened, like NotFound
    """The draft was sent by another press of "Send" meanwhile."""


def _save(
    db: Session, city: City, draft: ReportDraft | None, code: str, answers: dict[str, Any]
) -> ReportDraft:
    enter_city(db, city)
    if draft is None:
        draft = ReportDraft(id=secrets.token_urlsafe(24), service_code=code, answers={})
        db.add(draft)
    draft.answers = {**draft.answers, **answers}
    draft.updated_at = utcnow()
    db.flush()
    return draft


def prefill_of(service: Service, params: Any) -> dict[str, str]:
    """The answers to the service's own questions a link fills in (``set_<code>=value``,
    only codes the service asks, each at most 200 characters)."""
    codes = {a.get("code") for a in service.attributes or []}
    found: dict[str, str] = {}
    for key in list(params.keys()):
        if not str(key).startswith("set_") or str(key)[4:] not in codes:
            continue
        value = params.get(key)
        if isinstance(value, list):  # parse_qs gives lists
            value = value[0] if value else ""
        if value := str(value or "").strip()[:200]:
            found[str(key)[4:]] = value
    return found


def prefill(
    db: Session, city: City, service: Service, draft: ReportDraft, params: Any
) -> ReportDraft:
    """Answers a link filled in, kept unless the resident already answered them."""
    values = prefill_of(service, params)
    if not values:
        return draft
    given = dict(draft.answers.get("attributes") or {})
    merged = {**values, **{k: v for k, v in given.items() if v not in (None, "")}}
    return _save(db, city, draft, service.code, {"attributes": merged})


def _pydantic_problems(exc: ValidationError, names: dict[str, str]) -> list[Problem]:
    problems = []
    for err in exc.errors():
        template, params = template_for(err)
        field = str(err["loc"][0]) if err["loc"] else ""
        problems.append(Problem(names.get(field, field), template, params))
    return problems


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise InvalidInput(
            NP_(
                "There is a problem with {count} answer.",
                "There is a problem with {count} answers.",
            ),
            problems=problems,
            count=len(problems),
        )


def _number(value: str) -> float | None:
    try:
        return float(value) if value.strip() else None
    except ValueError:
        return None


def save_where(
    db: Session,
    city: City,
    service: Service,
    draft: ReportDraft | None,
    *,
    address: str,
    lat: str,
    long: str,
    address_id: str = "",
) -> ReportDraft:
    """Step 1: the place, as an address or a point on the map (or both). An address chosen
    from the register (``address_id``) and the point must agree; a typed address the
    register is sure of gets its point."""
    point = (_number(lat), _number(long))
    problems: list[Problem] = []
    address = address.strip()
    if not address and None in point:
        problems.append(Problem("address", N_("Enter the address or choose the place on the map.")))
    data = None
    if not problems:
        try:
            data = RequestCreate(
                service_code=service.code,
                channel=RequestChannel.WEB,
                address_string=address or None,
                address_id=address_id.strip() or None,
                lat=point[0],
                long=point[1],
            )
        except ValidationError as exc:
            problems += _pydantic_problems(exc, {"address_string": "address", "long": "lat"})
    if data is not None:
        for p in check_location(city, data):
            if p.location == "lat":
                problems.append(
                    Problem("address", N_("This place is outside {city}."), {"city": city.name})
                )
    settled = None
    if data is not None and not problems:
        settled = places.settle(
            db,
            city,
            address=address or None,
            address_id=data.address_id,
            lat=point[0],
            long=point[1],
        )
        problems += [Problem("address", p.message, p.params) for p in settled.problems]
    _raise(problems)
    assert settled is not None
    return _save(
        db,
        city,
        draft,
        service.code,
        {
            "address": settled.address or "",
            "address_id": settled.address_id,
            "lat": settled.lat,
            "long": settled.long,
        },
    )


def save_details(
    db: Session,
    city: City,
    service: Service,
    draft: ReportDraft,
    *,
    description: str,
    attributes: dict[str, Any],
    photos: list[CleanImage],
    media_root: Path,
    earlier_problems: list[Problem] | None = None,
) -> ReportDraft:
    """Step 2: what is wrong, the service's own questions, and up to three photos.
    Problems the caller found with the uploads come in ``earlier_problems`` and are
    reported with the rest."""
    problems: list[Problem] = list(earlier_problems or [])
    description = description.strip()
    try:
        RequestCreate(
            service_code=service.code, channel=RequestChannel.WEB, description=description or None
        )
    except ValidationError as exc:
        problems += _pydantic_problems(exc, {})
    _values, attribute_problems = check_attributes(service.attributes, attributes)
    problems += attribute_problems
    if len(draft.photos) + len(photos) > MAX_PHOTOS:
        problems.append(Problem("photo", N_("Send at most {count} photos."), {"count": MAX_PHOTOS}))
    _raise(problems)
    stored = list(draft.photos)
    for image in photos:
        photo = stored_photo(media_root, city, image)
        if all(p["sha256"] != photo["sha256"] for p in stored):
            stored.append(photo)
    draft.photos = stored
    # the raw answers are kept, so that the form shows them again as given
    return _save(
        db, city, draft, service.code, {"description": description, "attributes": attributes}
    )


def remove_photo(db: Session, city: City, draft: ReportDraft, *, sha256: str) -> ReportDraft:
    draft.photos = [p for p in draft.photos if p["sha256"] != sha256]
    return _save(db, city, draft, draft.service_code, {})


def save_contact(
    db: Session,
    city: City,
    service: Service,
    draft: ReportDraft,
    *,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
) -> ReportDraft:
    """Step 3: how to reach the resident, all optional."""
    given = {
        "first_name": first_name.strip() or None,
        "last_name": last_name.strip() or None,
        "email": email.strip() or None,
        "phone": phone.strip() or None,
    }
    try:
        RequestCreate(service_code=service.code, channel=RequestChannel.WEB, **given)
    except ValidationError as exc:
        _raise(_pydantic_problems(exc, {}))
    return _save(db, city, draft, service.code, {**given, "contact_done": True})


def missing_step(draft: ReportDraft | None) -> str | None:
    """The first step not answered yet, or None when the draft can be checked and sent."""
    answers = draft.answers if draft else {}
    if not answers.get("address") and answers.get("lat") is None:
        return "where"
    if "description" not in answers:
        return "details"
    if not answers.get("contact_done"):
        return "contact"
    return None


def submit(
    db: Session, city: City, draft: ReportDraft, *, language: str, actor: str = "web"
) -> ServiceRequest:
    """File the request from the confirmed draft, link its photos, and drop the draft (all in
    the caller's transaction). Every check runs again, as for any channel."""
    a = draft.answers
    data = RequestCreate(
        service_code=draft.service_code,
        channel=RequestChannel.WEB,
        description=a.get("description") or None,
        address_string=a.get("address") or None,
        address_id=a.get("address_id") or None,
        lat=a.get("lat"),
        long=a.get("long"),
        attributes=a.get("attributes") or {},
        email=a.get("email"),
        first_name=a.get("first_name"),
        last_name=a.get("last_name"),
        phone=a.get("phone"),
        language=language,
    )
    # the draft is consumed exactly once: this UPDATE locks its row (SQLite: takes the one
    # writer) until the commit, so a racing press waits here, then finds it sent
    claimed = db.execute(
        update(ReportDraft)
        .where(ReportDraft.id == draft.id, ReportDraft.request_id.is_(None))
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise AlreadyFiled
    created = create_request(db, city, data=data, filed_by=actor, token=True)
    link_photos(db, city, created, photos=draft.photos, actor=actor)
    draft.request_id = created.id
    return created


def purge_drafts(db: Session, *, now: datetime | None = None) -> int:
    """Drop drafts older than a day (a system task over every city)."""
    bind_all_cities(db)
    cutoff = (now or utcnow()) - LIFETIME
    result = db.execute(
        delete(ReportDraft)
        .where(ReportDraft.created_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
