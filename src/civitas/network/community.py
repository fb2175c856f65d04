"""Communities of practice: participants (city staff under their own name and city, and
outside experts under their organisation), topic groups with members and moderators,
discussions whose answer can be accepted, events with registration, minutes and the
practices and projects they led to, and an e-mail digest daily or weekly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civitas.accounts.models import User
from civitas.accounts.service import Principal
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.db import utcnow
from civitas.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from civitas.core.i18n import N_
from civitas.network.models import (
    Discussion,
    Event,
    Group,
    Membership,
    Post,
    Practice,
    Profile,
    Project,
    Registration,
)
from civitas.network.permissions import NETWORK_EXPERT
from civitas.network.permissions import NetworkPermission as P

DIGESTS = {
    "none": N_("No e-mail"),
    "daily": N_("Daily"),
    "weekly": N_("Weekly"),
}
MODES = {"online": N_("Online"), "on_site": N_("On site")}
MAX_BODY = 20_000


def refuse(field: str, message: str, **params: Any) -> InvalidInput:
    """A refusal of one field: the message is also the problem's."""
    return InvalidInput(message, problems=[Problem(field, message, params)], **params)


def _text(value: str, field: str, *, limit: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise refuse(field, N_("Write something here."))
    if len(value) > limit:
        raise refuse(field, N_("Write at most {limit} characters."), limit=limit)
    return value


# -- participants ---------------------------------------------------------------------


def me(db: Session, city: City, principal: Principal, *, keep: bool = True) -> Profile:
    """The acting participant's profile, made on their first form from their account
    (name and e-mail); an outside expert is known by their organisation, not the city.
    ``keep=False`` (reading a page) leaves a new profile unsaved: a visit writes nothing."""
    enter_city(db, city)
    username = principal.label.removeprefix("user:")
    found = db.scalar(
        select(Profile).where(Profile.city_id == city.id, Profile.username == username)
    )
    if found is not None:
        return found
    user = db.scalar(select(User).where(User.username == username))
    if user is None:  # an API key acts for the city, not as a person
        raise PermissionDenied(N_("Sign in as a person to take part in the network."))
    profile = Profile(
        city_id=city.id,
        username=username,
        full_name=user.full_name,
        email=user.email,
        organisation="" if NETWORK_EXPERT in user.roles else city.name,
        outside=NETWORK_EXPERT in user.roles,
        expertise="",
        digest="weekly",
    )
    if keep:
        db.add(profile)
        db.flush()
    return profile


def update_profile(
    db: Session, profile: Profile, *, organisation: str, expertise: str, digest: str
) -> Profile:
    if digest not in DIGESTS:
        raise refuse("digest", N_("Choose one of: {choices}."), choices=", ".join(DIGESTS))
    profile.organisation = _text(organisation, "organisation", limit=200, required=False)
    profile.expertise = _text(expertise, "expertise", limit=4000, required=False)
    profile.digest = digest
    return profile


def is_coordinator(principal: Principal) -> bool:
    return principal.can(P.MODERATE)


# -- groups ---------------------------------------------------------------------------


def get_group(db: Session, group_id: int) -> Group:
    found = db.get(Group, group_id)
    if found is None:
        raise NotFound(N_("There is no group {id}."), id=group_id)
    return found


def create_group(
    db: Session, *, topic: str, name: dict[str, str], description: dict[str, str]
) -> Group:
    from civitas.network.practices import TOPICS

    if topic not in TOPICS:
        raise refuse("topic", N_("Choose one of: {choices}."), choices=", ".join(TOPICS))
    if db.scalar(select(Group.id).where(Group.topic == topic)):
        raise refuse("topic", N_("There is a group on this topic already."))
    if not any(v.strip() for v in name.values()):
        raise refuse("name", N_("Write this in at least one language."))
    group = Group(topic=topic, name=name, description=description)
    db.add(group)
    db.flush()
    return group


@dataclass(frozen=True)
class GroupRow:
    group: Group
    members: int
    discussions: int
    mine: str | None  # my role in it, or None


def groups(db: Session, profile: Profile | None) -> list[GroupRow]:
    members = dict(
        db.execute(select(Membership.group_id, func.count()).group_by(Membership.group_id)).all()
    )
    talks = dict(
        db.execute(select(Discussion.group_id, func.count()).group_by(Discussion.group_id)).all()
    )
    mine: dict[int, str] = {}
    if profile is not None:
        mine = dict(
            db.execute(
                select(Membership.group_id, Membership.role).where(
                    Membership.profile_id == profile.id
                )
            ).all()
        )
    return [
        GroupRow(g, members.get(g.id, 0), talks.get(g.id, 0), mine.get(g.id))
        for g in db.scalars(select(Group).order_by(Group.id))
    ]


def role_in(db: Session, group: Group, profile: Profile) -> str | None:
    return db.scalar(
        select(Membership.role).where(
            Membership.group_id == group.id, Membership.profile_id == profile.id
        )
    )


def _membership(db: Session, group_id: int, profile_id: int | None) -> Membership | None:
    return db.scalar(
        select(Membership).where(
            Membership.group_id == group_id, Membership.profile_id == profile_id
        )
    )


def join(db: Session, group: Group, profile: Profile) -> Membership:
    found = _membership(db, group.id, profile.id)
    if found is not None:
        return found  # a second press changes nothing
    membership = Membership(group_id=group.id, profile_id=profile.id, role="member")
    db.add(membership)
    db.flush()
    return membership


def leave(db: Session, group: Group, profile: Profile) -> None:
    found = _membership(db, group.id, profile.id)
    if found is not None:
        db.delete(found)


def set_role(db: Session, group: Group, profile_id: int, role: str) -> Membership:
    """The coordinator makes a member a moderator (or a member again)."""
    if role not in ("member", "moderator"):
        raise refuse("role", N_("Choose one of: {choices}."), choices="member, moderator")
    found = _membership(db, group.id, profile_id)
    if found is None:
        raise refuse("profile", N_("Only a member of the group can be made its moderator."))
    found.role = role
    return found


def members(db: Session, group: Group) -> list[tuple[Profile, str]]:
    return [
        (p, role)
        for p, role in db.execute(
            select(Profile, Membership.role)
            .join(Membership, Membership.profile_id == Profile.id)
            .where(Membership.group_id == group.id)
            .order_by(Membership.role.desc(), Profile.full_name)
        ).all()
    ]


def _member(db: Session, group: Group, profile: Profile) -> str:
    role = role_in(db, group, profile)
    if role is None:
        raise PermissionDenied(N_("Join the group to write in it."))
    return role


def can_moderate(db: Session, group: Group | None, profile: Profile, principal: Principal) -> bool:
    if is_coordinator(principal):
        return True
    return group is not None and role_in(db, group, profile) == "moderator"


# -- discussions ----------------------------------------------------------------------


def start_discussion(
    db: Session, group: Group, profile: Profile, *, title: str, body: str
) -> Discussion:
    _member(db, group, profile)
    now = utcnow()
    talk = Discussion(
        group_id=group.id,
        profile_id=profile.id,
        title=_text(title, "title", limit=200),
        body=_text(body, "body", limit=MAX_BODY),
        created_at=now,
        last_activity_at=now,
    )
    db.add(talk)
    db.flush()
    return talk


def get_discussion(db: Session, discussion_id: int) -> Discussion:
    found = db.get(Discussion, discussion_id)
    if found is None:
        raise NotFound(N_("There is no discussion {id}."), id=discussion_id)
    return found


def answer(db: Session, talk: Discussion, profile: Profile, *, body: str) -> Post:
    _member(db, get_group(db, talk.group_id), profile)
    now = utcnow()
    post = Post(
        discussion_id=talk.id,
        profile_id=profile.id,
        body=_text(body, "body", limit=MAX_BODY),
        created_at=now,
    )
    db.add(post)
    talk.last_activity_at = now
    db.flush()
    return post


def accept(
    db: Session, talk: Discussion, post_id: int | None, profile: Profile, principal: Principal
) -> Discussion:
    """Mark the answer that solved it (``None`` takes the mark back): the one who asked,
    a moderator of the group or the coordinator."""
    group = get_group(db, talk.group_id)
    if talk.profile_id != profile.id and not can_moderate(db, group, profile, principal):
        raise PermissionDenied(
            N_("Only the one who asked or a moderator can mark the accepted answer.")
        )
    if post_id is not None:
        post = db.get(Post, post_id)
        if post is None or post.discussion_id != talk.id:
            raise refuse("post", N_("This answer is not in this discussion."))
    talk.accepted_post_id = post_id
    talk.last_activity_at = utcnow()
    return talk


def posts(db: Session, talk: Discussion) -> list[tuple[Post, Profile]]:
    return [
        (post, who)
        for post, who in db.execute(
            select(Post, Profile)
            .join(Profile, Profile.id == Post.profile_id)
            .where(Post.discussion_id == talk.id)
            .order_by(Post.created_at, Post.id)
        ).all()
    ]


def discussions(db: Session, group: Group) -> list[tuple[Discussion, Profile, int]]:
    answers = dict(
        db.execute(
            select(Post.discussion_id, func.count())
            .join(Discussion, Discussion.id == Post.discussion_id)
            .where(Discussion.group_id == group.id)
            .group_by(Post.discussion_id)
        ).all()
    )
    return [
        (talk, who, answers.get(talk.id, 0))
        for talk, who in db.execute(
            select(Discussion, Profile)
            .join(Profile, Profile.id == Discussion.profile_id)
            .where(Discussion.group_id == group.id)
            .order_by(Discussion.last_activity_at.desc())
        ).all()
    ]


# -- events ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EventIn:
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    mode: str
    place: str
    agenda: str
    capacity: int | None


def create_event(
    db: Session, group: Group | None, profile: Profile, principal: Principal, data: EventIn
) -> Event:
    """A moderator's event in their group, or the coordinator's (in a group or for the
    whole network)."""
    if not can_moderate(db, group, profile, principal):
        raise PermissionDenied(N_("Only a moderator of the group or the coordinator can do this."))
    problems = []
    if data.mode not in MODES:
        problems.append(
            Problem("mode", N_("Choose one of: {choices}."), {"choices": ", ".join(MODES)})
        )
    if data.ends_at <= data.starts_at:
        problems.append(Problem("ends_at", N_("The event must end after it begins.")))
    if data.starts_at < utcnow() - timedelta(days=1):
        problems.append(Problem("starts_at", N_("The event cannot begin in the past.")))
    if data.capacity is not None and not 1 <= data.capacity <= 100_000:
        problems.append(Problem("capacity", N_("Write a number from 1 to 100000.")))
    if not data.title.strip():
        problems.append(Problem("title", N_("Write something here.")))
    if problems:
        raise InvalidInput(N_("The event cannot be saved."), problems=problems)
    event = Event(
        group_id=None if group is None else group.id,
        title=_text(data.title, "title", limit=200),
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        timezone=data.timezone,
        mode=data.mode,
        place=_text(data.place, "place", limit=300, required=False),
        agenda=_text(data.agenda, "agenda", limit=MAX_BODY, required=False),
        capacity=data.capacity,
        created_by=profile.id,
    )
    db.add(event)
    db.flush()
    return event


def get_event(db: Session, event_id: int) -> Event:
    found = db.get(Event, event_id)
    if found is None:
        raise NotFound(N_("There is no event {id}."), id=event_id)
    return found


def registered(db: Session, event: Event) -> list[Profile]:
    return list(
        db.scalars(
            select(Profile)
            .join(Registration, Registration.profile_id == Profile.id)
            .where(Registration.event_id == event.id)
            .order_by(Registration.created_at)
        )
    )


def _registration(db: Session, event_id: int, profile_id: int | None) -> Registration | None:
    return db.scalar(
        select(Registration).where(
            Registration.event_id == event_id, Registration.profile_id == profile_id
        )
    )


def register(db: Session, event: Event, profile: Profile) -> Registration:
    found = _registration(db, event.id, profile.id)
    if found is not None:
        return found
    if event.ends_at <= utcnow():
        raise Conflict(N_("The event is over; registration is closed."))
    if event.capacity is not None:
        taken = db.scalar(
            select(func.count()).select_from(Registration).where(Registration.event_id == event.id)
        )
        if int(taken or 0) >= event.capacity:
            raise Conflict(N_("The event is full."))
    registration = Registration(event_id=event.id, profile_id=profile.id)
    db.add(registration)
    db.flush()
    return registration


def unregister(db: Session, event: Event, profile: Profile) -> None:
    found = _registration(db, event.id, profile.id)
    if found is not None:
        db.delete(found)


def record_minutes(
    db: Session,
    event: Event,
    profile: Profile,
    principal: Principal,
    *,
    minutes: str,
    practices: list[int],
    projects: list[int],
) -> Event:
    """The minutes of an event that has begun, and the practices and projects it led to."""
    group = None if event.group_id is None else get_group(db, event.group_id)
    if not can_moderate(db, group, profile, principal):
        raise PermissionDenied(N_("Only a moderator of the group or the coordinator can do this."))
    if event.starts_at > utcnow():
        raise refuse("minutes", N_("Minutes can be written once the event has begun."))
    outcomes: list[dict[str, Any]] = []
    for pid in dict.fromkeys(practices):
        practice = db.get(Practice, pid)
        if practice is None or practice.status != "published":
            raise refuse("practices", N_("There is no published practice {id}."), id=pid)
        outcomes.append({"practice": pid})
    for pid in dict.fromkeys(projects):
        if db.get(Project, pid) is None:
            raise refuse("projects", N_("There is no project {id}."), id=pid)
        outcomes.append({"project": pid})
    event.minutes = _text(minutes, "minutes", limit=MAX_BODY)
    event.outcomes = outcomes
    return event


def events(db: Session, *, group: Group | None = None, upcoming: bool | None = None) -> list[Event]:
    stmt = select(Event)
    if group is not None:
        stmt = stmt.where(Event.group_id == group.id)
    now = utcnow()
    if upcoming is True:
        stmt = stmt.where(Event.ends_at > now).order_by(Event.starts_at)
    elif upcoming is False:
        stmt = stmt.where(Event.ends_at <= now).order_by(Event.starts_at.desc())
    else:
        stmt = stmt.order_by(Event.starts_at.desc())
    return list(db.scalars(stmt))


# -- the digest -----------------------------------------------------------------------


@dataclass(frozen=True)
class DigestItem:
    group: str  # the group's id, for its name in the reader's language
    kind: str  # discussion, answer, accepted, event
    title: str
    path: str  # below /{city}/network/


def digest_items(db: Session, profile: Profile, since: datetime) -> list[DigestItem]:
    """What happened since ``since`` in the groups the participant is in (their own
    writing left out)."""
    mine = list(db.scalars(select(Membership.group_id).where(Membership.profile_id == profile.id)))
    if not mine:
        return []
    items: list[DigestItem] = []
    for talk in db.scalars(
        select(Discussion)
        .where(
            Discussion.group_id.in_(mine),
            Discussion.created_at > since,
            Discussion.profile_id != profile.id,
        )
        .order_by(Discussion.created_at)
    ):
        items.append(
            DigestItem(str(talk.group_id), "discussion", talk.title, f"discussions/{talk.id}")
        )
    rows = db.execute(
        select(Discussion, func.count(Post.id))
        .join(Post, Post.discussion_id == Discussion.id)
        .where(
            Discussion.group_id.in_(mine),
            Post.created_at > since,
            Post.profile_id != profile.id,
        )
        .group_by(Discussion.id)
        .order_by(Discussion.id)
    ).all()
    for talk, count in rows:
        items.append(
            DigestItem(
                str(talk.group_id), "answer", f"{talk.title} ({count})", f"discussions/{talk.id}"
            )
        )
    for event in db.scalars(
        select(Event)
        .where(Event.group_id.in_(mine), Event.created_at > since, Event.ends_at > utcnow())
        .order_by(Event.starts_at)
    ):
        items.append(DigestItem(str(event.group_id), "event", event.title, f"events/{event.id}"))
    return items


def digest_due(profile: Profile, now: datetime) -> datetime | None:
    """Since when the participant's next digest runs, or None when it is not due."""
    if profile.digest == "none" or not profile.email:
        return None
    every = timedelta(days=1 if profile.digest == "daily" else 7)
    last = profile.last_digest_at or profile.created_at
    return last if now - last >= every else None
