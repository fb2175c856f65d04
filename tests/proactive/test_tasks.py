"""The background tasks: a run started by staff, and the nightly run over every city."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope
from civitas.notifications.models import OutboxMessage
from civitas.proactive.models import Decision, RuleRun
from civitas.proactive.tasks import proactive_nightly, proactive_run
from tests.proactive.helpers import family, with_register, with_rules


def _count(slug, model):
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, slug))
        return db.scalar(select(func.count()).select_from(model))


def test_a_run_started_by_staff_decides_and_queues_the_notices(engine, two_cities):
    city = with_rules(engine, "musterstadt")
    with_register(engine, city, 300, seed=4, on=date(2026, 11, 20))
    family(engine)
    before = _count("musterstadt", Decision)
    result = proactive_run.call_local(city.id, "2026-11-20", [], "manager")
    assert result["created"] > 0
    assert _count("musterstadt", Decision) == before + result["created"]
    assert _count("musterstadt", RuleRun) == 1
    # the family's decisions of the run went out by e-mail through the outbox, once
    mails = _count("musterstadt", OutboxMessage)
    again = proactive_run.call_local(city.id, "2026-11-20", [], "manager")
    assert again["created"] == 0
    assert _count("musterstadt", OutboxMessage) == mails


def test_the_nightly_run_covers_every_city_on_its_own_date(engine, two_cities):
    for slug in ("trujillo", "musterstadt"):
        city = with_rules(engine, slug, f"{slug}.yaml")
        with_register(engine, city, 200, seed=len(slug), on=date(2026, 11, 20))
    assert proactive_nightly.call_local() == 2
    assert _count("trujillo", RuleRun) == 1
    assert _count("musterstadt", RuleRun) == 1
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        run = db.scalars(select(RuleRun)).one()
        assert run.status == "finished"
        assert run.actor == "system:nightly"
        assert run.persons >= 200
