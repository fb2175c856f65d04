"""Contests for good practices (the PCM's "Buenas Prácticas en Gestión Pública", MINAM's
Antonio Brack prize): the coordinator opens one with categories and weighted criteria,
cities enter their published practices until it closes, jurors score them (never their
own city's, nor a city they declared a conflict of interest with), and the results are
published with the scores."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from statistics import mean
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.core.db import utcnow
from civitas.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from civitas.core.i18n import N_, NP_
from civitas.network.community import refuse
from civitas.network.models import Contest, Entry, Juror, Practice, Profile, Score

STATUSES = {
    "open": N_("open for entries"),
    "judging": N_("closed; the jury is scoring"),
    "published": N_("results published"),
}
CODE = re.compile(r"^[a-z][a-z0-9_]{0,29}$")


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: str = Field(min_length=1, max_length=30)
    name: str = Field(min_length=1, max_length=200)


class CriterionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: str = Field(min_length=1, max_length=30)
    name: str = Field(min_length=1, max_length=200)
    weight: float = Field(gt=0, le=100)
    max: int = Field(default=10, ge=1, le=100)


class ContestIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20_000)
    categories: list[CategoryIn] = Field(min_length=1, max_length=20)
    criteria: list[CriterionIn] = Field(min_length=1, max_length=20)
    closes_on: date


def today(city: City | None = None) -> date:
    from zoneinfo import ZoneInfo

    return utcnow().astimezone(ZoneInfo(city.timezone if city else "UTC")).date()


def open_contest(db: Session, data: ContestIn, *, actor: str) -> Contest:
    problems: list[Problem] = []
    lists: list[tuple[str, list[str]]] = [
        ("categories", [c.code for c in data.categories]),
        ("criteria", [c.code for c in data.criteria]),
    ]
    for name, codes in lists:
        seen: set[str] = set()
        for i, code in enumerate(codes):
            if not CODE.match(code):
                problems.append(
                    Problem(
                        f"{name}[{i}].code",
                        N_("Use lower-case letters, digits and _ (at most 30), e.g. waste."),
                    )
                )
            elif code in seen:
                problems.append(Problem(f"{name}[{i}].code", N_("This code is given twice.")))
            seen.add(code)
    if data.closes_on < today():
        problems.append(Problem("closes_on", N_("The closing day cannot lie in the past.")))
    if problems:
        raise InvalidInput(
            NP_(
                "The contest has {count} problem; nothing was stored.",
                "The contest has {count} problems; nothing was stored.",
            ),
            problems=problems,
            count=len(problems),
        )
    contest = Contest(
        title=data.title,
        description=data.description,
        categories=[c.model_dump() for c in data.categories],
        criteria=[c.model_dump() for c in data.criteria],
        closes_on=data.closes_on.isoformat(),
        status="open",
        created_by=actor,
    )
    db.add(contest)
    db.flush()
    return contest


def get_contest(db: Session, contest_id: int) -> Contest:
    found = db.get(Contest, contest_id)
    if found is None:
        raise NotFound(N_("There is no contest {id}."), id=contest_id)
    return found


def is_open(contest: Contest, city: City | None = None) -> bool:
    return contest.status == "open" and today(city).isoformat() <= contest.closes_on


def enter(
    db: Session, city: City, contest: Contest, *, practice_id: int, category: str, actor: str
) -> Entry:
    """``city`` enters one of its published practices in a category."""
    if not is_open(contest, city):
        raise Conflict(
            N_("The contest closed on {day}; it takes no more entries."), day=contest.closes_on
        )
    practice = db.get(Practice, practice_id)
    if practice is None or practice.city_id != city.id:
        raise refuse("practice", N_("Choose one of {city}'s practices."), city=city.name)
    if practice.status != "published":
        raise refuse("practice", N_("Only a practice published in the network can be entered."))
    if category not in {c["code"] for c in contest.categories}:
        raise refuse(
            "category",
            N_("Choose one of: {choices}."),
            choices=", ".join(c["name"] for c in contest.categories),
        )
    if db.scalar(
        select(Entry.id).where(Entry.contest_id == contest.id, Entry.practice_id == practice_id)
    ):
        raise Conflict(N_("This practice is entered already."))
    entry = Entry(
        contest_id=contest.id,
        practice_id=practice_id,
        city_id=city.id,
        category=category,
        created_by=actor,
    )
    db.add(entry)
    db.flush()
    return entry


def appoint(
    db: Session, contest: Contest, profile: Profile, *, conflicts: list[int], note: str
) -> Juror:
    """The coordinator appoints a juror; the cities they declare a conflict with (their
    own city always counts as one)."""
    if contest.status == "published":
        raise Conflict(N_("The results are published; the jury is closed."))
    juror = db.scalar(
        select(Juror).where(Juror.contest_id == contest.id, Juror.profile_id == profile.id)
    )
    known = set(db.scalars(select(City.id)))
    bad = [c for c in conflicts if c not in known]
    if bad:
        raise refuse("conflicts", N_("There is no city {id}."), id=bad[0])
    if juror is None:
        juror = Juror(contest_id=contest.id, profile_id=profile.id)
        db.add(juror)
    juror.conflicts = sorted(set(conflicts))
    juror.conflict_note = note.strip()[:4000]
    db.flush()
    return juror


def juror_of(db: Session, contest: Contest, profile: Profile) -> Juror | None:
    return db.scalar(
        select(Juror).where(Juror.contest_id == contest.id, Juror.profile_id == profile.id)
    )


def close(db: Session, contest: Contest) -> Contest:
    if contest.status != "open":
        raise Conflict(N_("Only an open contest can be closed."))
    contest.status = "judging"
    return contest


def score(
    db: Session,
    contest: Contest,
    profile: Profile,
    *,
    entry_id: int,
    scores: dict[str, Any],
    comment: str,
) -> Score:
    """A juror's scores of one entry (a second time replaces the first)."""
    juror = juror_of(db, contest, profile)
    if juror is None:
        raise PermissionDenied(N_("Only a juror of this contest can score."))
    if contest.status == "published":
        raise Conflict(N_("The results are published; scores can no longer change."))
    entry = db.get(Entry, entry_id)
    if entry is None or entry.contest_id != contest.id:
        raise refuse("entry", N_("This entry is not in this contest."))
    # an outside participant's account is only kept in a city's user list: not their city
    if entry.city_id == profile.city_id and not profile.outside:
        raise Conflict(N_("You cannot score a practice of your own city."))
    if entry.city_id in juror.conflicts:
        raise Conflict(
            N_("You declared a conflict of interest with this city; you cannot score its entry.")
        )
    problems: list[Problem] = []
    clean: dict[str, float] = {}
    for criterion in contest.criteria:
        code, top = criterion["code"], criterion["max"]
        raw = scores.get(code)
        try:
            value = float(str(raw).replace(",", "."))
        except (TypeError, ValueError):
            problems.append(
                Problem(f"score[{code}]", N_("Give a score from 0 to {max}."), {"max": top})
            )
            continue
        if not 0 <= value <= top:
            problems.append(
                Problem(f"score[{code}]", N_("Give a score from 0 to {max}."), {"max": top})
            )
            continue
        clean[code] = value
    if problems:
        raise InvalidInput(N_("The scores cannot be saved."), problems=problems)
    found = db.scalar(select(Score).where(Score.entry_id == entry.id, Score.juror_id == juror.id))
    if found is None:
        found = Score(entry_id=entry.id, juror_id=juror.id, scores=clean)
        db.add(found)
    found.scores = clean
    found.comment = comment.strip()[:4000]
    found.created_at = utcnow()
    db.flush()
    return found


