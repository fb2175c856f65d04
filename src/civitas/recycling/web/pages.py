"""Recycling outside the town hall: the waste picker's phone and the buyer's desk.

The picker's page is made for a cheap phone on a poor connection: one small page (no map
library unless asked for, a drawn sketch of the route instead), one form per stop. The
stop forms carry a ``client_key``; ``civitas.js`` queues a form on the phone when there is
no connection and sends it again later, and the server answers a resend with the same key
as it answered the first (``service.record_stop``), so nothing is counted twice.
"""

from __future__ import annotations

import math
import secrets
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal, get_currency_precision
from fastapi import Form, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from civitas.cases.media import clean, store
from civitas.cities.models import City
from civitas.core.config import get_settings
from civitas.core.errors import CivitasError, InvalidInput, Problem
from civitas.core.i18n import N_, NP_, format_money, locale_for, pick, translate
from civitas.core.validation import refusal
from civitas.places import service as places
from civitas.recycling import planning, service
from civitas.recycling.models import Buyer, Picker, Pickup
from civitas.recycling.permissions import RecyclingPermission
from civitas.recycling.schemas import SaleCreate, SaleLineIn, StopRecord
from civitas.recycling.service import today
from civitas.web.actions import gated_action
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
from civitas.web.routers import Router
from civitas.web.templating import page as render

router = Router(include_in_schema=False)

STATUS_TEXT = {
    "requested": N_("Not planned yet"),
    "planned": N_("To visit"),
    "unplanned": N_("No picker free"),
    "collected": N_("Collected"),
    "not_found": N_("Nothing found"),
}
OPEN_STOPS = ("planned",)


def new_key() -> str:
    """A form's idempotency key: a resend of the same form carries the same one."""
    return secrets.token_urlsafe(12)


def parse_day(city: City, value: str) -> date:
    if not value:
        return today(city)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            "The day cannot be read.",
            problems=[
                Problem(
                    "day",
                    N_("{value} is not a date: write it as YYYY-MM-DD, e.g. 2026-12-01."),
                    {"value": value[:20]},
                )
            ],
        ) from None


def number(text: str) -> float:
    """A number as people type it, with a decimal point or a comma (12.5 or 12,5);
    ValueError if it is none."""
    return float(text.strip().replace(",", "."))


def to_minor(amount: float, currency: str) -> int:
    """An amount in the currency's major unit (1.20) in minor units, at its precision."""
    digits: int = get_currency_precision(currency)
    return round(amount * float(10**digits))


def phone_time(value: str) -> datetime | None:
    """When the phone says the stop was recorded (queued offline: earlier than sent);
    unreadable or without an offset, the server's time is used."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def clock(moment: datetime | None, city: City) -> str:
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(city.timezone)).strftime("%H:%M")


def money_text(amount_minor: int, city: City, lang: str) -> str:
    return format_money(amount_minor, city.currency, locale_for(lang, city.country))


def kg_text(grams: int | float, locale: str) -> str:
    """Grams as kilograms to a tenth, in the reader's locale (1.234,5 in German)."""
    return format_decimal(grams / 1000, format="#,##0.#", locale=locale)


def spread(
    points: list[tuple[float, float]], *, apart: float, rounds: int = 30
) -> list[tuple[float, float]]:
    """Points moved apart until no two are closer than ``apart`` (a few rounds of pushing
    each close pair away from each other), so that numbered markers never hide each other;
    the stops of one building fan out around it."""
    moved = [list(p) for p in points]
    for _ in range(rounds):
        pushed = False
        for i in range(len(moved)):
            for j in range(i + 1, len(moved)):
                dx = moved[j][0] - moved[i][0]
                dy = moved[j][1] - moved[i][1]
                d = math.hypot(dx, dy)
                if d >= apart:
                    continue
                if d < 1e-6:  # the same spot: fan out by the pair's index
                    dx, dy, d = math.cos(j * 2.4), math.sin(j * 2.4), 1.0
                push = (apart - d) / 2 / d
                moved[i][0] -= dx * push
                moved[i][1] -= dy * push
                moved[j][0] += dx * push
                moved[j][1] += dy * push
                pushed = True
        if not pushed:
            break
    return [(round(x, 1), round(y, 1)) for x, y in moved]


