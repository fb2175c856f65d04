"""The day's plan: which picker visits which pickups in which order, and re-planning.

Each zone is planned on its own (its pickups go to its own verified pickers who work that
day). A plan is stored as a new version (``recycling_plans``) with its figures; the
pickups carry the current assignment, sequence and arrival window. A re-plan during the
day (a picker drops out) keeps what was done, starts every remaining picker where they
last were, from now, and hands out what is left.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civitas.cases.models import ServiceRequest
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit, background
from civitas.core.db import utcnow
from civitas.core.errors import Conflict, InvalidInput
from civitas.core.i18n import format_datetime_local, translate
from civitas.recycling import vrp as routing
from civitas.recycling.models import Absence, Association, Material, Picker, Pickup, PlanRun
from civitas.recycling.permissions import RecyclingPermission
from civitas.recycling.schemas import SPEED_KMH
from civitas.recycling.service import programme

OPEN = ("requested", "planned", "unplanned")
ARRIVAL_WINDOW = timedelta(minutes=30)  # what the resident is told: arrival within this


def _seconds(moment: datetime, midnight: datetime) -> int:
    return max(0, int((moment - midnight).total_seconds()))


def _clock_s(clock: str) -> int:
    hours, minutes = (int(p) for p in clock.split(":"))
    return hours * 3600 + minutes * 60


def check_plannable(city: City, day: date, now: datetime) -> datetime:
    """The day's midnight (UTC) if the day can still be planned (today or later)."""
    midnight = datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(city.timezone))
    if midnight + timedelta(days=1) <= now:
        raise InvalidInput(
            "{day} is over: only today and later days can be planned.", day=day.isoformat()
        )
    return midnight.astimezone(UTC)


def available_pickers(db: Session, city: City, *, day: date) -> list[Picker]:
    """Verified pickers who work on the day's weekday and have not dropped out."""
    enter_city(db, city)
    absent = set(db.scalars(select(Absence.picker_id).where(Absence.day == day)))
    return [
        p
        for p in db.scalars(select(Picker).where(Picker.status == "verified").order_by(Picker.id))
        if day.weekday() in p.working_days and p.id not in absent
    ]


