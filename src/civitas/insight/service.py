"""Satisfaction surveys, the city first: invite once per experience, answer once per
invitation (the link's token is the only key and is stored hashed), screen free text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from civitas.catalogue.models import Service
from civitas.cities.models import City, Department
from civitas.cities.service import enter_city
from civitas.core.config import get_settings
from civitas.core.db import utcnow
from civitas.core.errors import Conflict, NotFound
from civitas.core.i18n import N_, pick, translate
from civitas.core.security import survey_token, token_digest
from civitas.insight.models import (
    PageFeedback,
    ScorecardVersion,
    SurveyInvitation,
    SurveyResponse,
)
from civitas.insight.privacy import WORD, screen
from civitas.insight.schemas import SurveyAnswer
from civitas.notifications.service import enqueue_email
from civitas.register.models import PersonState

LIFETIME = timedelta(days=60)


def invite(
    db: Session,
    city: City,
    *,
    subject_type: str,
    subject_id: int,
    service_id: int | None,
    department_id: int | None,
    channel: str,
    language: str,
    email: str | None,
    what: str,
) -> str | None:
    """Create the invitation (once per subject) and mail its link; returns the raw token,
    or None when the subject was invited before."""
    enter_city(db, city)
    known = db.scalar(
        select(SurveyInvitation.id).where(
            SurveyInvitation.subject_type == subject_type,
            SurveyInvitation.subject_id == subject_id,
        )
    )
    if known is not None:
        return None
    raw = survey_token(city.id, subject_type, subject_id)
    lang = language if language in city.languages else city.default_language
    invitation = SurveyInvitation(
        token_hash=token_digest(raw),
        subject_type=subject_type,
        subject_id=subject_id,
        service_id=service_id,
        department_id=department_id,
        channel=channel,
        language=lang,
        expires_at=utcnow() + LIFETIME,
    )
    db.add(invitation)
    db.flush()
    if email:
        link = f"{get_settings().public_url.rstrip('/')}/{city.slug}/survey/{raw}?lang={lang}"
        body = "\n\n".join(
            [
                translate(lang, N_("Hello,")),
                translate(
                    lang,
                    N_(
                        "How did it go with {what}? Three short questions, "
                        "two minutes, anonymous for the staff who helped you."
                    ),
                    what=what,
                ),
                link,
                translate(lang, N_("The link works once, for 60 days.")),
                city.name,
            ]
        )
        enqueue_email(
            db,
            city,
            dedupe_key=f"survey:{invitation.id}",
            recipient=email,
            subject=translate(lang, N_("{city}: how did we do?"), city=city.name),
            body=body + "\n",
            language=lang,
            new_key=True,
        )
    return raw


def invitation_for(db: Session, city: City, raw: str) -> SurveyInvitation:
    enter_city(db, city)
    found = db.scalar(
        select(SurveyInvitation).where(SurveyInvitation.token_hash == token_digest(raw))
    )
    if found is None or found.expires_at < utcnow():
        raise NotFound("This survey link is not valid (any more).")
    return found


def _register_names(db: Session, text: str) -> set[str]:
    """The capitalised words of the text that are names in the city's register."""
    words = {w.casefold() for w in WORD.findall(text) if w[:1].isupper()}
    if not words:
        return set()
    given = func.lower(PersonState.given_names)
    family = func.lower(PersonState.family_name)
    found: set[str] = set()
    for given_names, family_name in db.execute(
        select(PersonState.given_names, PersonState.family_name)
        .where(
            PersonState.valid_to.is_(None),
            or_(
                family.in_(words),
                given.in_(words),
                *(given.like(f"{w} %") for w in sorted(words)[:50]),
            ),
        )
        .limit(500)
    ).all():
        found.update(p for p in f"{given_names} {family_name}".split() if p.casefold() in words)
    return found


