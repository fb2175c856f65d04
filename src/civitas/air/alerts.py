"""Residents' air-quality alerts for an area (double opt-in, like the request alerts):
an e-mail when an episode begins — the worst station within the area reaches the
chosen band of the city's index or worse — and one when it is over, never one per
hour. An episode is over once the area has stayed below the band for ``CALM_HOURS``
hours running, so a value wavering around a limit does not send a mail each time."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civitas.air import indices
from civitas.air.current import Now, area_level, now_values
from civitas.air.models import AirAlert
from civitas.air.sensors import settings_of
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.config import get_settings
from civitas.core.db import utcnow
from civitas.core.errors import InvalidInput, NotFound, Problem
from civitas.core.i18n import N_, translate
from civitas.core.security import sign, signature_ok
from civitas.notifications.service import enqueue_email
from civitas.residents.service import normalised_email

MAX_PER_ADDRESS = 10
RADII = (500, 1000, 2000, 5000)
CALM_HOURS = 3


def link_key(alert: AirAlert) -> str:
    return sign(get_settings().secret_key, f"air-alert:{alert.id}:{alert.email}")


def link(city: City, alert: AirAlert, lang: str) -> str:
    base = get_settings().public_url.rstrip("/")
    return f"{base}/{city.slug}/air/alerts/{alert.id}/{link_key(alert)}?lang={lang}"


def default_threshold(scale: str) -> int:
    """The first band whose advice concerns sensitive groups (level 3 or worse)."""
    bands = indices.scale(scale).bands["pm25"]
    return next(i for i, b in enumerate(bands, start=1) if b.level >= 3)


def subscribe(
    db: Session,
    city: City,
    *,
    email: str,
    lat: float,
    lon: float,
    radius_m: int,
    threshold: int,
    label: str,
    language: str,
) -> AirAlert:
    enter_city(db, city)
    scale = settings_of(db, city).scale
    bands = indices.scale(scale).bands["pm25"]
    problems = []
    if radius_m not in RADII:
        problems.append(
            Problem(
                "radius",
                N_("Choose one of: {choices}."),
                {"choices": ", ".join(f"{r} m" for r in RADII)},
            )
        )
    if not 2 <= threshold <= len(bands):
        problems.append(Problem("threshold", N_("Choose a band from the list.")))
    if not (
        city.min_lat - 0.2 <= lat <= city.max_lat + 0.2
        and city.min_lon - 0.2 <= lon <= city.max_lon + 0.2
    ):
        problems.append(Problem("place", N_("Choose a place in {city}."), {"city": city.name}))
    address = ""
    try:
        address = normalised_email(email)
    except InvalidInput:
        problems.append(Problem("email", N_("Give an e-mail address such as name@example.org.")))
    if problems:
        raise InvalidInput(N_("The alert was not set up."), problems=problems)
    count = db.scalar(select(func.count(AirAlert.id)).where(AirAlert.email == address)) or 0
    if count >= MAX_PER_ADDRESS:
        raise InvalidInput(
            N_("Too many alerts for this address."),
            problems=[
                Problem(
                    "email",
                    N_("This address has {count} alerts already; stop one first."),
                    {"count": MAX_PER_ADDRESS},
                )
            ],
        )
    alert = AirAlert(
        tenant_id=city.id,
        email=address,
        lat=lat,
        lon=lon,
        radius_m=radius_m,
        threshold=threshold,
        label=label[:300],
        language=language,
    )
    db.add(alert)
    db.flush()
    band = translate(language, bands[threshold - 1].label)
    enqueue_email(
        db,
        city,
        dedupe_key=f"air-alert-confirm:{alert.id}",
        recipient=address,
        subject=translate(
            language, N_("Confirm your air-quality alerts for {place}"), place=alert.label
        ),
        body=translate(
            language,
            N_(
                "Someone, hopefully you, asked {city} to e-mail this address when the air "
                'within {radius} m of {place} reaches "{band}" or worse.\n\nConfirm it '
                "here: {link}\n\nIf it was not you, do nothing: no mail will follow."
            ),
            city=city.name,
            radius=radius_m,
            place=alert.label,
            band=band,
            link=link(city, alert, language),
        ),
        language=language,
        new_key=True,
    )
    return alert


def by_link(db: Session, city: City, alert_id: int, key: str) -> AirAlert:
    enter_city(db, city)
    found = db.get(AirAlert, alert_id)
    if found is None or not signature_ok(
        get_settings().secret_key, f"air-alert:{found.id}:{found.email}", key
    ):
        raise NotFound(N_("This alert does not exist (any more)."))
    return found


def confirm(db: Session, city: City, alert_id: int, key: str) -> AirAlert:
    alert = by_link(db, city, alert_id, key)
    if alert.confirmed_at is None:
        alert.confirmed_at = utcnow()
    return alert


def stop(db: Session, city: City, alert_id: int, key: str) -> None:
    db.delete(by_link(db, city, alert_id, key))


def check(
    db: Session, city: City, *, at: datetime | None = None, values: list[Now] | None = None
) -> int:
    """Look at every confirmed alert against the stations now; returns the mails queued."""
    enter_city(db, city)
    at = at or utcnow()
    values = values if values is not None else now_values(db, city, at=at)
    scale = settings_of(db, city).scale
    bands = indices.scale(scale).bands["pm25"]
    base = get_settings().public_url.rstrip("/")
    sent = 0
    for alert in db.scalars(select(AirAlert).where(AirAlert.confirmed_at.is_not(None))):
        level, station = area_level(values, alert.lat, alert.lon, alert.radius_m)
        lang = alert.language
        if level >= alert.threshold and station is not None and station.index is not None:
            alert.below_since = None
            if alert.episode_since is None:
                alert.episode_since = at
                alert.episode_worst = level
                alert.episodes += 1
                band = bands[level - 1]
                enqueue_email(
                    db,
                    city,
                    dedupe_key=f"air-alert:{alert.id}:{alert.episodes}:start",
                    recipient=alert.email,
                    subject=translate(
                        lang,
                        N_("Air quality near {place}: {band}"),
                        place=alert.label,
                        band=translate(lang, band.label),
                    ),
                    body=translate(
                        lang,
                        N_(
                            'The air within {radius} m of {place} is now "{band}" on the '
                            "{scale} (PM2.5 {value} µg/m³ at {station}, corrected, the last "
                            "hours' NowCast).\n\n{advice}\n\nThe stations and their figures: "
                            "{page}\n\nYou will get one more e-mail when the episode is over. "
                            "Stop these e-mails: {stop}"
                        ),
                        radius=alert.radius_m,
                        place=alert.label,
                        band=translate(lang, band.label),
                        scale=translate(lang, indices.scale(scale).title),
                        value=f"{station.pm25:.1f}",
                        station=station.sensor.name,
                        advice=translate(lang, indices.ADVICE[band.level]),
                        page=f"{base}/{city.slug}/air?lang={lang}",
                        stop=link(city, alert, lang),
                    ),
                    language=lang,
                    new_key=True,
                )
                sent += 1
            else:
                alert.episode_worst = max(alert.episode_worst, level)
        elif alert.episode_since is not None:
            if alert.below_since is None:
                alert.below_since = at
            elif at - alert.below_since >= timedelta(hours=CALM_HOURS):
                enqueue_email(
                    db,
                    city,
                    dedupe_key=f"air-alert:{alert.id}:{alert.episodes}:end",
                    recipient=alert.email,
                    subject=translate(
                        lang, N_("Air quality near {place}: the episode is over"), place=alert.label
                    ),
                    body=translate(
                        lang,
                        N_(
                            "The air within {radius} m of {place} has been better than "
                            '"{band}" for {hours} hours.\n\nThe stations and their '
                            "figures: {page}\n\nStop these e-mails: {stop}"
                        ),
                        radius=alert.radius_m,
                        place=alert.label,
                        band=translate(lang, bands[alert.threshold - 1].label),
                        hours=CALM_HOURS,
                        page=f"{base}/{city.slug}/air?lang={lang}",
                        stop=link(city, alert, lang),
                    ),
                    language=lang,
                    new_key=True,
                )
                sent += 1
                alert.episode_since = None
                alert.below_since = None
                alert.episode_worst = 0
    db.flush()
    return sent
