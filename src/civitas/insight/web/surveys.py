"""The satisfaction survey behind an invitation link, and "was this page helpful?"."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from civitas.catalogue import service as catalogue
from civitas.cities.models import City
from civitas.core.errors import CivitasError, NotFound
from civitas.core.i18n import N_, translate
from civitas.core.validation import template_for
from civitas.insight import service as insight
from civitas.insight.schemas import DRIVERS, SurveyAnswer
from civitas.web.deps import CurrentCity, DbSession
from civitas.web.routers import Router
from civitas.web.templating import page, require_csrf

router = Router(include_in_schema=False)


def _form(
    request: Request,
    db: Session,
    city: City,
    token: str,
    *,
    answers: dict[str, Any] | None = None,
    problems: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    invitation = insight.invitation_for(db, city, token)
    return page(
        request,
        "surveys/survey.html",
        {
            "token": token,
            "done": invitation.responded_at is not None,
            "answers": answers or {},
            "problems": problems or {},
            "drivers": DRIVERS,
        },
        status,
    )


@router.get("/{city}/survey/{token}", response_class=HTMLResponse)
def survey(request: Request, city: CurrentCity, db: DbSession, token: str) -> HTMLResponse:
    return _form(request, db, city, token)


def _answer(form: Any) -> dict[str, Any]:
    def value(name: str) -> str | None:
        raw = form.get(name)
        return raw.strip() if isinstance(raw, str) and raw.strip() else None

    drivers = {d: value(f"driver-{d}") for d in DRIVERS}
    accessibility = value("accessibility_needs")
    return {
        "rating": value("rating"),
        "effort": value("effort"),
        "recommend": value("recommend"),
        "drivers": {k: v for k, v in drivers.items() if v is not None},
        "comment": value("comment"),
        "age_band": value("age_band"),
        "gender": value("gender"),
        "accessibility_needs": None if accessibility is None else accessibility == "yes",
    }


@router.post("/{city}/survey/{token}", response_class=HTMLResponse)
async def answer_survey(
    request: Request, city: CurrentCity, db: DbSession, token: str
) -> HTMLResponse:
    form = await request.form()
    csrf = form.get("csrf")
    require_csrf(request, csrf if isinstance(csrf, str) else "")
    answers = _answer(form)
    lang = request.state.lang
    try:
        data = SurveyAnswer.model_validate(answers)
    except ValidationError as exc:
        problems: dict[str, str] = {}
        for err in exc.errors():
            field = "-".join(str(p) for p in err["loc"]) or "rating"
            field = field.replace("drivers-", "driver-")
            template, params = template_for(err)
            problems.setdefault(field, translate(lang, template, **params))
        if "rating" in problems:
            problems["rating"] = translate(lang, N_("Choose how satisfied you are, from 1 to 5."))
        return _form(request, db, city, token, answers=answers, problems=problems, status=400)
    try:
        insight.respond(db, city, token, data)
    except CivitasError as exc:
        db.rollback()
        if isinstance(exc, NotFound):
            raise
        return _form(request, db, city, token, answers=answers, status=exc.status)
    db.commit()
    return page(request, "surveys/thanks.html", {})


@router.post("/{city}/services/{code}/feedback", response_model=None)
def page_feedback(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    code: str,
    csrf: Annotated[str, Form(max_length=128)] = "",
    helpful: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    require_csrf(request, csrf)
    found = catalogue.get_service(db, city, code=code)
    if helpful in ("yes", "no"):
        insight.record_page_feedback(
            db, city, page=f"services/{code}", service_id=found.id, helpful=helpful == "yes"
        )
        db.commit()
    lang = request.state.lang
    return RedirectResponse(f"/{city.slug}/services/{code}?lang={lang}&thanks=1#feedback", 303)
