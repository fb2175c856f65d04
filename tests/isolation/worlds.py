"""What the isolation walk's sample requests need beyond the two-city world: request
bodies, and the data some routes address (a rule, a planned day, a survey …), each made
through the services for the city the walk addresses."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from civitas.cases.routing import create_rule
from civitas.cases.schemas import RequestChannel, RequestCreate, RoutingRuleIn
from civitas.cases.service import create_request
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.config import get_settings
from civitas.core.db import get_engine, session_scope
from civitas.insight.scorecard import EXAMPLE
from tests.factories import CityWorld, tiny_png

__all__ = ["EXAMPLE"]


RULE_BODY = {
    "code": "iso-pass",
    "name": {"en": "Isolation pass"},
    "description": {"en": "For tests."},
    "reason": {"en": "You are {age}."},
    "mode": "offer",
    "triggers": ["periodic"],
    "period": "once",
    "eligible": "age >= 100",
}


YAML_IMPORT = """
services:
  - code: a-new
    name: {en: New service}
    description: {en: Something new.}
    category: waste
    channels: [online]
    department: roads
"""


SERVICE_BODY = {
    "code": "a-light",
    "name": {"en": "Changed"},
    "description": {"en": "Changed."},
    "category": "roads",
    "channels": ["office"],
    "department": "roads",
}


def routing_rule(world: CityWorld) -> None:
    with session_scope() as db:
        city = get_city_by_slug(db, world.slug)
        rule = create_rule(
            db,
            city,
            actor="test",
            data=RoutingRuleIn(
                area="Centre",
                department="roads",
                min_lat=world.extent[0],
                min_lon=world.extent[1],
                max_lat=world.extent[2],
                max_lon=world.extent[3],
            ),
        )
        world.rule_id = rule.id


def proactive_world(world: CityWorld) -> None:
    """The city's demo rules and demo family (a birth grant and a parking permit offer)."""
    from civitas.proactive.models import Decision
    from tests.proactive.helpers import family, with_rules

    engine = get_engine()
    with_rules(engine, world.slug, f"{world.slug}.yaml")
    family(engine, world.slug)
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, world.slug))
        world.decision_id = db.scalars(select(Decision.id).order_by(Decision.id)).first() or 0


def iso_rule(world: CityWorld) -> None:
    from civitas.proactive.rules import save_rule
    from civitas.proactive.schemas import RuleIn

    with session_scope() as db:
        save_rule(
            db,
            get_city_by_slug(db, world.slug),
            data=RuleIn.model_validate(RULE_BODY),
            actor="test",
        )


def scorecard_world(world: CityWorld) -> None:
    """A scorecard that publishes, and the figures of a month (published too)."""
    from civitas.insight import scorecard
    from civitas.insight.service import refresh_figures

    with session_scope() as db:
        city = get_city_by_slug(db, world.slug)
        scorecard.save(db, city, text=EXAMPLE, actor="test")
        refresh_figures(db, city, ["2026-10"], actor="test")


SURVEYS: dict[str, str] = {}


RECYCLING: dict[str, Any] = {}


def job_world(world: CityWorld) -> None:
    """A finished plan job of city A (its result as the worker stores it)."""
    from civitas.core import background

    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, world.slug))
        job = background.Job(
            kind="recycling.plan",
            params={"day": "2026-12-01", "reason": "plan"},
            actor="test",
            status=background.DONE,
            result={"day": "2026-12-01", "version": 1, "stats": {}},
        )
        db.add(job)
        db.flush()
        RECYCLING["job"] = job.id


def recycling_world(world: CityWorld) -> None:
    """City A's small programme (tests/recycling/helpers.py), its administrator signed in
    as picker Rosa and as buyer Reciplast, a planned day with one stop done and one sale."""
    from civitas.accounts.models import User
    from civitas.cases.service import stored_photo
    from civitas.recycling import planning, service
    from civitas.recycling.models import Buyer, Picker, Pickup
    from civitas.recycling.schemas import SaleCreate, SaleLineIn, StopRecord
    from tests.recycling.helpers import SPOTS, file_pickups, programme, rosa_alone

    engine = get_engine()
    prog = programme(engine)
    file_pickups(engine, prog.day)
    rosa_alone(engine, prog.day)
    with session_scope() as db:
        city = get_city_by_slug(db, world.slug)
        enter_city(db, city)
        admin = db.scalar(select(User).where(User.username == world.users["administrator"]))
        rosa = db.scalars(select(Picker).where(Picker.code == "rosa")).one()
        rosa.user_id = admin.id
        db.scalar(select(Buyer).where(Buyer.code == "reciplast")).user_id = admin.id
        planning.make_plan(db, city, day=prog.day, actor="test", now=prog.now, time_limit=0.2)
        stops = list(
            db.scalars(select(Pickup).where(Pickup.picker_id == rosa.id).order_by(Pickup.id))
        )
        service.record_stop(
            db,
            city,
            picker=rosa,
            data=StopRecord(
                pickup_id=stops[0].id,
                outcome="collected",
                weights_kg={"pet": 4},
                client_key="iso-setup-stop",
            ),
            photo=stored_photo(get_settings().media_root, city, tiny_png())["path"],
        )
        sale = service.record_sale(
            db,
            city,
            data=SaleCreate(
                buyer="reciplast",
                picker="rosa",
                lines=[SaleLineIn(material="pet", weight_kg=2)],
                client_key="iso-setup-sale",
            ),
            actor="test",
        )
        assert len(stops) == len(SPOTS)
        RECYCLING.update(
            day=prog.day.isoformat(), open_stop=stops[-1].id, done_stop=stops[0].id, sale=sale.id
        )


def survey_invitation(world: CityWorld) -> None:
    from civitas.insight.service import invite

    with session_scope() as db:
        city = get_city_by_slug(db, world.slug)
        SURVEYS[world.slug] = (
            invite(
                db,
                city,
                subject_type="request",
                subject_id=1,
                service_id=None,
                department_id=None,
                channel="web",
                language="en",
                email=None,
                what="a test",
            )
            or ""
        )


def second_request(world: CityWorld) -> None:
    with session_scope() as db:
        city = get_city_by_slug(db, world.slug)
        create_request(
            db,
            city,
            data=RequestCreate(
                service_code=world.published,
                channel=RequestChannel.PHONE,
                address_string="Elsewhere",
                attributes={"fault": "out"},
            ),
            filed_by="test",
        )
