"""The network's background work: each morning the e-mail digests that are due (daily
or weekly, by each participant's choice) go to the outbox of the participant's city, and
each night the measured effects of practices are recomputed from the cities' figures."""

from __future__ import annotations

from datetime import datetime

import structlog
from huey import crontab
from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.accounts.models import User
from civitas.cities.models import City
from civitas.cities.service import each_city
from civitas.core.config import get_settings
from civitas.core.i18n import N_, NP_, pick, translate
from civitas.core.jobs import huey
from civitas.network import community, practices
from civitas.network.models import Group, Profile
from civitas.notifications.service import enqueue_email

log = structlog.get_logger("civitas.jobs")

KINDS = {
    "discussion": N_("New discussion"),
    "answer": N_("New answers"),
    "event": N_("New event"),
}


def digest_text(
    db: Session, city: City, profile: Profile, items: list[community.DigestItem], lang: str
) -> tuple[str, str]:
    """The digest's subject and body in the participant's language."""
    base = f"{get_settings().public_url}/{city.slug}/network"
    names = {str(g.id): pick(g.name, lang) for g in db.scalars(select(Group))}
    lines = [translate(lang, N_("Hello {name},"), name=profile.full_name), ""]
    lines.append(translate(lang, N_("What happened in your groups of the learning network:")))
    by_group: dict[str, list[community.DigestItem]] = {}
    for item in items:
        by_group.setdefault(item.group, []).append(item)
    for group, found in by_group.items():
        lines += ["", names.get(group, ""), "-" * len(names.get(group, ""))]
        for item in found:
            lines.append(f"- {translate(lang, KINDS[item.kind])}: {item.title}")
            lines.append(f"  {base}/{item.path}?lang={lang}")
    lines += [
        "",
        translate(
            lang,
            N_("Change how often you get this e-mail: {url}"),
            url=f"{base}/profile?lang={lang}",
        ),
    ]
    subject = translate(
        lang,
        NP_(
            "Learning network: {count} new item in your groups",
            "Learning network: {count} new items in your groups",
        ),
        count=len(items),
    )
    return subject, "\n".join(lines)


def send_digests(db: Session, city: City, now: datetime) -> int:
    """Queue the digests of the city's participants that are due; a participant with
    nothing new gets none (and is asked again next time from the same moment)."""
    sent = 0
    for profile in db.scalars(select(Profile).where(Profile.city_id == city.id)):
        since = community.digest_due(profile, now)
        if since is None or profile.email is None:
            continue
        items = community.digest_items(db, profile, since)
        if not items:
            continue
        user = db.scalar(select(User).where(User.username == profile.username))
        lang = (user.language if user and user.language else None) or city.default_language
        subject, body = digest_text(db, city, profile, items, lang)
        if enqueue_email(
            db,
            city,
            dedupe_key=f"network-digest:{profile.id}:{now:%Y-%m-%d}",
            recipient=profile.email,
            subject=subject,
            body=body,
            language=lang,
        ):
            sent += 1
        profile.last_digest_at = now
    return sent


def _refresh(db: Session, city: City, now: datetime) -> int:
    return practices.refresh(db, city)


@huey.periodic_task(crontab(minute="30", hour="6"))  # type: ignore[untyped-decorator]
def network_digests() -> int:
    sent = each_city("network", send_digests)
    if sent:
        log.info("network.digests", count=sent)
    return sent


@huey.periodic_task(crontab(minute="41", hour="2"))  # type: ignore[untyped-decorator]
def refresh_effects() -> int:
    return each_city("network", _refresh)
