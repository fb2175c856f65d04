"""E-mail alerts of new requests around a place (FixMyStreet's local alerts): asked for
on the map of requests, confirmed from the mailbox (double opt-in), stopped with the link
in every mail. A request is announced only as the public sees it: a service never shown
in public is never announced, a coarse one by its grid cell."""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civitas.cases.models import AreaAlert, ServiceRequest
from civitas.cases.publicity import public_place
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.config import get_settings
from civitas.core.db import utcnow
from civitas.core.errors import InvalidInput, NotFound, Problem
from civitas.core.geo import haversine_m
from civitas.core.i18n import N_, pick, translate
from civitas.core.security import sign, signature_ok
from civitas.notifications.service import enqueue_email
from civitas.residents.service import normalised_email

MAX_PER_ADDRESS = 10
MAX_RADIUS_M = 2000  # the largest area one can ask about


def link_key(alert: AreaAlert) -> str:
    """The key in an alert's links: signed over the alert and its address."""
    return sign(get_settings().secret_key, f"area-alert:{alert.id}:{alert.email}")


def _link(city: City, alert: AreaAlert, lang: str) -> str:
    base = get_settings().public_url.rstrip("/")
    return f"{base}/{city.slug}/alerts/{alert.id}/{link_key(alert)}?lang={lang}"


def subscribe(
    db: Session,
    city: City,
    *,
    email: str,
    lat: float,
    long: float,
    radius_m: int,
    label: str,
    language: str,
) -> AreaAlert:
    """Ask for alerts: nothing is sent until the link in the confirmation mail is used."""
    enter_city(db, city)
    address = normalised_email(email)
    count = db.scalar(select(func.count(AreaAlert.id)).where(AreaAlert.email == address)) or 0
    if count >= MAX_PER_ADDRESS:
        raise InvalidInput(
            "Too many alerts for this address.",
            problems=[
                Problem(
                    "email",
                    N_("This address has {count} alerts already; stop one first."),
                    {"count": MAX_PER_ADDRESS},
                )
            ],
        )
    alert = AreaAlert(
        email=address,
        lat=lat,
        long=long,
        radius_m=radius_m,
        label=label[:300],
        language=language,
    )
    db.add(alert)
    db.flush()
    enqueue_email(
        db,
        city,
        dedupe_key=f"alert-confirm:{alert.id}",
        recipient=address,
        subject=translate(language, N_("Confirm your alerts for {place}"), place=alert.label),
        body=translate(
            language,
            N_(
                "Someone, hopefully you, asked {city} to e-mail this address when a new "
                "request is reported within {radius} m of {place}.\n\nConfirm it here: "
                "{link}\n\nIf it was not you, do nothing: no mail will follow."
            ),
            city=city.name,
            radius=radius_m,
            place=alert.label,
            link=_link(city, alert, language),
        ),
        language=language,
        new_key=True,
    )
    return alert


def by_link(db: Session, city: City, alert_id: int, key: str) -> AreaAlert:
    """The alert a mail's link names (a wrong key is as if there were none)."""
    enter_city(db, city)
    found = db.get(AreaAlert, alert_id)
    if found is None or not signature_ok(
        get_settings().secret_key, f"area-alert:{found.id}:{found.email}", key
    ):
        raise NotFound("This alert does not exist (any more).")
    return found


def confirm(
    db: Session, city: City, alert_id: int, key: str, *, now: datetime | None = None
) -> AreaAlert:
    alert = by_link(db, city, alert_id, key)
    if alert.confirmed_at is None:
        alert.confirmed_at = now or utcnow()
    return alert


def stop(db: Session, city: City, alert_id: int, key: str) -> None:
    db.delete(by_link(db, city, alert_id, key))


def announce(db: Session, city: City, request: ServiceRequest) -> int:
    """Write an alert to everyone whose confirmed area holds the new request, as the public
    sees it (in the caller's transaction, through the outbox). Returns how many."""
    place = public_place(request.service.public_location, request)
    if place.lat is None or place.long is None:
        return 0
    enter_city(db, city)
    sent = 0
    base = get_settings().public_url.rstrip("/")
    # only alerts whose centre can be within reach (2 km at most) are looked at
    dlat = MAX_RADIUS_M / 111_320.0
    dlon = dlat / max(math.cos(math.radians(place.lat)), 0.01)
    near = select(AreaAlert).where(
        AreaAlert.confirmed_at.is_not(None),
        AreaAlert.lat.between(place.lat - dlat, place.lat + dlat),
        AreaAlert.long.between(place.long - dlon, place.long + dlon),
    )
    for alert in db.scalars(near):
        if haversine_m((alert.lat, alert.long), (place.lat, place.long)) > alert.radius_m:
            continue
        lang = alert.language
        service = pick(request.service.name, lang, city.default_language)
        enqueue_email(
            db,
            city,
            dedupe_key=f"alert:{alert.id}:{request.id}",
            recipient=alert.email,
            subject=translate(
                lang, N_("New near {place}: {service}"), place=alert.label, service=service
            ),
            body=translate(
                lang,
                N_(
                    "A new request was reported within {radius} m of {place}:\n\n"
                    "{service}{where}\n{link}\n\nStop these e-mails: {stop}"
                ),
                radius=alert.radius_m,
                place=alert.label,
                service=service,
                where=f", {place.address}" if place.address else "",
                link=f"{base}/{city.slug}/requests/{request.number}?lang={lang}",
                stop=_link(city, alert, lang),
            ),
            language=lang,
            new_key=True,
        )
        sent += 1
    return sent
