"""A resident's proactive services in the browser: "My offers" (accept with an IBAN, decline,
object or ask for a person's review), opting out per service, and who read their data."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.core.errors import CivitasError
from civitas.core.i18n import N_, format_money, locale_for, pick, translate
from civitas.insight.service import open_survey
from civitas.proactive import service
from civitas.proactive.features import FIELDS
from civitas.proactive.notices import STATUS_TEXT, conditions, reason_text
from civitas.proactive.rules import list_rules
from civitas.residents import service as residents
from civitas.web.deps import CurrentCity, DbSession, RowId
from civitas.web.forms import problems_by_field
from civitas.web.routers import Router
from civitas.web.templating import page, require_csrf

router = Router(include_in_schema=False)


def _persons(request: Request, db: Session, city: City) -> list[int] | None:
    account = residents.signed_in(db, city, raw=request.cookies.get(residents.COOKIE))
    if account is None:
        return None
    return service.persons_of_account(db, city, account.email)


def _card(view: service.DecisionView, lang: str, city: City) -> dict[str, Any]:
    d = view.decision
    definition = view.definition
    amount = None
    if d.amount_minor:
        amount = format_money(
            d.amount_minor, d.currency or city.currency, locale_for(lang, city.country)
        )
    return {
        "id": d.id,
        "service": pick(definition.get("name"), lang),
        "description": pick(definition.get("description"), lang),
        "for_whom": view.person_name if d.person_id != d.addressee_id else None,
        "status": d.status,
        "status_text": translate(lang, STATUS_TEXT.get(d.status, d.status)),
        "reason": reason_text(d, definition, lang, city),
        "conditions": conditions(d, lang, city),
        "amount": amount,
        "fee": definition.get("payment") == "from_resident",
        "needs_iban": bool(definition.get("needs_iban")),
        "notice": pick(definition.get("notice"), lang) if definition.get("notice") else "",
        "legal": [b.get("title") for b in definition.get("legal_basis") or []],
        "rule": d.explanation.get("rule"),
        "review_note": d.review_note,
        "payment": view.payment.status if view.payment else None,
        "when": d.created_at,
    }


def _offers_page(
    request: Request,
    db: Session,
    city: City,
    persons: list[int],
    *,
    problems: dict[str, str] | None = None,
    failed: int | None = None,
    answers: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    lang = request.state.lang
    cards = [_card(v, lang, city) for v in service.decisions_for(db, city, persons)]
    for card in cards:  # a delivered benefit: how did it go?
        if card["status"] in ("granted", "accepted"):
            card["survey"] = open_survey(db, city, "decision", card["id"])
    rules = [
        {"code": r.code, "name": pick(v.definition.get("name"), lang)}
        for r, v in list_rules(db, city)
        if r.active
    ]
    blocked = (
        set.intersection(*(service.opt_outs(db, city, p) for p in persons)) if persons else set()
    )
    return page(
        request,
        "residents/offers.html",
        {
            "cards": cards,
            "known": bool(persons),
            "rules": rules,
            "blocked": blocked,
            "problems": problems or {},
            "failed": failed,
            "answers": answers or {},  # what the refused form said, shown again
        },
        status,
    )


@router.get("/{city}/account/offers", response_model=None)
def offers(request: Request, city: CurrentCity, db: DbSession) -> Response:
    persons = _persons(request, db, city)
    if persons is None:
        return RedirectResponse(f"/{city.slug}/account?lang={request.state.lang}", 303)
    return _offers_page(request, db, city, persons)


def _act(
    request: Request,
    db: Session,
    city: City,
    csrf: str,
    decision_id: int,
    work: Any,
    answers: dict[str, str] | None = None,
) -> Response:
    require_csrf(request, csrf)
    persons = _persons(request, db, city)
    if persons is None:
        return RedirectResponse(f"/{city.slug}/account?lang={request.state.lang}", 303)
    try:
        work(persons)
    except CivitasError as exc:
        db.rollback()
        problems = problems_by_field(request.state.lang, exc, fallback=f"d{decision_id}")
        return _offers_page(
            request,
            db,
            city,
            persons,
            problems=problems,
            failed=decision_id,
            answers=answers,
            status=exc.status,
        )
    db.commit()
    return RedirectResponse(
        f"/{city.slug}/account/offers?lang={request.state.lang}#d{decision_id}", 303
    )


Token = Annotated[str, Form(max_length=128)]


@router.post("/{city}/account/offers/{decision_id}/accept", response_model=None)
def accept(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    decision_id: RowId,
    csrf: Token = "",
    iban: Annotated[str, Form(max_length=60)] = "",
) -> Response:
    return _act(
        request,
        db,
        city,
        csrf,
        decision_id,
        lambda persons: service.accept(
            db, city, decision_id, person_ids=persons, iban=iban, actor="resident"
        ),
        answers={"iban": iban},
    )


@router.post("/{city}/account/offers/{decision_id}/decline", response_model=None)
def decline(
    request: Request, city: CurrentCity, db: DbSession, decision_id: RowId, csrf: Token = ""
) -> Response:
    return _act(
        request,
        db,
        city,
        csrf,
        decision_id,
        lambda persons: service.decline(
            db, city, decision_id, person_ids=persons, actor="resident"
        ),
    )


@router.post("/{city}/account/offers/{decision_id}/review", response_model=None)
def ask_for_review(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    decision_id: RowId,
    csrf: Token = "",
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    return _act(
        request,
        db,
        city,
        csrf,
        decision_id,
        lambda persons: service.request_review(
            db, city, decision_id, person_ids=persons, note=note, actor="resident"
        ),
    )


@router.post("/{city}/account/opt-out", response_model=None)
def opt_out(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    csrf: Token = "",
    rule: Annotated[str, Form(max_length=60)] = "*",
    action: Annotated[str, Form(max_length=3)] = "out",
) -> Response:
    require_csrf(request, csrf)
    persons = _persons(request, db, city)
    if not persons:
        return RedirectResponse(f"/{city.slug}/account?lang={request.state.lang}", 303)
    change = service.opt_in if action == "in" else service.opt_out
    try:
        for person in persons:  # the resident and the children they act for
            change(db, city, person, rule_code=rule, actor="resident")
    except CivitasError:
        db.rollback()
        return RedirectResponse(f"/{city.slug}/account/offers?lang={request.state.lang}", 303)
    db.commit()
    return RedirectResponse(f"/{city.slug}/account/offers?lang={request.state.lang}#opt-out", 303)


@router.get("/{city}/account/data-log", response_model=None)
def data_log(request: Request, city: CurrentCity, db: DbSession) -> Response:
    persons = _persons(request, db, city)
    if persons is None:
        return RedirectResponse(f"/{city.slug}/account?lang={request.state.lang}", 303)
    lang = request.state.lang
    names = service.person_names(db, city, persons)
    services = {r.code: pick(v.definition.get("name"), lang) for r, v in list_rules(db, city)}
    entries = []
    for person in persons:
        for e in service.data_log(db, city, person):
            proactive = e.purpose.startswith("proactive:")
            entries.append(
                {
                    "at": e.at,
                    "whose": names.get(person, "") if len(persons) > 1 else "",
                    "who": translate(lang, N_("Automatic check"))
                    if e.actor_kind == "rule"
                    else translate(lang, e.actor),  # a message id, or a name as it is
                    "why": translate(lang, N_("Checking what you are entitled to"))
                    if proactive
                    else translate(lang, e.purpose),
                    "services": [
                        services.get(c.strip(), c.strip())
                        for c in (e.detail or "").split(",")
                        if c.strip()
                    ]
                    if proactive
                    else [],
                    "detail": "" if proactive else (e.detail or ""),
                    "data": [_data_label(d, lang) for d in e.data],
                }
            )
    entries.sort(key=lambda x: x["at"], reverse=True)
    return page(request, "residents/data_log.html", {"entries": entries, "known": bool(persons)})


DATA_LABELS = {
    "identity": N_("name and birth date"),
    "contact": N_("contact details"),
    "address": N_("address"),
    "household": N_("household"),
    "income": N_("income"),
    "decision": N_("a decision about you"),
    "explanation": N_("its explanation"),
    "access log": N_("this log"),
}


def _data_label(name: str, lang: str) -> str:
    if name in FIELDS:
        return pick(FIELDS[name].label, lang)
    return translate(lang, DATA_LABELS[name]) if name in DATA_LABELS else name
