"""The demo cities' register and proactive services (safe to load again).

Each city gets its rules and parameters, a synthetic register of a few thousand residents,
and one demo family whose life events show the proactive city at work: a birth brings the
birth grant without an application, a move into a parking zone brings the permit offer,
and the family's access log shows every read. The parent has a resident account (the demo
password) with the family's e-mail address, to see "My offers" in the browser.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.config import Settings
from civitas.core.db import session_scope, utcnow
from civitas.core.security import hash_password
from civitas.proactive.engine import run_batch
from civitas.proactive.flows import receive_event
from civitas.proactive.models import Decision, Payment, Rule, RuleRun, RuleVersion
from civitas.proactive.notices import notify_pending
from civitas.proactive.rules import save_rule_file
from civitas.proactive.service import payment_of, today
from civitas.register import synthetic
from civitas.register.models import LifeEvent, Person
from civitas.register.schemas import LifeEventIn
from civitas.residents.models import ResidentAccount

DEMO_DIR = Path(__file__).resolve().parent / "demo"
SYNTHETIC_PERSONS = 3000
LAUNCH_MONTHS = 6  # the proactive services started one after another over half a year
ACTOR = "system:demo"
_EVENT: TypeAdapter[Any] = TypeAdapter(LifeEventIn)


@dataclass(frozen=True)
class Family:
    email: str
    parent: tuple[str, str, str, str, str, str]  # number, given, family, born, sex, language
    partner: tuple[str, str, str, str, str, str]
    child: tuple[str, str, str]  # given, family, sex
    home: dict[str, Any]
    new_home: dict[str, Any]
    iban: str | None


FAMILY = {
    "trujillo": Family(
        email="vecina@trujillo.example",
        parent=("TRU-DEMO-1", "María", "Quispe Rojas", "1991-04-12", "female", "es"),
        partner=("TRU-DEMO-2", "Jorge", "Quispe Rojas", "1989-09-30", "male", "es"),
        child=("Lucía", "Quispe Rojas", "female"),
        home={
            "street": "Jirón Pizarro",
            "number": "412",
            "postcode": "13001",
            "district": "Centro Histórico",
            "lat": -8.1116,
            "lon": -79.0287,
        },
        new_home={
            "street": "Avenida España",
            "number": "1750",
            "postcode": "13001",
            "district": "Centro",
            "lat": -8.1092,
            "lon": -79.0246,
            "parking_zone": "A",
        },
        iban=None,
    ),
    "musterstadt": Family(
        email="anwohnerin@musterstadt.example",
        parent=("MUS-DEMO-1", "Anna", "Beispiel", "1990-05-01", "female", "de"),
        partner=("MUS-DEMO-2", "Ben", "Beispiel", "1988-02-14", "male", "de"),
        child=("Clara", "Beispiel", "female"),
        home={
            "street": "Lindenallee",
            "number": "12",
            "postcode": "04109",
            "district": "Zentrum-Nord",
            "lat": 51.3467,
            "lon": 12.3731,
        },
        new_home={
            "street": "Marktplatz",
            "number": "5",
            "postcode": "04109",
            "district": "Zentrum",
            "lat": 51.3397,
            "lon": 12.3745,
            "parking_zone": "Z1",
        },
        iban="DE89 3704 0044 0532 0130 00",
    ),
}


@dataclass
class DemoRegister:
    persons: int
    decisions_created: int
    resident_email: str | None


def _events(family: Family, slug: str, on: date) -> list[dict[str, Any]]:
    events = []
    for person in (family.parent, family.partner):
        number, given, family_name, born, sex, lang = person
        first = person is family.parent
        facts: dict[str, Any] = {"email": family.email} if first else {}
        if first and family.iban:
            facts["iban"] = family.iban
        events.append(
            {
                "event_id": f"demo-move-in-{number}",
                "type": "move_in",
                "date": "2021-03-01",
                "person": {
                    "register_number": number,
                    "given_names": given,
                    "family_name": family_name,
                    "birth_date": born,
                    "sex": sex,
                    "language": lang,
                    "marital_status": "married",
                    "monthly_income_minor": 210000 if first else 160000,
                    **facts,
                },
                "address": family.home,
                **({} if first else {"household_with": family.parent[0]}),
            }
        )
    given, family_name, sex = family.child
    events.append(
        {
            "event_id": f"demo-birth-{slug}",
            "type": "birth",
            "date": (on - timedelta(days=12)).isoformat(),
            "child": {"given_names": given, "family_name": family_name, "sex": sex},
            "parents": [family.parent[0], family.partner[0]],
        }
    )
    events.append(
        {
            "event_id": f"demo-move-within-{slug}",
            "type": "move_within",
            "date": (on - timedelta(days=3)).isoformat(),
            "person": family.parent[0],
            "address": family.new_home,
        }
    )
    return events


def load_demo_register(engine: Engine, slug: str, password: str) -> DemoRegister:
    """Rules, a synthetic register, the demo family's events, one batch run, notices."""
    with session_scope(engine) as db:
        city = get_city_by_slug(db, slug)
        save_rule_file(
            db, city, text=(DEMO_DIR / f"{slug}.yaml").read_text(encoding="utf-8"), actor=ACTOR
        )
    on = today(city)
    with session_scope(engine) as db:
        enter_city(db, city)
        known = db.scalar(select(func.count(Person.id))) or 0
    if known == 0:
        start = synthetic.next_ids(engine)
        country = "PE" if slug == "trujillo" else "DE"
        synthetic.load(
            engine,
            city.id,
            synthetic.generate(
                SYNTHETIC_PERSONS, seed=sum(map(ord, slug)), on=on, country=country, start_id=start
            ),
        )
    family = FAMILY.get(slug)
    if family is not None:
        for raw in _events(family, slug, on):
            with session_scope(engine) as db:
                enter_city(db, city)
                if db.scalar(select(LifeEvent.id).where(LifeEvent.event_id == raw["event_id"])):
                    continue
                receive_event(db, city, _EVENT.validate_python(raw), source="demo", actor=ACTOR)
        with session_scope(engine) as db:
            _resident_account(db, city, family.email, password)
    with session_scope(engine) as db:
        enter_city(db, city)
        ran = db.scalar(
            select(RuleRun.id).where(RuleRun.on_date == on, RuleRun.status == "finished")
        )
    created = 0
    if ran is None:  # once a day is enough: a second `civitas demo` changes nothing
        first = _first_run(engine, city)
        created = run_batch(engine, city, on=on, actor=ACTOR).created
        if first:
            with session_scope(engine) as db:
                keep = set(family.parent[:1] + family.partner[:1]) if family else set()
                spread_history(db, city, on=on, keep=keep)
    notify_pending(engine, city)
    with session_scope(engine) as db:
        enter_city(db, city)
        persons = db.scalar(select(func.count(Person.id))) or 0
    return DemoRegister(persons, created, family.email if family else None)


