"""The sustainable balanced scorecard: five perspectives, the city's objectives in each,
and measures (a KPI with a target and an amber threshold) judged green, amber or red per
month, with the history across months.

Administrators write it as YAML (in the browser or with ``civitas insight
load-scorecard``); each save is a new version valid from a month, so past months are
judged by the targets they had."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit
from civitas.core.documents import located, model_of, parse_yaml
from civitas.core.errors import InvalidInput, Problem
from civitas.core.i18n import N_, NP_
from civitas.core.kpis import Kpi, catalogue
from civitas.insight.models import ScorecardVersion

Perspective = Literal["residents", "processes", "finance", "learning", "climate"]
PERSPECTIVES: dict[str, str] = {
    "residents": N_("Residents and results"),
    "processes": N_("Services and processes"),
    "finance": N_("Resources and finance"),
    "learning": N_("Learning and growth"),
    "climate": N_("Climate and environment"),
}
Light = Literal["green", "amber", "red", "none"]
LIGHT_LABELS: dict[str, str] = {
    "green": N_("on target"),
    "amber": N_("close to target"),
    "red": N_("off target"),
    "none": N_("no figure"),
}
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{1,39}$")]
Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
Texts = dict[Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")], str]


class ManualKpiIn(BaseModel):
    """A figure no system of the city holds yet, entered by staff each month."""

    model_config = ConfigDict(extra="forbid")

    code: Code
    name: Texts = Field(min_length=1)
    unit: Literal["count", "percent", "hours", "days", "score", "money", "tonnes"] = "count"
    better: Literal["up", "down"]


class MeasureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kpi: Code
    target: float
    amber: float = Field(description="Where amber turns red (below target if up is better)")


class ObjectiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code
    perspective: Perspective
    title: Texts = Field(min_length=1)
    measures: list[MeasureIn] = Field(min_length=1)


class ScorecardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    valid_from: Month
    manual_kpis: list[ManualKpiIn] = Field(default_factory=list)
    objectives: list[ObjectiveIn] = Field(min_length=1)
    publish: list[Code] = Field(
        default_factory=list, description="KPIs the city shares with the learning network"
    )


def _manual(items: list[ManualKpiIn]) -> dict[str, Kpi]:
    return {
        m.code: Kpi(
            m.code,
            m.code,
            N_("Entered by the city's staff each month."),
            "count" if m.unit == "tonnes" else m.unit,
            m.better,
            "manual",
            ("all",),
            names=dict(m.name),
        )
        for m in items
    }


def check(text: str) -> ScorecardIn:
    """Parse and check a scorecard document; every problem is named with its line."""
    parsed = parse_yaml(
        text, expected=N_("Expected a mapping with 'valid_from', 'objectives' and 'publish'.")
    )
    card = model_of(
        parsed,
        ScorecardIn,
        NP_(
            "The scorecard has {count} problem; nothing was saved.",
            "The scorecard has {count} problems; nothing was saved.",
        ),
    )

    def at(loc: tuple[str | int, ...], message: str, **params: Any) -> Problem:
        return located(parsed, loc, message, **params)

    known = {**catalogue(), **_manual(card.manual_kpis)}
    problems: list[Problem] = []
    for i, m in enumerate(card.manual_kpis):
        if m.code in catalogue():
            problems.append(
                at(
                    ("manual_kpis", i, "code"),
                    N_("'{code}' is already a computed KPI; choose another code."),
                    code=m.code,
                )
            )
    seen: set[str] = set()
    for i, objective in enumerate(card.objectives):
        if objective.code in seen:
            problems.append(
                at(
                    ("objectives", i, "code"),
                    N_("The code '{code}' is used twice."),
                    code=objective.code,
                )
            )
        seen.add(objective.code)
        for j, measure in enumerate(objective.measures):
            where = ("objectives", i, "measures", j)
            kpi = known.get(measure.kpi)
            if kpi is None:
                problems.append(
                    at(
                        (*where, "kpi"),
                        N_("There is no KPI '{kpi}'. Known KPIs: {known}."),
                        kpi=measure.kpi,
                        known=", ".join(sorted(known)),
                    )
                )
            elif kpi.better == "none":
                problems.append(
                    at(
                        (*where, "kpi"),
                        N_(
                            "'{kpi}' has no better direction (more is neither good nor bad), "
                            "so it cannot have a target; show it on the dashboard instead."
                        ),
                        kpi=measure.kpi,
                    )
                )
            elif kpi.better == "up" and measure.amber > measure.target:
                problems.append(
                    at(
                        (*where, "amber"),
                        N_(
                            "More is better for '{kpi}', so the amber threshold ({amber}) must "
                            "not be above the target ({target})."
                        ),
                        kpi=measure.kpi,
                        amber=measure.amber,
                        target=measure.target,
                    )
                )
            elif kpi.better == "down" and measure.amber < measure.target:
                problems.append(
                    at(
                        (*where, "amber"),
                        N_(
                            "Less is better for '{kpi}', so the amber threshold ({amber}) must "
                            "not be below the target ({target})."
                        ),
                        kpi=measure.kpi,
                        amber=measure.amber,
                        target=measure.target,
                    )
                )
    for i, code in enumerate(card.publish):
        if code not in known:
            problems.append(
                at(
                    ("publish", i),
                    N_("There is no KPI '{kpi}' to publish."),
                    kpi=code,
                )
            )
    if problems:
        raise InvalidInput(
            NP_(
                "The scorecard has {count} problem; nothing was saved.",
                "The scorecard has {count} problems; nothing was saved.",
            ),
            problems=problems,
            count=len(problems),
        )
    return card


def save(db: Session, city: City, *, text: str, actor: str) -> ScorecardVersion:
    """Check the document, then store it as the city's next version (the caller commits)."""
    enter_city(db, city)
    card = check(text)
    latest = current_version(db, city)
    if latest is not None and latest.source == text:
        return latest  # saving the same text again changes nothing
    number = (db.scalar(select(func.max(ScorecardVersion.version))) or 0) + 1
    row = ScorecardVersion(
        version=number,
        valid_from=card.valid_from,
        definition=card.model_dump(mode="json"),
        source=text,
        created_by=actor,
    )
    db.add(row)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="scorecard.saved",
        entity_type="scorecard",
        entity_id=number,
        changes={"valid_from": card.valid_from, "publish": card.publish},
    )
    return row


