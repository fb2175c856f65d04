"""The recycling programme's JSON API, for native apps and the associations' own systems:
a picker's route and stops (a resend with the same ``client_key`` answers as the first),
the day's plan, buyers' prices (public, as pickers compare them), sales and their trace.
Pickups themselves are service requests: Open311 files them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Query, Request, Response, status
from pydantic import BaseModel

from civitas.accounts.service import Principal
from civitas.cities.models import City
from civitas.core.db import utcnow
from civitas.core.errors import NotFound, PermissionDenied
from civitas.recycling import planning, service
from civitas.recycling.models import Buyer, Pickup, Sale
from civitas.recycling.permissions import RecyclingPermission
from civitas.recycling.schemas import SaleCreate, StopRecord
from civitas.web.api.jobs import JobRead, job_link, job_read
from civitas.web.deps import CurrentCity, DbSession, Requires, RowId
from civitas.web.jobs import start_job
from civitas.web.routers import Router

router = Router(prefix="/api/v1/cities/{city}/recycling", tags=["recycling"])

PickerOnly = Annotated[Principal, Requires(RecyclingPermission.RECYCLING_ROUTE_WORK)]
Manager = Annotated[Principal, Requires(RecyclingPermission.RECYCLING_PROGRAMME_MANAGE)]
SaleRecorder = Annotated[Principal, Requires(RecyclingPermission.RECYCLING_SALE_RECORD)]


class StopRead(BaseModel):
    pickup_id: int
    request: int  # the service request's number (Open311 service_request_id)
    sequence: int | None
    status: str
    lat: float
    long: float
    address: str | None
    window_start: datetime
    window_end: datetime
    eta_start: datetime | None
    eta_end: datetime | None
    materials: list[str]
    estimated_kg: float
    weighed_kg: dict[str, float]


class RouteRead(BaseModel):
    picker: str
    day: date
    stops: list[StopRead]
    income_day_minor: int
    income_month_minor: int
    currency: str


class PlanAsk(BaseModel):
    day: date


class PlanRead(BaseModel):
    day: date
    version: int
    reason: str
    created_at: datetime
    stats: dict[str, Any]


class PriceRead(BaseModel):
    buyer: str
    material: str
    price_minor_per_kg: int
    min_kg: int
    valid_from: date
    currency: str


class TraceRead(BaseModel):
    request: int | None
    pickup_id: int
    picker: str
    material: str
    weight_kg: float
    amount_minor: int
    collected_at: datetime


class SaleRead(BaseModel):
    id: int
    buyer: str
    sold_at: datetime
    total_minor: int
    currency: str
    trace: list[TraceRead]


def _stops(db: DbSession, city: City, pickups: list[Pickup]) -> list[StopRead]:
    requests = service.requests_of(db, city, [p.request_id for p in pickups])
    weights = service.weights_of(db, city, pickup_ids=[p.id for p in pickups])
    return [
        StopRead(
            pickup_id=p.id,
            request=requests[p.request_id].number,
            sequence=p.sequence,
            status=p.status,
            lat=p.lat,
            long=p.lon,
            address=requests[p.request_id].address,
            window_start=p.window_start,
            window_end=p.window_end,
            eta_start=p.eta_start,
            eta_end=p.eta_end,
            materials=list(p.materials),
            estimated_kg=p.estimated_g / 1000,
            weighed_kg={m: g / 1000 for m, g in weights.get(p.id, {}).items()},
        )
        for p in pickups
    ]


@router.get("/route", response_model=RouteRead)
def route(
    city: CurrentCity,
    db: DbSession,
    principal: PickerOnly,
    day: Annotated[date | None, Query(description="YYYY-MM-DD; today if left out")] = None,
) -> RouteRead:
    """The signed-in picker's stops of the day, in the planned order, and their income."""
    picker = service.picker_of_user(db, city, user_id=principal.user_id or 0)
    chosen = day or service.today(city)
    earned = service.income(db, city, picker=picker, on=chosen)
    return RouteRead(
        picker=picker.code,
        day=chosen,
        stops=_stops(db, city, service.route_of(db, city, picker=picker, day=chosen)),
        income_day_minor=earned.day_minor,
        income_month_minor=earned.month_minor,
        currency=city.currency,
    )


@router.post("/stops", response_model=StopRead)
def record_stop(
    city: CurrentCity, db: DbSession, data: StopRecord, principal: PickerOnly
) -> StopRead:
    """What the picker found at a stop: weights per material, or nothing. Sending the same
    ``client_key`` again (an app's retry) changes nothing and answers the same."""
    picker = service.picker_of_user(db, city, user_id=principal.user_id or 0)
    pickup = service.record_stop(db, city, picker=picker, data=data)
    db.commit()
    return _stops(db, city, [pickup])[0]


