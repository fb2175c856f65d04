"""The form editor, for administrators: a service's form as YAML in the browser, with
"Check" (every problem with its line, nothing saved), "Preview" (the questions as a
resident sees them, in any of the city's languages) and "Save" (a new version); then
publishing, the versions and their JSON Schemas."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.applications import forms
from civitas.applications.definition import FormDefinition
from civitas.applications.models import ApplicationForm
from civitas.applications.permissions import ApplicationPermission as P
from civitas.catalogue.models import Service
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit
from civitas.core.errors import CivitasError
from civitas.core.i18n import pick
from civitas.web.deps import CurrentCity, DbSession, OptionalPrincipal, staff_page
from civitas.web.forms import problem_list
from civitas.web.routers import Router
from civitas.web.templating import page, require_csrf

router = Router(include_in_schema=False)


@router.get("/{city}/staff/forms", response_class=HTMLResponse, response_model=None)
def forms_list(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    if isinstance(go := staff_page(city, principal, P.FORM_WRITE), Response):
        return go
    enter_city(db, city)
    held = {f.service_id: f for f in db.scalars(select(ApplicationForm))}
    lang = request.state.lang
    rows = []
    for service in db.scalars(select(Service).order_by(Service.code)):
        if service.is_open311:
            continue  # reported through the request form, not applied for
        form = held.get(service.id)
        rows.append(
            {
                "code": service.code,
                "name": pick(service.name, lang),
                "online": "online" in service.channels,
                "version": form.version if form else 0,
                "published": bool(form and form.published),
            }
        )
    return page(request, "applications/admin_forms.html", {"rows": rows})


def _editor(
    request: Request,
    db: Session,
    city: City,
    code: str,
    text: str,
    *,
    problems: list[dict[str, str]] | None = None,
    checked: bool = False,
    preview: FormDefinition | None = None,
    status: int = 200,
) -> HTMLResponse:
    service = forms.service_of(db, city, code)
    form = forms.form_of(db, city, service)
    versions = forms.versions(db, city, form) if form else []
    return page(
        request,
        "applications/admin_form.html",
        {
            "service": service,
            "form": form,
            "versions": versions,
            "text": text,
            "problems": problems or [],
            "checked": checked,
            "preview": preview,
            "saved": request.query_params.get("saved"),
            "history": audit.list_entries(
                db, entity_type="application_form", entity_id=code, oldest_first=False
            ),
        },
        status,
    )


@router.get("/{city}/staff/forms/{code}", response_class=HTMLResponse, response_model=None)
def edit_form(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal, code: str
) -> Response:
    if isinstance(go := staff_page(city, principal, P.FORM_WRITE), Response):
        return go
    service = forms.service_of(db, city, code)
    form = forms.form_of(db, city, service)
    version = forms.version_of(db, city, form) if form and form.version else None
    text = version.source if version else forms.source_for_new(service)
    return _editor(request, db, city, code, text)


@router.post("/{city}/staff/forms/{code}", response_class=HTMLResponse, response_model=None)
def save(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    code: str,
    csrf: Annotated[str, Form(max_length=128)] = "",
    text: Annotated[str, Form(max_length=100_000)] = "",
    action: Annotated[str, Form(max_length=10)] = "check",
) -> Response:
    if isinstance(go := staff_page(city, principal, P.FORM_WRITE), Response):
        return go
    require_csrf(request, csrf)
    lang = request.state.lang
    try:
        definition = forms.read_source(text)
        if action == "preview":
            forms.service_of(db, city, code)
            return _editor(request, db, city, code, text, preview=definition)
        if action != "save":
            forms.service_of(db, city, code)
            return _editor(request, db, city, code, text, checked=True)
        version, new = forms.save_form(db, city, code=code, text=text, actor=go.label)
    except CivitasError as exc:
        db.rollback()
        return _editor(
            request, db, city, code, text, problems=problem_list(lang, exc), status=exc.status
        )
    db.commit()
    flag = version.version if new else "same"
    return RedirectResponse(f"/{city.slug}/staff/forms/{code}?saved={flag}&lang={lang}", 303)


@router.post("/{city}/staff/forms/{code}/publish", response_class=HTMLResponse, response_model=None)
def publish(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    code: str,
    csrf: Annotated[str, Form(max_length=128)] = "",
    published: Annotated[str, Form(max_length=1)] = "1",
) -> Response:
    if isinstance(go := staff_page(city, principal, P.FORM_WRITE), Response):
        return go
    require_csrf(request, csrf)
    lang = request.state.lang
    try:
        forms.set_published(db, city, code=code, published=published == "1", actor=go.label)
    except CivitasError as exc:
        db.rollback()
        service = forms.service_of(db, city, code)
        form = forms.form_of(db, city, service)
        version = forms.version_of(db, city, form) if form and form.version else None
        text = version.source if version else forms.source_for_new(service)
        return _editor(
            request, db, city, code, text, problems=problem_list(lang, exc), status=exc.status
        )
    db.commit()
    return RedirectResponse(f"/{city.slug}/staff/forms/{code}?lang={lang}", 303)
