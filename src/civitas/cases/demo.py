"""Realistic demo requests: a few hundred per city over the last 60 days, filed through the
same functions as real ones (numbers, deadlines, notes and audit entries all real)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.cases.schemas import OPEN_STATUSES, RequestChannel, RequestCreate, Status
from civitas.cases.service import change_status, create_request
from civitas.catalogue.models import Service
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.config import Settings
from civitas.core.db import utcnow
from civitas.core.i18n import N_, translate
from civitas.core.sequences import current_value
from civitas.places import service as places

ACTOR = "system:demo"
CHANNELS = [  # the mix the year of history ends on (68 % digital)
    (RequestChannel.WEB, 45),
    (RequestChannel.OPEN311, 15),
    (RequestChannel.PHONE, 22),
    (RequestChannel.OFFICE, 10),
    (RequestChannel.CHATBOT, 4),
    (RequestChannel.EMAIL, 4),
]
# how a case's life ends, with weights: the statuses it passes through
PATHS = [
    ([], 18),
    ([Status.ACKNOWLEDGED], 12),
    ([Status.ACKNOWLEDGED, Status.IN_PROGRESS], 20),
    ([Status.IN_PROGRESS, Status.ON_HOLD], 5),
    ([Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED], 30),
    ([Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED], 8),
    ([Status.REJECTED], 4),
    ([Status.DUPLICATE], 3),
]
# a case older than this has mostly been dealt with: about one in six is still open
SETTLED = timedelta(days=21)
# calls and visits solved on the spot, as the year of history ends (about 35 %)
FIRST_CONTACT = (RequestChannel.PHONE, RequestChannel.OFFICE)
FIRST_CONTACT_SHARE = 0.37
FINISHED = [(p, w) for p, w in PATHS if p and p[-1] not in OPEN_STATUSES] + [
    ([Status.ACKNOWLEDGED, Status.IN_PROGRESS], 5),
    ([Status.IN_PROGRESS, Status.ON_HOLD], 3),
]
NOTES = {
    Status.ACKNOWLEDGED: N_("Thank you, we have registered your report."),
    Status.IN_PROGRESS: N_("A crew has been assigned."),
    Status.ON_HOLD: N_("We are waiting for material."),
    Status.RESOLVED: N_("The problem has been fixed."),
    Status.CLOSED: N_("Closed after confirmation."),
    Status.REJECTED: N_("This is not the city's responsibility; we have informed the owner."),
    Status.DUPLICATE: N_("This was already reported; we handle it with the earlier report."),
}
STREETS = {
    "PE": [
        "Av. España",
        "Jr. Pizarro",
        "Av. Larco",
        "Jr. Bolívar",
        "Av. América Sur",
        "Jr. Independencia",
    ],
    "DE": ["Hauptstraße", "Bahnhofstraße", "Marktplatz", "Lindenallee", "Schulstraße", "Am Park"],
}
DESCRIPTIONS = {
    "es": [
        "Lleva varios días así.",
        "Es peligroso para los niños.",
        "Por favor, atender pronto.",
        "",
    ],
    "de": ["Das ist schon seit Tagen so.", "Gefährlich für Kinder.", "Bitte bald beheben.", ""],
}


def _attribute_value(
    rng: random.Random, attr: dict[str, Any], now: datetime
) -> str | list[str] | None:
    datatype = attr["datatype"]
    if not attr.get("required") and rng.random() < 0.5:
        return None
    keys: list[str] = [str(v["key"]) for v in attr.get("values", [])]
    if datatype == "singlevaluelist":
        return rng.choice(keys)
    if datatype == "multivaluelist":
        return rng.sample(keys, rng.randint(1, min(2, len(keys))))
    if datatype == "number":
        return str(rng.randint(1, 40))
    if datatype == "datetime":
        return (now + timedelta(days=rng.randint(1, 14))).replace(microsecond=0).isoformat()
    if datatype == "string":
        return f"P-{rng.randint(100, 999)}"
    return "Ver foto." if rng.random() < 0.5 else "Detalle adicional."


def load_demo_requests(
    db: Session, city: City, *, count: int = 300, now: datetime | None = None
) -> int:
    """File ``count`` requests in a city that has none yet; returns how many were filed."""
    enter_city(db, city)
    if current_value(db, "service_request") > 0:
        return 0
    rng = random.Random(f"civitas-demo-{city.slug}")  # noqa: S311 - demo data, not security
    now = now or utcnow()
    services = [
        s
        for s in db.scalars(
            select(Service).where(Service.published.is_(True)).order_by(Service.code)
        )
        if s.is_open311
    ]
    lang = city.default_language
    streets = STREETS.get(city.country, STREETS["DE"])
    addresses = places.within(
        db, city, city.min_lat, city.min_lon, city.max_lat, city.max_lon, limit=100_000
    )
    addresses.sort(key=lambda p: p.ref or "")  # the same demo on every run
    filed = 0
    for _ in range(count):
        service = rng.choice(services)
        when = now - timedelta(minutes=rng.randint(30, 60 * 24 * 60))
        channel = rng.choices([c for c, _ in CHANNELS], weights=[w for _, w in CHANNELS])[0]
        attributes = {
            a["code"]: v
            for a in service.attributes
            if (v := _attribute_value(rng, a, now)) is not None
        }
        if addresses:  # at an address of the register, a few metres off its point
            at = rng.choice(addresses)
            lat = at.lat + rng.uniform(-0.00008, 0.00008)
            lon = at.lon + rng.uniform(-0.00008, 0.00008)
            where, where_id = at.label, at.ref
        else:
            lat = rng.uniform(city.center_lat - 0.03, city.center_lat + 0.03)
            lon = rng.uniform(city.center_lon - 0.03, city.center_lon + 0.03)
            where, where_id = f"{rng.choice(streets)} {rng.randint(1, 900)}", None
        data = RequestCreate(
            service_code=service.code,
            channel=channel,
            description=rng.choice(DESCRIPTIONS.get(lang, DESCRIPTIONS["de"])) or None,
            lat=round(lat, 6),
            long=round(lon, 6),
            address_string=where,
            address_id=where_id,
            attributes=attributes,
            language=lang,
        )
        request = create_request(db, city, data=data, filed_by=ACTOR, now=when)
        if channel in FIRST_CONTACT and rng.random() < FIRST_CONTACT_SHARE:
            # the hotline or the office solves it while the resident is there
            change_status(
                db,
                city,
                number=request.number,
                status=Status.RESOLVED,
                actor=ACTOR,
                note=translate(lang, N_("Solved at the first contact.")),
                now=min(when + timedelta(minutes=rng.uniform(2, 40)), now),
            )
            filed += 1
            continue
        paths = PATHS if now - when < SETTLED else FINISHED  # old cases are mostly done
        path = rng.choices([p for p, _ in paths], weights=[w for _, w in paths])[0]
        moment = when
        for status in path:
            moment = min(moment + timedelta(hours=rng.randint(1, 36)), now)
            change_status(
                db,
                city,
                number=request.number,
                status=status,
                actor=ACTOR,
                note=translate(lang, NOTES[status]),
                now=moment,
            )
        filed += 1
    return filed


def load(db: Session, city: City, settings: Settings, password: str) -> list[str]:
    """The demo hook: 300 recent requests in every status."""
    made = load_demo_requests(db, city)
    return [f"  demo requests:   {made}"] if made else []
