"""The offices' figures as KPIs (the dashboard, the scorecard, the network): waiting and
processing times, days until the next free slot, missed appointments, slot use and the
share of visits booked ahead. Each is right at the edges: a month with no visit has no
figure (not a zero), a day without visits adds nothing, a visit transferred between
counters counts once, its wait to its first call and its processing time summed."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Connection, text

from civitas.core.i18n import N_
from civitas.core.kpis import Cell, Kpi, Period, register, rows

DIMS = ("all", "service")
KPIS = (
    Kpi(
        "appointments_wait_p50",
        N_("Waiting at the office, median (minutes)"),
        N_(
            "From arrival (or the appointment's time, for who came early) to the first call, "
            "half of the visits of the month waited at most this long."
        ),
        "minutes",
        "down",
        "appointments",
        DIMS,
    ),
    Kpi(
        "appointments_wait_p90",
        N_("Waiting at the office, 90th percentile (minutes)"),
        N_("Nine in ten visits of the month waited at most this long for their first call."),
        "minutes",
        "down",
        "appointments",
        DIMS,
    ),
    Kpi(
        "appointments_service_p50",
        N_("Time at the counter, median (minutes)"),
        N_("The time visits spent being served, every counter they were sent to summed."),
        "minutes",
        "none",
        "appointments",
        DIMS,
    ),
    Kpi(
        "appointments_days_to_slot",
        N_("Days until the next free appointment"),
        N_(
            "Measured each morning per office and service and averaged over the month; when "
            "no time is free in the booking window, the window's length counts."
        ),
        "days",
        "down",
        "appointments",
        DIMS,
    ),
    Kpi(
        "appointments_no_show_pct",
        N_("Missed appointments (%)"),
        N_(
            "Appointments of the month nobody came to, as a share of those booked and not "
            "cancelled."
        ),
        "percent",
        "down",
        "appointments",
        DIMS,
    ),
    Kpi(
        "appointments_slot_use_pct",
        N_("Appointment places used (%)"),
        N_(
            "Places booked, as a share of the places the offices offered on the month's days "
            "so far."
        ),
        "percent",
        "up",
        "appointments",
        ("all",),
    ),
    Kpi(
        "appointments_booked_share_pct",
        N_("Visits booked ahead (%)"),
        N_("Visits served that had an appointment, as a share of all visits served."),
        "percent",
        "up",
        "appointments",
        DIMS,
    ),
)

TICKETS = """
SELECT t.service_id, t.kind, t.status, t.arrived_at, t.due_at, t.first_called_at,
       t.served_seconds
FROM appointment_tickets t
WHERE t.tenant_id = :city AND t.arrived_at >= :start AND t.arrived_at < :end
"""
APPOINTMENTS = """
SELECT a.service_id, a.status, a.office_id, a.start, a."end"
FROM appointments a
WHERE a.tenant_id = :city AND a.start >= :start AND a.start < :end
  AND a.status IN ('booked', 'checked_in', 'done', 'no_show')
