"""Benchmarking circles (as KGSt's IKO-Netz): cities that compare the same KPIs, whose
definitions the KPI registry keeps identical for all. Each member decides per KPI
whether it shares it in the circle; what it shares comes from the figures it publishes
to the network, small numbers already withheld there. The circle sees its members side
by side, with the spread and the best value."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.core.errors import Conflict, NotFound, PermissionDenied
from civitas.core.i18n import N_
from civitas.core.kpis import Kpi, catalogue
from civitas.insight.figures import last_complete_month
from civitas.insight.models import NetworkFigure
from civitas.insight.scorecard import published_kpis
from civitas.network.community import refuse
from civitas.network.models import Circle, CircleMember


def create_circle(db: Session, *, name: str, kpis: list[str], actor: str) -> Circle:
    known = catalogue()
    name = name.strip()
    if not name:
        raise refuse("name", N_("Write something here."))
    if len(name) > 200:
        raise refuse("name", N_("Write at most {limit} characters."), limit=200)
    chosen = list(dict.fromkeys(kpis))
    if not chosen:
        raise refuse("kpis", N_("Choose at least one KPI."))
    for code in chosen:
        if code not in known:
            raise refuse("kpis", N_("There is no KPI {kpi}."), kpi=code)
    circle = Circle(name=name, kpis=chosen, created_by=actor)
    db.add(circle)
    db.flush()
    return circle


def get_circle(db: Session, circle_id: int) -> Circle:
    found = db.get(Circle, circle_id)
    if found is None:
        raise NotFound(N_("There is no benchmarking circle {id}."), id=circle_id)
    return found


def membership(db: Session, circle: Circle, city: City) -> CircleMember | None:
    return db.scalar(
        select(CircleMember).where(
            CircleMember.circle_id == circle.id, CircleMember.city_id == city.id
        )
    )


def share(db: Session, city: City, circle: Circle, kpis: list[str]) -> CircleMember:
    """``city`` joins the circle (or changes what it shares): each KPI one of the
    circle's and one the city publishes to the network."""
    published = set(published_kpis(db, city))
    for code in kpis:
        if code not in circle.kpis:
            raise refuse("kpis", N_("The circle does not compare {kpi}."), kpi=code)
        if code not in published:
            raise refuse(
                "kpis",
                N_(
                    "{city} does not publish {kpi} to the network; add it to the "
                    "scorecard's published KPIs first."
                ),
                city=city.name,
                kpi=code,
            )
    found = membership(db, circle, city)
    if found is None:
        found = CircleMember(circle_id=circle.id, city_id=city.id)
        db.add(found)
    found.shared = [k for k in circle.kpis if k in set(kpis)]
    db.flush()
    return found


def leave(db: Session, city: City, circle: Circle) -> None:
    found = membership(db, circle, city)
    if found is None:
        raise Conflict(N_("{city} is not in this circle."), city=city.name)
    db.delete(found)


@dataclass(frozen=True)
class Cell:
    value: float | None
    month: str | None
    state: str  # shown, withheld (too few cases), not_shared, none (no figure yet)


@dataclass(frozen=True)
class Row:
    kpi: Kpi
    cells: dict[int, Cell]  # city id -> its figure
    lowest: float | None
    highest: float | None
    middle: float | None  # the median
    best: int | None  # the city with the best value


@dataclass(frozen=True)
class View:
    circle: Circle
    cities: list[City]
    rows: list[Row]


def view(db: Session, circle: Circle, viewer: City | None, *, moderator: bool) -> View:
    """The circle side by side: each member's latest published figure of each KPI it
    shares. Only its members and the coordinator see it."""
    members = {
        m.city_id: m
        for m in db.scalars(select(CircleMember).where(CircleMember.circle_id == circle.id))
    }
    if not moderator and (viewer is None or viewer.id not in members):
        raise PermissionDenied(N_("Only the circle's member cities can see its figures."))
    cities = list(
        db.scalars(select(City).where(City.id.in_(list(members) or [0])).order_by(City.name))
    )
    known = catalogue()
    latest: dict[tuple[int, str], NetworkFigure] = {}
    # complete months only: the month under way rests on a few days
    complete = {c.id: last_complete_month(c) for c in cities}
    for fig in db.scalars(
        select(NetworkFigure)
        .where(NetworkFigure.city_id.in_(list(members) or [0]), NetworkFigure.kpi.in_(circle.kpis))
        .order_by(NetworkFigure.period)
    ):
        if fig.period <= complete.get(fig.city_id, ""):
            latest[(fig.city_id, fig.kpi)] = fig
    rows = []
    for code in circle.kpis:
        if code not in known:
            continue
        kpi = known[code]
        cells: dict[int, Cell] = {}
        for city in cities:
            if code not in members[city.id].shared:
                cells[city.id] = Cell(None, None, "not_shared")
                continue
            found = latest.get((city.id, code))
            if found is None:
                cells[city.id] = Cell(None, None, "none")
            elif found.suppressed or found.value is None:
                cells[city.id] = Cell(None, found.period, "withheld")
            else:
                cells[city.id] = Cell(found.value, found.period, "shown")
        shown = {cid: c.value for cid, c in cells.items() if c.value is not None}
        best = None
        if len(shown) > 1 and kpi.better in ("up", "down"):
            pick = max if kpi.better == "up" else min
            best = pick(shown, key=lambda cid: shown[cid])
        values = list(shown.values())
        rows.append(
            Row(
                kpi,
                cells,
                min(values) if values else None,
                max(values) if values else None,
                median(values) if values else None,
                best,
            )
        )
    return View(circle, cities, rows)


def circles(db: Session) -> list[tuple[Circle, int]]:
    counts: dict[int, int] = {}
    for m in db.scalars(select(CircleMember)):
        counts[m.circle_id] = counts.get(m.circle_id, 0) + 1
    return [(c, counts.get(c.id, 0)) for c in db.scalars(select(Circle).order_by(Circle.name))]
