"""The rule editor in the browser, for administrators: a proactive service's rule as YAML
(the format of a rule file), checked on request and on save, with the problems named by
line and column; the parameters it uses with their values and legal references."""

from __future__ import annotations

from typing import Annotated

import yaml
from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.core import audit
from civitas.core.documents import Parsed, line_for, model_of, parse_yaml
from civitas.core.errors import CivitasError, InvalidInput, Problem
from civitas.core.i18n import N_, NP_, pick, translate
from civitas.proactive.permissions import ProactivePermission
from civitas.proactive.rules import check_rule, get_rule, list_rules, parameters_on, save_rule
from civitas.proactive.schemas import RuleIn
from civitas.proactive.service import today
from civitas.web.deps import CurrentCity, DbSession, OptionalPrincipal, staff_page
from civitas.web.forms import problem_list
from civitas.web.routers import Router
from civitas.web.templating import page, require_csrf

router = Router(include_in_schema=False)
WRITE = ProactivePermission.PROACTIVE_RULE_WRITE


# what a rule does and what starts it, in words (the rule file keeps the codes)
MODE_LABELS = {"offer": N_("offered"), "automatic": N_("granted automatically")}
TRIGGER_LABELS = {
    "birth": N_("a birth"),
    "death": N_("a death"),
    "move_in": N_("moving in"),
    "move_out": N_("moving out"),
    "move_within": N_("a move within the city"),
    "marriage": N_("a marriage"),
    "update": N_("a change of facts"),
    "periodic": N_("the periodic run"),
}


@router.get("/{city}/staff/rules", response_class=HTMLResponse, response_model=None)
def rules(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    if isinstance(go := staff_page(city, principal, WRITE), Response):
        return go
    lang = request.state.lang
    rows = [
        {
            "code": r.code,
            "name": pick(v.definition.get("name"), lang),
            "mode": translate(lang, MODE_LABELS.get(v.definition.get("mode", ""), "–")),
            "triggers": ", ".join(
                translate(lang, TRIGGER_LABELS.get(t, t))
                for t in v.definition.get("triggers") or []
            ),
            "version": r.version,
            "active": r.active,
        }
        for r, v in list_rules(db, city)
    ]
    return page(request, "admin/rules.html", {"rows": rows})


def _editor(
    request: Request,
    db: Session,
    city: City,
    code: str,
    text: str,
    *,
    problems: list[dict[str, str]] | None = None,
    checked: bool = False,
    status: int = 200,
) -> HTMLResponse:
    rule, _ = get_rule(db, city, code)
    values = parameters_on(db, city, today(city))
    lang = request.state.lang
    params = [
        {
            "name": p.name,
            "label": pick(p.label, lang),
            "value": p.value,
            "since": p.valid_from,
            "reference": p.reference,
        }
        for p in sorted(values.values(), key=lambda p: p.name)
    ]
    history = audit.list_entries(db, entity_type="rule", entity_id=code, oldest_first=False)
    return page(
        request,
        "admin/rule_form.html",
        {
            "code": code,
            "version": rule.version,
            "text": text,
            "problems": problems or [],
            "checked": checked,
            "params": params,
            "history": history,
            "saved": request.query_params.get("saved"),
        },
        status,
    )


@router.get("/{city}/staff/rules/{code}", response_class=HTMLResponse, response_model=None)
def edit_rule(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal, code: str
) -> Response:
    if isinstance(go := staff_page(city, principal, WRITE), Response):
        return go
    _, version = get_rule(db, city, code)
    text = yaml.safe_dump(version.definition, allow_unicode=True, sort_keys=False, width=90)
    return _editor(request, db, city, code, text)


def _read(text: str) -> tuple[RuleIn, Parsed]:
    parsed = parse_yaml(text, expected=N_("Expected a rule: a mapping with code, name, …"))
    return model_of(
        parsed, RuleIn, NP_("The rule has {count} problem.", "The rule has {count} problems.")
    ), parsed


def _with_lines(parsed: Parsed, exc: InvalidInput) -> InvalidInput:
    """A rule's problems ("eligible, line 1, column 5") with the line of the file too."""
    problems = []
    for p in exc.problems:
        key = p.location.split(",")[0].split(".")[0]
        line = line_for(parsed.lines, (key,))
        where = f"line {line}: {p.location}" if line else p.location
        problems.append(Problem(where, p.message, p.params))
    return InvalidInput(exc.message, problems=problems, **exc.params)


@router.post("/{city}/staff/rules/{code}", response_class=HTMLResponse, response_model=None)
def save(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    code: str,
    csrf: Annotated[str, Form(max_length=128)] = "",
    text: Annotated[str, Form(max_length=20000)] = "",
    action: Annotated[str, Form(max_length=10)] = "check",
) -> Response:
    if isinstance(go := staff_page(city, principal, WRITE), Response):
        return go
    require_csrf(request, csrf)
    lang = request.state.lang
    try:
        data, parsed = _read(text)
        if data.code != code:
            raise InvalidInput(
                NP_("The rule has {count} problem.", "The rule has {count} problems."),
                count=1,
                problems=[_code_problem(code)],
            )
        try:
            check_rule(db, city, data)
        except InvalidInput as exc:
            raise _with_lines(parsed, exc) from None
        if action != "save":
            return _editor(request, db, city, code, text, checked=True)
        changed = save_rule(db, city, data=data, actor=go.label)
    except CivitasError as exc:
        db.rollback()
        return _editor(
            request, db, city, code, text, problems=problem_list(lang, exc), status=exc.status
        )
    db.commit()
    rule, _ = get_rule(db, city, code)
    flag = rule.version if changed else "same"
    return RedirectResponse(f"/{city.slug}/staff/rules/{code}?saved={flag}&lang={lang}", 303)


def _code_problem(code: str) -> Problem:
    return Problem("code", N_("Use the code of the address: {code}."), {"code": code})
