"""The catalogue editor in the browser, for administrators.

The plain parts of a service (names, descriptions, who can use it, topic, life situation,
channels, department, target time, published) are form fields; the structured parts (fees,
documents, legal basis, opening hours, Open311 definition) are one YAML block, the same
format as a catalogue file. Everything is checked as one ``ServiceIn`` and saved through
``save_service``, like the API and the importer."""

from __future__ import annotations

from typing import Any

import yaml
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from civitas.catalogue import service as catalogue
from civitas.catalogue.permissions import CataloguePermission
from civitas.catalogue.schemas import Category, Channel, LifeSituation, ServiceIn
from civitas.cities.models import City
from civitas.cities.service import list_departments
from civitas.core.errors import CivitasError
from civitas.core.i18n import NP_, translate
from civitas.core.validation import location, template_for
from civitas.web.deps import CurrentCity, DbSession, OptionalPrincipal, staff_page
from civitas.web.routers import Router
from civitas.web.templating import page, require_csrf

router = Router(include_in_schema=False)
WRITE = CataloguePermission.CATALOGUE_SERVICE_WRITE
STRUCTURED = ("fees", "documents", "legal_basis", "opening_hours", "open311")
TEXTS = ("name", "description", "eligibility")


@router.get("/{city}/staff/catalogue", response_class=HTMLResponse, response_model=None)
def services(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    if isinstance(go := staff_page(city, principal, WRITE), Response):
        return go
    found = catalogue.list_services(db, city, include_unpublished=True)
    return page(request, "admin/catalogue.html", {"services": found})


def _answers(data: ServiceIn | None, city: City) -> dict[str, Any]:
    if data is None:
        return {"channels": [], "published": True, "structured": "", "code": ""}
    dumped = data.model_dump(mode="json")
    answers: dict[str, Any] = {
        "code": data.code,
        "category": dumped["category"],
        "life_situation": dumped["life_situation"] or "",
        "channels": dumped["channels"],
        "department": data.department,
        "target_hours": data.target_hours or "",
        "published": data.published,
        "structured": yaml.safe_dump(
            {k: dumped[k] for k in STRUCTURED}, allow_unicode=True, sort_keys=False, width=90
        ),
    }
    for key in TEXTS:
        for lang in city.languages:
            answers[f"{key}-{lang}"] = (dumped.get(key) or {}).get(lang, "")
    return answers


def _form(
    request: Request,
    db: Any,
    city: City,
    code: str | None,
    answers: dict[str, Any],
    problems: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "admin/service_form.html",
        {
            "code": code,
            "answers": answers,
            "problems": problems,
            "categories": [c.value for c in Category],
            "life_situations": [s.value for s in LifeSituation],
            "channels": [c.value for c in Channel],
            "departments": list_departments(db, city),
            "texts": TEXTS,
        },
        status,
    )


@router.get("/{city}/staff/catalogue/new", response_class=HTMLResponse, response_model=None)
def new_service(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    if isinstance(go := staff_page(city, principal, WRITE), Response):
        return go
    return _form(request, db, city, None, _answers(None, city), {})


@router.get("/{city}/staff/catalogue/{code}", response_class=HTMLResponse, response_model=None)
def edit_service(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal, code: str
) -> Response:
    if isinstance(go := staff_page(city, principal, WRITE), Response):
        return go
    found = catalogue.get_service(db, city, code=code, include_unpublished=True)
    return _form(request, db, city, code, _answers(catalogue.service_to_schema(found), city), {})


def _field(loc: tuple[Any, ...]) -> str:
    """The form field an error belongs to (structured parts all go to the YAML block)."""
    if not loc:
        return "form"
    head = str(loc[0]).split("[")[0]
    if head in TEXTS and len(loc) > 1:
        return f"{head}-{loc[1]}"
    if head in STRUCTURED:
        return "structured"
    return head


async def _save(
    request: Request, city: City, db: Any, principal: Any, code: str | None
) -> Response:
    form = await request.form()

    def work() -> Response:
        if isinstance(
            go := staff_page(city, principal, CataloguePermission.CATALOGUE_SERVICE_WRITE), Response
        ):
            return go
        text = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        require_csrf(request, text.get("csrf", ""))
        lang = request.state.lang
        channels = [str(c) for c in form.getlist("channels")]
        answers: dict[str, Any] = {
            **text,
            "channels": channels,
            "published": text.get("published") == "1",
            "code": code or text.get("code", "").strip(),
        }
        problems: dict[str, str] = {}
        structured: Any = {}
        try:
            structured = yaml.safe_load(text.get("structured") or "") or {}
            if not isinstance(structured, dict):
                raise yaml.YAMLError("not a mapping")
        except yaml.YAMLError:
            problems["structured"] = translate(
                lang, "Write the structured parts as YAML: keys such as fees: and documents:."
            )
            structured = {}
        raw: dict[str, Any] = {
            "code": answers["code"],
            "category": text.get("category", ""),
            "life_situation": text.get("life_situation") or None,
            "channels": channels,
            "department": text.get("department", ""),
            "target_hours": int(text["target_hours"])
            if text.get("target_hours", "").isascii() and text.get("target_hours", "").isdigit()
            else None,
            "published": answers["published"],
            **{k: v for k, v in structured.items() if k in STRUCTURED},
        }
        for key in TEXTS:
            given = {
                lang_: text.get(f"{key}-{lang_}", "").strip()
                for lang_ in city.languages
                if text.get(f"{key}-{lang_}", "").strip()
            }
            if given or key != "eligibility":
                raw[key] = given
        unknown = sorted(set(structured) - set(STRUCTURED))
        if unknown:
            problems.setdefault(
                "structured",
                translate(
                    lang,
                    NP_("Unknown part: {names}.", "Unknown parts: {names}."),
                    names=", ".join(unknown),
                    count=len(unknown),
                ),
            )
        try:
            data = ServiceIn.model_validate(raw)
            if problems:
                raise CivitasError("The service has problems.")
            catalogue.save_service(db, city, data=data, actor=principal.label)
        except ValidationError as exc:
            db.rollback()
            for err in exc.errors():
                template, params = template_for(err)
                where = _field(tuple(err["loc"]))
                if where in TEXTS:  # the text as a whole (e.g. no language given): its first field
                    where = f"{where}-{city.default_language}"
                message = translate(lang, template, **params)
                if where == "structured":
                    message = f"{location(err['loc'])}: {message}"
                problems.setdefault(where, message)
            return _form(request, db, city, code, answers, problems, 400)
        except CivitasError as exc:
            db.rollback()
            for p in exc.problems:
                where = _field(tuple(p.location.split(".")[1:2])) if "." in p.location else "form"
                problems.setdefault(where, translate(lang, p.message, **p.params))
            if not problems:
                problems["form"] = exc.text(lang)
            return _form(request, db, city, code, answers, problems, 400)
        db.commit()
        return RedirectResponse(f"/{city.slug}/staff/catalogue?lang={lang}", status_code=303)

    return await run_in_threadpool(work)


@router.post("/{city}/staff/catalogue/new", response_model=None)
async def add_service(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    return await _save(request, city, db, principal, None)


@router.post("/{city}/staff/catalogue/{code}", response_model=None)
async def change_service(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal, code: str
) -> Response:
    return await _save(request, city, db, principal, code)
