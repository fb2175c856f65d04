"""Partnerships between cities and benchmarking circles on the web: a partnership with
its partner cities and projects, a project with its aims (measured where tied to a
partner's KPI), milestones, expert missions, budget and reports; a circle's members side
by side, and what the reader's city shares there."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select
from starlette.datastructures import FormData

from civitas.cities.models import City
from civitas.core.i18n import N_, translate
from civitas.core.kpis import catalogue
from civitas.core.validation import checked
from civitas.insight.scorecard import published_kpis
from civitas.network import circles, partnerships
from civitas.network.evidence import published_by
from civitas.network.permissions import NetworkPermission as P
from civitas.network.web.common import Actor, act, base, reader, strings, text, values, view
from civitas.network.web.practices import helpers
from civitas.web.deps import CurrentCity, DbSession, OptionalPrincipal, RowId
from civitas.web.routers import Router

router = Router(include_in_schema=False)
# who records a partnership: a city's representative (for their city) or the coordinator
RECORD = (P.CITY_REPRESENT, P.MODERATE)


def _blank_none(value: str) -> str | None:
    return value or None


def _new_partnership_page(
    request: Request,
    db: Any,
    city: City,
    who: Actor,
    *,
    problems: dict[str, str] | None = None,
    given: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return view(
        request,
        "network/partnership_form.html",
        who,
        {
            "members": list(db.scalars(select(City).order_by(City.name))),
            "problems": problems or {},
            "values": given or {"partners[0].city": city.slug},
            "rows": range(4),
        },
        status,
    )


@router.get("/{city}/network/partnerships/new", response_model=None)
def new_partnership(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    if isinstance(who := reader(db, city, principal, RECORD), Response):
        return who
    return _new_partnership_page(request, db, city, who)


@router.get("/{city}/network/partnerships/{partnership_id}", response_model=None)
def partnership(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    partnership_id: RowId,
) -> Response:
    if isinstance(who := reader(db, city, principal), Response):
        return who
    return _partnership_page(request, db, city, who, partnership_id)


def _partnership_page(
    request: Request,
    db: Any,
    city: City,
    who: Actor,
    partnership_id: int,
    *,
    problems: dict[str, str] | None = None,
    given: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    found = partnerships.get_partnership(db, partnership_id)
    return view(
        request,
        "network/partnership.html",
        who,
        {
            "ship": found,
            "partners": partnerships.partners(db, found),
            "projects": partnerships.projects(db, found),
            "may_edit": partnerships.may_edit(db, found, city, who.principal),
            "problems": problems or {},
            "values": given or {"currency": "EUR"},
            **helpers(request.state.lang, city),
        },
        status,
    )


@router.post("/{city}/network/partnerships/{partnership_id}/projects", response_model=None)
async def add_project(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    partnership_id: RowId,
) -> Response:
    def change(who: Actor, form: FormData) -> str:
        data = checked(
            partnerships.ProjectIn,
            {
                "title": text(form, "title", 201),
                "summary": text(form, "summary"),
                "starts_on": text(form, "starts_on", 10),
                "ends_on": text(form, "ends_on", 10),
                "budget": _blank_none(text(form, "budget", 20).replace(",", ".")),
                "currency": text(form, "currency", 3) or "EUR",
            },
            N_("The project cannot be saved."),
        )
        found = partnerships.get_partnership(db, partnership_id)
        project = partnerships.add_project(db, found, city, who.principal, data)
        return f"{base(city)}/projects/{project.id}?done=created"

    return await act(
        request,
        db,
        city,
        principal,
        change=change,
        back=f"{base(city)}/partnerships/{partnership_id}",
        again=lambda who, form, problems: _partnership_page(
            request,
            db,
            city,
            who,
            partnership_id,
            problems=problems,
            given=values(form),
            status=422,
        ),
    )


def _project_page(
    request: Request,
    db: Any,
    city: City,
    who: Actor,
    project_id: int,
    *,
    problems: dict[str, str] | None = None,
    given: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    lang = request.state.lang
    found = partnerships.project_view(db, partnerships.get_project(db, project_id))
    members = [
        c
        for p in found.partners
        if p.city_id is not None and (c := db.get(City, p.city_id)) is not None
    ]
    return view(
        request,
        "network/project.html",
        who,
        {
            "v": found,
            "may_edit": partnerships.may_edit(db, found.partnership, city, who.principal),
            "dimensions": {k: translate(lang, v) for k, v in partnerships.DIMENSIONS.items()},
            "members": members,
            "member_kpis": {c.slug: published_by(db, c) for c in members},
            "partner_options": [(p.id, p.name) for p in found.partners],
            "all_kpis": catalogue(),
            "problems": problems or {},
            "values": given or {},
            **helpers(lang, city),
        },
        status,
    )


@router.get("/{city}/network/projects/{project_id}", response_model=None)
def project(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    project_id: RowId,
) -> Response:
    if isinstance(who := reader(db, city, principal), Response):
        return who
    return _project_page(request, db, city, who, project_id)


# the service's field names as the project page's forms name them (four forms, one page)
RENAMED = {
    "aims": {"text": "aim_text"},
    "milestones": {"title": "milestone_title"},
    "missions": {"starts_on": "mission_starts_on", "ends_on": "mission_ends_on"},
    "reports": {"text": "report_text"},
}


def _project_form(
    request: Request, db: Any, city: City, principal: Any, project_id: int, work: Any, anchor: str
) -> Awaitable[Response]:
    here = f"{base(city)}/projects/{project_id}"

    def change(who: Actor, form: FormData) -> str:
        work(who, form, partnerships.get_project(db, project_id))
        return f"{here}?done=saved#{anchor}"

    return act(
        request,
        db,
        city,
        principal,
        change=change,
        back=here,
        again=lambda who, form, problems: _project_page(
            request,
            db,
            city,
            who,
            project_id,
            problems={RENAMED[anchor].get(k, k): v for k, v in problems.items()},
            given=values(form),
            status=422,
        ),
    )


@router.post("/{city}/network/projects/{project_id}/aims", response_model=None)
async def add_aim(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    project_id: RowId,
) -> Response:
    def work(who: Actor, form: FormData, found: Any) -> None:
        target = text(form, "target", 20).replace(",", ".")
        data = checked(
            partnerships.AimIn,
            {
                "dimension": text(form, "dimension", 30),
                "text": text(form, "aim_text", 4001),
                "city": text(form, "aim_city", 80),
                "kpi": text(form, "kpi", 40),
                "baseline_month": text(form, "baseline_month", 7),
                "target": target or None,
            },
            N_("The aim cannot be saved."),
        )
        partnerships.add_aim(db, found, city, who.principal, data)

    return await _project_form(request, db, city, principal, project_id, work, "aims")


@router.post("/{city}/network/projects/{project_id}/milestones", response_model=None)
async def add_milestone(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    project_id: RowId,
) -> Response:
    def work(who: Actor, form: FormData, found: Any) -> None:
        data = checked(
            partnerships.MilestoneIn,
            {"title": text(form, "milestone_title", 201), "due_on": text(form, "due_on", 10)},
            N_("The milestone cannot be saved."),
        )
        partnerships.add_milestone(db, found, city, who.principal, data)

    return await _project_form(request, db, city, principal, project_id, work, "milestones")


@router.post(
    "/{city}/network/projects/{project_id}/milestones/{milestone_id}/done", response_model=None
)
async def milestone_done(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    project_id: RowId,
    milestone_id: RowId,
) -> Response:
    def work(who: Actor, form: FormData, found: Any) -> None:
        from civitas.network.contests import today

        partnerships.mark_done(db, found, milestone_id, city, who.principal, today(city))

    return await _project_form(request, db, city, principal, project_id, work, "milestones")


@router.post("/{city}/network/projects/{project_id}/missions", response_model=None)
async def add_mission(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    project_id: RowId,
) -> Response:
    def work(who: Actor, form: FormData, found: Any) -> None:
        partner = text(form, "partner_id", 10)
        data = checked(
            partnerships.MissionIn,
            {
                "expert": text(form, "expert", 201),
                "organisation": text(form, "organisation", 201),
                "partner_id": partner if partner.isdigit() else 0,
                "starts_on": text(form, "mission_starts_on", 10),
                "ends_on": text(form, "mission_ends_on", 10),
                "purpose": text(form, "purpose", 4001),
            },
            N_("The mission cannot be saved."),
        )
        partnerships.add_mission(db, found, city, who.principal, data)

    return await _project_form(request, db, city, principal, project_id, work, "missions")


@router.post("/{city}/network/projects/{project_id}/reports", response_model=None)
async def add_report(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    project_id: RowId,
) -> Response:
    def work(who: Actor, form: FormData, found: Any) -> None:
        partnerships.add_report(
            db,
            found,
            city,
            who.principal,
            period=text(form, "period", 41),
            text=text(form, "report_text", 20_001),
        )

    return await _project_form(request, db, city, principal, project_id, work, "reports")


# -- circles --------------------------------------------------------------------------


@router.get("/{city}/network/circles/{circle_id}", response_model=None)
def circle(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    circle_id: RowId,
) -> Response:
    if isinstance(who := reader(db, city, principal), Response):
        return who
    found = circles.get_circle(db, circle_id)
    mine = circles.membership(db, found, city)
    table = None
    if mine is not None or who.coordinator:
        table = circles.view(db, found, city, moderator=who.coordinator)
    return view(
        request,
        "network/circle.html",
        who,
        {
            "circle": found,
            "mine": mine,
            "table": table,
            "published": published_kpis(db, city),
            "known": catalogue(),
            **helpers(request.state.lang, city),
        },
    )


@router.post("/{city}/network/circles/{circle_id}/share", response_model=None)
async def share(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    circle_id: RowId,
) -> Response:
    here = f"{base(city)}/circles/{circle_id}"

    def change(who: Actor, form: FormData) -> str:
        found = circles.get_circle(db, circle_id)
        if text(form, "leave", 5):
            circles.leave(db, city, found)
            return f"{here}?done=left"
        circles.share(db, city, found, strings(form, "kpis", 40))
        return f"{here}?done=saved"

    return await act(
        request, db, city, principal, change=change, back=here, permission=P.CITY_REPRESENT
    )


@router.post("/{city}/network/circles", response_model=None)
async def new_circle(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    def change(who: Actor, form: FormData) -> str:
        found = circles.create_circle(
            db, name=text(form, "circle_name", 201), kpis=strings(form, "kpis", 40), actor=who.label
        )
        return f"{base(city)}/circles/{found.id}?done=created"

    return await act(
        request, db, city, principal, change=change, back=base(city), permission=P.MODERATE
    )


@router.post("/{city}/network/partnerships", response_model=None)
async def create_partnership(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    def change(who: Actor, form: FormData) -> str:
        rows = []
        for i in range(4):
            member = text(form, f"partners[{i}].city", 80)
            name = text(form, f"partners[{i}].name", 201)
            country = text(form, f"partners[{i}].country", 2)
            if member or name:
                rows.append({"city": member, "name": name, "country": country})
        since = text(form, "since", 4)
        data = checked(
            partnerships.PartnershipIn,
            {
                "name": text(form, "name", 201),
                "since": since or None,
                "description": text(form, "description"),
                "partners": rows,
            },
            N_("The partnership cannot be saved."),
        )
        if not who.coordinator and city.slug not in {p.city for p in data.partners}:
            from civitas.network.community import refuse

            raise refuse("partners", N_("Name {city} among the partners."), city=city.name)
        found = partnerships.create_partnership(db, data, actor=who.label)
        return f"{base(city)}/partnerships/{found.id}?done=created"

    return await act(
        request,
        db,
        city,
        principal,
        change=change,
        back=f"{base(city)}/partnerships/new",
        again=lambda who, form, problems: _new_partnership_page(
            request, db, city, who, problems=problems, given=values(form), status=422
        ),
        permission=RECORD,
    )
