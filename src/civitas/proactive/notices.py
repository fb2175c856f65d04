"""Telling residents about their decisions: a plain-language reason in their language, by
e-mail through the outbox (once per decision), and the same text on "My offers"."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import events
from civitas.core.config import get_settings
from civitas.core.db import utcnow
from civitas.core.i18n import N_, format_money, locale_for, pick, translate
from civitas.core.security import survey_token
from civitas.core.tenancy import bind_city
from civitas.notifications.service import enqueue_email
from civitas.proactive.features import FIELDS
from civitas.proactive.models import Decision, RuleVersion
from civitas.register.models import PersonState

PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_.]*)\}")

STATUS_TEXT = {
    "offered": N_("Offered to you"),
    "granted": N_("Granted"),
    "referred": N_("Being checked by a member of staff"),
    "accepted": N_("Accepted"),
    "declined": N_("Declined"),
    "review_requested": N_("Review requested"),
    "withdrawn": N_("Withdrawn after review"),
}


def _shown(value: Any, lang: str, city: City, name: str) -> str:
    if value is None:
        return translate(lang, N_("unknown"))
    if isinstance(value, bool):
        return translate(lang, N_("yes") if value else N_("no"))
    if name in ("income", "household_income") or name.endswith("amount"):
        return format_money(int(value), city.currency, locale_for(lang, city.country))
    return str(value)


def reason_text(decision: Decision, definition: dict[str, Any], lang: str, city: City) -> str:
    """The rule's reason in the reader's language, with the values used filled in."""
    explanation = decision.explanation
    values: dict[str, Any] = dict(explanation.get("values") or {})
    for name, param in (explanation.get("parameters") or {}).items():
        values[name] = param.get("value")
    template = pick(definition.get("reason"), lang)
    return PLACEHOLDER.sub(
        lambda m: _shown(values.get(m.group(1)), lang, city, m.group(1)), template
    )


def conditions(decision: Decision, lang: str, city: City) -> list[dict[str, Any]]:
    """Each condition with its result and the values read, labelled in the reader's language
    (what staff and the resident see under "why")."""
    explanation = decision.explanation
    results = explanation.get("results") or []
    out = []
    params = explanation.get("parameters") or {}
    for i, text in enumerate(explanation.get("clauses") or []):
        names = sorted(set(re.findall(r"[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*", text)))
        used = []
        for name in names:
            if name in FIELDS:
                used.append(
                    (
                        pick(FIELDS[name].label, lang),
                        _shown((explanation.get("values") or {}).get(name), lang, city, name),
                    )
                )
            elif name in params:
                used.append((name, _shown(params[name].get("value"), lang, city, name)))
        out.append({"text": text, "result": results[i] if i < len(results) else None, "used": used})
    return out


def _subject(status: str) -> str:
    if status == "granted":
        return N_("{city}: you receive {service}")
    if status == "offered":
        return N_("{city}: an offer for you: {service}")
    return N_("{city}: we are checking whether {service} applies to you")


def _body(decision: Decision, definition: dict[str, Any], lang: str, city: City) -> str:
    service = pick(definition.get("name"), lang)
    lines = [translate(lang, N_("Hello,"))]
    if decision.status == "granted":
        lines.append(
            translate(
                lang,
                N_(
                    "From the data the city already holds, you are "
                    "entitled to {service}. You do not need to apply."
                ),
                service=service,
            )
        )
    elif decision.status == "offered":
        lines.append(
            translate(
                lang,
                N_(
                    "From the data the city already holds, we can offer "
                    "you {service}. Accept or decline it online."
                ),
                service=service,
            )
        )
    else:
        lines.append(
            translate(
                lang,
                N_(
                    "A member of staff is checking whether {service} "
                    "applies to you; you will hear from us."
                ),
                service=service,
            )
        )
    lines.append(
        translate(lang, N_("Why: {reason}"), reason=reason_text(decision, definition, lang, city))
    )
    if decision.amount_minor:
        amount = format_money(
            decision.amount_minor,
            decision.currency or city.currency,
            locale_for(lang, city.country),
        )
        if definition.get("payment") == "from_resident":
            template = N_("Fee: {amount}, collected by direct debit once you accept.")
        else:
            template = N_("Amount: {amount}")
        lines.append(translate(lang, template, amount=amount))
    url = f"{get_settings().public_url.rstrip('/')}/{city.slug}/account/offers?lang={lang}"
    lines.append(
        translate(
            lang, N_("See the details, object or ask for a review by a person: {url}"), url=url
        )
    )
    lines.append(
        translate(
            lang, N_("You can tell us not to check you for this service again on the same page.")
        )
    )
    if decision.status == "granted":
        survey = f"{get_settings().public_url.rstrip('/')}/{city.slug}/survey/"
        survey += survey_token(city.id, "decision", decision.id) + f"?lang={lang}"
        lines.append(
            translate(
                lang, N_("How did it go? Three short questions, anonymous: {url}"), url=survey
            )
        )
    lines.append(city.name)
    return "\n\n".join(lines) + "\n"


def notify(
    db: Session,
    city: City,
    decisions: Sequence[Decision],
    *,
    definitions: dict[int, dict[str, Any]] | None = None,
) -> int:
    """Queue one e-mail per decision whose addressee has an address, in the caller's
    transaction, and mark the decisions notified (so nothing is sent twice). Decisions made
    in this transaction come notified already and need no update; ``definitions`` (rule
    version id -> definition) saves reading the versions again."""
    enter_city(db, city)
    if not decisions:
        return 0
    addressees = {d.addressee_id for d in decisions}
    contacts = {
        pid: (email, language)
        for pid, email, language in db.execute(
            select(PersonState.person_id, PersonState.email, PersonState.language).where(
                PersonState.person_id.in_(addressees), PersonState.valid_to.is_(None)
            )
        ).all()
    }
    versions = dict(definitions or {})
    missing = {d.rule_version_id for d in decisions} - set(versions)
    if missing:
        versions.update(
            (v.id, v.definition)
            for v in db.scalars(select(RuleVersion).where(RuleVersion.id.in_(missing)))
        )
    sent = 0
    now = utcnow()
    for decision in decisions:
        if decision.notified_at is None:
            decision.notified_at = now
        email, language = contacts.get(decision.addressee_id, (None, None))
        if not email:
            continue  # a letter goes out through the city's print service (not built here)
        lang = language if language in city.languages else city.default_language
        definition = versions[decision.rule_version_id]
        if decision.status == "granted":  # its notice carries the survey link
            events.publish(
                "benefit.delivered",
                db=db,
                city=city,
                decision=decision,
                language=lang,
                service=pick(definition.get("name"), lang),
                email=None,
            )
        enqueue_email(
            db,
            city,
            dedupe_key=f"decision:{decision.id}",
            recipient=email,
            subject=translate(
                lang,
                _subject(decision.status),
                city=city.name,
                service=pick(definition.get("name"), lang),
            ),
            body=_body(decision, definition, lang, city),
            language=lang,
            new_key=True,  # one key per decision, and each decision is notified once
        )
        sent += 1
    return sent


def notify_pending(engine: Engine, city: City, *, chunk: int = 2000) -> int:
    """Notify every decision not yet notified (after a batch), a chunk per transaction."""
    total = 0
    while True:
        with Session(engine, expire_on_commit=False) as db:
            bind_city(db, city.id)
            decisions = list(
                db.scalars(
                    select(Decision)
                    .where(Decision.notified_at.is_(None))
                    .order_by(Decision.id)
                    .limit(chunk)
                )
            )
            if not decisions:
                return total
            total += notify(db, city, decisions)
            db.commit()