@dataclass(frozen=True)
class Result:
    entry: Entry
    practice: Practice
    total: float | None  # weighted, out of 100
    per_criterion: dict[str, float]  # mean score per criterion
    jurors: int
    rank: int | None


def results(db: Session, contest: Contest) -> dict[str, list[Result]]:
    """Per category, the entries ranked by their weighted score (0–100): each criterion's
    mean over the jurors who scored it, scaled by its maximum and weighted."""
    weights = {c["code"]: float(c["weight"]) for c in contest.criteria}
    tops = {c["code"]: float(c["max"]) for c in contest.criteria}
    total_weight = sum(weights.values())
    out: dict[str, list[Result]] = {c["code"]: [] for c in contest.categories}
    rows = db.execute(
        select(Entry, Practice)
        .join(Practice, Practice.id == Entry.practice_id)
        .where(Entry.contest_id == contest.id)
    ).all()
    scored: dict[int, list[dict[str, float]]] = {}
    for s in db.scalars(select(Score).where(Score.entry_id.in_([e.id for e, _ in rows] or [0]))):
        scored.setdefault(s.entry_id, []).append(s.scores)
    for entry, practice in rows:
        sheets = scored.get(entry.id, [])
        per = {
            code: round(mean(s[code] for s in sheets if code in s), 2)
            for code in weights
            if any(code in s for s in sheets)
        }
        total = None
        if sheets and len(per) == len(weights):
            total = round(
                100 * sum(weights[c] * per[c] / tops[c] for c in weights) / total_weight, 1
            )
        out.setdefault(entry.category, []).append(
            Result(entry, practice, total, per, len(sheets), None)
        )
    for code, items in out.items():
        items.sort(key=lambda r: (r.total is None, -(r.total or 0), r.entry.id))
        out[code] = [
            Result(r.entry, r.practice, r.total, r.per_criterion, r.jurors, i + 1)
            if r.total is not None
            else r
            for i, r in enumerate(items)
        ]
    return out


def publish(db: Session, contest: Contest) -> Contest:
    if contest.status != "judging":
        raise Conflict(N_("Close the contest before publishing its results."))
    contest.status = "published"
    contest.published_at = utcnow()
    return contest


def contests(db: Session) -> list[Contest]:
    return list(db.scalars(select(Contest).order_by(Contest.closes_on.desc())))
