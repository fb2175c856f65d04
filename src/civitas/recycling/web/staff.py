"""The recycling programme's back office: the day's plan (made, re-made when a picker
drops out), the pickers (registered, verified, suspended), sales to buyers with their
trace back to the pickups, and the month's figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Any

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from fastapi import Form, Request
from fastapi.responses import FileResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.accounts.models import User
from civitas.accounts.service import Principal, actor_names
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import background
from civitas.core.db import utcnow
from civitas.core.errors import CivitasError, InvalidInput, NotFound, Problem
from civitas.core.i18n import N_, NP_, format_money, locale_for, pick, translate
from civitas.core.kpis import Period
from civitas.core.validation import refusal
from civitas.recycling import kpis, planning, service
from civitas.recycling.models import Absence, Picker, Pickup
from civitas.recycling.permissions import RecyclingPermission
from civitas.recycling.schemas import VEHICLES, PickerCreate
from civitas.recycling.service import today
from civitas.recycling.web.pages import (
    STATUS_TEXT,
    clock,
    kg_text,
    parse_day,
    read_sale_form,
    sale_context,
    sale_field,
    sale_form_context,
    sale_rows,
    to_minor,
)
from civitas.web.actions import form_action, gated_action
from civitas.web.api.jobs import stored_message
from civitas.web.deps import (
    AppSettings,
    CurrentCity,
    DbSession,
    OptionalPrincipal,
    RowId,
    staff_page,
)
from civitas.web.forms import problems_by_field
from civitas.web.jobs import start_job
from civitas.web.media import SAFE_HEADERS
from civitas.web.routers import Router
from civitas.web.templating import page as render

router = Router(include_in_schema=False)
MANAGE = RecyclingPermission.RECYCLING_PROGRAMME_MANAGE
VEHICLE_TEXT = {
    "on_foot": N_("On foot"),
    "tricycle": N_("Tricycle"),
    "cart": N_("Cart"),
    "motocargo": N_("Motorcycle with cargo box"),
}
PICKER_STATUS = {
    "registered": N_("Registered, not verified"),
    "verified": N_("Verified"),
    "suspended": N_("Suspended"),
}


def _money(amount: int, city: City, lang: str) -> str:
    return format_money(amount, city.currency, locale_for(lang, city.country))


def day_context(db: DbSession, city: City, day: date, lang: str) -> dict[str, Any]:
    pickups = service.pickups_of_day(db, city, day=day)
    pickers = {p.id: p for p in service.pickers(db, city)}
    zones = {z.id: z.name for z in service.zones(db, city)}
    numbers = {
        k: r.number
        for k, r in service.requests_of(db, city, [p.request_id for p in pickups]).items()
    }
    plan = planning.latest_plan(db, city, day=day)
    stats: dict[str, Any] = plan.stats if plan else {}
    planned_by = actor_names(db, city, {plan.created_by}, lang) if plan else {}
    locale = locale_for(lang, city.country)
    expected = {int(k): v for k, v in stats.get("income", {}).items()}
    absent = set(db.scalars(select(Absence.picker_id).where(Absence.day == day)))
    working = {p.id for p in planning.available_pickers(db, city, day=day)}
    crew = []
    for p in pickers.values():
        mine = [x for x in pickups if x.picker_id == p.id]
        if not mine and p.id not in working and p.id not in absent:
            continue
        crew.append(
            {
                "p": p,
                "zone": zones.get(p.zone_id, ""),
                "stops": len(mine),
                "done": sum(1 for x in mine if x.status in ("collected", "not_found")),
                "kg": kg_text(sum(x.estimated_g for x in mine), locale),
                "expected": _money(expected.get(p.id, 0), city, lang),
                "absent": p.id in absent,
            }
        )
    rows = [
        {
            "p": x,
            "number": numbers.get(x.request_id),
            "zone": zones.get(x.zone_id, ""),
            "window": f"{clock(x.window_start, city)}–{clock(x.window_end, city)}",
            "eta": clock(x.eta_start, city),
            "picker": pickers[x.picker_id].name if x.picker_id in pickers else "",
            "status": translate(lang, STATUS_TEXT.get(x.status, x.status)),
            "kg": kg_text(x.estimated_g, locale),
        }
        for x in pickups
    ]
    fairness = stats.get("fairness", {})
    under_way = background.active(db, planning.PLAN_JOB)
    failed = db.scalar(
        select(background.Job)
        .where(background.Job.kind == planning.PLAN_JOB, background.Job.status == "failed")
        .order_by(background.Job.id.desc())
        .limit(1)
    )
    if failed is None or failed.error is None or failed.params.get("day") != day.isoformat():
        failure = ""
    elif plan is not None and failed.finished_at and plan.created_at > failed.finished_at:
        failure = ""  # a later plan replaced the failed attempt
    else:
        failure = stored_message(lang, failed.error)
    asked_by = ""
    if under_way is not None:  # who asked, by name, not by label
        kind, _, code = under_way.actor.partition(":")
        if kind == "picker":
            asked_by = db.scalar(select(Picker.name).where(Picker.code == code)) or code
        else:
            asked_by = db.scalar(select(User.full_name).where(User.username == code)) or code
    return {
        "planning": under_way,
        "planning_by": asked_by,
        "planning_day": (
            format_date(
                date.fromisoformat(under_way.params["day"]),
                "long",
                locale=locale_for(lang, city.country),
            )
            if under_way is not None
            else ""
        ),
        "plan_failure": failure,
        "day": day,
        "rows": rows,
        "crew": crew,
        "plan": plan,
        "planned_by": planned_by.get(plan.created_by, "") if plan else "",
        "stats": stats,
        "distance_km": format_decimal(
            stats.get("distance_m", 0) / 1000,
            format="#,##0.0",
            locale=locale_for(lang, city.country),
        ),
        "spread": _money(int(fairness.get("spread_minor", 0)), city, lang),
        "gini": format_decimal(fairness.get("gini", 0), format="0.00", locale=locale),
        "unplanned": sum(1 for x in pickups if x.status == "unplanned"),
        "open": sum(1 for x in pickups if x.status in planning.OPEN),
        "can_plan": day >= today(city),
        "problems": {},
    }


@router.get("/{city}/staff/recycling", response_model=None)
def day_page(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    day: str = "",
) -> Response:
    """A day of the programme: the plan and its figures, who visits whom, what is done."""
    if isinstance(who := staff_page(city, principal, MANAGE), Response):
        return who
    lang = request.state.lang
    try:
        chosen = parse_day(city, day)
    except CivitasError as exc:
        context = day_context(db, city, today(city), lang)
        context["problems"] = problems_by_field(lang, exc, fallback="day")
        return render(request, "recycling/staff_day.html", context, exc.status)
    return render(request, "recycling/staff_day.html", day_context(db, city, chosen, lang))


def _day_action(
    request: Request,
    city: City,
    db: Session,
    principal: Principal | None,
    csrf: str,
    day: str,
    change: Callable[[Principal], date],
    *,
    problem_at: str,
) -> Response:
    """A change to a day's plan from the day's page: then the day again, or the page of
    the day asked for (today's if that is no day) with what was wrong at ``problem_at``."""
    lang = request.state.lang

    def refused(_who: Principal, exc: CivitasError) -> Response:
        try:
            shown = parse_day(city, day)
        except CivitasError:
            shown = today(city)
        context = day_context(db, city, shown, lang)
        context["problems"] = problems_by_field(lang, exc, fallback=problem_at)
        return render(request, "recycling/staff_day.html", context, exc.status)

    return form_action(
        request,
        city,
        db,
        principal,
        permission=MANAGE,
        csrf=csrf,
        change=change,
        done=lambda chosen: f"/{city.slug}/staff/recycling?day={chosen.isoformat()}&lang={lang}",
        refused=refused,
    )


@router.post("/{city}/staff/recycling/plan", response_model=None)
def make_plan(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    csrf: Annotated[str, Form(max_length=128)] = "",
    day: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Plan (or plan again) the day's open pickups over the pickers working that day."""

    def change(who: Principal) -> date:
        chosen = parse_day(city, day)
        planning.check_plannable(city, chosen, utcnow())
        # the solver takes seconds: a background job, one at a time; the day's page
        # shows it under way and refreshes until the new plan is there
        start_job(
            db,
            kind=planning.PLAN_JOB,
            params={"day": chosen.isoformat(), "reason": "plan"},
            actor=who.label,
        )
        return chosen

    return _day_action(request, city, db, principal, csrf, day, change, problem_at="day")


@router.post("/{city}/staff/recycling/pickers/{code}/drop-out", response_model=None)
def drop_out(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    code: str,
    csrf: Annotated[str, Form(max_length=128)] = "",
    day: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """A picker cannot work (the rest of) the day: their open stops go to the others."""

    def change(who: Principal) -> date:
        chosen = parse_day(city, day)
        picker = service.get_picker(db, city, code=code)
        if not reason.strip():
            raise InvalidInput(
                "Say why the picker stops.",
                problems=[Problem(f"reason-{code}", N_("Say why the picker stops."))],
            )
        planning.record_absence(
            db, city, picker=picker, day=chosen, reason=reason.strip(), actor=who.label
        )
        db.commit()
        start_job(
            db,
            kind=planning.PLAN_JOB,
            params={"day": chosen.isoformat(), "reason": f"drop-out: {picker.code}"},
            actor=who.label,
        )
        return chosen

    return _day_action(request, city, db, principal, csrf, day, change, problem_at=f"reason-{code}")


@router.get("/{city}/staff/recycling/pickups/{pickup_id}/photo", response_model=None)
def stop_photo(
    city: CurrentCity,
    db: DbSession,
    settings: AppSettings,
    principal: OptionalPrincipal,
    pickup_id: RowId,
) -> Response:
    """The photo a picker took at a stop (for staff: it may show a household's door)."""
    if isinstance(who := staff_page(city, principal, MANAGE), Response):
        return who
    enter_city(db, city)
    pickup = db.get(Pickup, pickup_id)
    path = settings.media_root / pickup.photo if pickup and pickup.photo else None
    if path is None or not path.is_file():
        raise NotFound("There is no photo of pickup {id}.", id=pickup_id)
    kind = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
    return FileResponse(
        path,
        media_type=kind.get(path.suffix.lstrip("."), "application/octet-stream"),
        headers={**SAFE_HEADERS, "Cache-Control": "private, max-age=3600"},
    )


# --- pickers -------------------------------------------------------------------------------


def pickers_context(db: DbSession, city: City, lang: str) -> dict[str, Any]:
    zones = service.zones(db, city)
    groups = service.associations(db, city)
    zone_names = {z.id: z.name for z in zones}
    group_names = {a.id: a.name for a in groups}
    weekdays = [translate(lang, d) for d in service.WEEKDAYS]
    return {
        "pickers": [
            {
                "p": p,
                "zone": zone_names.get(p.zone_id, ""),
                "association": group_names.get(p.association_id or 0, ""),
                "vehicle": translate(lang, VEHICLE_TEXT[p.vehicle]),
                "status": translate(lang, PICKER_STATUS.get(p.status, p.status)),
                "days": ", ".join(weekdays[d][:3] for d in p.working_days),
            }
            for p in service.pickers(db, city)
        ],
        "zones": zones,
        "associations": groups,
        "vehicles": [(v, translate(lang, VEHICLE_TEXT[v])) for v in VEHICLES],
        "weekdays": list(enumerate(weekdays)),
        "problems": {},
        "answers": {},
    }


@router.get("/{city}/staff/recycling/pickers", response_model=None)
def pickers_page(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    if isinstance(who := staff_page(city, principal, MANAGE), Response):
        return who
    context = pickers_context(db, city, request.state.lang)
    return render(request, "recycling/staff_pickers.html", context)


def _picker_field(location: str) -> str:
    return "home" if location in ("home_lat", "home_lon") else location


@router.post("/{city}/staff/recycling/pickers", response_model=None)
async def register_picker(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    """Register a picker: identity, association, zone, vehicle and capacity, working days
    and hours. Verification is a separate step, after the documents are checked."""
    form = await request.form()
    text = {k: v.strip() for k, v in form.items() if isinstance(v, str)}
    lang = request.state.lang
    days = [v for v in form.getlist("working_days") if isinstance(v, str)]
    fields = {
        k: text.get(k) or None
        for k in (
            "code",
            "name",
            "document_id",
            "phone",
            "association",
            "zone",
            "vehicle",
            "capacity_kg",
            "shift_start",
            "shift_end",
            "home_lat",
            "home_lon",
            "account",
        )
    }

    def change(who: Principal) -> str:
        try:
            data = PickerCreate.model_validate(
                {k: v for k, v in fields.items() if v is not None} | {"working_days": days}
            )
        except ValidationError as exc:
            raise refusal(
                exc,
                NP_(
                    "The picker cannot be registered: {count} problem.",
                    "The picker cannot be registered: {count} problems.",
                ),
            ) from None
        return service.register_picker(db, city, data=data, actor=who.label).code

    def refused(_who: Principal, exc: CivitasError) -> Response:
        context = pickers_context(db, city, lang)
        context["problems"] = problems_by_field(lang, exc, fallback="code", field=_picker_field)
        context["answers"] = text | {"working_days": days}
        return render(request, "recycling/staff_pickers.html", context, exc.status)

    return form_action(
        request,
        city,
        db,
        principal,
        permission=MANAGE,
        csrf=text.get("csrf", ""),
        change=change,
        done=lambda made: f"/{city.slug}/staff/recycling/pickers?lang={lang}#p-{made}",
        refused=refused,
    )


@router.post("/{city}/staff/recycling/pickers/{code}/status", response_model=None)
def picker_status(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    code: str,
    csrf: Annotated[str, Form(max_length=128)] = "",
    status: Annotated[str, Form(max_length=12)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Verify a picker (documents and equipment checked) or suspend them."""
    lang = request.state.lang

    def refused(_who: Principal, exc: CivitasError) -> Response:
        context = pickers_context(db, city, lang)
        context["problems"] = problems_by_field(lang, exc, fallback=f"status-{code}")
        return render(request, "recycling/staff_pickers.html", context, exc.status)

    return form_action(
        request,
        city,
        db,
        principal,
        permission=MANAGE,
        csrf=csrf,
        change=lambda who: service.set_picker_status(
            db, city, code=code, status=status, actor=who.label, reason=reason.strip()
        ),
        done=lambda _: f"/{city.slug}/staff/recycling/pickers?lang={lang}#p-{code}",
        refused=refused,
    )


# --- sales ---------------------------------------------------------------------------------


def _sales_desk(city: City, principal: Principal | None) -> Principal | Response:
    """The programme's staff who record sales: a buyer records its own at /buyer and
    does not see other buyers' purchases here."""
    if isinstance(who := staff_page(city, principal, MANAGE), Response):
        return who
    return staff_page(city, principal, RecyclingPermission.RECYCLING_SALE_RECORD)


def sales_context(db: DbSession, city: City, lang: str) -> dict[str, Any]:
    return {
        "sales": sale_rows(db, city, service.sales(db, city), lang),
        "problems": {},
        "answers": {},
        **sale_form_context(db, city, lang),
    }


@router.get("/{city}/staff/recycling/sales", response_model=None)
def sales_page(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    if isinstance(who := _sales_desk(city, principal), Response):
        return who
    context = sales_context(db, city, request.state.lang)
    return render(request, "recycling/staff_sales.html", context)


@router.post("/{city}/staff/recycling/sales", response_model=None)
async def record_sale(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    """A sale by a picker or an association to a buyer, entered at the collection centre."""
    form = await request.form()
    text = {k: v for k, v in form.items() if isinstance(v, str)}
    lang = request.state.lang

    def refused(_who: Principal, exc: CivitasError) -> Response:
        context = sales_context(db, city, lang)
        context["problems"] = problems_by_field(lang, exc, fallback="lines", field=sale_field)
        context["answers"] = text
        return render(request, "recycling/staff_sales.html", context, exc.status)

    return gated_action(
        request,
        db,
        gate=lambda: _sales_desk(city, principal),
        actor=lambda who: who.label,
        csrf=text.get("csrf", ""),
        change=lambda who: service.record_sale(
            db,
            city,
            data=read_sale_form(text, text.get("buyer", ""), city.currency),
            actor=who.label,
        ),
        done=lambda sale: f"/{city.slug}/staff/recycling/sales/{sale.id}?lang={lang}",
        refused=refused,
    )


@router.get("/{city}/staff/recycling/sales/{sale_id}", response_model=None)
def sale_page(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    sale_id: RowId,
) -> Response:
    if isinstance(who := _sales_desk(city, principal), Response):
        return who
    context = sale_context(db, city, sale_id, request.state.lang)
    return render(
        request, "recycling/sale.html", context | {"back": f"/{city.slug}/staff/recycling/sales"}
    )


# --- figures -------------------------------------------------------------------------------


@router.get("/{city}/staff/recycling/figures", response_model=None)
def figures_page(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    month: str = "",
) -> Response:
    """The month in figures: kilograms by material, emissions avoided, households, pickups
    on time, the pickers' income and its spread (the same numbers as the scorecard's)."""
    if isinstance(who := staff_page(city, principal, MANAGE), Response):
        return who
    lang = request.state.lang
    this_month = today(city).strftime("%Y-%m")
    # like the dashboards: the last whole month first
    month = month or (today(city).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    try:
        period = Period.of(month, city.timezone)
    except ValueError:
        raise InvalidInput(
            "The month cannot be read.",
            problems=[
                Problem(
                    "month",
                    N_("{value} is not a month: write it as YYYY-MM, e.g. 2026-10."),
                    {"value": month[:20]},
                )
            ],
        ) from None
    found = kpis.figures(db.connection(), city.id, period)
    first = date.fromisoformat(f"{month}-01")
    before = (first - timedelta(days=1)).strftime("%Y-%m")
    after = (first + timedelta(days=32)).strftime("%Y-%m")
    names = {m.code: pick(m.name, lang) for m in service.materials(db, city, active_only=False)}
    people = {p.id: p.name for p in service.pickers(db, city)}
    total_kg = sum(kg for _, kg, _ in found.by_material)
    cells = found.cells
    locale = locale_for(lang, city.country)

    def tenths(value: float) -> str:
        return format_decimal(value, format="#,##0.0", locale=locale)

    return render(
        request,
        "recycling/staff_figures.html",
        {
            "month": month,
            "open_month": this_month,
            "before": before,
            "after": after,
            "materials": [
                {"name": names.get(code, code), "kg": tenths(kg), "co2": tenths(co2)}
                for code, kg, co2 in found.by_material
            ],
            "total_t": format_decimal(total_kg / 1000, format="#,##0.000", locale=locale),
            "total_co2": tenths(cells.get("recycling_co2e_kg") or 0),
            "households": int(cells.get("recycling_households") or 0),
            "on_time": None
            if (on_time := cells.get("recycling_on_time_pct")) is None
            else format_percent(on_time / 100, locale=locale),
            "median": None
            if cells.get("recycling_income_median") is None
            else _money(to_minor(cells["recycling_income_median"] or 0, city.currency), city, lang),
            "gini": None
            if (gini := cells.get("recycling_income_gini")) is None
            else format_decimal(gini, format="0.00", locale=locale),
            "income": [
                (people.get(pid, str(pid)), _money(amount, city, lang))
                for pid, amount in found.income
            ],
        },
    )
