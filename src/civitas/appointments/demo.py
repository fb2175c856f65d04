"""The demo's offices (demo/offices/<city>.<code>.yaml): Musterstadt's citizens' office
with four counters; Trujillo's main office and a district office. Each gets three months
of visits drawn as a city would see them (more in the morning and on Mondays; two in
three places booked; about one in twelve appointments missed), simulated through its
counters so that every wait and every processing time is consistent; today's line so
far; and bookings for the weeks ahead, so that the booking pages show taken and free
times."""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from civitas.appointments import calendar
from civitas.appointments.booking import ALPHABET, person_key
from civitas.appointments.models import (
    Appointment,
    Office,
    OfficeDay,
    SlotSnapshot,
    Ticket,
)
from civitas.appointments.offices import counters_of, definition_of, offered, save_office
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.config import Settings
from civitas.core.db import utcnow

ACTOR = "system:demo"
OFFICES = Path(__file__).resolve().parent / "demo" / "offices"
HISTORY_DAYS = 91
FILL = 0.6  # the share of appointment places booked
NAMES = {
    "PE": [
        "Rosa Huamán",
        "Luis Quispe",
        "Carmen Díaz",
        "Jorge Mendoza",
        "Ana Castillo",
        "Pedro Vásquez",
        "María Rojas",
        "Julio Alvarado",
        "Elena Paredes",
        "Raúl Sánchez",
    ],
    "DE": [
        "Jonas Weber",
        "Lea Schmidt",
        "Paul Fischer",
        "Emma Wagner",
        "Ben Becker",
        "Mia Hoffmann",
        "Finn Schulz",
        "Lena Koch",
        "Tim Richter",
        "Sophie Wolf",
    ],
}


@dataclass
class Visitor:
    arrival: datetime
    due: datetime
    service_id: int
    minutes: float
    kind: str  # walk_in | appointment


def load(db: Session, city: City, settings: Settings, password: str) -> list[str]:
    enter_city(db, city)
    if db.scalar(select(Office.id).limit(1)) is not None:
        return ["  appointments:    offices already there"]
    files = sorted(OFFICES.glob(f"{city.slug}.*.yaml"))
    if not files:
        if "appointments" not in city.disabled_domains:
            city.disabled_domains = [*city.disabled_domains, "appointments"]
        return ["  appointments:    turned off (no office in this city)"]
    rng = random.Random(f"appointments:{city.slug}")  # noqa: S311 - demo data, not secrets
    now = utcnow()
    made = {"tickets": 0, "appointments": 0}
    names = []
    for path in files:
        office = save_office(db, city, text=path.read_text(encoding="utf-8"), actor=ACTOR)
        names.append(office.code)
        history(db, city, office, rng, now, made)
        ahead(db, city, office, rng, now, made)
    return [
        f"  appointments:    offices {', '.join(names)}: {made['tickets']} visits in three "
        f"months, {made['appointments']} appointments"
    ]


def _peak(weekday: int, minute: float) -> float:
    """How much busier than the day's mean: a morning peak, and Mondays."""
    hour = minute / 60
    shape = 1.5 if hour < 10 else 1.1 if hour < 12 else 0.7
    return shape * (1.3 if weekday == 0 else 0.93)


def history(
    db: Session, city: City, office: Office, rng: random.Random, now: datetime, made: dict[str, int]
) -> None:
    spec = definition_of(office)
    counters = counters_of(db, city, office)
    pool = sum(1 for c in counters if c.appointments)
    services = [(o, s) for o, s in offered(db, city, office)]
    weights = [3, 2, 1, 1][: len(services)] + [1] * max(0, len(services) - 4)
    letters = {s.id: o.letter for o, s in services}
    today = calendar.local_now(city, now).date()
    appointments: list[dict[str, Any]] = []
    tickets: list[dict[str, Any]] = []
    snapshots: list[dict[str, Any]] = []
    names = NAMES.get(city.country, NAMES["DE"])
    mean_minutes = sum(w * o.minutes for w, (o, _) in zip(weights, services, strict=True)) / sum(
        weights
    )
    # walk-ins an hour on average: what the counters have left beside the appointments,
    # at a load of about three quarters
    walk_ins = max(1.0, (len(counters) - pool * FILL) * 60 / mean_minutes * 0.75)
    for back in range(HISTORY_DAYS, -1, -1):
        day = today - timedelta(days=back)
        for _, s in services:
            trend = 9 - 5 * (HISTORY_DAYS - back) / HISTORY_DAYS  # the wait for a slot falls
            snapshots.append(
                {
                    "tenant_id": city.id,
                    "office_id": office.id,
                    "service_id": s.id,
                    "day": day,
                    "days_to_free": float(max(1, round(rng.gauss(trend, 1.5)))),
                }
            )
        visitors: list[Visitor] = []
        for opens, closes in calendar.openings(city, spec, day):
            closing = closes.hour * 60 + closes.minute
            lanes = [0] * pool  # the minute each counter's appointments leave it free
            for unit in calendar.units_of(spec, opens, closes):
                for lane in range(pool):
                    if lanes[lane] > unit or rng.random() > FILL:
                        continue
                    o, s = rng.choices(services, weights)[0]
                    if unit + o.minutes > closing:
                        continue
                    lanes[lane] = unit + o.minutes
                    start = calendar.at(city, day, unit).astimezone(UTC)
                    missed = rng.random() < 0.08
                    status = "booked" if start > now else "no_show" if missed else "done"
                    appointments.append(
                        _appointment(city, office, s.id, o.minutes, start, status, rng, names, now)
                    )
                    if status == "done":
                        arrival = start + timedelta(minutes=rng.uniform(-15, 8))
                        due = max(arrival, start)
                        length = _duration(rng, o.minutes)
                        visitors.append(Visitor(arrival, due, s.id, length, "appointment"))
            minute = float(opens.hour * 60 + opens.minute)
            while True:
                rate = walk_ins * _peak(day.weekday(), minute)
                minute += rng.expovariate(rate / 60)
                if minute >= closing - 10:
                    break
                o, s = rng.choices(services, weights)[0]
                arrival = calendar.at(city, day, int(minute)).astimezone(UTC)
                length = _duration(rng, o.minutes)
                visitors.append(Visitor(arrival, arrival, s.id, length, "walk_in"))
        tickets.extend(_serve(city, office, day, visitors, counters, letters, now))
    codes = {s.id: s.code for _, s in services}
    for row in appointments:
        row["services"] = [{**row["services"][0], "code": codes[row["service_id"]]}]
    if appointments:
        db.execute(insert(Appointment), appointments)
    if tickets:
        db.execute(insert(Ticket), tickets)
        last = (
            max(t["number"] for t in tickets if t["day"] == today)
            if any(t["day"] == today for t in tickets)
            else 0
        )
        if last:
            db.add(OfficeDay(office_id=office.id, day=today, last_ticket=last, version=0))
    db.execute(insert(SlotSnapshot), snapshots)
    db.flush()
    made["tickets"] += len(tickets)
    made["appointments"] += len(appointments)


