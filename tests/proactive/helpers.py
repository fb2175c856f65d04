"""Shared set-up for the proactive tests: a city with the demo rules and a synthetic register."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from civitas.cities.models import City
from civitas.cities.service import get_city_by_slug
from civitas.core.db import session_scope
from civitas.register import synthetic

DEMO = Path(__file__).resolve().parents[2] / "src" / "civitas" / "proactive" / "demo"


def with_rules(engine: Any, slug: str, file: str = "musterstadt.yaml") -> City:
    from civitas.proactive.rules import save_rule_file

    with session_scope(engine) as db:
        city = get_city_by_slug(db, slug)
        save_rule_file(db, city, text=(DEMO / file).read_text(encoding="utf-8"), actor="test")
    return city


def with_register(engine: Any, city: City, persons: int, *, seed: int, on: date) -> int:
    """Load a synthetic register into the city; returns the first id it used."""
    start = synthetic.next_ids(engine)
    synthetic.load(engine, city.id, synthetic.generate(persons, seed=seed, on=on, start_id=start))
    return start


def city_of(engine: Any, slug: str) -> City:
    with session_scope(engine) as db:
        return db.scalars(select(City).where(City.slug == slug)).one()


def family(engine: Any, slug: str = "musterstadt", *, on: date = date(2026, 11, 20)) -> None:
    """The demo family of a city (rules loaded first): parents moved in, a child born twelve
    days before ``on``, a move into a parking zone three days before."""
    from pydantic import TypeAdapter

    from civitas.proactive.demo import FAMILY, _events
    from civitas.proactive.flows import receive_event
    from civitas.register.schemas import LifeEventIn

    adapter: TypeAdapter[Any] = TypeAdapter(LifeEventIn)
    for raw in _events(FAMILY[slug], slug, on):
        with session_scope(engine) as db:
            city = get_city_by_slug(db, slug)
            receive_event(db, city, adapter.validate_python(raw), source="test", actor="test")


def resident(client: Any, slug: str, email: str) -> None:
    """Sign the test client in as the resident with this (verified) address."""
    from civitas.cities.service import enter_city
    from civitas.core.db import utcnow
    from civitas.residents.models import ResidentAccount
    from tests.factories import PASSWORD, form_token, password_hash

    with session_scope() as db:
        city = get_city_by_slug(db, slug)
        enter_city(db, city)
        db.add(ResidentAccount(email=email, password_hash=password_hash(), verified_at=utcnow()))
    csrf = form_token(client, f"/{slug}/account?lang=en")
    r = client.post(
        f"/{slug}/account/signin",
        data={"csrf": csrf, "email": email, "password": PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