def make_plan(
    db: Session,
    city: City,
    *,
    day: date,
    actor: str,
    reason: str = "plan",
    now: datetime | None = None,
    time_limit: float | None = None,
) -> PlanRun:
    """Plan (or re-plan) the day's open pickups over the available pickers."""
    enter_city(db, city)
    now = now or utcnow()
    prog = programme(db, city)
    midnight = check_plannable(city, day, now)
    limit = float(time_limit if time_limit is not None else prog.plan_time_limit_s)
    price = {m.code: m.reference_price_minor_per_kg for m in db.scalars(select(Material))}
    centres = {a.id: (a.centre_lat, a.centre_lon) for a in db.scalars(select(Association))}
    open_pickups = list(
        db.scalars(
            select(Pickup).where(Pickup.day == day, Pickup.status.in_(OPEN)).order_by(Pickup.id)
        )
    )
    pickers = available_pickers(db, city, day=day)
    routes: list[routing.Route] = []
    unassigned: list[int] = []
    per_zone: dict[str, Any] = {}
    now_s = _seconds(now, midnight)
    for zone_id in sorted({p.zone_id for p in open_pickups} | {p.zone_id for p in pickers}):
        stops = [
            _stop(p, price, prog.stop_minutes, midnight)
            for p in open_pickups
            if p.zone_id == zone_id
        ]
        vehicles = [_vehicle(db, p, day, now_s, centres) for p in pickers if p.zone_id == zone_id]
        vehicles = [v for v in vehicles if v.shift[0] < v.shift[1]]
        plan = routing.plan_day(
            stops, vehicles, time_limit=limit, fairness_weight=prog.fairness_weight
        )
        routes += plan.routes
        unassigned += plan.unassigned
        per_zone[str(zone_id)] = {
            "stops": len(stops),
            "pickers": len(vehicles),
            "distance_m": plan.distance_m,
            "unassigned": len(plan.unassigned),
            "spread_minor": plan.fairness.spread_minor,
            "income_cap_minor": plan.income_cap_minor,
            "seconds": plan.seconds,
            "candidates": list(plan.candidates),
        }
    by_id = {p.id: p for p in open_pickups}
    version = (db.scalar(select(func.max(PlanRun.version)).where(PlanRun.day == day)) or 0) + 1
    fairness = routing.fairness_of(
        [next((r.income_minor for r in routes if r.vehicle == p.id), 0) for p in pickers]
    )
    run = PlanRun(
        day=day,
        version=version,
        reason=reason,
        pickers=[p.id for p in pickers],
        stats={
            "distance_m": sum(r.distance_m for r in routes),
            "stops": len(open_pickups),
            "assigned": len(open_pickups) - len(unassigned),
            "unassigned": unassigned,
            "fairness": {
                "mean_minor": fairness.mean_minor,
                "spread_minor": fairness.spread_minor,
                "min_minor": fairness.min_minor,
                "max_minor": fairness.max_minor,
                "gini": fairness.gini,
            },
            "income": {str(r.vehicle): r.income_minor for r in routes},
            "fairness_weight": prog.fairness_weight,
            "zones": per_zone,
        },
        created_by=actor,
    )
    db.add(run)
    try:
        db.flush()
    except IntegrityError as exc:  # two planners at once: the version is unique per day
        raise Conflict(
            "Someone else planned {day} at the same moment; reload the plan.", day=day.isoformat()
        ) from exc
    for route in routes:
        for sequence, visit in enumerate(route.visits, start=1):
            _assign(
                db,
                city,
                by_id[visit.stop],
                route.vehicle,
                sequence,
                midnight + timedelta(seconds=visit.arrival_s),
                actor,
            )
    for key in unassigned:
        pickup = by_id[key]
        pickup.status, pickup.picker_id, pickup.sequence = "unplanned", None, None
        pickup.eta_start = pickup.eta_end = None
    audit.record(
        db,
        actor=actor,
        action="recycling.plan_made",
        entity_type="plan",
        entity_id=f"{day.isoformat()}/v{version}",
        changes={"assigned": run.stats["assigned"], "unassigned": len(unassigned)},
        reason=reason,
    )
    return run


def _stop(pickup: Pickup, price: dict[str, int], minutes: int, midnight: datetime) -> routing.Stop:
    per_kg = [price.get(code, 0) for code in pickup.materials] or [0]
    expected = round(pickup.estimated_g / 1000 * sum(per_kg) / len(per_kg))
    return routing.Stop(
        key=pickup.id,
        lat=pickup.lat,
        lon=pickup.lon,
        load_g=pickup.estimated_g,
        window=(_seconds(pickup.window_start, midnight), _seconds(pickup.window_end, midnight)),
        service_s=minutes * 60,
        income_minor=expected,
    )


def _vehicle(
    db: Session, picker: Picker, day: date, now_s: int, centres: dict[int, tuple[float, float]]
) -> routing.Vehicle:
    """A picker as the solver sees them; during the day, from where they last were."""
    last = db.scalar(
        select(Pickup)
        .where(Pickup.day == day, Pickup.picker_id == picker.id, Pickup.done_at.is_not(None))
        .order_by(Pickup.done_at.desc())
    )
    home = (picker.home_lat, picker.home_lon)
    start = (last.lat, last.lon) if last is not None else home
    centre = centres.get(picker.association_id) if picker.association_id else None
    return routing.Vehicle(
        key=picker.id,
        start=start,
        end=home,
        capacity_g=picker.capacity_kg * 1000,
        shift=(max(_clock_s(picker.shift_start), now_s), _clock_s(picker.shift_end)),
        speed_kmh=SPEED_KMH.get(picker.vehicle, 6.0),
        unload_at=centre,
    )