def _duration(rng: random.Random, minutes: int) -> float:
    return max(2.0, rng.gammavariate(4, minutes / 4))


def _serve(
    city: City,
    office: Office,
    day: date,
    visitors: list[Visitor],
    counters: list[Any],
    letters: dict[int, str],
    now: datetime,
) -> list[dict[str, Any]]:
    """First come (an appointment at its time), first served, at the first free counter."""
    free = [(visitors[0].due if visitors else now, c.id) for c in counters]
    heapq.heapify(free)
    rows = []
    for number, v in enumerate(sorted(visitors, key=lambda v: (v.due, v.arrival)), start=1):
        if v.arrival > now:
            continue
        at, counter_id = heapq.heappop(free)
        called = max(at, v.due)
        finished = called + timedelta(minutes=v.minutes)
        status = "done"
        if called > now:
            status, called_at, finished_at, served = "waiting", None, None, 0.0
            heapq.heappush(free, (at, counter_id))
        elif finished > now:
            status, called_at, finished_at, served = "serving", called, None, 0.0
            heapq.heappush(free, (finished, counter_id))
        else:
            called_at, finished_at, served = called, finished, v.minutes * 60
            heapq.heappush(free, (finished, counter_id))
        rows.append(
            {
                "tenant_id": city.id,
                "office_id": office.id,
                "day": day,
                "number": number,
                "code": f"{letters.get(v.service_id) or 'A'}{number:03d}",
                "kind": v.kind,
                "channel": "appointment" if v.kind == "appointment" else "kiosk",
                "service_id": v.service_id,
                "status": status,
                "arrived_at": v.arrival,
                "due_at": v.due,
                "first_called_at": called_at,
                "called_at": called_at,
                "calls": 1 if called_at else 0,
                "counter_id": counter_id if called_at else None,
                "serving_since": called_at if status == "serving" else None,
                "served_seconds": served,
                "transfers": 0,
                "finished_at": finished_at,
            }
        )
    return rows


def _appointment(
    city: City,
    office: Office,
    service_id: int,
    minutes: int,
    start: datetime,
    status: str,
    rng: random.Random,
    names: list[str],
    now: datetime,
) -> dict[str, Any]:
    name = rng.choice(names)
    reference = "".join(rng.choice(ALPHABET) for _ in range(8))
    return {
        "tenant_id": city.id,
        "office_id": office.id,
        "service_id": service_id,
        "services": [{"id": service_id, "code": "", "minutes": minutes}],
        "start": start,
        "end": start + timedelta(minutes=minutes),
        "status": status,
        "reference": reference,
        "name": name,
        "person_key": person_key(name),
        "email": f"{person_key(name).replace(' ', '.')}@{city.jurisdiction_id}",
        "language": city.default_language,
        "channel": rng.choice(["online", "online", "online", "staff", "hotline"]),
        "sequence": 0,
        "created_at": min(now, start - timedelta(days=rng.randint(1, 20))),
        "booked_at": min(now, start - timedelta(days=rng.randint(1, 20))),
    }


def ahead(
    db: Session, city: City, office: Office, rng: random.Random, now: datetime, made: dict[str, int]
) -> None:
    """Bookings for the weeks ahead: fuller soon, emptier later."""
    spec = definition_of(office)
    counters = counters_of(db, city, office)
    pool = sum(1 for c in counters if c.appointments)
    services = [(o, s) for o, s in offered(db, city, office)]
    codes = {s.id: s.code for _, s in services}
    names = NAMES.get(city.country, NAMES["DE"])
    today = calendar.local_now(city, now).date()
    rows = []
    for forward in range(1, spec.booking.days_ahead):
        day = today + timedelta(days=forward)
        full = max(0.05, 0.8 - forward / spec.booking.days_ahead)
        for opens, closes in calendar.openings(city, spec, day):
            for unit in calendar.units_of(spec, opens, closes):
                for _ in range(pool):
                    if rng.random() > full:
                        continue
                    o, s = rng.choice(services)
                    if unit + o.minutes > closes.hour * 60 + closes.minute:
                        continue
                    start = calendar.at(city, day, unit).astimezone(UTC)
                    rows.append(
                        _appointment(
                            city, office, s.id, o.minutes, start, "booked", rng, names, now
                        )
                    )
    for row in rows:
        row["services"] = [{**row["services"][0], "code": codes[row["service_id"]]}]
    if rows:
        db.execute(insert(Appointment), rows)
    made["appointments"] += len(rows)
