"""The office's pages: an application's panel on its case page (answers, corrected
prefills, documents, payment, messages), writing to the applicant or asking for a
document, deciding with the notice, the payments desk, and the files."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from civitas.accounts.models import User
from civitas.accounts.service import Principal
from civitas.applications import applying, billing, handling, summary
from civitas.applications.applying import Opened
from civitas.applications.payments import PROVIDERS
from civitas.applications.permissions import ApplicationPermission as P
from civitas.applications.web.resident import STATE_LABELS
from civitas.cases.models import ServiceRequest
from civitas.cities.models import City
from civitas.core.errors import InvalidInput, NotFound, PermissionDenied, Problem
from civitas.core.i18n import N_, locale_for, pick
from civitas.web.actions import form_action
from civitas.web.deps import (
    AppSettings,
    CurrentCity,
    DbSession,
    OptionalPrincipal,
    RowId,
    staff_page,
)
from civitas.web.files import download
from civitas.web.forms import problems_by_field
from civitas.web.jobs import kick_outbox
from civitas.web.routers import Router
from civitas.web.templating import fragment, page

router = Router(include_in_schema=False)


def _view(
    request: Request, db: Session, city: City, opened: Opened, case: ServiceRequest
) -> dict[str, Any]:
    application = opened.application
    lang = request.state.lang
    locale = locale_for(lang, city.country)
    files = applying.documents_of(db, city, application.id)
    return {
        "opened": opened,
        "application": application,
        "case": case,
        "state": STATE_LABELS.get(application.status, application.status),
        "rows": summary.rows(
            opened.form,
            application.answers,
            lang=lang,
            locale=locale,
            prefilled=application.prefilled,
        ),
        "files": files,
        "payments": billing.payments_of(db, city, application.id),
        "messages": handling.messages_of(db, city, application.id),
        "base": f"/{city.slug}/staff/applications/{case.number}",
        "version": opened.version.version,
        "payment_labels": billing.PAYMENT_LABELS,
        "provider_labels": {name: p.label for name, p in PROVIDERS.items()},
    }


def case_panel(
    request: Request,
    *,
    city: City,
    db: Session,
    case: ServiceRequest,
    principal: Principal,
    **_: Any,
) -> Markup | None:
    """On a case's page: the application it was filed as, for staff who may read it."""
    if not principal.can(P.APPLICATION_READ):
        return None
    opened = handling.for_case(db, city, case.number)
    if opened is None:
        return None
    context = _view(request, db, city, opened, case)
    context["can_decide"] = principal.can(P.APPLICATION_DECIDE)
    return fragment(request, "applications/staff_panel.html", context)


def _person(db: Session, principal: Principal) -> str:
    """The name a decision carries: a member of staff's own (never a key's or a program's)."""
    user = db.get(User, principal.user_id) if principal.user_id else None
    if user is None:
        raise PermissionDenied("Only a member of staff, signed in, decides an application.")
    return user.full_name or user.username


def _opened(db: Session, city: City, number: int) -> tuple[Opened, ServiceRequest]:
    opened = handling.for_case(db, city, number)
    if opened is None:
        raise NotFound("Request {number} is not an online application.", number=number)
    case = applying.case_of(db, city, opened.application)
    assert case is not None
    return opened, case