def _assign(
    db: Session,
    city: City,
    pickup: Pickup,
    picker_id: int,
    sequence: int,
    arrival: datetime,
    actor: str,
) -> None:
    """Give the pickup its place on a route; tell the resident when a change concerns them."""
    from civitas.cases.schemas import Status
    from civitas.cases.service import add_note, change_status, notify_reporter

    eta_start = max(arrival, pickup.window_start)
    eta_end = eta_start + ARRIVAL_WINDOW
    changed = (
        pickup.picker_id != picker_id
        or pickup.eta_start is None
        or abs((pickup.eta_start - eta_start).total_seconds()) > 15 * 60
    )
    pickup.status, pickup.picker_id, pickup.sequence = "planned", picker_id, sequence
    pickup.eta_start, pickup.eta_end = eta_start, eta_end
    if not changed:
        return
    request = db.get(ServiceRequest, pickup.request_id)
    assert request is not None
    picker = db.get(Picker, picker_id)
    assert picker is not None
    lang = request.language or city.default_language
    text = translate(
        lang,
        "Your pickup is planned: {picker} comes between {start} and {end}.",
        picker=picker.name,
        start=format_datetime_local(eta_start, city, lang),
        end=format_datetime_local(eta_end, city, lang, time_only=True),
    )
    if request.status in (Status.RECEIVED, Status.ACKNOWLEDGED):
        change_status(
            db,
            city,
            number=request.number,
            status=Status.IN_PROGRESS,
            actor=actor,
            note=text,
            public=True,
        )
    else:
        note = add_note(db, city, number=request.number, text=text, public=True, actor=actor)
        db.flush()
        notify_reporter(db, city, request, event=f"note:{note.id}", note=text)


def record_absence(
    db: Session, city: City, *, picker: Picker, day: date, reason: str, actor: str
) -> None:
    """A picker cannot go on: record it and take back their open stops (for a re-plan)."""
    enter_city(db, city)
    if db.scalar(select(Absence.id).where(Absence.picker_id == picker.id, Absence.day == day)):
        raise Conflict(
            "{name} is already recorded as not working on {day}.",
            name=picker.name,
            day=day.isoformat(),
        )
    db.add(Absence(picker_id=picker.id, day=day, reason=reason, recorded_by=actor))
    for pickup in db.scalars(
        select(Pickup).where(
            Pickup.day == day, Pickup.picker_id == picker.id, Pickup.status == "planned"
        )
    ):
        pickup.picker_id = None  # re-planned next, or left unplanned
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="recycling.picker_dropped_out",
        entity_type="picker",
        entity_id=picker.code,
        reason=reason,
    )


def drop_out(
    db: Session,
    city: City,
    *,
    picker: Picker,
    day: date,
    reason: str,
    actor: str,
    now: datetime | None = None,
    time_limit: float | None = None,
) -> PlanRun:
    """A picker cannot go on today: record it and hand their open stops to the others
    (here and now; the pages and the API re-plan in a background job instead)."""
    record_absence(db, city, picker=picker, day=day, reason=reason, actor=actor)
    return make_plan(
        db,
        city,
        day=day,
        actor=actor,
        reason=f"drop-out: {picker.code}",
        now=now,
        time_limit=time_limit,
    )


def latest_plan(db: Session, city: City, *, day: date) -> PlanRun | None:
    enter_city(db, city)
    return db.scalar(select(PlanRun).where(PlanRun.day == day).order_by(PlanRun.version.desc()))


PLAN_JOB = "recycling.plan"


@background.kind(PLAN_JOB, RecyclingPermission.RECYCLING_PROGRAMME_MANAGE)
def plan_job(db: Session, city: City, params: dict[str, Any], actor: str) -> dict[str, Any]:
    """The background job behind "plan the day" (the solver runs for seconds)."""
    run = make_plan(
        db, city, day=date.fromisoformat(params["day"]), actor=actor, reason=params["reason"]
    )
    db.flush()
    return {"day": run.day.isoformat(), "version": run.version, "stats": run.stats}
