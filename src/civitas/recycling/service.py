"""Recycling: the city first, then keyword-only arguments.

A pickup is a service request of the city's recycling service (``Programme.service_code``):
whatever channel files that request (the portal's form, the hotline, an Open311 app, the
chatbot), ``on_case_created`` checks the pickup's own rules in the same transaction and
adds the pickup, so every channel gets the same checks and a refused pickup leaves no
request behind. The request's status follows the pickup: planned → in progress (with the
arrival window as a public note, mailed to the resident), collected → resolved (which
invites to the satisfaction survey, the pickup's rating), not found → rejected.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civitas.accounts.models import User
from civitas.cases.models import ServiceRequest
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit, events
from civitas.core.db import utcnow
from civitas.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from civitas.core.i18n import N_, translate
from civitas.core.permissions import Role
from civitas.recycling.models import (
    Allocation,
    Association,
    Buyer,
    BuyerPrice,
    CollectedWeight,
    Material,
    Picker,
    Pickup,
    Programme,
    RecyclingHousehold,
    Sale,
    SaleLine,
    Zone,
)
from civitas.recycling.schemas import MAX_LINE_KG, PickerCreate, SaleCreate, StopRecord

# how far ahead a pickup can be asked for, and the windows residents choose from
MAX_DAYS_AHEAD = 30
WINDOWS = {
    "morning": ("08:00", "12:00"),
    "midday": ("11:00", "14:00"),
    "afternoon": ("14:00", "18:00"),
}
WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)


def _refuse(message: str, problems: list[Problem]) -> None:
    """Refuse the whole input when anything is wrong, naming every problem at once."""
    if problems:
        raise InvalidInput(message, problems=problems, count=len(problems))


def programme(db: Session, city: City) -> Programme:
    """The city's recycling programme (created with its defaults on first use)."""
    enter_city(db, city)
    found = db.scalar(select(Programme))
    if found is None:
        found = Programme()
        db.add(found)
        db.flush()
    return found


def materials(db: Session, city: City, *, active_only: bool = True) -> list[Material]:
    enter_city(db, city)
    stmt = select(Material).order_by(Material.id)
    if active_only:
        stmt = stmt.where(Material.active.is_(True))
    return list(db.scalars(stmt))


def zones(db: Session, city: City) -> list[Zone]:
    enter_city(db, city)
    return list(db.scalars(select(Zone).order_by(Zone.code)))


def zone_at(db: Session, city: City, lat: float, lon: float) -> Zone | None:
    return next((z for z in zones(db, city) if z.contains(lat, lon)), None)


def today(city: City) -> date:
    """The date in the city now (its own time zone)."""
    return datetime.now(ZoneInfo(city.timezone)).date()


def local_clock(day: date, clock: str, zone: ZoneInfo) -> datetime:
    hours, minutes = (int(p) for p in clock.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=zone).astimezone(UTC)


# --- pickers -------------------------------------------------------------------------------


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
    _refuse(N_("The picker cannot be registered: {count} problem(s)."), problems)
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
    elif Role.WASTE_PICKER.value not in user.roles:
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


# --- pickups -------------------------------------------------------------------------------


def _where(code: str) -> str:
    return f"attribute[{code}]"


@dataclass(frozen=True)
class PickupAsk:
    materials: list[str]
    estimated_g: int
    day: date
    window_start: datetime
    window_end: datetime
    zone: Zone


