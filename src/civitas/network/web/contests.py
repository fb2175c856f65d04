"""Contests on the web: the coordinator opens one (categories and weighted criteria),
appoints jurors with their declared conflicts, closes it and publishes the results;
cities enter their published practices while it is open; jurors score the entries they
may score."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select
from starlette.datastructures import FormData

from civitas.cities.models import City
from civitas.core.i18n import N_, translate
from civitas.core.validation import checked
from civitas.network import community, contests, practices
from civitas.network.models import Entry, Practice, Profile, Score
from civitas.network.permissions import NetworkPermission as P
from civitas.network.web.common import Actor, act, base, cities, ints, reader, text, values, view
from civitas.network.web.practices import helpers
from civitas.web.deps import CurrentCity, DbSession, OptionalPrincipal, RowId
from civitas.web.routers import Router

router = Router(include_in_schema=False)
ROWS = 4


def _new_page(
    request: Request,
    who: Actor,
    *,
    problems: dict[str, str] | None = None,
    given: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return view(
        request,
        "network/contest_form.html",
        who,
        {"problems": problems or {}, "values": given or {}, "rows": range(ROWS)},
        status,
    )


@router.get("/{city}/network/contests/new", response_model=None)
def new(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    if isinstance(who := reader(db, city, principal, P.MODERATE), Response):
        return who
    return _new_page(request, who)


def _items(form: FormData, name: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    out = []
    for i in range(ROWS):
        row = {f: text(form, f"{name}[{i}].{f}", 201) for f in fields}
        if any(row.values()):
            out.append(row)
    return out


@router.post("/{city}/network/contests", response_model=None)
async def create(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    def change(who: Actor, form: FormData) -> str:
        criteria = [
            r | {"weight": r["weight"].replace(",", ".") or "1", "max": r["max"] or "10"}
            for r in _items(form, "criteria", ("code", "name", "weight", "max"))
        ]
        data = checked(
            contests.ContestIn,
            {
                "title": text(form, "title", 201),
                "description": text(form, "description"),
                "categories": _items(form, "categories", ("code", "name")),
                "criteria": criteria,
                "closes_on": text(form, "closes_on", 10),
            },
            N_("The contest cannot be saved."),
        )
        found = contests.open_contest(db, data, actor=who.label)
        return f"{base(city)}/contests/{found.id}?done=created"

    return await act(
        request,
        db,
        city,
        principal,
        change=change,
        back=f"{base(city)}/contests/new",
        again=lambda who, form, problems: _new_page(
            request, who, problems=problems, given=values(form), status=422
        ),
        permission=P.MODERATE,
    )


@router.get("/{city}/network/contests/{contest_id}", response_model=None)
def show(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    contest_id: RowId,
) -> Response:
    if isinstance(who := reader(db, city, principal), Response):
        return who
    lang = request.state.lang
    found = contests.get_contest(db, contest_id)
    juror = contests.juror_of(db, found, who.profile)
    entries = list(
        db.execute(
            select(Entry, Practice)
            .join(Practice, Practice.id == Entry.practice_id)
            .where(Entry.contest_id == found.id)
            .order_by(Entry.category, Entry.id)
        ).all()
    )
    mine_scored: dict[int, Score] = {}
    if juror is not None:
        mine_scored = {
            s.entry_id: s for s in db.scalars(select(Score).where(Score.juror_id == juror.id))
        }
    show_results = found.status == "published" or (who.coordinator and found.status == "judging")
    from civitas.network.models import Juror

    jurors = [
        (j, db.get(Profile, j.profile_id))
        for j in db.scalars(select(Juror).where(Juror.contest_id == found.id))
    ]
    entered = {e.practice_id for e, _ in entries}
    return view(
        request,
        "network/contest.html",
        who,
        {
            "c": found,
            "state": translate(lang, contests.STATUSES[found.status]),
            "is_open": contests.is_open(found, city),
            "entries": entries,
            "categories": {c["code"]: c["name"] for c in found.categories},
            "juror": juror,
            "scored": mine_scored,
            "jurors": jurors,
            "results": contests.results(db, found) if show_results else None,
            "mine": [
                p
                for p in practices.mine(db, city)
                if p.status == "published" and p.id not in entered
            ],
            "profiles": list(db.scalars(select(Profile).order_by(Profile.full_name))),
            "cities": cities(db),
            **helpers(lang, city),
        },
    )


def _contest_action(
    request: Request,
    db: Any,
    city: City,
    principal: Any,
    contest_id: int,
    work: Any,
    permission: str = P.TAKE_PART,
) -> Awaitable[Response]:
    here = f"{base(city)}/contests/{contest_id}"

    def change(who: Actor, form: FormData) -> str:
        return str(work(who, form, contests.get_contest(db, contest_id)) or f"{here}?done=saved")

    return act(request, db, city, principal, change=change, back=here, permission=permission)


@router.post("/{city}/network/contests/{contest_id}/entries", response_model=None)
async def enter(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    contest_id: RowId,
) -> Response:
    def work(who: Actor, form: FormData, found: Any) -> None:
        chosen = ints(form, "practice")
        contests.enter(
            db,
            city,
            found,
            practice_id=chosen[0] if chosen else 0,
            category=text(form, "category", 30),
            actor=who.label,
        )

    return await _contest_action(
        request, db, city, principal, contest_id, work, permission=P.PRACTICE_WRITE
    )


@router.post("/{city}/network/contests/{contest_id}/jurors", response_model=None)
async def appoint(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    contest_id: RowId,
) -> Response:
    def work(who: Actor, form: FormData, found: Any) -> None:
        chosen = ints(form, "profile")
        profile = db.get(Profile, chosen[0]) if chosen else None
        if profile is None:
            raise community.refuse("profile", N_("Choose a participant of the network."))
        contests.appoint(
            db, found, profile, conflicts=ints(form, "conflicts"), note=text(form, "note", 4000)
        )

    return await _contest_action(
        request, db, city, principal, contest_id, work, permission=P.MODERATE
    )


@router.post("/{city}/network/contests/{contest_id}/scores", response_model=None)
async def score(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    contest_id: RowId,
) -> Response:
    def work(who: Actor, form: FormData, found: Any) -> str:
        entry = ints(form, "entry")
        contests.score(
            db,
            found,
            who.profile,
            entry_id=entry[0] if entry else 0,
            scores={c["code"]: text(form, f"score[{c['code']}]", 10) for c in found.criteria},
            comment=text(form, "comment", 4000),
        )
        return f"{base(city)}/contests/{contest_id}?done=scored#entry-{entry[0]}"

    return await _contest_action(request, db, city, principal, contest_id, work)


@router.post("/{city}/network/contests/{contest_id}/close", response_model=None)
async def close(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    contest_id: RowId,
) -> Response:
    return await _contest_action(
        request,
        db,
        city,
        principal,
        contest_id,
        lambda who, form, found: contests.close(db, found) and None,
        permission=P.MODERATE,
    )


@router.post("/{city}/network/contests/{contest_id}/publish", response_model=None)
async def publish(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    contest_id: RowId,
) -> Response:
    return await _contest_action(
        request,
        db,
        city,
        principal,
        contest_id,
        lambda who, form, found: contests.publish(db, found) and None,
        permission=P.MODERATE,
    )
