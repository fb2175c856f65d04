"""What other domains' events start here: a closed request invites its reporter to rate it;
a delivered benefit invites the person it was delivered to."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.core.events import subscribe
from civitas.core.i18n import N_, translate

RATED = ("resolved", "closed")  # not rejected or merged: there was a service to rate


@subscribe("case.closed")
def invite_reporter(*, db: Session, city: City, request: Any) -> None:
    from civitas.insight.service import invite

    if request.status not in RATED:
        return
    lang = request.language or city.default_language
    invite(
        db,
        city,
        subject_type="request",
        subject_id=request.id,
        service_id=request.service_id,
        department_id=request.department_id,
        channel=request.channel,
        language=lang,
        email=request.email,
        what=translate(lang, N_("your request {number}"), number=request.number),
    )


@subscribe("benefit.delivered")
def invite_beneficiary(
    *, db: Session, city: City, decision: Any, language: str, service: str, email: str | None
) -> None:
    """A benefit granted without application, or an offer accepted: how did it go? The
    link goes out with the benefit's notice (``email`` None) or in a mail of its own."""
    from civitas.insight.service import invite

    invite(
        db,
        city,
        subject_type="decision",
        subject_id=decision.id,
        service_id=None,
        department_id=None,
        channel="proactive",
        language=language,
        email=email,
        what=service,
    )
