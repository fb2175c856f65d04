"""Good practices: a city's staff write their own city's (draft → submitted), the
network's coordinator reviews them (published, or back to the city with a note), other
cities mark a published one as adopted and their KPIs are followed the same way. A
practice's evidence is checked whole before anything is stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civitas.catalogue.service import list_services
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit, uploads
from civitas.core.db import utcnow
from civitas.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from civitas.core.files import store_bytes
from civitas.core.i18n import N_, NP_
from civitas.core.kpis import catalogue
from civitas.network import evidence
from civitas.network.models import Adoption, Attachment, Evidence, Practice

TOPICS = {
    "waste": N_("Waste and recycling"),
    "mobility": N_("Mobility"),
    "citizen_service": N_("Citizen service"),
    "climate": N_("Climate and environment"),
    "social": N_("Social services"),
    "governance": N_("Transparency and governance"),
}
LANGUAGES = ("es", "de", "en")


class EvidenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kpi: str = Field(min_length=1, max_length=40)
    baseline_from: str = Field(default="", max_length=7)
    baseline_to: str = Field(default="", max_length=7)
    after_from: str = Field(default="", max_length=7)
    after_to: str = Field(default="", max_length=7)

    def windows(self) -> evidence.Windows:
        return evidence.Windows(
            self.baseline_from, self.baseline_to, self.after_from, self.after_to
        )


Texts = dict[str, str]


class PracticeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    topic: str = Field(max_length=30)
    title: Texts
    problem: Texts
    action: Texts
    resources: Texts = Field(default_factory=dict)
    steps: Texts = Field(default_factory=dict)
    contact: str = Field(default="", max_length=300)
    services: list[str] = Field(default_factory=list, max_length=20)
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=10)


def _texts_problems(data: PracticeIn) -> list[Problem]:
    problems = []
    for name in ("title", "problem", "action", "resources", "steps"):
        texts: Texts = getattr(data, name)
        for lang, text in texts.items():
            if lang not in LANGUAGES:
                problems.append(
                    Problem(
                        f"{name}.{lang}",
                        N_("Write in es, de or en; {language} is not one of them."),
                        {"language": lang},
                    )
                )
            elif len(text) > (200 if name == "title" else 8000):
                problems.append(Problem(f"{name}.{lang}", N_("The text is too long.")))
        if name in ("title", "problem", "action") and not any(t.strip() for t in texts.values()):
            problems.append(Problem(name, N_("Write this in at least one language.")))
    return problems


def check_practice(db: Session, city: City, data: PracticeIn) -> list[Problem]:
    """Every problem of a practice as written for ``city``, each at its field."""
    problems = _texts_problems(data)
    if data.topic not in TOPICS:
        problems.append(
            Problem("topic", N_("Choose one of: {choices}."), {"choices": ", ".join(TOPICS)})
        )
    codes = {s.code for s in list_services(db, city)}
    for i, code in enumerate(data.services):
        if code not in codes:
            problems.append(
                Problem(
                    f"services[{i}]",
                    N_("{city} has no service {code}."),
                    {"city": city.name, "code": code},
                )
            )
    seen: set[str] = set()
    for i, item in enumerate(data.evidence):
        if item.kpi in seen:
            problems.append(
                Problem(f"evidence[{i}].kpi", N_("This KPI is given twice."), {"kpi": item.kpi})
            )
        seen.add(item.kpi)
        problems += evidence.check(db, city, item.kpi, item.windows(), where=f"evidence[{i}]")
    return problems


def _refuse(problems: list[Problem]) -> None:
    if problems:
        raise InvalidInput(
            NP_(
                "The practice has {count} problem; nothing was stored.",
                "The practice has {count} problems; nothing was stored.",
            ),
            problems=problems,
            count=len(problems),
        )


def _store_evidence(db: Session, city: City, practice: Practice, items: list[EvidenceIn]) -> None:
    for item in items:
        found = evidence.effect(db, city, item.kpi, item.windows())
        db.add(
            Evidence(
                practice_id=practice.id,
                city_id=city.id,
                kpi=item.kpi,
                baseline_from=item.baseline_from,
                baseline_to=item.baseline_to,
                after_from=item.after_from,
                after_to=item.after_to,
                effect=found.as_json(),
                computed_at=utcnow(),
            )
        )


def create_practice(db: Session, city: City, *, data: PracticeIn, actor: str) -> Practice:
    """A draft practice of ``city`` (the actor's own city), with its evidence."""
    _refuse(check_practice(db, city, data))
    now = utcnow()
    practice = Practice(
        city_id=city.id,
        topic=data.topic,
        title=data.title,
        problem=data.problem,
        action=data.action,
        resources=data.resources,
        steps=data.steps,
        contact=data.contact,
        services=data.services,
        status="draft",
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    db.add(practice)
    db.flush()
    _store_evidence(db, city, practice, data.evidence)
    audit.record(
        db, actor=actor, action="practice.created", entity_type="practice", entity_id=practice.id
    )
    db.flush()
    return practice


def get_practice(db: Session, practice_id: int) -> Practice:
    found = db.get(Practice, practice_id)
    if found is None:
        raise NotFound(N_("There is no practice {id}."), id=practice_id)
    return found


def _own(practice: Practice, city: City) -> None:
    if practice.city_id != city.id:
        raise PermissionDenied(N_("Only the practice's own city can change it."))


def submit(db: Session, city: City, practice_id: int, *, actor: str) -> Practice:
    """The city sends its draft to the network's coordinator for review."""
    enter_city(db, city)
    practice = get_practice(db, practice_id)
    _own(practice, city)
    if practice.status != "draft":
        raise Conflict(N_("Only a draft can be submitted."))
    practice.status = "submitted"
    practice.submitted_at = practice.updated_at = utcnow()
    audit.record(
        db, actor=actor, action="practice.submitted", entity_type="practice", entity_id=practice.id
    )
    return practice


def review(db: Session, practice_id: int, *, publish: bool, note: str, actor: str) -> Practice:
    """The coordinator publishes a submitted practice, or returns it with a note."""
    practice = get_practice(db, practice_id)
    if practice.status != "submitted":
        raise Conflict(N_("Only a submitted practice can be reviewed."))
    if not publish and not note.strip():
        raise InvalidInput(
            N_("Say what the city should change."),
            problems=[Problem("note", N_("Say what the city should change."))],
        )
    now = utcnow()
    practice.status = "published" if publish else "draft"
    practice.review_note = note.strip()[:4000]
    practice.reviewed_by = actor
    practice.updated_at = now
    if publish:
        practice.published_at = now
    # the network's space belongs to no city: the review is kept on the practice itself
    # (who, when, the note), not in a city's audit log
    return practice


def adopt(
    db: Session,
    city: City,
    practice_id: int,
    *,
    started: str,
    items: list[EvidenceIn],
    note: str = "",
    actor: str,
) -> Adoption:
    """``city`` marks a published practice of another city as adopted; its own KPIs are
    followed with their windows, checked as the owner's are."""
    enter_city(db, city)
    practice = get_practice(db, practice_id)
    if practice.status != "published":
        raise Conflict(N_("Only a published practice can be adopted."))
    if practice.city_id == city.id:
        raise Conflict(N_("A city cannot adopt its own practice."))
    if db.scalar(
        select(Adoption.id).where(Adoption.practice_id == practice.id, Adoption.city_id == city.id)
    ):
        raise Conflict(N_("{city} has adopted this practice already."), city=city.name)
    problems = []
    if (bad := evidence.month_problem(started, "started", city)) is not None:
        problems.append(bad)
    for i, item in enumerate(items):
        problems += evidence.check(db, city, item.kpi, item.windows(), where=f"evidence[{i}]")
    _refuse(problems)
    adoption = Adoption(
        practice_id=practice.id,
        city_id=city.id,
        started=started,
        note=note.strip()[:4000],
        created_by=actor,
    )
    db.add(adoption)
    db.flush()
    _store_evidence(db, city, practice, items)
    audit.record(
        db, actor=actor, action="practice.adopted", entity_type="practice", entity_id=practice.id
    )
    return adoption


def search(
    db: Session,
    *,
    text: str = "",
    topic: str = "",
    kpi: str = "",
    verdict: str = "",
) -> list[Practice]:
    """Published practices of every city: by words (any language), topic, a KPI in their
    evidence, and the verdict of that evidence ("improved")."""
    from civitas.catalogue.service import fold

    stmt = (
        select(Practice)
        .where(Practice.status == "published")
        .order_by(Practice.published_at.desc())
    )
    if topic:
        stmt = stmt.where(Practice.topic == topic)
    found = list(db.scalars(stmt))
    if kpi or verdict:
        rows = db.scalars(
            select(Evidence).where(Evidence.practice_id.in_([p.id for p in found]))
        ).all()
        keep = {
            e.practice_id
            for e in rows
            if (not kpi or e.kpi == kpi)
            and (not verdict or (e.effect or {}).get("verdict") == verdict)
        }
        found = [p for p in found if p.id in keep]
    words = fold(text).split()
    if words:

        def haystack(p: Practice) -> str:
            parts: list[Any] = [*p.title.values(), *p.problem.values(), *p.action.values()]
            return fold(" ".join(str(x) for x in parts))

        found = [p for p in found if all(w in haystack(p) for w in words)]
    return found


def update_practice(
    db: Session, city: City, practice_id: int, *, data: PracticeIn, actor: str
) -> Practice:
    """The city rewrites its draft (one returned by the coordinator, too): the texts, the
    services and the evidence, checked whole as a new one is."""
    enter_city(db, city)
    practice = get_practice(db, practice_id)
    _own(practice, city)
    if practice.status != "draft":
        raise Conflict(N_("Only a draft can be changed; ask the coordinator to return it."))
    _refuse(check_practice(db, city, data))
    for name in (
        "topic",
        "title",
        "problem",
        "action",
        "resources",
        "steps",
        "contact",
        "services",
    ):
        setattr(practice, name, getattr(data, name))
    practice.updated_at = utcnow()
    for old in db.scalars(
        select(Evidence).where(Evidence.practice_id == practice.id, Evidence.city_id == city.id)
    ):
        db.delete(old)
    db.flush()
    _store_evidence(db, city, practice, data.evidence)
    audit.record(
        db, actor=actor, action="practice.changed", entity_type="practice", entity_id=practice.id
    )
    return practice


MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 12
ATTACHMENT_TYPES = ["pdf", "jpeg", "png"]


def attach(
    db: Session,
    city: City,
    practice_id: int,
    *,
    data: bytes,
    name: str,
    media_root: Path,
    actor: str,
) -> Attachment:
    """A document or photo of the city's own practice: checked by its content and size
    before anything is written; the file is stored durably, then the row."""
    enter_city(db, city)
    practice = get_practice(db, practice_id)
    _own(practice, city)
    count = db.scalar(
        select(func.count()).select_from(Attachment).where(Attachment.practice_id == practice.id)
    )
    if int(count or 0) >= MAX_ATTACHMENTS:
        raise InvalidInput(
            N_("A practice has at most {limit} documents and photos."),
            problems=[
                Problem(
                    "file",
                    N_("A practice has at most {limit} documents and photos."),
                    {"limit": MAX_ATTACHMENTS},
                )
            ],
            limit=MAX_ATTACHMENTS,
        )
    checked = uploads.check(
        data, name=name, where="file", types=ATTACHMENT_TYPES, max_bytes=MAX_ATTACHMENT_BYTES
    )
    path, digest = store_bytes(
        media_root, "network/practices", checked.data, uploads.EXTENSIONS[checked.kind]
    )
    attachment = Attachment(
        practice_id=practice.id,
        kind=checked.kind,
        name=checked.name,
        path=path,
        size=len(checked.data),
        sha256=digest,
        created_by=actor,
    )
    db.add(attachment)
    practice.updated_at = utcnow()
    db.flush()
    return attachment


def attachments(db: Session, practice: Practice) -> list[Attachment]:
    return list(
        db.scalars(
            select(Attachment).where(Attachment.practice_id == practice.id).order_by(Attachment.id)
        )
    )


def detach(db: Session, city: City, practice_id: int, attachment_id: int) -> None:
    enter_city(db, city)
    practice = get_practice(db, practice_id)
    _own(practice, city)
    found = db.get(Attachment, attachment_id)
    if found is None or found.practice_id != practice.id:
        raise NotFound(N_("There is no document {id}."), id=attachment_id)
    db.delete(found)  # the file stays: another practice may hold the same content


def evidence_of(db: Session, practice: Practice) -> list[Evidence]:
    return list(
        db.scalars(
            select(Evidence).where(Evidence.practice_id == practice.id).order_by(Evidence.id)
        )
    )


def adoptions(db: Session, practice: Practice) -> list[Adoption]:
    return list(
        db.scalars(
            select(Adoption).where(Adoption.practice_id == practice.id).order_by(Adoption.id)
        )
    )


def refresh(db: Session, city: City) -> int:
    """Recompute the effects of the city's evidence (the owner's and its adoptions')
    from its figures as they are now; returns how many."""
    enter_city(db, city)
    count = 0
    for row in db.scalars(select(Evidence).where(Evidence.city_id == city.id)):
        windows = evidence.Windows(row.baseline_from, row.baseline_to, row.after_from, row.after_to)
        if row.kpi not in catalogue():
            continue
        row.effect = evidence.effect(db, city, row.kpi, windows).as_json()
        row.computed_at = utcnow()
        count += 1
    return count


def mine(db: Session, city: City) -> list[Practice]:
    """The city's own practices, every status."""
    return list(
        db.scalars(
            select(Practice).where(Practice.city_id == city.id).order_by(Practice.updated_at.desc())
        )
    )


def waiting_review(db: Session) -> list[Practice]:
    return list(
        db.scalars(
            select(Practice).where(Practice.status == "submitted").order_by(Practice.submitted_at)
        )
    )
