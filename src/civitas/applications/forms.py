"""Forms per service: checked, saved as versions, published; read back for applying."""

from __future__ import annotations

import functools
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.applications.answers import json_schema
from civitas.applications.definition import FormDefinition, cross_check
from civitas.applications.models import ApplicationForm, FormVersion
from civitas.catalogue.models import Service
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit
from civitas.core.db import utcnow
from civitas.core.documents import located, model_of, parse_yaml
from civitas.core.errors import Conflict, InvalidInput, NotFound
from civitas.core.i18n import N_, NP_

REFUSED = NP_(
    "The form has {count} problem; nothing was saved.",
    "The form has {count} problems; nothing was saved.",
)


def read_source(text: str) -> FormDefinition:
    """The YAML as a form, or InvalidInput with every problem and its line."""
    parsed = parse_yaml(
        text, expected=N_("Expected a form: a mapping with questions, documents, …")
    )
    form = model_of(parsed, FormDefinition, REFUSED)
    found = cross_check(form)
    if found:
        problems = [located(parsed, loc, message, **params) for loc, message, params in found]
        raise InvalidInput(REFUSED, problems=problems, count=len(problems))
    return form


def service_of(db: Session, city: City, code: str) -> Service:
    enter_city(db, city)
    found = db.scalar(select(Service).where(Service.code == code))
    if found is None:
        raise NotFound("No service with code '{code}' in this city.", code=code)
    return found


def form_of(db: Session, city: City, service: Service) -> ApplicationForm | None:
    enter_city(db, city)
    return db.scalar(select(ApplicationForm).where(ApplicationForm.service_id == service.id))


def version_of(
    db: Session, city: City, form: ApplicationForm, number: int | None = None
) -> FormVersion | None:
    enter_city(db, city)
    return db.scalar(
        select(FormVersion).where(
            FormVersion.form_id == form.id, FormVersion.version == (number or form.version)
        )
    )


def versions(db: Session, city: City, form: ApplicationForm) -> list[FormVersion]:
    enter_city(db, city)
    return list(
        db.scalars(
            select(FormVersion)
            .where(FormVersion.form_id == form.id)
            .order_by(FormVersion.version.desc())
        )
    )


def save_form(
    db: Session, city: City, *, code: str, text: str, actor: str
) -> tuple[FormVersion, bool]:
    """Check the YAML and keep it as the form's next version (the same text as the newest
    version is no new version). Returns the version and whether it is new."""
    service = service_of(db, city, code)
    form_def = read_source(text)
    form = form_of(db, city, service)
    if form is None:
        form = ApplicationForm(service_id=service.id, version=0)
        db.add(form)
        db.flush()
    newest = version_of(db, city, form) if form.version else None
    if newest is not None and newest.source.strip() == text.strip():
        return newest, False
    form.version += 1
    form.updated_at = utcnow()
    version = FormVersion(
        form_id=form.id,
        version=form.version,
        source=text,
        definition=form_def.model_dump(mode="json", exclude_defaults=False),
        saved_by=actor,
    )
    db.add(version)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="form.saved",
        entity_type="application_form",
        entity_id=code,
        changes={"version": form.version},
    )
    return version, True


def set_published(
    db: Session, city: City, *, code: str, published: bool, actor: str
) -> ApplicationForm:
    """Open (or close) the form to residents; a form without a saved version cannot open."""
    service = service_of(db, city, code)
    form = form_of(db, city, service)
    if form is None or form.version == 0:
        raise Conflict("Save the form before you publish it.")
    if form.published != published:
        form.published = published
        form.updated_at = utcnow()
        audit.record(
            db,
            actor=actor,
            action="form.published" if published else "form.withdrawn",
            entity_type="application_form",
            entity_id=code,
            changes={"version": form.version},
        )
    return form


@functools.lru_cache(maxsize=512)
def _definition(version_id: int, tenant_id: int, frozen: str) -> FormDefinition:
    return FormDefinition.model_validate_json(frozen)


def definition(version: FormVersion) -> FormDefinition:
    """A saved version as a form (versions never change, so each is read once)."""
    import orjson

    return _definition(version.id, version.tenant_id, orjson.dumps(version.definition).decode())


def published(db: Session, city: City, code: str) -> tuple[Service, ApplicationForm, FormVersion]:
    """The published form of a published service, with its newest version."""
    service = service_of(db, city, code)
    form = form_of(db, city, service)
    if not service.published or form is None or not form.published:
        raise NotFound("No online application for '{code}' in this city.", code=code)
    version = version_of(db, city, form)
    assert version is not None
    return service, form, version


def published_codes(db: Session, city: City) -> set[str]:
    """The services with a published form."""
    enter_city(db, city)
    return set(
        db.scalars(
            select(Service.code)
            .join(ApplicationForm, ApplicationForm.service_id == Service.id)
            .where(ApplicationForm.published.is_(True), Service.published.is_(True))
        )
    )


def schema(
    db: Session, city: City, *, code: str, number: int, url: str, lang: str
) -> dict[str, Any]:
    """The JSON Schema of a version of a service's form (published or not: an application
    filled in an older version keeps its schema)."""
    service = service_of(db, city, code)
    form = form_of(db, city, service)
    found = version_of(db, city, form, number) if form is not None and number >= 1 else None
    if found is None or not service.published:
        raise NotFound("No version {version} of the form for '{code}'.", version=number, code=code)
    names = {str(d["code"]): d["name"] for d in service.documents or []}
    return json_schema(
        definition(found),
        url=url,
        title=service.name,
        version=number,
        lang=lang,
        document_names=names,
    )


def source_for_new(service: Service) -> str:
    """A first form for a service that has none: a declaration and its documents."""
    documents = [
        {"code": str(d["code"]).lower(), "name": d["name"]} for d in service.documents or []
    ]
    skeleton: dict[str, Any] = {
        "questions": [
            {
                "id": "details",
                "type": "text",
                "multiline": True,
                "required": False,
                "label": {
                    "es": "Detalles de su solicitud",
                    "de": "Angaben zu Ihrem Antrag",
                    "en": "Details of your application",
                },
            },
            {
                "id": "declaration",
                "type": "declaration",
                "label": {
                    "es": "Declaro que los datos son verdaderos.",
                    "de": "Ich versichere, dass die Angaben richtig sind.",
                    "en": "I declare that the information is true.",
                },
            },
        ],
        "documents": documents,
    }
    return yaml.safe_dump(skeleton, allow_unicode=True, sort_keys=False, width=90)
