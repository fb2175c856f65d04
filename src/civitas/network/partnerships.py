"""Partnerships between cities (the over 400 partnerships of German municipalities with
partners abroad): two or more cities, members of this deployment or named with their
country; projects with aims along the five dimensions, milestones, the experts deployed
and their missions, a budget and reports. An aim tied to a KPI a partner city publishes
is measured: its baseline month's figure, the latest, the target and how far along."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.accounts.service import Principal
from civitas.cities.models import City
from civitas.core.errors import InvalidInput, NotFound, PermissionDenied, Problem
from civitas.core.i18n import N_
from civitas.core.kpis import Kpi, catalogue
from civitas.insight.figures import last_complete_month
from civitas.insight.models import NetworkFigure
from civitas.network.community import refuse
from civitas.network.evidence import published_by
from civitas.network.models import (
    Aim,
    Milestone,
    Mission,
    Partner,
    Partnership,
    Project,
    Report,
)
from civitas.network.permissions import NetworkPermission as P

DIMENSIONS = {
    "effectiveness": N_("Effectiveness"),
    "efficiency": N_("Efficiency"),
    "transparency": N_("Transparency"),
    "accountability": N_("Accountability"),
    "citizen_orientation": N_("Citizen orientation"),
}
COUNTRY = re.compile(r"^[A-Z]{2}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")


class PartnerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    city: str = Field(default="", max_length=80)  # a member's slug
    name: str = Field(default="", max_length=200)
    country: str = Field(default="", max_length=60)


class PartnershipIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=200)
    since: int | None = Field(default=None, ge=1900, le=2100)
    description: str = Field(default="", max_length=20_000)
    partners: list[PartnerIn] = Field(min_length=2, max_length=20)


def create_partnership(db: Session, data: PartnershipIn, *, actor: str) -> Partnership:
    problems: list[Problem] = []
    rows: list[Partner] = []
    seen: set[str] = set()
    for i, p in enumerate(data.partners):
        if p.city:
            city = db.scalar(select(City).where(City.slug == p.city))
            if city is None:
                problems.append(
                    Problem(f"partners[{i}].city", N_("There is no city {slug}."), {"slug": p.city})
                )
                continue
            key = f"city:{city.id}"
            rows.append(Partner(city_id=city.id, name=city.name, country=city.country.upper()))
        else:
            if not p.name:
                problems.append(
                    Problem(f"partners[{i}].name", N_("Name the partner city or choose a member."))
                )
                continue
            if not COUNTRY.match(p.country.upper()):
                problems.append(
                    Problem(
                        f"partners[{i}].country",
                        N_("Write the country as two letters (ISO 3166-1), e.g. PE or DE."),
                    )
                )
                continue
            key = f"name:{p.name.casefold()}:{p.country.upper()}"
            rows.append(Partner(name=p.name, country=p.country.upper()))
        if key in seen:
            problems.append(Problem(f"partners[{i}]", N_("This partner is named twice.")))
        seen.add(key)
    if not problems and len(rows) < 2:
        problems.append(Problem("partners", N_("A partnership has at least two cities.")))
    if problems:
        raise InvalidInput(N_("The partnership cannot be saved."), problems=problems)
    partnership = Partnership(
        name=data.name, since=data.since, description=data.description, created_by=actor
    )
    db.add(partnership)
    db.flush()
    for row in rows:
        row.partnership_id = partnership.id
        db.add(row)
    db.flush()
    return partnership


def get_partnership(db: Session, partnership_id: int) -> Partnership:
    found = db.get(Partnership, partnership_id)
    if found is None:
        raise NotFound(N_("There is no partnership {id}."), id=partnership_id)
    return found


def partners(db: Session, partnership: Partnership) -> list[Partner]:
    return list(
        db.scalars(
            select(Partner).where(Partner.partnership_id == partnership.id).order_by(Partner.id)
        )
    )


def may_edit(db: Session, partnership: Partnership, city: City, principal: Principal) -> bool:
    """The coordinator, or a city's representative when the city is a partner."""
    if principal.can(P.MODERATE):
        return True
    return principal.can(P.CITY_REPRESENT) and any(
        p.city_id == city.id for p in partners(db, partnership)
    )


def _editor(db: Session, partnership: Partnership, city: City, principal: Principal) -> None:
    if not may_edit(db, partnership, city, principal):
        raise PermissionDenied(N_("Only the partner cities and the coordinator can change this."))


def partnerships(db: Session) -> list[tuple[Partnership, list[Partner]]]:
    all_partners: dict[int, list[Partner]] = {}
    for p in db.scalars(select(Partner).order_by(Partner.id)):
        all_partners.setdefault(p.partnership_id, []).append(p)
    return [
        (ship, all_partners.get(ship.id, []))
        for ship in db.scalars(select(Partnership).order_by(Partnership.name))
    ]


class ProjectIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(default="", max_length=20_000)
    starts_on: date
    ends_on: date
    budget: float | None = Field(default=None, ge=0, le=1e12)
    currency: str = Field(default="EUR", max_length=3)


def add_project(
    db: Session, partnership: Partnership, city: City, principal: Principal, data: ProjectIn
) -> Project:
    _editor(db, partnership, city, principal)
    if data.ends_on < data.starts_on:
        raise refuse("ends_on", N_("The project must end after it begins."))
    if not CURRENCY.match(data.currency.upper()):
        raise refuse("currency", N_("Write the currency as three letters (ISO 4217), e.g. EUR."))
    project = Project(
        partnership_id=partnership.id,
        title=data.title,
        summary=data.summary,
        starts_on=data.starts_on.isoformat(),
        ends_on=data.ends_on.isoformat(),
        budget=data.budget,
        currency=data.currency.upper(),
        created_by=principal.label,
    )
    db.add(project)
    db.flush()
    return project


def get_project(db: Session, project_id: int) -> Project:
    found = db.get(Project, project_id)
    if found is None:
        raise NotFound(N_("There is no project {id}."), id=project_id)
    return found


class AimIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    dimension: str
    text: str = Field(min_length=1, max_length=4000)
    city: str = Field(default="", max_length=80)  # a member partner's slug
    kpi: str = Field(default="", max_length=40)
    baseline_month: str = Field(default="", max_length=7)
    target: float | None = None


def add_aim(db: Session, project: Project, city: City, principal: Principal, data: AimIn) -> Aim:
    partnership = get_partnership(db, project.partnership_id)
    _editor(db, partnership, city, principal)
    problems: list[Problem] = []
    if data.dimension not in DIMENSIONS:
        problems.append(
            Problem(
                "dimension", N_("Choose one of: {choices}."), {"choices": ", ".join(DIMENSIONS)}
            )
        )
    member: City | None = None
    if data.kpi:
        member = db.scalar(select(City).where(City.slug == data.city)) if data.city else None
        members = {p.city_id for p in partners(db, partnership) if p.city_id}
        if member is None or member.id not in members:
            problems.append(Problem("city", N_("Choose the partner city whose KPI it is.")))
        elif data.kpi not in catalogue():
            problems.append(Problem("kpi", N_("There is no KPI {kpi}."), {"kpi": data.kpi}))
        elif data.kpi not in published_by(db, member):
            problems.append(
                Problem(
                    "kpi",
                    N_(
                        "{city} does not publish {kpi} to the network; add it to the "
                        "scorecard's published KPIs first."
                    ),
                    {"city": member.name, "kpi": data.kpi},
                )
            )
        if not re.match(r"^\d{4}-(0[1-9]|1[0-2])$", data.baseline_month):
            problems.append(
                Problem("baseline_month", N_("Write the month as YYYY-MM, e.g. 2026-03."))
            )
        if data.target is None:
            problems.append(Problem("target", N_("Give the value the project aims for.")))
    if problems:
        raise InvalidInput(N_("The aim cannot be saved."), problems=problems)
    aim = Aim(
        project_id=project.id,
        dimension=data.dimension,
        text=data.text,
        city_id=member.id if member and data.kpi else None,
        kpi=data.kpi or None,
        baseline_month=data.baseline_month or None,
        target=data.target if data.kpi else None,
    )
    db.add(aim)
    db.flush()
    return aim


@dataclass(frozen=True)
class Progress:
    aim: Aim
    kpi: Kpi | None
    city: City | None
    baseline: float | None
    latest: float | None
    latest_month: str | None
    share: float | None  # of the way from the baseline to the target, 0..1 (may pass 1)
    state: str  # measured, no_baseline, no_figure, withheld, described


def progress(db: Session, aim: Aim) -> Progress:
    """How far a measured aim has come, from the partner city's published figures."""
    if not aim.kpi or aim.city_id is None:
        return Progress(aim, None, None, None, None, None, None, "described")
    kpi = catalogue().get(aim.kpi)
    city = db.get(City, aim.city_id)
    figures = {
        f.period: f
        for f in db.scalars(
            select(NetworkFigure).where(
                NetworkFigure.city_id == aim.city_id, NetworkFigure.kpi == aim.kpi
            )
        )
    }
    base = figures.get(aim.baseline_month or "")
    # the latest complete month: the one under way is not a month's figure yet
    last_month = last_complete_month(city) if city is not None else "9999-12"
    later = [f for m, f in sorted(figures.items()) if (aim.baseline_month or "") < m <= last_month]
    last = later[-1] if later else None
    if base is None or base.value is None:
        state = "withheld" if base is not None else "no_baseline"
        return Progress(aim, kpi, city, None, None, None, None, state)
    if last is None:
        return Progress(aim, kpi, city, base.value, None, None, None, "no_figure")
    if last.value is None:
        return Progress(aim, kpi, city, base.value, None, last.period, None, "withheld")
    share = None
    if aim.target is not None and aim.target != base.value:
        share = round((last.value - base.value) / (aim.target - base.value), 3)
    return Progress(aim, kpi, city, base.value, last.value, last.period, share, "measured")


class MilestoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: str = Field(min_length=1, max_length=200)
    due_on: date


def add_milestone(
    db: Session, project: Project, city: City, principal: Principal, data: MilestoneIn
) -> Milestone:
    _editor(db, get_partnership(db, project.partnership_id), city, principal)
    milestone = Milestone(project_id=project.id, title=data.title, due_on=data.due_on.isoformat())
    db.add(milestone)
    db.flush()
    return milestone


def mark_done(
    db: Session, project: Project, milestone_id: int, city: City, principal: Principal, on: date
) -> Milestone:
    _editor(db, get_partnership(db, project.partnership_id), city, principal)
    milestone = db.get(Milestone, milestone_id)
    if milestone is None or milestone.project_id != project.id:
        raise NotFound(N_("There is no milestone {id}."), id=milestone_id)
    milestone.done_on = None if milestone.done_on else on.isoformat()
    return milestone


class MissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    expert: str = Field(min_length=1, max_length=200)
    organisation: str = Field(default="", max_length=200)
    partner_id: int
    starts_on: date
    ends_on: date
    purpose: str = Field(default="", max_length=4000)


def add_mission(
    db: Session, project: Project, city: City, principal: Principal, data: MissionIn
) -> Mission:
    partnership = get_partnership(db, project.partnership_id)
    _editor(db, partnership, city, principal)
    if data.partner_id not in {p.id for p in partners(db, partnership)}:
        raise refuse("partner_id", N_("Choose one of the partnership's cities."))
    if data.ends_on < data.starts_on:
        raise refuse("ends_on", N_("The mission must end after it begins."))
    mission = Mission(
        project_id=project.id,
        expert=data.expert,
        organisation=data.organisation,
        partner_id=data.partner_id,
        starts_on=data.starts_on.isoformat(),
        ends_on=data.ends_on.isoformat(),
        purpose=data.purpose,
    )
    db.add(mission)
    db.flush()
    return mission


def add_report(
    db: Session, project: Project, city: City, principal: Principal, *, period: str, text: str
) -> Report:
    _editor(db, get_partnership(db, project.partnership_id), city, principal)
    period, text = period.strip(), text.strip()
    if not period:
        raise refuse("period", N_("Write something here."))
    if len(period) > 40:
        raise refuse("period", N_("Write at most {limit} characters."), limit=40)
    if not text:
        raise refuse("text", N_("Write something here."))
    if len(text) > 20_000:
        raise refuse("text", N_("Write at most {limit} characters."), limit=20_000)
    report = Report(project_id=project.id, period=period, text=text, created_by=principal.label)
    db.add(report)
    db.flush()
    return report


@dataclass(frozen=True)
class ProjectView:
    project: Project
    partnership: Partnership
    partners: list[Partner]
    aims: list[Progress]
    milestones: list[Milestone]
    missions: list[tuple[Mission, Partner]]
    reports: list[Report]


def project_view(db: Session, project: Project) -> ProjectView:
    partnership = get_partnership(db, project.partnership_id)
    found = partners(db, partnership)
    by_id = {p.id: p for p in found}
    return ProjectView(
        project,
        partnership,
        found,
        [
            progress(db, a)
            for a in db.scalars(select(Aim).where(Aim.project_id == project.id).order_by(Aim.id))
        ],
        list(
            db.scalars(
                select(Milestone)
                .where(Milestone.project_id == project.id)
                .order_by(Milestone.due_on)
            )
        ),
        [
            (m, by_id[m.partner_id])
            for m in db.scalars(
                select(Mission).where(Mission.project_id == project.id).order_by(Mission.starts_on)
            )
            if m.partner_id in by_id
        ],
        list(
            db.scalars(
                select(Report)
                .where(Report.project_id == project.id)
                .order_by(Report.created_at.desc())
            )
        ),
    )


def projects(db: Session, partnership: Partnership) -> list[Project]:
    return list(
        db.scalars(
            select(Project)
            .where(Project.partnership_id == partnership.id)
            .order_by(Project.starts_on)
        )
    )