def _first_run(engine: Engine, city: City) -> bool:
    with session_scope(engine) as db:
        enter_city(db, city)
        return db.scalar(select(RuleRun.id).limit(1)) is None


def _month_start(on: date, back: int, zone: ZoneInfo) -> datetime:
    month = on.year * 12 + on.month - 1 - back
    return datetime(month // 12, month % 12 + 1, 1, tzinfo=zone)


def spread_history(
    db: Session, city: City, *, on: date, keep: set[str], now: datetime | None = None
) -> int:
    """Make the first batch run look like half a year of proactive services: the rules
    started one after another over the last LAUNCH_MONTHS months, their decisions are
    spread over the months since, more each month as the services became known, and most
    offers older than a fortnight have been accepted. The demo family's decisions stay as
    they are. Returns how many decisions were moved back."""
    enter_city(db, city)
    now = now or utcnow()
    zone = ZoneInfo(city.timezone)
    rng = random.Random(f"proactive-history-{city.slug}")  # noqa: S311 - demo data
    family = list(db.scalars(select(Person.id).where(Person.register_number.in_(keep))))
    rules = list(db.scalars(select(Rule).order_by(Rule.id)))
    versions = list(db.scalars(select(RuleVersion)))
    definitions = {v.id: v.definition for v in versions}
    moved = 0
    for index, rule in enumerate(rules):
        back = LAUNCH_MONTHS - index * LAUNCH_MONTHS // max(1, len(rules))
        start = _month_start(on, back, zone)
        rule.created_at = start
        for version in versions:
            if version.rule_id == rule.id:
                version.created_at = start
        months = [_month_start(on, b, zone) for b in range(back, -1, -1)]
        # the take-up grows; the month under way has had only its first days
        elapsed = (now - months[-1]) / (_month_start(on, -1, zone) - months[-1])
        weights = [float((k + 1) ** 2) for k in range(len(months))]
        weights[-1] *= max(0.01, min(1.0, elapsed))
        decisions = list(
            db.scalars(
                select(Decision).where(
                    Decision.rule_id == rule.id,
                    Decision.trigger == "run",
                    Decision.addressee_id.not_in(family),
                    Decision.person_id.not_in(family),
                )
            )
        )
        payments: dict[int, list[Payment]] = {}
        for payment in db.scalars(
            select(Payment).where(Payment.decision_id.in_([d.id for d in decisions]))
        ):
            payments.setdefault(payment.decision_id, []).append(payment)
        for decision in decisions:
            allowed = [
                (m, w)
                for m, w in zip(months, weights, strict=True)
                if decision.period in ("once", f"{m.year:04d}")
            ]
            if not allowed:  # a monthly rule: this month's run is this month's
                continue
            month = rng.choices([m for m, _ in allowed], weights=[w for _, w in allowed])[0]
            end = _month_start(month.date(), -1, zone)
            when = month + (min(end, now) - month) * rng.random()
            decision.created_at = decision.updated_at = decision.notified_at = when
            decision.evaluated_on = when.astimezone(zone).date()
            for payment in payments.get(decision.id, []):
                payment.created_at = payment.updated_at = when
            definition = definitions[decision.rule_version_id]
            answered = when + timedelta(days=rng.uniform(1, 25))
            if (
                decision.status == "offered"
                and not definition.get("needs_iban")
                and answered < now
                and rng.random() < 0.7
            ):
                decision.status, decision.answered_at = "accepted", answered
                decision.updated_at = answered
                if decision.amount_minor:
                    paid = payment_of(decision, definition, city, iban=None)
                    paid.created_at = paid.updated_at = answered
                    db.add(paid)
            moved += 1
    return moved


def _resident_account(db: Any, city: City, email: str, password: str) -> None:
    enter_city(db, city)
    account = db.scalar(select(ResidentAccount).where(ResidentAccount.email == email))
    if account is None:
        db.add(
            ResidentAccount(
                email=email,
                password_hash=hash_password(password),
                language=city.default_language,
                verified_at=utcnow(),
            )
        )


def load(db: Session, city: City, settings: Settings, password: str) -> list[str]:
    """The demo hook: the register works in sessions of its own, after the city is
    committed."""
    db.commit()
    made = load_demo_register(db.get_bind(), city.slug, password)  # type: ignore[arg-type]
    lines = [f"  register:        {made.persons} persons, {made.decisions_created} new decisions"]
    if made.resident_email:
        lines.append(
            f"  resident login:  {settings.public_url}/{city.slug}/account  "
            f"{made.resident_email} / {password}"
        )
    return lines