def current_version(db: Session, city: City) -> ScorecardVersion | None:
    enter_city(db, city)
    return db.scalar(select(ScorecardVersion).order_by(ScorecardVersion.version.desc()).limit(1))


def version_for(db: Session, city: City, month: str) -> ScorecardVersion | None:
    """The version that judges ``month``: the latest saved one valid from then or before
    (or, for months before the first, the first)."""
    enter_city(db, city)
    found = db.scalar(
        select(ScorecardVersion)
        .where(ScorecardVersion.valid_from <= month)
        .order_by(ScorecardVersion.version.desc())
        .limit(1)
    )
    if found is None:
        found = db.scalar(select(ScorecardVersion).order_by(ScorecardVersion.version).limit(1))
    return found


def definition(row: ScorecardVersion | None) -> ScorecardIn | None:
    return None if row is None else ScorecardIn.model_validate(row.definition)


def manual_kpis(db: Session, city: City) -> dict[str, Kpi]:
    card = definition(current_version(db, city))
    return {} if card is None else _manual(card.manual_kpis)


def published_kpis(db: Session, city: City) -> list[str]:
    card = definition(current_version(db, city))
    return [] if card is None else list(card.publish)


def light(kpi: Kpi, measure: MeasureIn, value: float | None) -> Light:
    if value is None:
        return "none"
    if kpi.better == "up":
        return "green" if value >= measure.target else "amber" if value >= measure.amber else "red"
    return "green" if value <= measure.target else "amber" if value <= measure.amber else "red"


