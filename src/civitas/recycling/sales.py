"""Recycling: buyers, their prices, sales traced to the pickups, and a picker's income."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit
from civitas.core.db import utcnow
from civitas.core.errors import Conflict, NotFound, PermissionDenied, Problem
from civitas.core.i18n import N_, NP_
from civitas.recycling.models import (
    Allocation,
    Association,
    Buyer,
    BuyerPrice,
    CollectedWeight,
    Material,
    Picker,
    Pickup,
    Sale,
    SaleLine,
)
from civitas.recycling.programme import _refuse, materials
from civitas.recycling.schemas import SaleCreate


def buyers(db: Session, city: City) -> list[Buyer]:
    enter_city(db, city)
    return list(db.scalars(select(Buyer).where(Buyer.active.is_(True)).order_by(Buyer.name)))


def buyer_of_user(db: Session, city: City, *, user_id: int) -> Buyer:
    enter_city(db, city)
    buyer = db.scalar(select(Buyer).where(Buyer.user_id == user_id, Buyer.active.is_(True)))
    if buyer is None:
        raise PermissionDenied("This account is not a buyer's account.")
    return buyer


def sales(db: Session, city: City, *, buyer: Buyer | None = None, limit: int = 100) -> list[Sale]:
    """The latest sales, newest first (one buyer's, or all)."""
    enter_city(db, city)
    query = select(Sale).order_by(Sale.sold_at.desc(), Sale.id.desc()).limit(limit)
    if buyer is not None:
        query = query.where(Sale.buyer_id == buyer.id)
    return list(db.scalars(query))


def get_sale(db: Session, city: City, *, sale_id: int, buyer: Buyer | None = None) -> Sale:
    """A sale; a buyer sees only its own purchases."""
    enter_city(db, city)
    sale = db.get(Sale, sale_id)
    if sale is None or (buyer is not None and sale.buyer_id != buyer.id):
        raise NotFound("There is no sale {id}.", id=sale_id)
    return sale


def sale_lines(db: Session, city: City, *, sale: Sale) -> list[tuple[SaleLine, Material]]:
    enter_city(db, city)
    found = db.execute(
        select(SaleLine, Material)
        .join(Material, Material.id == SaleLine.material_id)
        .where(SaleLine.sale_id == sale.id)
        .order_by(SaleLine.id)
    )
    return [(line, material) for line, material in found]


def current_prices(db: Session, city: City, *, on: date) -> dict[tuple[int, int], BuyerPrice]:
    """Each buyer's price for each material valid on the date: (buyer, material) → price."""
    enter_city(db, city)
    prices: dict[tuple[int, int], BuyerPrice] = {}
    for price in db.scalars(
        select(BuyerPrice).where(BuyerPrice.valid_from <= on).order_by(BuyerPrice.valid_from)
    ):
        prices[(price.buyer_id, price.material_id)] = price
    return prices


def set_price(
    db: Session,
    city: City,
    *,
    buyer: str,
    material: str,
    price_minor_per_kg: int,
    valid_from: date,
    actor: str,
    min_kg: int = 0,
) -> BuyerPrice:
    """A buyer publishes (or changes from a date) what it pays for a material."""
    enter_city(db, city)
    found = db.scalar(select(Buyer).where(Buyer.code == buyer))
    mat = db.scalar(select(Material).where(Material.code == material))
    problems = []
    if found is None:
        problems.append(Problem("buyer", N_("There is no buyer '{code}'."), {"code": buyer}))
    if mat is None:
        problems.append(
            Problem("material", N_("There is no material '{code}'."), {"code": material})
        )
    if price_minor_per_kg < 0:
        problems.append(Problem("price", N_("A price cannot be negative.")))
    _refuse(
        NP_(
            "The price cannot be saved: {count} problem.",
            "The price cannot be saved: {count} problems.",
        ),
        problems,
    )
    assert found is not None
    assert mat is not None
    row = db.scalar(
        select(BuyerPrice).where(
            BuyerPrice.buyer_id == found.id,
            BuyerPrice.material_id == mat.id,
            BuyerPrice.valid_from == valid_from,
        )
    )
    if row is None:
        row = BuyerPrice(
            buyer_id=found.id,
            material_id=mat.id,
            valid_from=valid_from,
            price_minor_per_kg=price_minor_per_kg,
            min_kg=min_kg,
        )
        db.add(row)
    else:
        row.price_minor_per_kg, row.min_kg = price_minor_per_kg, min_kg
    audit.record(
        db,
        actor=actor,
        action="recycling.price_set",
        entity_type="buyer",
        entity_id=buyer,
        changes={
            "material": material,
            "price": price_minor_per_kg,
            "valid_from": valid_from.isoformat(),
        },
    )
    db.flush()
    return row


def unsold(db: Session, city: City, *, picker_ids: Iterable[int]) -> dict[int, int]:
    """Grams collected and not yet sold, per material, by these pickers."""
    enter_city(db, city)
    ids = list(picker_ids)
    if not ids:
        return {}
    return {
        m: int(g)
        for m, g in db.execute(
            select(
                CollectedWeight.material_id,
                func.sum(CollectedWeight.weight_g - CollectedWeight.sold_g),
            )
            .where(CollectedWeight.picker_id.in_(ids))
            .group_by(CollectedWeight.material_id)
        ).all()
    }


def record_sale(
    db: Session, city: City, *, data: SaleCreate, actor: str, now: datetime | None = None
) -> Sale:
    """A sale to a buyer, checked whole; the sold weight is traced to the pickups it came
    from (oldest first) and its money to the pickers who collected it."""
    enter_city(db, city)
    now = now or utcnow()
    existing = db.scalar(select(Sale).where(Sale.client_key == data.client_key))
    if existing is not None:
        return existing  # the same form sent twice
    problems: list[Problem] = []
    buyer = db.scalar(select(Buyer).where(Buyer.code == data.buyer, Buyer.active.is_(True)))
    if buyer is None:
        problems.append(Problem("buyer", N_("There is no buyer '{code}'."), {"code": data.buyer}))
    sellers: list[Picker] = []
    association = None
    if bool(data.picker) == bool(data.association):
        problems.append(Problem("picker", N_("Say who sells: one picker or one association.")))
    elif data.picker:
        picker = db.scalar(select(Picker).where(Picker.code == data.picker))
        if picker is None:
            problems.append(
                Problem("picker", N_("There is no picker '{code}'."), {"code": data.picker})
            )
        elif picker.status != "verified":
            problems.append(
                Problem(
                    "picker",
                    N_(
                        "{name} is not a verified picker: the city verifies pickers "
                        "before they sell through the programme."
                    ),
                    {"name": picker.name},
                )
            )
        else:
            sellers = [picker]
    else:
        association = db.scalar(select(Association).where(Association.code == data.association))
        if association is None:
            problems.append(
                Problem(
                    "association",
                    N_("There is no association '{code}'."),
                    {"code": data.association},
                )
            )
        else:
            sellers = list(
                db.scalars(
                    select(Picker).where(
                        Picker.association_id == association.id, Picker.status == "verified"
                    )
                )
            )
    known = {m.code: m for m in materials(db, city, active_only=False)}
    sold_at = data.sold_at or now
    prices = current_prices(db, city, on=sold_at.date()) if buyer else {}
    stock = unsold(db, city, picker_ids=[p.id for p in sellers])
    wanted: dict[int, int] = {}
    lines: list[tuple[Material, int, int]] = []
    for i, line in enumerate(data.lines):
        where = f"lines[{i}]"
        material = known.get(line.material)
        if material is None:
            problems.append(
                Problem(
                    f"{where}.material",
                    N_("There is no material '{code}'."),
                    {"code": line.material},
                )
            )
            continue
        if line.weight_kg <= 0 or line.weight_kg > 50_000:
            problems.append(
                Problem(
                    f"{where}.weight_kg", N_("A weight must be more than 0 and at most 50 000 kg.")
                )
            )
            continue
        grams = round(line.weight_kg * 1000)
        price = line.price_minor_per_kg
        if price is None and buyer is not None:
            listed = prices.get((buyer.id, material.id))
            price = listed.price_minor_per_kg if listed else None
            if price is None:
                problems.append(
                    Problem(
                        f"{where}.material",
                        N_("{buyer} publishes no price for {material}: enter the agreed price."),
                        {"buyer": buyer.name, "material": line.material},
                    )
                )
                continue
        wanted[material.id] = wanted.get(material.id, 0) + grams
        lines.append((material, grams, price or 0))
    for material_id, grams in wanted.items():
        have = stock.get(material_id, 0)
        if sellers and grams > have:
            code = next(m.code for m in known.values() if m.id == material_id)
            problems.append(
                Problem(
                    "lines",
                    N_(
                        "Only {have} kg of {material} were collected and not yet sold; the sale "
                        "says {want} kg."
                    ),
                    {"have": have / 1000, "material": code, "want": grams / 1000},
                )
            )
    _refuse(
        NP_(
            "The sale cannot be recorded: {count} problem.",
            "The sale cannot be recorded: {count} problems.",
        ),
        problems,
    )
    assert buyer is not None
    sale = Sale(
        buyer_id=buyer.id,
        picker_id=sellers[0].id if data.picker else None,
        association_id=association.id if association else None,
        sold_at=sold_at,
        total_minor=0,
        currency=city.currency,
        client_key=data.client_key,
        recorded_by=actor,
    )
    db.add(sale)
    db.flush()
    ids = [p.id for p in sellers]
    for material, grams, price in lines:
        amount = round(grams * price / 1000)
        row = SaleLine(
            sale_id=sale.id,
            material_id=material.id,
            weight_g=grams,
            price_minor_per_kg=price,
            amount_minor=amount,
        )
        db.add(row)
        db.flush()
        _allocate(db, row, ids)
        sale.total_minor += amount
    audit.record(
        db,
        actor=actor,
        action="recycling.sale_recorded",
        entity_type="sale",
        entity_id=sale.id,
        changes={"buyer": buyer.code, "total": sale.total_minor},
    )
    return sale


def _allocate(db: Session, line: SaleLine, picker_ids: list[int]) -> None:
    """Take the line's weight from the oldest unsold collections; split its amount alike."""
    left = line.weight_g
    given = 0
    sources = db.scalars(
        select(CollectedWeight)
        .where(
            CollectedWeight.picker_id.in_(picker_ids),
            CollectedWeight.material_id == line.material_id,
            CollectedWeight.sold_g < CollectedWeight.weight_g,
        )
        .order_by(CollectedWeight.collected_at, CollectedWeight.id)
        .with_for_update()
    ).all()
    for source in sources:
        if left <= 0:
            break
        take = min(left, source.weight_g - source.sold_g)
        source.sold_g += take
        left -= take
        amount = (
            line.amount_minor - given
            if left == 0
            else round(line.amount_minor * take / line.weight_g)
        )
        given += amount
        db.add(
            Allocation(
                sale_line_id=line.id,
                collected_id=source.id,
                picker_id=source.picker_id,
                weight_g=take,
                amount_minor=amount,
            )
        )
    if left > 0:  # checked before; a concurrent sale took the stock meanwhile
        raise Conflict("The collected stock changed while the sale was recorded; try again.")


@dataclass(frozen=True)
class Income:
    picker: Picker
    day_minor: int
    month_minor: int
    month_kg: float


def income(db: Session, city: City, *, picker: Picker, on: date) -> Income:
    """What a picker earned from sales: on the day and in its month (the city's time)."""
    tz = ZoneInfo(city.timezone)
    enter_city(db, city)
    month_start = datetime(on.year, on.month, 1, tzinfo=tz).astimezone(UTC)
    day_start = datetime.combine(on, time(0), tzinfo=tz).astimezone(UTC)
    day_end = day_start + timedelta(days=1)
    base = (
        select(func.coalesce(func.sum(Allocation.amount_minor), 0))
        .join(SaleLine, SaleLine.id == Allocation.sale_line_id)
        .join(Sale, Sale.id == SaleLine.sale_id)
        .where(Allocation.picker_id == picker.id)
    )
    month = int(db.scalar(base.where(Sale.sold_at >= month_start, Sale.sold_at < day_end)) or 0)
    day = int(db.scalar(base.where(Sale.sold_at >= day_start, Sale.sold_at < day_end)) or 0)
    kg = (
        db.scalar(
            select(func.coalesce(func.sum(CollectedWeight.weight_g), 0)).where(
                CollectedWeight.picker_id == picker.id,
                CollectedWeight.collected_at >= month_start,
                CollectedWeight.collected_at < day_end,
            )
        )
        or 0
    )
    return Income(picker, day, month, int(kg) / 1000)


def trace(db: Session, city: City, *, sale_id: int) -> list[dict[str, Any]]:
    """Where each kilogram of a sale came from: pickup, picker, material, weight, amount."""
    enter_city(db, city)
    rows = db.execute(
        select(
            Allocation.weight_g,
            Allocation.amount_minor,
            Picker.code,
            Material.code,
            CollectedWeight.pickup_id,
            CollectedWeight.collected_at,
            Pickup.request_id,
        )
        .join(SaleLine, SaleLine.id == Allocation.sale_line_id)
        .join(CollectedWeight, CollectedWeight.id == Allocation.collected_id)
        .join(Picker, Picker.id == Allocation.picker_id)
        .join(Material, Material.id == SaleLine.material_id)
        .join(Pickup, Pickup.id == CollectedWeight.pickup_id)
        .where(SaleLine.sale_id == sale_id)
        .order_by(Allocation.id)
    ).all()
    return [
        {
            "weight_g": w,
            "amount_minor": a,
            "picker": p,
            "material": m,
            "pickup_id": pid,
            "collected_at": at,
            "request_id": rid,
        }
        for w, a, p, m, pid, at, rid in rows
    ]
