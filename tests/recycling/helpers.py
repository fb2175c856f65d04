"""A small recycling programme in city A (Trujillo): two zones, three pickers (two
verified), two buyers, the pickup service as Open311 sees it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from civitas.catalogue.service import save_service
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope
from civitas.recycling import service
from civitas.recycling.models import Association, Buyer, Material, Zone
from civitas.recycling.schemas import PickerCreate
from tests.factories import service_data

LIMA = ZoneInfo("America/Lima")
SERVICE = "a-pickup"
CENTRO = (-8.125, -79.045, -8.095, -79.010)
ATTRIBUTES: list[dict[str, Any]] = [
    {
        "code": "materials",
        "datatype": "multivaluelist",
        "required": True,
        "order": 1,
        "description": {"en": "Materials"},
        "values": [{"key": k, "name": {"en": k}} for k in ("paper", "pet", "glass", "metal")],
    },
    {
        "code": "weight_kg",
        "datatype": "number",
        "required": True,
        "order": 2,
        "description": {"en": "Approximate weight (kg)"},
    },
    {
        "code": "pickup_date",
        "datatype": "string",
        "required": False,
        "order": 3,
        "description": {"en": "Day"},
    },
    {
        "code": "time_window",
        "datatype": "singlevaluelist",
        "required": False,
        "order": 4,
        "description": {"en": "Window"},
        "values": [{"key": k, "name": {"en": k}} for k in ("morning", "midday", "afternoon")],
    },
]


@dataclass
class Programme:
    day: date  # a day ahead on which everyone works
    now: datetime  # the evening before it, UTC


def programme(engine: Any, *, fairness: float = 0.0) -> Programme:
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "trujillo")
        enter_city(db, city)
        save_service(
            db,
            city,
            actor="test",
            data=service_data(
                SERVICE,
                "PEN",
                open311={"type": "realtime", "keywords": ["recycling"], "attributes": ATTRIBUTES},
                at_home=True,
            ),
        )
        prog = service.programme(db, city)
        prog.service_code, prog.fairness_weight, prog.plan_time_limit_s = SERVICE, fairness, 1
        for code, price in (("paper", 40), ("pet", 120), ("glass", 10), ("metal", 90)):
            db.add(Material(code=code, name={"en": code}, reference_price_minor_per_kg=price))
        db.add(
            Zone(
                code="centro",
                name="Centro",
                min_lat=CENTRO[0],
                min_lon=CENTRO[1],
                max_lat=CENTRO[2],
                max_lon=CENTRO[3],
                collection_days=[0, 1, 2, 3, 4, 5, 6],
            )
        )
        db.add(
            Zone(
                code="norte",
                name="Norte",
                min_lat=-8.06,
                min_lon=-79.06,
                max_lat=-8.03,
                max_lon=-79.0,
                collection_days=[1],
            )
        )
        db.add(Association(code="asoc", name="Asociación", centre_lat=-8.11, centre_lon=-79.03))
        db.flush()
        for code, kg, verified in (("rosa", 150, True), ("juan", 150, True), ("ana", 80, False)):
            service.register_picker(
                db,
                city,
                actor="test",
                data=PickerCreate(
                    code=code,
                    name=code.title(),
                    document_id=f"DNI-{code}",
                    association="asoc",
                    zone="centro",
                    vehicle="tricycle",
                    capacity_kg=kg,
                    working_days=[0, 1, 2, 3, 4, 5, 6],
                    shift_start="08:00",
                    shift_end="16:00",
                    home_lat=-8.11,
                    home_lon=-79.03,
                ),
            )
            if verified:
                service.set_picker_status(db, city, code=code, status="verified", actor="test")
        db.add(Buyer(code="reciplast", name="Reciplast"))
        db.add(Buyer(code="papelera", name="Papelera"))
        db.flush()
        now = datetime.now(UTC)
        day = now.astimezone(LIMA).date() + timedelta(days=2)
        for buyer, material, price in (("reciplast", "pet", 130), ("papelera", "paper", 45)):
            service.set_price(
                db,
                city,
                buyer=buyer,
                material=material,
                price_minor_per_kg=price,
                valid_from=day - timedelta(days=30),
                actor="test",
            )
    evening = datetime.combine(day - timedelta(days=1), datetime.min.time(), tzinfo=LIMA)
    return Programme(day=day, now=(evening + timedelta(hours=19)).astimezone(UTC))


def pickup_form(world: Any, day: date, **overrides: Any) -> dict[str, Any]:
    """An Open311 POST of a pickup in the centre."""
    form = {
        "api_key": world.a.api_key,
        "jurisdiction_id": world.a.jurisdiction_id,
        "service_code": SERVICE,
        "lat": "-8.1100",
        "long": "-79.0300",
        "email": "hogar@example.org",
        "attribute[materials][]": ["paper", "pet"],
        "attribute[weight_kg]": "12",
        "attribute[pickup_date]": day.isoformat(),
        "attribute[time_window]": "morning",
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


SPOTS = [(-8.100, -79.020), (-8.105, -79.025), (-8.110, -79.030), (-8.115, -79.035)]


def file_pickups(engine: Any, day: date, spots: list[tuple[float, float]] = SPOTS) -> None:
    """Pickups filed by phone for the day (as the hotline files them), 5 kg of paper and
    PET each, in the morning."""
    from civitas.cases.schemas import RequestChannel, RequestCreate
    from civitas.cases.service import create_request

    with session_scope(engine) as db:
        city = get_city_by_slug(db, "trujillo")
        for i, (lat, lon) in enumerate(spots):
            create_request(
                db,
                city,
                data=RequestCreate(
                    service_code=SERVICE,
                    channel=RequestChannel.PHONE,
                    lat=lat,
                    long=lon,
                    email=f"h{i}@example.org",
                    attributes={
                        "materials": ["paper", "pet"],
                        "weight_kg": "5",
                        "pickup_date": day.isoformat(),
                        "time_window": "morning",
                    },
                ),
                filed_by="test",
            )


def rosa_alone(engine: Any, day: date) -> None:
    """Juan does not work on the day: every stop of the day's plan is Rosa's."""
    from sqlalchemy import select

    from civitas.recycling.models import Picker

    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        juan = db.scalars(select(Picker).where(Picker.code == "juan")).one()
        juan.working_days = [d for d in range(7) if d != day.weekday()]


def stops_of(engine: Any, code: str) -> list[Any]:
    """A picker's pickups (detached rows), in the planned order."""
    from sqlalchemy import select

    from civitas.recycling.models import Picker, Pickup

    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        picker = db.scalars(select(Picker).where(Picker.code == code)).one()
        found = list(
            db.scalars(
                select(Pickup)
                .where(Pickup.picker_id == picker.id)
                .order_by(Pickup.sequence, Pickup.id)
            )
        )
        db.expunge_all()
        return found