def check_pickup(
    db: Session,
    city: City,
    *,
    lat: float | None,
    lon: float | None,
    attributes: dict[str, Any],
    now: datetime,
) -> tuple[PickupAsk | None, list[Problem]]:
    """Every problem with a pickup request at once (the request's own checks come first)."""
    prog = programme(db, city)
    tz = ZoneInfo(city.timezone)
    problems: list[Problem] = []
    known = {m.code for m in materials(db, city)}
    chosen = attributes.get("materials") or []
    if isinstance(chosen, str):
        chosen = [chosen]
    unknown = [m for m in chosen if m not in known]
    if unknown:
        problems.append(
            Problem(
                _where("materials"),
                N_("{city} does not collect: {codes}."),
                {"city": city.name, "codes": ", ".join(unknown)},
            )
        )
    if not chosen:
        problems.append(Problem(_where("materials"), N_("Choose at least one material.")))
    weight = attributes.get("weight_kg")
    estimated_g = 0
    if weight is None or weight == "":
        problems.append(
            Problem(_where("weight_kg"), N_("Say about how many kilograms you have, e.g. 5."))
        )
    else:
        kg = float(weight)
        if kg <= 0:
            problems.append(Problem(_where("weight_kg"), N_("The weight must be more than 0 kg.")))
        elif kg > prog.max_pickup_kg:
            problems.append(
                Problem(
                    _where("weight_kg"),
                    N_(
                        "A pickup takes at most {max} kg; for more, call the city to "
                        "arrange a truck."
                    ),
                    {"max": prog.max_pickup_kg},
                )
            )
        else:
            estimated_g = round(kg * 1000)
    zone = None
    if lat is not None and lon is not None:
        zone = zone_at(db, city, lat, lon)
        if zone is None and city.contains(lat, lon):
            problems.append(
                Problem(
                    "location",
                    N_(
                        "There is no recycling collection at this place yet: the zones are {zones}."
                    ),
                    {"zones": ", ".join(z.name for z in zones(db, city)) or "—"},
                )
            )
    elif lat is None:
        problems.append(
            Problem(
                "location",
                N_("A pickup needs a point on the map (lat and long), so a picker can find it."),
            )
        )
    today = now.astimezone(tz).date()
    day = today
    raw_day = attributes.get("pickup_date")
    if raw_day:
        try:
            day = _day_of(raw_day, tz)
        except ValueError:
            problems.append(
                Problem(_where("pickup_date"), N_("Give the date as YYYY-MM-DD, e.g. 2026-12-04."))
            )
    window_key = str(attributes.get("time_window") or "morning")
    if window_key not in WINDOWS:
        problems.append(
            Problem(
                _where("time_window"),
                N_("Choose one of: {choices}."),
                {"choices": ", ".join(WINDOWS)},
            )
        )
        window_key = "morning"
    start_clock, end_clock = WINDOWS[window_key]
    if day < today:
        problems.append(
            Problem(_where("pickup_date"), N_("This date has passed: choose today or a later day."))
        )
    elif day > today + timedelta(days=MAX_DAYS_AHEAD):
        problems.append(
            Problem(
                _where("pickup_date"),
                N_("Pickups can be asked for up to {days} days ahead."),
                {"days": MAX_DAYS_AHEAD},
            )
        )
    start = local_clock(day, start_clock, tz)
    end = local_clock(day, end_clock, tz)
    if day == today and end <= now:
        problems.append(
            Problem(
                _where("time_window"),
                N_("This time window is already over today: choose a later one."),
            )
        )
    if zone is not None and not problems:
        problems += _window_problems(db, city, zone, day, start_clock, end_clock)
    if problems or zone is None:
        return None, problems
    return PickupAsk(chosen, estimated_g, day, start, end, zone), []


def _day_of(value: object, tz: ZoneInfo) -> date:
    """The local date of an attribute value: a date, or a datetime (Open311 sends those)."""
    if isinstance(value, datetime):
        return value.astimezone(tz).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    return (
        date.fromisoformat(text) if len(text) == 10 else _day_of(datetime.fromisoformat(text), tz)
    )


def _window_problems(
    db: Session, city: City, zone: Zone, day: date, start: str, end: str
) -> list[Problem]:
    """A window no verified picker of the zone can serve is refused, with the days that work."""
    working = list(
        db.scalars(select(Picker).where(Picker.zone_id == zone.id, Picker.status == "verified"))
    )
    if not working:
        return [
            Problem(
                "location",
                N_(
                    "No verified waste picker works in {zone} yet, so no pickup can be "
                    "planned there."
                ),
                {"zone": zone.name},
            )
        ]
    weekday = day.weekday()
    if zone.collection_days and weekday not in zone.collection_days:
        return [
            Problem(
                _where("pickup_date"),
                N_("{zone} is collected on {days}; {date} is not one of them."),
                {
                    "zone": zone.name,
                    "days": ", ".join(WEEKDAYS[d] for d in zone.collection_days),
                    "date": day.isoformat(),
                },
            )
        ]
    on_day = [p for p in working if weekday in p.working_days]
    fits = [p for p in on_day if p.shift_start < end and start < p.shift_end]
    if not fits:
        hours = sorted({f"{p.shift_start}–{p.shift_end}" for p in on_day}) or ["—"]
        return [
            Problem(
                _where("time_window"),
                N_("No picker of {zone} works in this window on {date}; they work {hours}."),
                {"zone": zone.name, "date": day.isoformat(), "hours": ", ".join(hours)},
            )
        ]
    return []


