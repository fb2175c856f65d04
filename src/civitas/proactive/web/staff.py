"""The back office for proactive services: decisions waiting for a person (referred by a
rule, or contested by the resident), each with its explanation, and the review form."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from civitas.accounts.service import Principal
from civitas.core import audit
from civitas.core.errors import CivitasError
from civitas.core.i18n import format_money, locale_for, pick, translate
from civitas.proactive import service
from civitas.proactive.notices import STATUS_TEXT, conditions, reason_text
from civitas.proactive.permissions import ProactivePermission
from civitas.web.actions import form_action
from civitas.web.deps import CurrentCity, DbSession, OptionalPrincipal, RowId, staff_page
from civitas.web.forms import problems_by_field
from civitas.web.routers import Router
from civitas.web.templating import page as render

router = Router(include_in_schema=False)
FILTERS = {"waiting": service.OPEN_FOR_REVIEW, "all": ()}


@router.get("/{city}/staff/proactive", response_model=None)
def decisions(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    show: str = "waiting",
) -> Response:
    who = staff_page(city, principal, ProactivePermission.PROACTIVE_DECISION_READ)
    if isinstance(who, Response):
        return who
    lang = request.state.lang
    views = service.list_decisions(db, city, statuses=FILTERS.get(show, ()) or None)
    rows = [
        {
            "id": v.decision.id,
            "service": pick(v.definition.get("name"), lang),
            "person": f"{v.person_name} ({v.register_number})",
            "status": translate(lang, STATUS_TEXT.get(v.decision.status, v.decision.status)),
            "updated_at": v.decision.updated_at,
        }
        for v in views
    ]
    return render(request, "staff/proactive.html", {"rows": rows, "show": show})


def _detail(
    request: Request,
    db: DbSession,
    city: CurrentCity,
    decision_id: int,
    label: str,
    *,
    problems: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    lang = request.state.lang
    view = service.read_decision(db, city, decision_id, actor=label, purpose="review of a decision")
    d = view.decision
    db.commit()  # the read is logged even if nothing else happens
    history = audit.list_entries(db, entity_type="decision", entity_id=str(d.id), oldest_first=True)
    return render(
        request,
        "staff/proactive_decision.html",
        {
            "d": d,
            "view": view,
            "service": pick(view.definition.get("name"), lang),
            "status_text": translate(lang, STATUS_TEXT.get(d.status, d.status)),
            "reason": reason_text(d, view.definition, lang, city),
            "conditions": conditions(d, lang, city),
            "amount": format_money(
                d.amount_minor, d.currency or city.currency, locale_for(lang, city.country)
            )
            if d.amount_minor
            else None,
            "history": history,
            "can_review": request.state.principal.can(
                ProactivePermission.PROACTIVE_DECISION_REVIEW
            ),
            "problems": problems or {},
        },
        status,
    )


@router.get("/{city}/staff/proactive/{decision_id}", response_model=None)
def decision(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    decision_id: RowId,
) -> Response:
    who = staff_page(city, principal, ProactivePermission.PROACTIVE_DECISION_READ)
    if isinstance(who, Response):
        return who
    return _detail(request, db, city, decision_id, who.label)


@router.post("/{city}/staff/proactive/{decision_id}/review", response_model=None)
def review(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    decision_id: RowId,
    csrf: Annotated[str, Form(max_length=128)] = "",
    outcome: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    lang = request.state.lang

    def refused(who: Principal, exc: CivitasError) -> Response:
        problems = problems_by_field(lang, exc, fallback="reason")
        return _detail(
            request, db, city, decision_id, who.label, problems=problems, status=exc.status
        )

    return form_action(
        request,
        city,
        db,
        principal,
        permission=ProactivePermission.PROACTIVE_DECISION_REVIEW,
        csrf=csrf,
        change=lambda who: service.review(
            db,
            city,
            decision_id,
            outcome=outcome,  # type: ignore[arg-type]
            reason=reason,
            actor=who.label,
        ),
        done=lambda _: f"/{city.slug}/staff/proactive/{decision_id}?lang={lang}",
        refused=refused,
    )