"""
SNAPSHOTS = """
SELECT s.service_id, s.days_to_free FROM appointment_slot_snapshots s
WHERE s.tenant_id = :city AND s.day >= :first AND s.day < :following
"""


def nearest_rank(values: list[float], p: float) -> float | None:
    """The smallest value with at least p of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def _as_utc(value: object) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _by(cells: Iterable[tuple[str, float]]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = defaultdict(list)
    for key, value in cells:
        out[""].append(value)
        out[key].append(value)
    return out


def compute(conn: Connection, city_id: int, period: Period) -> Iterator[Cell]:
    codes = {
        str(i): c
        for i, c in conn.execute(
            text("SELECT id, code FROM services WHERE tenant_id = :city"), {"city": city_id}
        )
    }

    def code(service_id: object) -> str:
        return str(codes.get(str(service_id), ""))

    tickets = rows(conn, TICKETS, city_id, period)
    waits: list[tuple[str, float]] = []
    served: list[tuple[str, float]] = []
    visits: list[tuple[str, float]] = []
    for t in tickets:
        if t.first_called_at is not None:
            wait = (_as_utc(t.first_called_at) - _as_utc(t.due_at)).total_seconds() / 60
            waits.append((code(t.service_id), max(0.0, wait)))
        if t.status == "done":
            served.append((code(t.service_id), float(t.served_seconds or 0) / 60))
            visits.append((code(t.service_id), 100.0 if t.kind == "appointment" else 0.0))
    waited = _by(waits)
    yield from _cells("appointments_wait_p50", waited, lambda v: _round(nearest_rank(v, 0.5)))
    yield from _cells("appointments_wait_p90", waited, lambda v: _round(nearest_rank(v, 0.9)))
    yield from _cells(
        "appointments_service_p50", _by(served), lambda v: _round(nearest_rank(v, 0.5))
    )
    yield from _cells("appointments_booked_share_pct", _by(visits), _mean)
    appointments = rows(conn, APPOINTMENTS, city_id, period)
    missed = _by(
        (code(a.service_id), 100.0 if a.status == "no_show" else 0.0) for a in appointments
    )
    yield from _cells("appointments_no_show_pct", missed, _mean)
    first = date.fromisoformat(f"{period.month}-01")
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    snapshots = conn.execute(
        text(SNAPSHOTS), {"city": city_id, "first": first, "following": following}
    )
    days = _by(
        (code(s.service_id), float(s.days_to_free)) for s in snapshots if s.days_to_free is not None
    )
    yield from _cells("appointments_days_to_slot", days, _mean)
    yield from _slot_use(conn, city_id, period, appointments)


def _cells(
    kpi: str, groups: dict[str, list[float]], value: Callable[[list[float]], float | None]
) -> Iterator[Cell]:
    """One cell for the whole city (key "") and one per service."""
    for key, values in sorted(groups.items()):
        yield Cell(kpi, "all" if key == "" else "service", key, value(values), len(values))


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 1)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _slot_use(conn: Connection, city_id: int, period: Period, appointments: list) -> Iterator[Cell]:  # type: ignore[type-arg]
    """Places booked / places offered, over the month's days up to today."""
    from civitas.appointments.calendar import openings, units_of
    from civitas.appointments.schemas import OfficeDefinition

    city_row = conn.execute(
        text("SELECT country, timezone FROM cities WHERE id = :city"), {"city": city_id}
    ).one()
    zone = ZoneInfo(city_row.timezone)

    class _City:  # what calendar.openings reads of a city
        country = city_row.country

    offices = {
        int(r.id): OfficeDefinition.model_validate(
            orjson.loads(r.definition) if isinstance(r.definition, (str, bytes)) else r.definition
        )
        for r in conn.execute(
            text("SELECT id, definition FROM appointment_offices WHERE tenant_id = :city"),
            {"city": city_id},
        )
    }
    if not offices:
        return
    pools: dict[int, int] = defaultdict(int)
    for office_id, active, takes in conn.execute(
        text(
            "SELECT office_id, active, appointments FROM appointment_counters "
            "WHERE tenant_id = :city"
        ),
        {"city": city_id},
    ):
        if active and takes:
            pools[int(office_id)] += 1
    start = period.start.astimezone(zone).date()
    end = min(period.end.astimezone(zone).date(), datetime.now(zone).date() + timedelta(days=1))
    offered = 0
    for office_id, spec in offices.items():
        day = start
        while day < end:
            for opens, closes in openings(_City, spec, day):  # type: ignore[arg-type]
                offered += len(units_of(spec, opens, closes)) * pools[office_id]
            day += timedelta(days=1)
    if offered == 0:
        return
    used = 0
    for a in appointments:
        found = offices.get(int(a.office_id))
        if found is None or _as_utc(a.start).astimezone(zone).date() >= end:
            continue
        minutes = (_as_utc(a.end) - _as_utc(a.start)).total_seconds() / 60
        used += max(1, math.ceil(minutes / found.booking.slot_minutes))
    yield Cell(
        "appointments_slot_use_pct", "all", "", round(min(100.0, 100 * used / offered), 1), offered
    )


register("appointments", KPIS, compute)