@dataclass(frozen=True)
class Point:
    month: str
    value: float | None
    light: Light
    target: float


@dataclass(frozen=True)
class MeasureView:
    objective: str
    kpi: Kpi
    target: float
    amber: float
    value: float | None
    n: int
    light: Light
    previous: float | None
    trend: Literal["better", "worse", "same", "none"]
    history: list[Point]


@dataclass(frozen=True)
class ObjectiveView:
    code: str
    perspective: str
    title: dict[str, str]
    measures: list[MeasureView]


def view(db: Session, city: City, month: str, *, months: int = 12) -> list[ObjectiveView]:
    """The scorecard of ``month`` with each measure's light, trend and history (each past
    month judged by the version valid then)."""
    from civitas.insight.figures import months_back, series

    card = definition(version_for(db, city, month))
    if card is None:
        return []
    span = months_back(city, month, months)
    known = {**catalogue(city), **manual_kpis(db, city), **_manual(card.manual_kpis)}
    codes = sorted({m.kpi for o in card.objectives for m in o.measures})
    data = series(db, city, codes, span)
    cards = {m: definition(version_for(db, city, m)) or card for m in span}
    out = []
    for objective in card.objectives:
        measures = []
        for measure in objective.measures:
            kpi = known[measure.kpi]
            history = []
            for m in span:
                past = _measure_in(cards[m], objective.code, measure.kpi) or measure
                fig = data.get(measure.kpi, {}).get((m, ""))
                value = None if fig is None else fig.value
                history.append(Point(m, value, light(kpi, past, value), past.target))
            now, before = history[-1], history[-2] if len(history) > 1 else None
            current = data.get(measure.kpi, {}).get((month, ""))
            measures.append(
                MeasureView(
                    objective=objective.code,
                    kpi=kpi,
                    target=measure.target,
                    amber=measure.amber,
                    value=now.value,
                    n=0 if current is None else current.n,
                    light=now.light,
                    previous=None if before is None else before.value,
                    trend=_trend(kpi, now.value, None if before is None else before.value),
                    history=history,
                )
            )
        out.append(ObjectiveView(objective.code, objective.perspective, objective.title, measures))
    return out


def _measure_in(card: ScorecardIn, objective: str, kpi: str) -> MeasureIn | None:
    for o in card.objectives:
        if o.code == objective:
            for m in o.measures:
                if m.kpi == kpi:
                    return m
    return None


def _trend(
    kpi: Kpi, now: float | None, before: float | None
) -> Literal["better", "worse", "same", "none"]:
    if now is None or before is None:
        return "none"
    if abs(now - before) < 1e-9:
        return "same"
    improved = now > before if kpi.better == "up" else now < before
    return "better" if improved else "worse"


def as_yaml(card: ScorecardIn) -> str:
    return yaml.safe_dump(card.model_dump(mode="json"), allow_unicode=True, sort_keys=False)


EXAMPLE = """\
# The city's balanced scorecard. Perspectives: residents, processes, finance, learning,
# climate. Each measure is a KPI (see the list below the editor) with a target and the
# amber threshold where amber turns red. valid_from: the first month it judges.
valid_from: "2026-01"
manual_kpis:
  - code: fleet_co2_t
    name: {en: CO₂ of the city's fleet (t)}
    unit: tonnes
    better: down
objectives:
  - code: satisfied-residents
    perspective: residents
    title: {en: Satisfied residents}
    measures:
      - {kpi: csat_pct, target: 80, amber: 70}
  - code: fast-reliable
    perspective: processes
    title: {en: Fast and reliable}
    measures:
      - {kpi: deadline_met_pct, target: 90, amber: 80}
  - code: climate
    perspective: climate
    title: {en: Protect the climate}
    measures:
      - {kpi: fleet_co2_t, target: 40, amber: 48}
publish: [volume, csat_pct]
"""
