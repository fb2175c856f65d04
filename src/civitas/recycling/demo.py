"""The recycling demo of Trujillo: three zones, an association, six verified pickers and one
waiting for verification, three buyers with prices, sixty days of collections and sales,
and pickups for the next collection day, planned.

Pickups are filed through ``create_request`` like every channel (history with its past
``now``), so the demo exercises the same checks as residents do."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.accounts.models import User
from civitas.accounts.schemas import UserCreate
from civitas.accounts.service import create_user
from civitas.cases.schemas import RequestChannel, RequestCreate
from civitas.cases.service import create_request
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.config import Settings
from civitas.core.db import utcnow
from civitas.recycling import planning, service
from civitas.recycling.models import Association, Buyer, Material, Picker, Pickup, Zone
from civitas.recycling.permissions import RECYCLING_BUYER, WASTE_PICKER
from civitas.recycling.schemas import PickerCreate, SaleCreate, SaleLineIn, StopRecord

ACTOR = "system:demo"
SERVICE = "recycling-pickup"

# code, es, en, reference price in céntimos per kg (Trujillo's buyers, 2026)
MATERIALS = [
    ("paper", "Papel", "Paper", 40),
    ("cardboard", "Cartón", "Cardboard", 35),
    ("pet", "Plástico PET", "PET plastic", 120),
    ("plastic", "Otros plásticos", "Other plastics", 60),
    ("glass", "Vidrio", "Glass", 10),
    ("metal", "Metal", "Metal", 90),
    ("tetrapak", "Tetra Pak", "Beverage cartons", 15),
    ("ewaste", "Aparatos eléctricos (RAEE)", "Electronic waste", 150),
]
ZONES = [  # code, name, box (min lat, min lon, max lat, max lon), collection weekdays
    ("centro", "Centro Histórico", (-8.125, -79.045, -8.095, -79.010), [0, 1, 2, 3, 4, 5, 6]),
    ("esperanza", "La Esperanza", (-8.090, -79.065, -8.050, -79.030), [1, 3, 5]),
    ("porvenir", "El Porvenir", (-8.095, -79.010, -8.055, -78.970), [0, 2, 4]),
]
PICKERS = [  # code, name, zone, vehicle, kg, days, shift
    ("rosa", "Rosa Quispe", "centro", "tricycle", 150, [0, 1, 2, 3, 4, 5, 6], ("07:30", "15:30")),
    ("juan", "Juan Huamán", "centro", "tricycle", 150, [0, 1, 2, 3, 4, 5, 6], ("08:00", "16:00")),
    ("maria", "María Chávez", "centro", "cart", 80, [0, 1, 2, 3, 4, 5, 6], ("08:00", "14:00")),
    ("pedro", "Pedro Flores", "esperanza", "motocargo", 400, [1, 3, 5], ("07:00", "15:00")),
    ("lucia", "Lucía Ramos", "esperanza", "tricycle", 150, [1, 3, 5], ("08:00", "17:00")),
    ("carlos", "Carlos Mendoza", "porvenir", "tricycle", 150, [0, 2, 4], ("07:30", "16:00")),
]
UNVERIFIED = ("ana", "Ana Torres", "porvenir", "cart", 80, [0, 2, 4], ("08:00", "13:00"))
BUYERS = [  # code, name, prices (céntimos per kg)
    ("reciplast", "Reciplast Norte S.A.C.", {"pet": 130, "plastic": 65}),
    ("papelera", "Papelera La Libertad", {"paper": 45, "cardboard": 38, "tetrapak": 18}),
    ("metales", "Metales y Vidrios del Norte", {"metal": 95, "glass": 12, "ewaste": 160}),
]
STREETS = [
    "Jr. Pizarro",
    "Av. España",
    "Jr. Bolívar",
    "Jr. Orbegoso",
    "Av. Larco",
    "Jr. Gamarra",
    "Jr. Ayacucho",
    "Jr. San Martín",
    "Av. Perú",
    "Jr. Junín",
]
NAMES = [
    "Quispe",
    "García",
    "Rodríguez",
    "Sánchez",
    "Díaz",
    "Vásquez",
    "Castillo",
    "Reyes",
    "Torres",
    "Gutiérrez",
    "Rojas",
    "Mendoza",
    "Cruz",
    "Ramírez",
    "Alvarado",
    "Vega",
]


def load_demo_recycling(db: Session, city: City, password: str) -> dict[str, int]:
    """Whatever of the recycling demo is missing (a second run adds nothing)."""
    enter_city(db, city)
    prog = service.programme(db, city)
    if prog.service_code:
        return {"pickups": 0}
    prog.service_code, prog.fairness_weight = SERVICE, 2.0
    prog.goal_tonnes_month, prog.goal_households = 12.0, 400
    prog.plan_time_limit_s = 5
    for code, es, en, price in MATERIALS:
        db.add(
            Material(
                code=code,
                name={"es": es, "en": en},
                reference_price_minor_per_kg=price,
                emission_factor=code,
            )
        )
    for code, name, box, days in ZONES:
        db.add(
            Zone(
                code=code,
                name=name,
                min_lat=box[0],
                min_lon=box[1],
                max_lat=box[2],
                max_lon=box[3],
                collection_days=days,
            )
        )
    db.add(
        Association(
            code="asoc-trujillo",
            name="Asociación de Recicladores Trujillo Limpio",
            registration="20601234567",
            centre_lat=-8.1030,
            centre_lon=-79.0250,
        )
    )
    db.flush()
    rng = random.Random(7)  # noqa: S311 - demo data, not security
    for i, (code, name, zone, vehicle, kg, days, shift) in enumerate([*PICKERS, UNVERIFIED]):
        box = next(z[2] for z in ZONES if z[0] == zone)
        picker = service.register_picker(
            db,
            city,
            actor=ACTOR,
            data=PickerCreate(
                code=code,
                name=name,
                document_id=f"4{i:07d}",
                phone=f"+51 944 {i:03d} 210",
                association="asoc-trujillo",
                zone=zone,
                vehicle=vehicle,
                capacity_kg=kg,
                working_days=days,
                shift_start=shift[0],
                shift_end=shift[1],
                home_lat=round(rng.uniform(box[0], box[2]), 5),
                home_lon=round(rng.uniform(box[1], box[3]), 5),
            ),
        )
        user = create_user(
            db,
            city,
            actor=ACTOR,
            data=UserCreate(
                username=f"picker-{code}",
                full_name=name,
                password=password,
                roles=[WASTE_PICKER],
                language="es",
            ),
        )
        picker.user_id = user.id
        if (code, name) != UNVERIFIED[:2]:
            service.set_picker_status(
                db,
                city,
                code=code,
                status="verified",
                actor=ACTOR,
                reason="DNI, carné de la asociación y vehículo revisados",
            )
    # one clock for the whole demo: a day read before local midnight and a time read after
    # it filed "today's" pickups for a day that had just ended
    now = utcnow()
    today = now.astimezone(ZoneInfo(city.timezone)).date()
    for code, name, prices in BUYERS:
        buyer = Buyer(code=code, name=name, tax_id=f"20{rng.randint(100000000, 999999999)}")
        db.add(buyer)
        db.flush()
        for material, price in prices.items():
            service.set_price(
                db,
                city,
                buyer=code,
                material=material,
                price_minor_per_kg=price,
                valid_from=today - timedelta(days=90),
                actor=ACTOR,
            )
    if db.scalar(select(User.id).where(User.username == "buyer")) is None:
        user = create_user(
            db,
            city,
            actor=ACTOR,
            data=UserCreate(
                username="buyer",
                full_name="Reciplast Norte",
                password=password,
                roles=[RECYCLING_BUYER],
                language="es",
            ),
        )
        db.scalar(select(Buyer).where(Buyer.code == "reciplast")).user_id = user.id  # type: ignore[union-attr]
    history = _history(db, city, rng, today)
    upcoming = _upcoming(db, city, rng, now)
    return {"pickups": history + upcoming}


def _file(
    db: Session,
    city: City,
    rng: random.Random,
    zone: tuple[str, str, tuple[float, float, float, float], list[int]],
    day: date,
    window: str,
    now: datetime,
    household: int,
) -> Pickup:
    box = zone[2]
    materials = rng.sample([m[0] for m in MATERIALS[:7]], k=rng.randint(1, 3))
    request = create_request(
        db,
        city,
        filed_by="resident",
        now=now,
        data=RequestCreate(
            service_code=SERVICE,
            channel=RequestChannel.WEB,
            lat=round(rng.uniform(box[0] + 0.002, box[2] - 0.002), 5),
            long=round(rng.uniform(box[1] + 0.002, box[3] - 0.002), 5),
            # lots as Trujillo's outer districts number them (manzana, lote): no street
            # name the address register would place elsewhere
            address_string=f"Mz. {rng.choice('ABCDEFGHJKLM')} Lt. {rng.randint(1, 40)}, {zone[1]}",
            first_name="Vecina" if household % 2 else "Vecino",
            last_name=NAMES[household % 16],
            email=f"hogar{household}@trujillo.example",
            language="es",
            attributes={
                "materials": materials,
                "weight_kg": str(rng.choice([3, 5, 8, 10, 12, 15, 20])),
                "pickup_date": day.isoformat(),
                "time_window": window,
            },
        ),
    )
    pickup = service.pickup_of_request(db, city, request_id=request.id)
    assert pickup is not None
    return pickup


def _history(db: Session, city: City, rng: random.Random, today: date) -> int:
    """Sixty days of pickups, collected with weights, and the weekly sales."""
    tz = ZoneInfo(city.timezone)
    made = 0
    for back in range(60, 0, -1):
        day = today - timedelta(days=back)
        filed = datetime.combine(
            day - timedelta(days=1), datetime.min.time(), tzinfo=tz
        ) + timedelta(hours=19)
        pickups = []
        for zone in ZONES:
            if day.weekday() not in zone[3]:
                continue
            for _ in range(rng.randint(4, 9) if zone[0] == "centro" else rng.randint(3, 6)):
                pickups.append(
                    _file(
                        db,
                        city,
                        rng,
                        zone,
                        day,
                        rng.choice(["morning", "midday"]),
                        filed.astimezone(UTC),
                        rng.randint(1, 420),
                    )
                )
        made += len(pickups)
        if not pickups:
            continue
        # past days are history for the figures: a short search is plan enough (the
        # day ahead, which people look at, gets a full second a zone)
        planning.make_plan(
            db, city, day=day, actor=ACTOR, now=filed.astimezone(UTC), time_limit=0.03
        )
        for pickup in pickups:
            if pickup.picker_id is None or pickup.eta_start is None:
                continue
            picker = db.get(Picker, pickup.picker_id)
            assert picker is not None
            found = rng.random() > 0.06
            late = timedelta(minutes=rng.choice([0, 0, 0, 5, 10, 20, 45, 90]))
            weights = {
                m: round(
                    pickup.estimated_g / 1000 / len(pickup.materials) * rng.uniform(0.6, 1.3), 1
                )
                for m in pickup.materials
            }
            service.record_stop(
                db,
                city,
                picker=picker,
                now=pickup.eta_start + late,
                data=StopRecord(
                    pickup_id=pickup.id,
                    outcome="collected" if found else "not_found",
                    weights_kg=weights if found else {},
                    client_key=f"demo-{pickup.id:08d}",
                    recorded_at=pickup.eta_start + late,
                ),
            )
        if day.weekday() == 5:  # Saturday: the pickers sell the week's collection
            _sell(
                db,
                city,
                datetime.combine(day, datetime.min.time(), tzinfo=tz).astimezone(UTC)
                + timedelta(hours=22),
            )
    return made


def _sell(db: Session, city: City, at: datetime) -> None:
    prices = {m: (b, p) for b, _, ps in BUYERS for m, p in ps.items()}
    by_material = {m.id: m.code for m in db.scalars(select(Material))}
    for picker in service.pickers(db, city):
        if picker.status != "verified":
            continue
        stock = service.unsold(db, city, picker_ids=[picker.id])
        per_buyer: dict[str, list[SaleLineIn]] = {}
        for material_id, grams in stock.items():
            code = by_material[material_id]
            if grams >= 1000 and code in prices:
                per_buyer.setdefault(prices[code][0], []).append(
                    SaleLineIn(material=code, weight_kg=grams / 1000)
                )
        for buyer, lines in per_buyer.items():
            service.record_sale(
                db,
                city,
                actor=ACTOR,
                now=at,
                data=SaleCreate(
                    buyer=buyer,
                    picker=picker.code,
                    lines=lines,
                    sold_at=at,
                    client_key=f"demo-{picker.code}-{buyer}-{at:%Y%m%d}",
                ),
            )


def _upcoming(db: Session, city: City, rng: random.Random, now: datetime) -> int:
    """Pickups for the next day on which the centre is still collecting, planned."""
    local = now.astimezone(ZoneInfo(city.timezone))
    today = local.date()
    if local.hour < 12:  # today's later windows are still open
        day, windows = today, ["midday", "afternoon"]
    else:
        day, windows = today + timedelta(days=1), ["morning", "midday", "afternoon"]
    made = 0
    for zone in ZONES:
        if day.weekday() not in zone[3]:
            continue
        for i in range(14 if zone[0] == "centro" else 6):
            _file(db, city, rng, zone, day, windows[i % len(windows)], now, 500 + made)
            made += 1
    planning.make_plan(db, city, day=day, actor=ACTOR, now=now, time_limit=1)
    return made


# the demo cities that run a recycling programme; the others turn the domain off
DEMO_PROGRAMMES = ("trujillo",)


def load(db: Session, city: City, settings: Settings, password: str) -> list[str]:
    """The demo hook: Trujillo's programme; Musterstadt has none, so recycling is off
    there (its pages answer 404, its links and figures are hidden)."""
    if city.slug not in DEMO_PROGRAMMES:
        if "recycling" not in city.disabled_domains:
            city.disabled_domains = [*city.disabled_domains, "recycling"]
        return ["  recycling:       turned off (no programme in this city)"]
    made = load_demo_recycling(db, city, password)
    lines = [f"  recycling:       {made['pickups']} pickups, a plan for the day"]
    return [*lines, "  pickers' logins: picker-rosa, picker-juan, … (waste pickers); buyer (buyer)"]
