"""What other domains' events start here: a closed request invites its reporter to rate it."""

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
