"""Recycling: the waste pickers, registered and verified, each with their account."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.accounts.models import User
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit
from civitas.core.db import utcnow
from civitas.core.errors import InvalidInput, NotFound, PermissionDenied, Problem
from civitas.core.i18n import N_, NP_
from civitas.recycling.models import (
    Association,
    Picker,
    Zone,
)
from civitas.recycling.permissions import WASTE_PICKER
from civitas.recycling.programme import _refuse
from civitas.recycling.schemas import PickerCreate


def register_picker(db: Session, city: City, *, data: PickerCreate, actor: str) -> Picker:
    """Register a picker (not yet verified: the city checks identity and equipment first)."""
    enter_city(db, city)
    problems: list[Problem] = []
    zone = db.scalar(select(Zone).where(Zone.code == data.zone))
    if zone is None:
        problems.append(Problem("zone", N_("There is no zone '{code}'."), {"code": data.zone}))
    association = None
    if data.association:
        association = db.scalar(select(Association).where(Association.code == data.association))
        if association is None:
            problems.append(
                Problem(
                    "association",
                    N_("There is no association '{code}'."),
                    {"code": data.association},
                )
            )
    if data.shift_end <= data.shift_start:
        problems.append(
            Problem(
                "shift_end",
                N_("The shift must end after it starts ({start})."),
                {"start": data.shift_start},
            )
        )
    if not city.contains(data.home_lat, data.home_lon):
        problems.append(
            Problem("home_lat", N_("This place is outside {city}."), {"city": city.name})
        )
    if db.scalar(select(Picker.id).where(Picker.code == data.code)):
        problems.append(
            Problem(
                "code", N_("A picker with the code '{code}' exists already."), {"code": data.code}
            )
        )
    if db.scalar(select(Picker.id).where(Picker.document_id == data.document_id)):
        problems.append(Problem("document_id", N_("This identity document is registered already.")))
    user = _picker_account(db, city, data.account, problems)
    _refuse(
        NP_(
            "The picker cannot be registered: {count} problem.",
            "The picker cannot be registered: {count} problems.",
        ),
        problems,
    )
    assert zone is not None
    picker = Picker(
        code=data.code,
        name=data.name,
        document_id=data.document_id,
        phone=data.phone,
        association_id=association.id if association else None,
        zone_id=zone.id,
        vehicle=data.vehicle,
        capacity_kg=data.capacity_kg,
        working_days=data.working_days,
        shift_start=data.shift_start,
        shift_end=data.shift_end,
        home_lat=data.home_lat,
        home_lon=data.home_lon,
        user_id=user.id if user else None,
    )
    db.add(picker)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="recycling.picker_registered",
        entity_type="picker",
        entity_id=picker.code,
    )
    return picker


def _picker_account(
    db: Session, city: City, username: str | None, problems: list[Problem]
) -> User | None:
    """The sign-in a picker works their route with: a user of the city with the picker
    role, not another picker's."""
    if not username:
        return None
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        problems.append(
            Problem("account", N_("There is no user '{name}' in this city."), {"name": username})
        )
    elif WASTE_PICKER not in user.roles:
        problems.append(
            Problem(
                "account",
                N_("The user '{name}' does not have the waste picker role; give it first."),
                {"name": username},
            )
        )
    elif db.scalar(select(Picker.id).where(Picker.user_id == user.id)):
        problems.append(
            Problem(
                "account",
                N_("The user '{name}' is another picker's account already."),
                {"name": username},
            )
        )
    else:
        return user
    return None


def get_picker(db: Session, city: City, *, code: str) -> Picker:
    enter_city(db, city)
    picker = db.scalar(select(Picker).where(Picker.code == code))
    if picker is None:
        raise NotFound("There is no picker '{code}'.", code=code)
    return picker


def picker_of_user(db: Session, city: City, *, user_id: int) -> Picker:
    enter_city(db, city)
    picker = db.scalar(select(Picker).where(Picker.user_id == user_id))
    if picker is None:
        raise PermissionDenied("This account is not a waste picker's account.")
    return picker


def pickers(db: Session, city: City) -> list[Picker]:
    enter_city(db, city)
    return list(db.scalars(select(Picker).order_by(Picker.code)))


def set_picker_status(
    db: Session, city: City, *, code: str, status: str, actor: str, reason: str = ""
) -> Picker:
    """Verify (identity, association and equipment checked) or suspend a picker."""
    if status not in ("verified", "suspended"):
        raise InvalidInput("A picker can be verified or suspended, not {status}.", status=status)
    picker = get_picker(db, city, code=code)
    before = picker.status
    picker.status = status
    if status == "verified":
        picker.verified_at = utcnow()
        picker.verified_by = actor
    audit.record(
        db,
        actor=actor,
        action=f"recycling.picker_{status}",
        entity_type="picker",
        entity_id=code,
        changes={"from": before, "to": status},
        reason=reason or None,
    )
    return picker