def _act_page(
    request: Request,
    db: Session,
    city: City,
    number: int,
    template: str,
    *,
    problems: dict[str, str] | None = None,
    given: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    opened, case = _opened(db, city, number)
    context = _view(request, db, city, opened, case)
    context |= {"problems": problems or {}, "given": given or {}}
    return page(request, template, context, status)


@router.get(
    "/{city}/staff/applications/{number}/message", response_class=HTMLResponse, response_model=None
)
def message_page(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal, number: RowId
) -> Response:
    if isinstance(go := staff_page(city, principal, P.APPLICATION_DECIDE), Response):
        return go
    return _act_page(request, db, city, number, "applications/staff_message.html")


def _case_form(
    request: Request,
    city: City,
    db: Session,
    principal: Principal | None,
    number: int,
    *,
    csrf: str,
    template: str,
    given: dict[str, str],
    change: Any,
    done: str,
) -> Response:
    """A form about an application from the office (a message, a decision): done, back to
    its case; refused, the form again with the problems and what was typed."""
    return form_action(
        request,
        city,
        db,
        principal,
        permission=P.APPLICATION_DECIDE,
        csrf=csrf,
        change=change,
        done=lambda _: f"/{city.slug}/staff/cases/{number}?lang={request.state.lang}&done={done}",
        refused=lambda who, exc: _act_page(
            request,
            db,
            city,
            number,
            template,
            problems=problems_by_field(request.state.lang, exc, fallback=next(iter(given))),
            given=given,
            status=exc.status,
        ),
        after=kick_outbox,
    )


@router.post("/{city}/staff/applications/{number}/message", response_model=None)
def message(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    number: RowId,
    csrf: Annotated[str, Form(max_length=128)] = "",
    text: Annotated[str, Form(max_length=5000)] = "",
    asks_for: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    return _case_form(
        request,
        city,
        db,
        principal,
        number,
        csrf=csrf,
        template="applications/staff_message.html",
        given={"text": text, "asks_for": asks_for},
        change=lambda who: handling.write_to_applicant(
            db, city, number=number, text=text, asks_for=asks_for or None, actor=_person(db, who)
        ),
        done="message",
    )


@router.get(
    "/{city}/staff/applications/{number}/decide", response_class=HTMLResponse, response_model=None
)
def decide_page(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal, number: RowId
) -> Response:
    if isinstance(go := staff_page(city, principal, P.APPLICATION_DECIDE), Response):
        return go
    return _act_page(request, db, city, number, "applications/staff_decide.html")


@router.post("/{city}/staff/applications/{number}/decide", response_model=None)
def decide(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    settings: AppSettings,
    number: RowId,
    csrf: Annotated[str, Form(max_length=128)] = "",
    outcome: Annotated[str, Form(max_length=10)] = "",
    reasons: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    def change(who: Principal) -> Any:
        if outcome not in ("approve", "refuse"):
            raise InvalidInput(
                "Choose the decision.",
                problems=[Problem("outcome", N_("Choose: grant or refuse."))],
            )
        return handling.decide(
            db,
            city,
            number=number,
            approve=outcome == "approve",
            reasons=reasons,
            actor=_person(db, who),
            media_root=settings.media_root,
        )

    return _case_form(
        request,
        city,
        db,
        principal,
        number,
        csrf=csrf,
        template="applications/staff_decide.html",
        given={"outcome": outcome, "reasons": reasons},
        change=change,
        done="decided",
    )


@router.get("/{city}/staff/applications/{number}/documents/{document_id}", response_model=None)
def document(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    settings: AppSettings,
    number: RowId,
    document_id: RowId,
) -> Response:
    if isinstance(go := staff_page(city, principal, P.APPLICATION_READ), Response):
        return go
    opened, _ = _opened(db, city, number)
    found = applying.get_document(db, city, opened.application.id, document_id)
    return download(settings.media_root, found.path, found.name, found.content_type)


@router.get("/{city}/staff/applications/{number}/notice.pdf", response_model=None)
def notice(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    settings: AppSettings,
    number: RowId,
) -> Response:
    if isinstance(go := staff_page(city, principal, P.APPLICATION_READ), Response):
        return go
    opened, _ = _opened(db, city, number)
    if not opened.application.notice_path:
        raise NotFound("No decision notice for application {id} yet.", id=number)
    return download(
        settings.media_root,
        opened.application.notice_path,
        f"notice-{number}.pdf",
        "application/pdf",
    )


# -- the payments desk -------------------------------------------------------------------


def _desk(
    request: Request,
    db: Session,
    city: City,
    *,
    problems: dict[str, str] | None = None,
    given: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    rows = [
        {"payment": p, "application": a, "service": pick(name, request.state.lang)}
        for p, a, name in billing.open_transfers(db, city)
    ]
    return page(
        request,
        "applications/staff_payments.html",
        {
            "rows": rows,
            "problems": problems or {},
            "given": given or {},
            "done": request.query_params.get("done"),
        },
        status,
    )


@router.get("/{city}/staff/payments", response_class=HTMLResponse, response_model=None)
def payments_desk(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    if isinstance(go := staff_page(city, principal, P.PAYMENT_RECORD), Response):
        return go
    return _desk(request, db, city)


def _minor(amount: str) -> int:
    from decimal import Decimal, InvalidOperation

    text = amount.strip().replace(" ", "").replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(
            "The amount is not a number.",
            problems=[Problem("amount", N_("Enter the amount received, like 15.50."))],
        ) from None
    if not value.is_finite() or value < 0 or value > 10**9:
        raise InvalidInput(
            "The amount is not a number.",
            problems=[Problem("amount", N_("Enter the amount received, like 15.50."))],
        )
    return int((value * 100).to_integral_value())


@router.post("/{city}/staff/payments", response_model=None)
def record(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    csrf: Annotated[str, Form(max_length=128)] = "",
    reference: Annotated[str, Form(max_length=60)] = "",
    amount: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    return form_action(
        request,
        city,
        db,
        principal,
        permission=P.PAYMENT_RECORD,
        csrf=csrf,
        change=lambda who: billing.record_transfer(
            db, city, reference=reference, amount_minor=_minor(amount), actor=who.label
        ),
        done=lambda _: f"/{city.slug}/staff/payments?lang={request.state.lang}&done=recorded",
        refused=lambda who, exc: _desk(
            request,
            db,
            city,
            problems=problems_by_field(request.state.lang, exc, fallback="reference"),
            given={"reference": reference, "amount": amount},
            status=exc.status,
        ),
        after=kick_outbox,
    )


@router.post("/{city}/staff/payments/{payment_id}/refunded", response_model=None)
def refunded(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    payment_id: RowId,
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    return form_action(
        request,
        city,
        db,
        principal,
        permission=P.PAYMENT_RECORD,
        csrf=csrf,
        change=lambda who: billing.mark_refunded(db, city, payment_id=payment_id, actor=who.label),
        done=lambda _: f"/{city.slug}/staff/payments?lang={request.state.lang}&done=refunded",
        refused=lambda who, exc: _desk(
            request,
            db,
            city,
            problems={"reference": exc.text(request.state.lang)},
            status=exc.status,
        ),
    )