@router.post(
    "/plans",
    response_model=JobRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses={409: {}},
)
def make_plan(
    request: Request,
    response: Response,
    city: CurrentCity,
    db: DbSession,
    data: PlanAsk,
    principal: Manager,
) -> JobRead:
    """Plan (or plan again) a day's open pickups, in the background (the solver takes
    seconds): answers 202 at once with the job to follow (``Location``); when it is done,
    its result has the new version's figures, also at ``GET …/recycling/plans/{day}``.
    While a plan is being made, asking for the same day again answers the same job;
    another day waits (409)."""
    planning.check_plannable(city, data.day, utcnow())
    job, _ = start_job(
        db,
        kind=planning.PLAN_JOB,
        params={"day": data.day.isoformat(), "reason": "plan"},
        actor=principal.label,
    )
    response.headers["Location"] = job_link(city.slug, job.id)
    return job_read(request, city.slug, job)


@router.get("/plans/{day}", response_model=PlanRead)
def latest_plan(city: CurrentCity, db: DbSession, day: date, _: Manager) -> PlanRead:
    run = planning.latest_plan(db, city, day=day)
    if run is None:
        raise NotFound("{day} has no plan yet.", day=day.isoformat())
    return PlanRead.model_validate(run, from_attributes=True)


@router.get("/prices", response_model=list[PriceRead])
def prices(
    city: CurrentCity,
    db: DbSession,
    on: Annotated[date | None, Query(description="YYYY-MM-DD; today if left out")] = None,
) -> list[PriceRead]:
    """What each buyer pays for each material on the day: public, so that pickers and
    associations can compare."""
    buyers = {b.id: b.code for b in service.buyers(db, city)}
    materials = {m.id: m.code for m in service.materials(db, city, active_only=False)}
    return [
        PriceRead(
            buyer=buyers[buyer_id],
            material=materials[material_id],
            price_minor_per_kg=p.price_minor_per_kg,
            min_kg=p.min_kg,
            valid_from=p.valid_from,
            currency=city.currency,
        )
        for (buyer_id, material_id), p in sorted(
            service.current_prices(db, city, on=on or service.today(city)).items()
        )
        if buyer_id in buyers
    ]


def _own_buyer(db: DbSession, city: City, principal: Principal) -> Buyer | None:
    """A buyer's account acts for its own company only; staff act for any buyer."""
    if principal.can(RecyclingPermission.RECYCLING_PROGRAMME_MANAGE):
        return None
    return service.buyer_of_user(db, city, user_id=principal.user_id or 0)


def _sale(db: DbSession, city: City, sale: Sale) -> SaleRead:
    buyer = db.get(Buyer, sale.buyer_id)
    trace = service.trace(db, city, sale_id=sale.id)
    numbers = {
        k: r.number
        for k, r in service.requests_of(db, city, [t["request_id"] for t in trace]).items()
    }
    return SaleRead(
        id=sale.id,
        buyer=buyer.code if buyer else "",
        sold_at=sale.sold_at,
        total_minor=sale.total_minor,
        currency=sale.currency,
        trace=[
            TraceRead(
                request=numbers.get(t["request_id"]),
                pickup_id=t["pickup_id"],
                picker=t["picker"],
                material=t["material"],
                weight_kg=t["weight_g"] / 1000,
                amount_minor=t["amount_minor"],
                collected_at=t["collected_at"],
            )
            for t in trace
        ],
    )


@router.post("/sales", response_model=SaleRead)
def record_sale(
    city: CurrentCity, db: DbSession, data: SaleCreate, principal: SaleRecorder
) -> SaleRead:
    """A sale by a picker or an association to a buyer, checked whole and traced to the
    pickups it came from; the same ``client_key`` again answers the first sale."""
    own = _own_buyer(db, city, principal)
    if own is not None and data.buyer != own.code:
        raise PermissionDenied("A buyer records its own purchases only ({buyer}).", buyer=own.code)
    sale = service.record_sale(db, city, data=data, actor=principal.label)
    db.commit()
    return _sale(db, city, sale)


@router.get("/sales/{sale_id}", response_model=SaleRead)
def sale(city: CurrentCity, db: DbSession, sale_id: RowId, principal: SaleRecorder) -> SaleRead:
    """A sale and where each kilogram came from; a buyer sees its own purchases only."""
    found = service.get_sale(db, city, sale_id=sale_id, buyer=_own_buyer(db, city, principal))
    return _sale(db, city, found)
