"""Each morning, per office and service: how many days until the next free slot (the
booking window's length when none is free in it). The KPI averages these over a month."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.appointments import calendar
from civitas.appointments.models import Office, SlotSnapshot
from civitas.appointments.offices import counters_of, definition_of, offered
from civitas.cities.models import City
from civitas.cities.service import enter_city


def measure(db: Session, city: City, now: datetime) -> int:
    """Record today's measure for every office and service (once a day: kept as first taken)."""
    enter_city(db, city)
    day = calendar.local_now(city, now).date()
    written = 0
    for office in db.scalars(select(Office)):
        spec = definition_of(office)
        counters = counters_of(db, city, office)
        for row, service in offered(db, city, office):
            exists = db.scalar(
                select(SlotSnapshot.id).where(
                    SlotSnapshot.office_id == office.id,
                    SlotSnapshot.service_id == service.id,
                    SlotSnapshot.day == day,
                )
            )
            if exists is not None:
                continue
            slots = calendar.free_slots(
                db,
                city,
                office,
                service.code,
                row.minutes,
                day,
                day + timedelta(days=spec.booking.days_ahead),
                now=now,
                counters=counters,
                limit=1,
            )
            days = (
                float((slots[0].start.date() - day).days)
                if slots
                else float(spec.booking.days_ahead)
            )
            db.add(
                SlotSnapshot(office_id=office.id, service_id=service.id, day=day, days_to_free=days)
            )
            written += 1
    return written
