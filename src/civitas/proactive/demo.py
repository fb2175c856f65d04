"""The demo cities' register and proactive services (safe to load again).

Each city gets its rules and parameters, a synthetic register of a few thousand residents,
and one demo family whose life events show the proactive city at work: a birth brings the
birth grant without an application, a move into a parking zone brings the permit offer,
and the family's access log shows every read. The parent has a resident account (the demo
password) with the family's e-mail address, to see "My offers" in the browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

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
from civitas.proactive.models import RuleRun
from civitas.proactive.notices import notify_pending
from civitas.proactive.rules import save_rule_file
from civitas.proactive.service import today
from civitas.register import synthetic
from civitas.register.models import LifeEvent, Person
from civitas.register.schemas import LifeEventIn
from civitas.residents.models import ResidentAccount

DEMO_DIR = Path(__file__).resolve().parent / "demo"
SYNTHETIC_PERSONS = 3000
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
        created = run_batch(engine, city, on=on, actor=ACTOR).created
    notify_pending(engine, city)
    with session_scope(engine) as db:
        enter_city(db, city)
        persons = db.scalar(select(func.count(Person.id))) or 0
    return DemoRegister(persons, created, family.email if family else None)


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
