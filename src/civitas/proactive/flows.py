"""Multi-step work: a life event arrives, the register changes, the rules it triggers run."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.proactive.engine import evaluate_persons
from civitas.proactive.models import Decision
from civitas.register.schemas import LifeEventIn
from civitas.register.service import Applied, record_event


@dataclass
class Received:
    applied: Applied
    decisions: list[Decision] = field(default_factory=list)


def receive_event(
    db: Session, city: City, event: LifeEventIn, *, source: str, actor: str
) -> Received:
    """Apply the event and evaluate the rules it triggers for the persons it touched, all in
    the caller's transaction: the register and the decisions change together or not at all.
    A retried event (same event_id, same contents) changes nothing and decides nothing."""
    applied = record_event(db, city, event, source=source, actor=actor)
    if not applied.created:
        return Received(applied)
    decisions = evaluate_persons(
        db, city, applied.persons, on=event.date, trigger=event.type, actor="system:rules"
    )
    return Received(applied, decisions)