def contact_of(request: ServiceRequest) -> str | None:
    if request.email:
        return request.email.strip().lower()
    if request.phone:
        return "".join(ch for ch in request.phone if ch.isdigit() or ch == "+")
    return None


_PROGRAMME_SERVICE = select(Programme.service_code)  # built once: asked on every new request


@events.subscribe("case.created")
def on_case_created(*, db: Session, city: City, request: ServiceRequest, **_: Any) -> None:
    """A request for the recycling service becomes a pickup, or is refused whole."""
    code = db.scalar(_PROGRAMME_SERVICE)  # no programme: nothing to do
    if not code or request.service.code != code:
        return
    ask, problems = check_pickup(
        db,
        city,
        lat=request.lat,
        lon=request.long,
        attributes=request.attributes,
        now=request.requested_at,
    )
    contact = contact_of(request)
    if contact is None:
        problems.append(
            Problem(
                "email",
                N_(
                    "Give an e-mail address or a phone number, so the picker can tell you when "
                    "they come."
                ),
            )
        )
    _refuse(N_("The pickup cannot be accepted: {count} problem(s)."), problems)
    assert ask is not None
    assert contact is not None
    assert request.lat is not None
    assert request.long is not None
    household = db.scalar(select(RecyclingHousehold).where(RecyclingHousehold.contact == contact))
    name = " ".join(n for n in (request.first_name, request.last_name) if n) or contact
    if household is None:
        household = RecyclingHousehold(
            contact=contact,
            name=name,
            address=request.address or "",
            lat=request.lat,
            lon=request.long,
            zone_id=ask.zone.id,
        )
        db.add(household)
    else:  # the household moved its point, or says where now
        household.lat, household.lon, household.zone_id = request.lat, request.long, ask.zone.id
        household.address = request.address or household.address
    db.flush()
    pickup = Pickup(
        request_id=request.id,
        household_id=household.id,
        zone_id=ask.zone.id,
        lat=request.lat,
        lon=request.long,
        day=ask.day,
        window_start=ask.window_start,
        window_end=ask.window_end,
        materials=ask.materials,
        estimated_g=ask.estimated_g,
    )
    db.add(pickup)
    db.flush()


def pickup_of_request(db: Session, city: City, *, request_id: int) -> Pickup | None:
    enter_city(db, city)
    return db.scalar(select(Pickup).where(Pickup.request_id == request_id))


def requests_of(db: Session, city: City, request_ids: Iterable[int]) -> dict[int, ServiceRequest]:
    """The service requests behind pickups (for their numbers and addresses), by id."""
    enter_city(db, city)
    ids = set(request_ids)
    if not ids:
        return {}
    found = db.scalars(select(ServiceRequest).where(ServiceRequest.id.in_(ids)))
    return {r.id: r for r in found}


def pickups_of_day(db: Session, city: City, *, day: date) -> list[Pickup]:
    enter_city(db, city)
    return list(
        db.scalars(
            select(Pickup)
            .where(Pickup.day == day)
            .order_by(Pickup.picker_id, Pickup.sequence, Pickup.id)
        )
    )


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


# --- at the stop ---------------------------------------------------------------------------


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
    _refuse(N_("The stop cannot be recorded: {count} problem(s)."), problems)
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
            kg=f"{total:g}",
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


# --- sales ---------------------------------------------------------------------------------


def buyers(db: Session, city: City) -> list[Buyer]:
    enter_city(db, city)
    return list(db.scalars(select(Buyer).where(Buyer.active.is_(True)).order_by(Buyer.name)))


def buyer_of_user(db: Session, city: City, *, user_id: int) -> Buyer:
    enter_city(db, city)
    buyer = db.scalar(select(Buyer).where(Buyer.user_id == user_id, Buyer.active.is_(True)))
    if buyer is None:
        raise PermissionDenied("This account is not a buyer's account.")
    return buyer


def associations(db: Session, city: City) -> list[Association]:
    enter_city(db, city)
    return list(db.scalars(select(Association).order_by(Association.name)))


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
    _refuse(N_("The price cannot be saved: {count} problem(s)."), problems)
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
                    {"have": f"{have / 1000:g}", "material": code, "want": f"{grams / 1000:g}"},
                )
            )
    _refuse(N_("The sale cannot be recorded: {count} problem(s)."), problems)
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
