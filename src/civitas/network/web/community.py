"""Communities of practice on the web: a group's page (members and moderators,
discussions, events), a discussion with its answers and the accepted one, an event with
its registrations, minutes and outcomes."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select
from starlette.datastructures import FormData

from civitas.cities.models import City
from civitas.core.errors import InvalidInput, Problem
from civitas.core.i18n import N_, locale_for, translate
from civitas.network import community, practices
from civitas.network.models import Practice, Profile, Project
from civitas.network.permissions import NetworkPermission as P
from civitas.network.web.common import Actor, act, base, cities, ints, reader, text, values, view
from civitas.network.web.practices import helpers
from civitas.web.deps import CurrentCity, DbSession, OptionalPrincipal, RowId
from civitas.web.routers import Router

router = Router(include_in_schema=False)


def times(lang: str, city: City) -> dict[str, Any]:
    locale = locale_for(lang, city.country)

    def at(moment: datetime, zone: str) -> str:
        local = moment.astimezone(ZoneInfo(zone))
        return format_datetime(local, "medium", tzinfo=ZoneInfo(zone), locale=locale)

    return {"at": at, "modes": {k: translate(lang, v) for k, v in community.MODES.items()}}


def _group_page(
    request: Request,
    db: Any,
    city: City,
    who: Actor,
    group_id: int,
    *,
    problems: dict[str, str] | None = None,
    given: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    lang = request.state.lang
    group = community.get_group(db, group_id)
    talks = community.discussions(db, group)
    mine = community.role_in(db, group, who.profile)
    return view(
        request,
        "network/group.html",
        who,
        {
            "group": group,
            "members": community.members(db, group),
            "talks": talks,
            "role": mine,
            "moderator": community.can_moderate(db, group, who.profile, who.principal),
            "upcoming": community.events(db, group=group, upcoming=True),
            "past": community.events(db, group=group, upcoming=False),
            "problems": problems or {},
            "values": given or {},
            "cities": cities(db),
            "tz": city.timezone,
            **helpers(lang, city),
            **times(lang, city),
        },
        status,
    )


@router.get("/{city}/network/groups/{group_id}", response_model=None)
def group(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    group_id: RowId,
) -> Response:
    if isinstance(who := reader(db, city, principal), Response):
        return who
    return _group_page(request, db, city, who, group_id)


def _group_action(
    request: Request, db: Any, city: City, principal: Any, group_id: int, work: Any, **kw: Any
) -> Awaitable[Response]:
    here = f"{base(city)}/groups/{group_id}"

    def change(who: Actor, form: FormData) -> str:
        return str(work(who, form, community.get_group(db, group_id)) or here)

    return act(request, db, city, principal, change=change, back=here, **kw)


@router.post("/{city}/network/groups/{group_id}/join", response_model=None)
async def join(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    group_id: RowId,
) -> Response:
    return await _group_action(
        request,
        db,
        city,
        principal,
        group_id,
        lambda who, form, g: community.join(db, g, who.profile) and None,
    )


@router.post("/{city}/network/groups/{group_id}/leave", response_model=None)
async def leave(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    group_id: RowId,
) -> Response:
    return await _group_action(
        request,
        db,
        city,
        principal,
        group_id,
        lambda who, form, g: community.leave(db, g, who.profile),
    )


@router.post("/{city}/network/groups/{group_id}/moderators", response_model=None)
async def moderators(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    group_id: RowId,
) -> Response:
    def work(who: Actor, form: FormData, g: Any) -> None:
        found = ints(form, "profile")
        community.set_role(db, g, found[0] if found else 0, text(form, "role", 10))

    return await _group_action(request, db, city, principal, group_id, work, permission=P.MODERATE)


@router.post("/{city}/network/groups/{group_id}/discussions", response_model=None)
async def start(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    group_id: RowId,
) -> Response:
    def work(who: Actor, form: FormData, g: Any) -> str:
        talk = community.start_discussion(
            db, g, who.profile, title=text(form, "title", 201), body=text(form, "body")
        )
        return f"{base(city)}/discussions/{talk.id}"

    return await _group_action(
        request,
        db,
        city,
        principal,
        group_id,
        work,
        again=lambda who, form, problems: _group_page(
            request, db, city, who, group_id, problems=problems, given=values(form), status=422
        ),
    )


def _local(value: str, zone: str, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            N_("The event cannot be saved."),
            problems=[Problem(field, N_("Give a date and time, e.g. 2027-03-15 10:00."))],
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment.astimezone(UTC)


@router.post("/{city}/network/groups/{group_id}/events", response_model=None)
async def new_event(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    group_id: RowId,
) -> Response:
    def work(who: Actor, form: FormData, g: Any) -> str:
        capacity = text(form, "capacity", 7)
        if capacity and not capacity.isdigit():
            raise InvalidInput(
                N_("The event cannot be saved."),
                problems=[Problem("capacity", N_("Write a number from 1 to 100000."))],
            )
        event = community.create_event(
            db,
            g,
            who.profile,
            who.principal,
            community.EventIn(
                title=text(form, "event_title", 201),
                starts_at=_local(text(form, "starts_at", 30), city.timezone, "starts_at"),
                ends_at=_local(text(form, "ends_at", 30), city.timezone, "ends_at"),
                timezone=city.timezone,
                mode=text(form, "mode", 10),
                place=text(form, "place", 301),
                agenda=text(form, "agenda"),
                capacity=int(capacity) if capacity else None,
            ),
        )
        return f"{base(city)}/events/{event.id}?done=created"

    return await _group_action(
        request,
        db,
        city,
        principal,
        group_id,
        work,
        again=lambda who, form, problems: _group_page(
            request,
            db,
            city,
            who,
            group_id,
            problems={("event_title" if k == "title" else k): v for k, v in problems.items()},
            given=values(form),
            status=422,
        ),
    )


# -- discussions ----------------------------------------------------------------------


def _discussion_page(
    request: Request,
    db: Any,
    city: City,
    who: Actor,
    talk_id: int,
    *,
    problems: dict[str, str] | None = None,
    given: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    lang = request.state.lang
    talk = community.get_discussion(db, talk_id)
    group = community.get_group(db, talk.group_id)
    answers = community.posts(db, talk)
    return view(
        request,
        "network/discussion.html",
        who,
        {
            "talk": talk,
            "group": group,
            "author": db.get(Profile, talk.profile_id),
            "answers": answers,
            "accepted": next((p for p, _ in answers if p.id == talk.accepted_post_id), None),
            "member": community.role_in(db, group, who.profile) is not None,
            "may_accept": talk.profile_id == who.profile.id
            or community.can_moderate(db, group, who.profile, who.principal),
            "cities": cities(db),
            "problems": problems or {},
            "values": given or {},
            **helpers(lang, city),
        },
        status,
    )


@router.get("/{city}/network/discussions/{talk_id}", response_model=None)
def discussion(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal, talk_id: RowId
) -> Response:
    if isinstance(who := reader(db, city, principal), Response):
        return who
    return _discussion_page(request, db, city, who, talk_id)


@router.post("/{city}/network/discussions/{talk_id}/answers", response_model=None)
async def answer(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal, talk_id: RowId
) -> Response:
    here = f"{base(city)}/discussions/{talk_id}"

    def change(who: Actor, form: FormData) -> str:
        post = community.answer(
            db, community.get_discussion(db, talk_id), who.profile, body=text(form, "body")
        )
        return f"{here}#answer-{post.id}"

    return await act(
        request,
        db,
        city,
        principal,
        change=change,
        back=here,
        again=lambda who, form, problems: _discussion_page(
            request, db, city, who, talk_id, problems=problems, given=values(form), status=422
        ),
    )


@router.post("/{city}/network/discussions/{talk_id}/accept", response_model=None)
async def accept(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal, talk_id: RowId
) -> Response:
    here = f"{base(city)}/discussions/{talk_id}"

    def change(who: Actor, form: FormData) -> str:
        found = ints(form, "post")
        community.accept(
            db,
            community.get_discussion(db, talk_id),
            found[0] if found else None,
            who.profile,
            who.principal,
        )
        return f"{here}?done=accepted" if found else f"{here}?done=unaccepted"

    return await act(request, db, city, principal, change=change, back=here)


# -- events ---------------------------------------------------------------------------


@router.get("/{city}/network/events/{event_id}", response_model=None)
def event(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    event_id: RowId,
) -> Response:
    if isinstance(who := reader(db, city, principal), Response):
        return who
    lang = request.state.lang
    found = community.get_event(db, event_id)
    group = None if found.group_id is None else community.get_group(db, found.group_id)
    people = community.registered(db, found)
    linked_practices = [
        p
        for o in found.outcomes
        if "practice" in o and (p := db.get(Practice, o["practice"])) is not None
    ]
    linked_projects = [
        j for o in found.outcomes if "project" in o and (j := db.get(Project, o["project"]))
    ]
    from civitas.core.db import utcnow

    return view(
        request,
        "network/event.html",
        who,
        {
            "e": found,
            "group": group,
            "people": people,
            "registered": any(p.id == who.profile.id for p in people),
            "full": found.capacity is not None and len(people) >= found.capacity,
            "over": found.ends_at <= utcnow(),
            "begun": found.starts_at <= utcnow(),
            "moderator": community.can_moderate(db, group, who.profile, who.principal),
            "linked_practices": linked_practices,
            "linked_projects": linked_projects,
            "all_practices": practices.search(db),
            "all_projects": list(db.scalars(select(Project).order_by(Project.title))),
            "cities": cities(db),
            **helpers(lang, city),
            **times(lang, city),
        },
    )


def _event_action(
    request: Request, db: Any, city: City, principal: Any, event_id: int, work: Any
) -> Awaitable[Response]:
    here = f"{base(city)}/events/{event_id}"

    def change(who: Actor, form: FormData) -> str:
        work(who, form, community.get_event(db, event_id))
        return here

    return act(request, db, city, principal, change=change, back=here)


@router.post("/{city}/network/events/{event_id}/register", response_model=None)
async def register(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    event_id: RowId,
) -> Response:
    return await _event_action(
        request,
        db,
        city,
        principal,
        event_id,
        lambda who, form, e: community.register(db, e, who.profile),
    )


@router.post("/{city}/network/events/{event_id}/unregister", response_model=None)
async def unregister(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    event_id: RowId,
) -> Response:
    return await _event_action(
        request,
        db,
        city,
        principal,
        event_id,
        lambda who, form, e: community.unregister(db, e, who.profile),
    )


@router.post("/{city}/network/events/{event_id}/minutes", response_model=None)
async def minutes(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    event_id: RowId,
) -> Response:
    return await _event_action(
        request,
        db,
        city,
        principal,
        event_id,
        lambda who, form, e: community.record_minutes(
            db,
            e,
            who.profile,
            who.principal,
            minutes=text(form, "minutes"),
            practices=ints(form, "practices"),
            projects=ints(form, "projects"),
        ),
    )


@router.post("/{city}/network/groups", response_model=None)
async def new_group(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    lang = request.state.lang

    def change(who: Actor, form: FormData) -> str:
        name = text(form, "group_name", 200)
        found = community.create_group(
            db,
            topic=text(form, "topic", 30),
            name={lang: name} if name else {},
            description={lang: text(form, "group_description", 4000)},
        )
        community.join(db, found, who.profile)
        return f"{base(city)}/groups/{found.id}?done=created"

    return await act(
        request, db, city, principal, change=change, back=base(city), permission=P.MODERATE
    )