def sketch(
    home: tuple[float, float], points: list[tuple[float, float, str, bool]]
) -> dict[str, Any]:
    """The route drawn small: start and stops projected into a 320×200 box (an SVG the
    page draws itself, a few hundred bytes, no tiles to download)."""
    lats = [home[0]] + [p[0] for p in points]
    lons = [home[1]] + [p[1] for p in points]
    width, height, pad = 320.0, 200.0, 16.0
    span_lat = max(max(lats) - min(lats), 1e-4)
    span_lon = max(max(lons) - min(lons), 1e-4)
    scale = min((width - 2 * pad) / span_lon, (height - 2 * pad) / span_lat)

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return (
            round(pad + (lon - min(lons)) * scale, 1),
            round(pad + (max(lats) - lat) * scale, 1),
        )

    start = xy(*home)
    placed = spread([xy(lat, lon) for lat, lon, _label, _done in points], apart=22.0)
    stops = [
        {"x": x, "y": y, "n": label, "done": done}
        for (_lat, _lon, label, done), (x, y) in zip(points, placed, strict=True)
    ]
    line = " ".join(f"{x},{y}" for x, y in [start] + [(s["x"], s["y"]) for s in stops])
    return {"start": start, "stops": stops, "line": line, "width": width, "height": height}


def _picker_of(db: DbSession, city: City, principal: Any) -> Picker | Response:
    who = staff_page(city, principal, RecyclingPermission.RECYCLING_ROUTE_WORK)
    if isinstance(who, Response):
        return who
    return service.picker_of_user(db, city, user_id=who.user_id or 0)