def respond(db: Session, city: City, raw: str, answer: SurveyAnswer) -> SurveyResponse:
    """The one answer to an invitation; a second is refused."""
    invitation = invitation_for(db, city, raw)
    if invitation.responded_at is not None:
        raise Conflict("This survey was answered already; thank you.")
    screened = None
    if answer.comment:
        screened, _ = screen(answer.comment, _register_names(db, answer.comment))
    response = SurveyResponse(
        invitation_id=invitation.id,
        rating=answer.rating,
        effort=answer.effort,
        recommend=answer.recommend,
        drivers=answer.drivers.model_dump(exclude_none=True),
        comment=answer.comment or None,
        comment_screened=screened,
        age_band=answer.age_band,
        gender=answer.gender,
        accessibility_needs=answer.accessibility_needs,
    )
    invitation.responded_at = utcnow()
    db.add(response)
    db.flush()
    return response


def record_page_feedback(
    db: Session, city: City, *, page: str, service_id: int | None, helpful: bool
) -> None:
    enter_city(db, city)
    db.add(PageFeedback(page=page[:200], service_id=service_id, helpful=helpful))


def refresh_figures(db: Session, city: City, months: list[str], *, actor: str) -> int:
    """Recompute the months' KPIs and republish the city's chosen figures to the network,
    in the caller's transaction."""
    from civitas.insight import figures, network

    written = figures.refresh(db, city, months, actor=actor)
    network.publish(db, city, months)
    return written


def open_survey(db: Session, city: City, subject_type: str, subject_id: int) -> str | None:
    """The survey link's token for an experience, while it can still be answered."""
    enter_city(db, city)
    raw = survey_token(city.id, subject_type, subject_id)
    found = db.scalar(
        select(SurveyInvitation).where(SurveyInvitation.token_hash == token_digest(raw))
    )
    if found is None or found.responded_at is not None or found.expires_at < utcnow():
        return None
    return raw


@dataclass(frozen=True)
class Comment:
    at: datetime
    rating: int
    service: str | None
    department: str | None
    text: str
    screened: bool  # True: personal data replaced (the reader is not of the department)


def comments(
    db: Session, city: City, *, department_id: int | None, days: int = 90
) -> list[Comment]:
    """The free text of recent survey answers. The department that handled the case reads
    what was written; everyone else reads it screened for personal data."""
    enter_city(db, city)
    stmt = (
        select(SurveyResponse, SurveyInvitation, Service.name, Department.code)
        .join(SurveyInvitation, SurveyInvitation.id == SurveyResponse.invitation_id)
        .outerjoin(Service, Service.id == SurveyInvitation.service_id)
        .outerjoin(Department, Department.id == SurveyInvitation.department_id)
        .where(
            SurveyResponse.comment.is_not(None),
            SurveyResponse.created_at >= utcnow() - timedelta(days=days),
        )
        .order_by(SurveyResponse.created_at.desc())
        .limit(500)
    )
    out = []
    for response, invitation, name, department in db.execute(stmt):
        own = department_id is not None and invitation.department_id == department_id
        out.append(
            Comment(
                at=response.created_at,
                rating=response.rating,
                service=pick(name, city.default_language) if name else None,
                department=department,
                text=(response.comment if own else response.comment_screened) or "",
                screened=not own,
            )
        )
    return out


def record_figure(
    db: Session, city: City, *, kpi: str, month: str, value: float, actor: str
) -> None:
    """A figure entered by hand, republished to the network if the city shares it."""
    from civitas.insight import figures, network

    row = figures.record_manual(db, city, kpi=kpi, month=month, value=value, actor=actor)
    network.publish(db, city, [row.period])


def save_scorecard(db: Session, city: City, *, text: str, actor: str) -> ScorecardVersion:
    """Save the scorecard, then publish what it now shares (and withdraw what it no longer
    does) for the last twelve months."""
    from civitas.insight import figures, network, scorecard

    row = scorecard.save(db, city, text=text, actor=actor)
    network.publish(db, city, figures.months_back(city, figures.current_month(city), 12))
    return row
