"""Recycling: a picker's route of the day and each stop recorded (outcome, weights, photo) once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civitas.cases.models import ServiceRequest
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit
from civitas.core.db import utcnow
from civitas.core.errors import Conflict, NotFound, PermissionDenied, Problem
from civitas.core.i18n import N_, NP_, translate
from civitas.recycling.models import (
    CollectedWeight,
    Material,
    Picker,
    Pickup,
)
from civitas.recycling.programme import _refuse, materials
from civitas.recycling.schemas import MAX_LINE_KG, StopRecord


def route_of(db: Session, city: City, *, picker: Picker, day: date) -> list[Pickup]:
    """A picker's stops of the day, in the planned order."""
    enter_city(db, city)
    return list(
        db.scalars(
            select(Pickup)
            .where(Pickup.day == day, Pickup.picker_id == picker.id)
            .order_by(Pickup.sequence, Pickup.id)
        )
    )


def next_route_day(db: Session, city: City, *, picker: Picker, after: date) -> date | None:
    """The next day after ``after`` on which the picker has planned stops."""
    enter_city(db, city)
    return db.scalar(
        select(func.min(Pickup.day)).where(
            Pickup.picker_id == picker.id, Pickup.day > after, Pickup.status == "planned"
        )
    )


def record_stop(
    db: Session,
    city: City,
    *,
    picker: Picker,
    data: StopRecord,
    now: datetime | None = None,
    photo: str | None = None,
) -> Pickup:
    """What the picker found at a stop. A resend with the same ``client_key`` (a phone
    that went offline and sent its queue twice) changes nothing and answers the same.
    ``photo`` is the media store's path of a photo taken at the stop, if any."""
    from civitas.cases.schemas import Status
    from civitas.cases.service import change_status

    enter_city(db, city)
    now = now or utcnow()
    pickup = db.get(Pickup, data.pickup_id)
    if pickup is None:
        raise NotFound("There is no pickup {id}.", id=data.pickup_id)
    if pickup.done_key == data.client_key:
        return pickup  # the same submission again
    if picker.status != "verified":
        raise PermissionDenied(
            "Only a verified picker can record pickups; ask the city to verify your registration."
        )
    if pickup.picker_id != picker.id:
        raise PermissionDenied("This pickup is on another picker's route.")
    if pickup.status in ("collected", "not_found"):
        raise Conflict("This pickup was recorded already ({status}).", status=pickup.status)
    known = {m.code: m for m in materials(db, city, active_only=False)}
    problems: list[Problem] = []
    lines: list[tuple[Material, int]] = []
    for code, kg in data.weights_kg.items():
        where = f"weights_kg[{code}]"
        if code not in known:
            problems.append(Problem(where, N_("There is no material '{code}'."), {"code": code}))
        elif kg < 0:
            problems.append(Problem(where, N_("A weight cannot be negative.")))
        elif kg > min(picker.capacity_kg, MAX_LINE_KG):
            problems.append(
                Problem(
                    where,
                    N_("{kg} kg is more than your vehicle carries ({max} kg): check the weight."),
                    {"kg": kg, "max": picker.capacity_kg},
                )
            )
        elif kg > 0:
            lines.append((known[code], round(kg * 1000)))
    if data.outcome == "collected" and not lines and not problems:
        problems.append(
            Problem(
                "weights_kg",
                N_("Enter the weight of at least one material, or record the stop as not found."),
            )
        )
    if data.outcome == "not_found" and lines:
        problems.append(Problem("weights_kg", N_("A stop where nothing was found has no weights.")))
    _refuse(
        NP_(
            "The stop cannot be recorded: {count} problem.",
            "The stop cannot be recorded: {count} problems.",
        ),
        problems,
    )
    at = data.recorded_at or now
    if at > now + timedelta(minutes=5):
        at = now  # a phone's clock ahead of ours: the server's time
    for material, grams in lines:
        db.add(
            CollectedWeight(
                pickup_id=pickup.id,
                picker_id=picker.id,
                material_id=material.id,
                weight_g=grams,
                collected_at=at,
            )
        )
    pickup.status = data.outcome
    pickup.done_at = at
    pickup.done_key = data.client_key
    pickup.note = data.note
    pickup.photo = photo  # a stored, checked photo (cases.media), seen by staff only
    request = db.get(ServiceRequest, pickup.request_id)
    assert request is not None
    lang = request.language or city.default_language
    if data.outcome == "collected":
        total = sum(g for _, g in lines) / 1000
        text = translate(
            lang,
            "Collected by {picker}: {kg} kg. Thank you for separating your waste!",
            picker=picker.name,
            kg=float(total),
        )
        status = Status.RESOLVED
    else:
        text = translate(
            lang, "The picker came but found nothing to collect. You can ask for a new pickup."
        )
        status = Status.REJECTED
    if request.status in ("received", "acknowledged"):
        change_status(
            db,
            city,
            number=request.number,
            status=Status.IN_PROGRESS,
            actor=f"picker:{picker.code}",
            note="",
            public=False,
            now=at,
        )
    change_status(
        db,
        city,
        number=request.number,
        status=status,
        actor=f"picker:{picker.code}",
        note=text,
        public=True,
        now=at,
    )
    audit.record(
        db,
        actor=f"picker:{picker.code}",
        action=f"recycling.pickup_{data.outcome}",
        entity_type="pickup",
        entity_id=pickup.id,
        changes={"weights_g": {m.code: g for m, g in lines}},
    )
    return pickup


def weights_of(db: Session, city: City, *, pickup_ids: list[int]) -> dict[int, dict[str, int]]:
    """Grams weighed at each pickup, per material code."""
    enter_city(db, city)
    found: dict[int, dict[str, int]] = {}
    if not pickup_ids:
        return found
    for pickup_id, code, grams in db.execute(
        select(CollectedWeight.pickup_id, Material.code, CollectedWeight.weight_g)
        .join(Material, Material.id == CollectedWeight.material_id)
        .where(CollectedWeight.pickup_id.in_(pickup_ids))
    ):
        found.setdefault(pickup_id, {})[code] = grams
    return found