def route_context(
    db: DbSession,
    city: City,
    picker: Picker,
    day: date,
    lang: str,
    *,
    problems: dict[str, str] | None = None,
    failed: int | None = None,
    answers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """What the route page shows: the day's stops in order, each with its form."""
    stops = service.route_of(db, city, picker=picker, day=day)
    locale = locale_for(lang, city.country)
    requests = service.requests_of(db, city, [p.request_id for p in stops])
    every = service.materials(db, city, active_only=False)
    names = {m.code: pick(m.name, lang) for m in every}
    active = [m.code for m in every if m.active]
    weights = service.weights_of(db, city, pickup_ids=[p.id for p in stops])
    rows: list[dict[str, Any]] = []
    for pickup in stops:
        req = requests[pickup.request_id]
        others = [(c, names[c]) for c in active if c not in pickup.materials]
        rows.append(
            {
                "p": pickup,
                "n": pickup.sequence or 0,
                "number": req.number,
                "address": req.address or f"{pickup.lat:.5f}, {pickup.lon:.5f}",
                "details": req.description or "",
                "window": f"{clock(pickup.window_start, city)}–{clock(pickup.window_end, city)}",
                "eta": f"{clock(pickup.eta_start, city)}–{clock(pickup.eta_end, city)}"
                if pickup.eta_start
                else "",
                "materials": [(code, names.get(code, code)) for code in pickup.materials],
                "others": others,
                "others_open": any(
                    (answers or {}).get(f"kg-{c}") or (problems or {}).get(f"s{pickup.id}-{c}")
                    for c, _ in others
                ),
                "estimated": kg_text(pickup.estimated_g, locale),
                "status": translate(lang, STATUS_TEXT.get(pickup.status, pickup.status)),
                "open": pickup.status in OPEN_STOPS,
                "weighed": [
                    (names.get(code, code), kg_text(grams, locale))
                    for code, grams in weights.get(pickup.id, {}).items()
                ],
                "key": new_key(),
                "maps": f"geo:{pickup.lat:.6f},{pickup.lon:.6f}",
            }
        )
    earned = service.income(db, city, picker=picker, on=day)
    done = sum(1 for r in rows if not r["open"])
    return {
        "picker": picker,
        "day": day,
        "day_text": format_date(day, "full", locale=locale),
        "is_today": day == today(city),
        "previous": (day - timedelta(days=1)).isoformat(),
        "next": (day + timedelta(days=1)).isoformat(),
        "rows": rows,
        "next_open": next((r["p"].id for r in rows if r["open"]), None),
        "done": done,
        "collected_kg": kg_text(sum(sum(w.values()) for w in weights.values()), locale),
        "income_day": money_text(earned.day_minor, city, lang),
        "income_month": money_text(earned.month_minor, city, lang),
        "month_kg": kg_text(earned.month_kg * 1000, locale),
        "sketch": sketch(
            (picker.home_lat, picker.home_lon),
            [(r["p"].lat, r["p"].lon, str(r["n"]), not r["open"]) for r in rows],
        )
        if rows
        else None,
        "next_day": None if rows else service.next_route_day(db, city, picker=picker, after=day),
        "problems": problems or {},
        "failed": failed,
        "answers": answers or {},
        "basemap": places.map_config(db, city, get_settings()),
        "points": [
            {"lat": r["p"].lat, "long": r["p"].lon, "n": r["n"], "label": r["address"]}
            for r in rows
        ],
    }


@router.get("/{city}/picker", response_model=None)
def route_page(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    day: str = "",
) -> Response:
    """The picker's stops of the day in order (today unless another day is asked for)."""
    picker = _picker_of(db, city, principal)
    if isinstance(picker, Response):
        return picker
    lang = request.state.lang
    context = route_context(db, city, picker, parse_day(city, day), lang)
    return render(request, "recycling/route.html", context)


SERVICE_WORKER = Path(__file__).resolve().parent / "static" / "picker-sw.js"


@router.get("/{city}/picker/sw.js", response_model=None)
def picker_service_worker(city: CurrentCity) -> Response:
    """The route page's service worker, served under the page's own path so that its scope
    is the picker's pages and nothing else of the city."""
    return Response(
        SERVICE_WORKER.read_bytes(),
        media_type="text/javascript",
        headers={
            "Service-Worker-Allowed": f"/{city.slug}/picker",
            "Cache-Control": "no-cache",
        },
    )


def _stop_field(pickup_id: int) -> Any:
    def field(location: str) -> str:
        if location == "photo":
            return f"s{pickup_id}-photo"
        if location.startswith("weights_kg["):
            return f"s{pickup_id}-" + location[len("weights_kg[") : -1]
        return f"s{pickup_id}-weights"

    return field


@router.post("/{city}/picker/stops/{pickup_id}", response_model=None)
async def record_stop(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    settings: AppSettings,
    principal: OptionalPrincipal,
    pickup_id: RowId,
) -> Response:
    """A stop recorded: weights per material, or nothing found. A resend (the phone's
    offline queue) with the same ``client_key`` is answered as the first was."""
    form = await request.form()
    text = {k: v for k, v in form.items() if isinstance(v, str)}
    lang = request.state.lang
    upload = form.get("photo")
    photo = (
        await upload.read(settings.max_photo_bytes + 1) if isinstance(upload, UploadFile) else b""
    )

    def day_of_stop() -> date:
        pickup = db.get(Pickup, pickup_id)
        return pickup.day if pickup is not None else today(city)

    def change(picker: Picker) -> date:
        day = day_of_stop()
        weights: dict[str, float] = {}
        bad: list[Problem] = []
        for name, value in text.items():
            if not name.startswith("kg-") or not value.strip():
                continue
            code = name[3:]
            try:
                weights[code] = number(value)
            except ValueError:
                bad.append(
                    Problem(
                        f"weights_kg[{code}]",
                        N_("{value} is not a weight: write kilograms as a number, e.g. 12.5."),
                        {"value": value[:20]},
                    )
                )
        if bad:
            raise InvalidInput(
                NP_(
                    "The stop cannot be recorded: {count} problem.",
                    "The stop cannot be recorded: {count} problems.",
                ),
                problems=bad,
                count=len(bad),
            )
        try:
            data = StopRecord(
                pickup_id=pickup_id,
                outcome=text.get("outcome", ""),
                weights_kg=weights,
                note=text.get("note", "").strip() or None,
                client_key=text.get("client_key", ""),
                recorded_at=phone_time(text.get("recorded_at", "")),
            )
        except ValidationError as exc:
            raise refusal(
                exc,
                NP_(
                    "The stop cannot be recorded: {count} problem.",
                    "The stop cannot be recorded: {count} problems.",
                ),
            ) from None
        stored = None
        if photo:
            image = clean(
                photo,
                where="photo",
                max_bytes=settings.max_photo_bytes,
                max_pixels=settings.max_photo_pixels,
            )
            stored, _ = store(settings.media_root, city.id, image)
        service.record_stop(db, city, picker=picker, data=data, photo=stored)
        return day

    def refused(picker: Picker, exc: CivitasError) -> Response:
        problems = problems_by_field(
            lang, exc, fallback=f"s{pickup_id}-weights", field=_stop_field(pickup_id)
        )
        answers = {k: v for k, v in text.items() if k.startswith("kg-") or k == "note"}
        context = route_context(
            db,
            city,
            picker,
            day_of_stop(),
            lang,
            problems=problems,
            failed=pickup_id,
            answers=answers,
        )
        return render(request, "recycling/route.html", context, exc.status)

    return gated_action(
        request,
        db,
        gate=lambda: _picker_of(db, city, principal),
        actor=_picker_label,
        csrf=text.get("csrf", ""),
        change=change,
        done=lambda day: f"/{city.slug}/picker?day={day.isoformat()}&lang={lang}#stop-{pickup_id}",
        refused=refused,
    )


@router.post("/{city}/picker/drop-out", response_model=None)
def picker_drops_out(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    csrf: Annotated[str, Form(max_length=128)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """The picker cannot go on today: the open stops go to the others (a new plan)."""
    lang = request.state.lang
    day = today(city)

    def change(picker: Picker) -> Picker:
        planning.record_absence(
            db,
            city,
            picker=picker,
            day=day,
            reason=reason.strip() or translate(lang, "Reported from the phone"),
            actor=_picker_label(picker),
        )
        db.commit()  # the absence stands whatever becomes of the new plan
        return picker

    def replan(picker: Picker) -> str:
        """The others' routes are re-planned in the background (if a plan is being made
        already, the office re-plans after it)."""
        try:
            start_job(
                db,
                kind=planning.PLAN_JOB,
                params={"day": day.isoformat(), "reason": f"drop-out: {picker.code}"},
                actor=_picker_label(picker),
            )
        except CivitasError:
            db.rollback()
        return f"/{city.slug}/picker?lang={lang}"

    def refused(picker: Picker, exc: CivitasError) -> Response:
        problems = {"reason": exc.text(lang)}
        context = route_context(db, city, picker, day, lang, problems=problems)
        return render(request, "recycling/route.html", context, exc.status)

    return gated_action(
        request,
        db,
        gate=lambda: _picker_of(db, city, principal),
        actor=_picker_label,
        csrf=csrf,
        change=change,
        done=replan,
        refused=refused,
    )


# --- the buyer's desk ----------------------------------------------------------------------


def _picker_label(picker: Picker) -> str:
    return f"picker:{picker.code}"


def _buyer_label(buyer: Buyer) -> str:
    return f"buyer:{buyer.code}"


def _buyer_of(db: DbSession, city: City, principal: Any) -> Buyer | Response:
    who = staff_page(city, principal, RecyclingPermission.RECYCLING_SALE_RECORD)
    if isinstance(who, Response):
        return who
    return service.buyer_of_user(db, city, user_id=who.user_id or 0)


def sale_rows(db: DbSession, city: City, sales: list[Any], lang: str) -> list[dict[str, Any]]:
    pickers = {p.id: p.name for p in service.pickers(db, city)}
    groups = {a.id: a.name for a in service.associations(db, city)}
    buyers = {b.id: b.name for b in db.query(Buyer)}
    return [
        {
            "id": s.id,
            "when": s.sold_at,
            "buyer": buyers.get(s.buyer_id, ""),
            "seller": pickers.get(s.picker_id or 0) or groups.get(s.association_id or 0, ""),
            "total": format_money(s.total_minor, s.currency, locale_for(lang, city.country)),
        }
        for s in sales
    ]


def sale_form_context(db: DbSession, city: City, lang: str) -> dict[str, Any]:
    return {
        "sale_pickers": [p for p in service.pickers(db, city) if p.status == "verified"],
        "sale_associations": service.associations(db, city),
        "sale_buyers": service.buyers(db, city),
        "sale_materials": [(m.code, pick(m.name, lang)) for m in service.materials(db, city)],
        "sale_key": new_key(),
    }


def read_sale_form(text: dict[str, str], buyer: str, currency: str) -> SaleCreate:
    """The sale form (one weight and an optional agreed price per material) as a sale."""
    lines, problems = [], []
    for name, value in text.items():
        if not name.startswith("kg-") or not value.strip():
            continue
        code = name[3:]
        price_text = text.get(f"price-{code}", "").strip()
        try:
            kg = number(value)
            price = to_minor(number(price_text), currency) if price_text else None
        except ValueError:
            problems.append(
                Problem(
                    f"kg-{code}",
                    N_("Write the weight in kilograms and the price per kg as numbers."),
                )
            )
            continue
        lines.append(SaleLineIn(material=code, weight_kg=kg, price_minor_per_kg=price))
    if not lines and not problems:
        problems.append(Problem("lines", N_("Enter the weight of at least one material.")))
    seller = text.get("seller", "")
    kind, _, code = seller.partition(":")
    if problems:
        raise InvalidInput(
            NP_(
                "The sale cannot be recorded: {count} problem.",
                "The sale cannot be recorded: {count} problems.",
            ),
            problems=problems,
            count=len(problems),
        )
    try:
        return SaleCreate(
            buyer=buyer,
            picker=code if kind == "picker" and code else None,
            association=code if kind == "association" and code else None,
            lines=lines,
            client_key=text.get("client_key", ""),
        )
    except ValidationError as exc:
        raise refusal(
            exc,
            NP_(
                "The sale cannot be recorded: {count} problem.",
                "The sale cannot be recorded: {count} problems.",
            ),
        ) from None


def sale_field(location: str) -> str:
    """A sale problem's location as the form's field (``lines[0].weight_kg`` → the form's
    one error slot for the lines)."""
    if location.startswith("lines"):
        return "lines"
    if location in ("picker", "association"):
        return "seller"
    return location


def buyer_context(db: DbSession, city: City, buyer: Buyer, lang: str) -> dict[str, Any]:
    prices = service.current_prices(db, city, on=today(city))
    listed = [
        {
            "material": name,
            "code": code,
            "price": format_money(
                p.price_minor_per_kg, city.currency, locale_for(lang, city.country)
            )
            if (p := prices.get((buyer.id, m.id)))
            else "",
            "min_kg": p.min_kg if p else 0,
            "since": p.valid_from if p else None,
        }
        for m in service.materials(db, city)
        for code, name in [(m.code, pick(m.name, lang))]
    ]
    return {
        "buyer": buyer,
        "prices": listed,
        "sales": sale_rows(db, city, service.sales(db, city, buyer=buyer), lang),
        "today": today(city).isoformat(),
        **sale_form_context(db, city, lang),
    }


@router.get("/{city}/buyer", response_model=None)
def buyer_page(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    buyer = _buyer_of(db, city, principal)
    if isinstance(buyer, Response):
        return buyer
    context = buyer_context(db, city, buyer, request.state.lang)
    return render(request, "recycling/buyer.html", context | {"problems": {}, "answers": {}})


@router.post("/{city}/buyer/prices", response_model=None)
def buyer_sets_price(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    csrf: Annotated[str, Form(max_length=128)] = "",
    material: Annotated[str, Form(max_length=40)] = "",
    price: Annotated[str, Form(max_length=20)] = "",
    valid_from: Annotated[str, Form(max_length=20)] = "",
    min_kg: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """A buyer publishes what it pays for a material (per kg, from a day)."""
    lang = request.state.lang

    def change(buyer: Buyer) -> None:
        problems = []
        try:
            minor = to_minor(number(price), city.currency)
        except ValueError:
            minor = 0
            problems.append(
                Problem("price", N_("Write the price per kilogram as a number, e.g. 1.20."))
            )
        try:
            least = int(min_kg or 0)
        except ValueError:
            least = 0
            problems.append(Problem("min_kg", N_("Write the least quantity as whole kilograms.")))
        start = parse_day(city, valid_from)
        if problems:
            raise InvalidInput(
                NP_(
                    "The price cannot be saved: {count} problem.",
                    "The price cannot be saved: {count} problems.",
                ),
                problems=problems,
                count=len(problems),
            )
        service.set_price(
            db,
            city,
            buyer=buyer.code,
            material=material,
            price_minor_per_kg=minor,
            valid_from=start,
            min_kg=least,
            actor=_buyer_label(buyer),
        )

    def refused(buyer: Buyer, exc: CivitasError) -> Response:
        context = buyer_context(db, city, buyer, lang)
        context |= {
            "problems": problems_by_field(lang, exc, fallback="price"),
            "answers": {"material": material, "price": price, "valid_from": valid_from},
        }
        return render(request, "recycling/buyer.html", context, exc.status)

    return gated_action(
        request,
        db,
        gate=lambda: _buyer_of(db, city, principal),
        actor=_buyer_label,
        csrf=csrf,
        change=change,
        done=lambda _: f"/{city.slug}/buyer?lang={lang}#prices",
        refused=refused,
    )


@router.post("/{city}/buyer/purchases", response_model=None)
async def buyer_records_purchase(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    """A buyer records what it bought from a picker or an association."""
    form = await request.form()
    text = {k: v for k, v in form.items() if isinstance(v, str)}
    lang = request.state.lang

    def refused(buyer: Buyer, exc: CivitasError) -> Response:
        context = buyer_context(db, city, buyer, lang)
        context |= {
            "problems": problems_by_field(lang, exc, fallback="lines", field=sale_field),
            "answers": text,
        }
        return render(request, "recycling/buyer.html", context, exc.status)

    return gated_action(
        request,
        db,
        gate=lambda: _buyer_of(db, city, principal),
        actor=_buyer_label,
        csrf=text.get("csrf", ""),
        change=lambda buyer: service.record_sale(
            db,
            city,
            data=read_sale_form(text, buyer.code, city.currency),
            actor=_buyer_label(buyer),
        ),
        done=lambda sale: f"/{city.slug}/buyer/purchases/{sale.id}?lang={lang}",
        refused=refused,
    )


def sale_context(
    db: DbSession, city: City, sale_id: int, lang: str, buyer: Buyer | None = None
) -> dict[str, Any]:
    sale = service.get_sale(db, city, sale_id=sale_id, buyer=buyer)
    locale = locale_for(lang, city.country)
    lines = [
        {
            "material": pick(m.name, lang),
            "kg": kg_text(line.weight_g, locale),
            "price": format_money(line.price_minor_per_kg, sale.currency, locale),
            "amount": format_money(line.amount_minor, sale.currency, locale),
        }
        for line, m in service.sale_lines(db, city, sale=sale)
    ]
    trace = [
        {
            **row,
            "kg": kg_text(row["weight_g"], locale),
            "amount": format_money(row["amount_minor"], sale.currency, locale),
        }
        for row in service.trace(db, city, sale_id=sale.id)
    ]
    numbers = {
        k: r.number
        for k, r in service.requests_of(db, city, [t["request_id"] for t in trace]).items()
    }
    materials = {m.code: pick(m.name, lang) for m in service.materials(db, city, active_only=False)}
    people = {p.code: p.name for p in service.pickers(db, city)}
    for row in trace:
        row["number"] = numbers.get(row["request_id"])
        row["material"] = materials.get(row["material"], row["material"])
        row["picker"] = people.get(row["picker"], row["picker"])
    return {
        "sale": sale,
        "summary": sale_rows(db, city, [sale], lang)[0],
        "lines": lines,
        "trace": trace,
    }


@router.get("/{city}/buyer/purchases/{sale_id}", response_model=None)
def buyer_purchase(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    sale_id: RowId,
) -> Response:
    """One purchase and where each kilogram came from (pickup, picker, day)."""
    buyer = _buyer_of(db, city, principal)
    if isinstance(buyer, Response):
        return buyer
    context = sale_context(db, city, sale_id, request.state.lang, buyer)
    return render(request, "recycling/sale.html", context | {"back": f"/{city.slug}/buyer"})
