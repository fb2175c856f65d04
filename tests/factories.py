"""Factories: small, valid objects per domain, committed through the real service functions."""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass, field
from typing import Any

from PIL import Image
from sqlalchemy import select

from civitas.accounts.models import User
from civitas.accounts.schemas import ApiKeyCreate
from civitas.accounts.service import create_api_key
from civitas.cases.media import CleanImage, clean
from civitas.cases.schemas import RequestChannel, RequestCreate
from civitas.cases.service import attach_photos, create_request
from civitas.catalogue.schemas import ServiceIn
from civitas.catalogue.service import save_service
from civitas.cities.models import City
from civitas.cities.schemas import CityCreate, DepartmentCreate
from civitas.cities.service import create_city, create_department
from civitas.core.config import get_settings
from civitas.core.db import session_scope
from civitas.core.permissions import roles
from civitas.core.security import hash_password
from civitas.demo import DEMO_CITIES
from civitas.places.register import import_addresses

PASSWORD = "correct-horse-battery"


def tiny_png() -> CleanImage:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), "green").save(out, "PNG")
    return clean(out.getvalue(), where="media", max_bytes=10**6, max_pixels=10**6)


@functools.cache
def password_hash() -> str:
    return hash_password(PASSWORD)


# the test cities are the demo cities (names, zones, currencies, extents), without their data
CITY_A, CITY_B = DEMO_CITIES


def service_data(code: str, currency: str, **overrides: Any) -> ServiceIn:
    data: dict[str, Any] = {
        "code": code,
        "name": {"es": f"Servicio {code}", "de": f"Leistung {code}", "en": f"Service {code}"},
        "description": {"es": "Descripción.", "de": "Beschreibung.", "en": "Description."},
        "category": "roads",
        "channels": ["online", "open311"],
        "department": "roads",
        "fees": [{"amount_minor": 1250, "currency": currency, "label": {"en": "Fee"}}],
        "eligibility": {"en": "People who live in the city.", "es": "Vecinos de la ciudad."},
        "documents": [{"code": "id-card", "name": {"en": "Identity document"}}],
        "legal_basis": [{"title": {"en": "Municipal law"}, "url": "https://example.org/law"}],
        "target_hours": 48,
        "opening_hours": [{"days": ["mo", "tu"], "opens": "08:00", "closes": "16:00"}],
        "open311": {
            "type": "realtime",
            "keywords": ["light", "lamp"],
            "attributes": [
                {
                    "code": "fault",
                    "datatype": "singlevaluelist",
                    "required": True,
                    "order": 1,
                    "description": {"en": "What is wrong?", "es": "¿Qué pasa?"},
                    "values": [{"key": "out", "name": {"en": "Out"}}],
                }
            ],
        },
        "life_situation": "mobility",
    }
    data.update(overrides)
    return ServiceIn.model_validate(data)


@dataclass
class CityWorld:
    slug: str
    jurisdiction_id: str
    id: int
    api_key: str
    api_key_id: int
    published: str
    token: str
    photo: str
    unpublished: str
    users: dict[str, str] = field(default_factory=dict)  # role -> username
    extent: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # a box inside the city
    rule_id: int = 0
    decision_id: int = 0  # a proactive decision, once proactive_world has run


@dataclass
class World:
    a: CityWorld
    b: CityWorld


def make_city(engine: Any, data: CityCreate, prefix: str) -> CityWorld:
    with session_scope(engine) as db:
        city = create_city(db, data)
        _populate(db, city, prefix)
        world = CityWorld(
            slug=city.slug,
            jurisdiction_id=city.jurisdiction_id,
            id=city.id,
            api_key="",
            api_key_id=0,
            published=f"{prefix}-light",
            token="",
            extent=(
                city.center_lat - 0.01,
                city.center_lon - 0.01,
                city.center_lat + 0.01,
                city.center_lon + 0.01,
            ),
            photo="",
            unpublished=f"{prefix}-draft",
        )
        request = create_request(
            db,
            city,
            data=RequestCreate(
                service_code=f"{prefix}-light",
                channel=RequestChannel.PHONE,
                address_string="City hall",
                attributes={"fault": "out"},
                email=f"reporter@{prefix}.example",
            ),
            filed_by="test",
        )
        request.token = f"{prefix}-token"
        world.token = request.token
        (photo,) = attach_photos(
            db,
            city,
            request,
            images=[tiny_png()],
            media_root=get_settings().media_root,
            actor="test",
        )
        world.photo = f"{photo.id}.png"
        import_addresses(db, city, content=addresses_csv(city, prefix), filename="test.csv")
        raw, key = create_api_key(db, city, data=ApiKeyCreate(name="test client"), actor="test")
        world.api_key, world.api_key_id = raw, key.id
        for role in roles():  # every role of every installed domain
            username = f"{prefix}-{role.replace('_', '')}"
            # argon2 costs ~0.1 s a hash: hash the shared test password once per run
            db.add(
                User(
                    username=username,
                    full_name=f"{role.replace('_', ' ').title()} of {city.name}",
                    password_hash=password_hash(),
                    roles=[role],
                )
            )
            world.users[role] = username
    return world


def addresses_csv(city: City, prefix: str) -> bytes:
    """A small register: three streets east, north and west of the centre, with the street
    words and accents of the city's language (ten numbers each, 20 m apart)."""
    streets = (
        ("Jr. Francisco Pizarro", "Av. España", "Jr. Simón Bolívar")
        if city.country == "PE"
        else ("Hauptstraße", "Karl-Liebknecht-Straße", "Schillerstraße")
    )
    lines = ["id,street,number,postcode,district,lat,lon"]
    for s, street in enumerate(streets):
        for n in range(1, 11):
            lat = city.center_lat + 0.0005 * (s + 1)
            lon = city.center_lon + 0.00018 * n
            lines.append(f"{prefix}-{s}-{n},{street},{n},{prefix}00{s},Centre,{lat:.6f},{lon:.6f}")
    return ("\n".join(lines) + "\n").encode()


def _populate(db: Any, city: City, prefix: str) -> None:
    create_department(
        db,
        city,
        data=DepartmentCreate(
            code="roads", name={"en": f"Roads of {city.name}"}, email="roads@city.example"
        ),
        actor="test",
    )
    save_service(db, city, data=service_data(f"{prefix}-light", city.currency), actor="test")
    save_service(
        db, city, data=service_data(f"{prefix}-draft", city.currency, published=False), actor="test"
    )


def build_world(engine: Any) -> World:
    return World(a=make_city(engine, CITY_A, "a"), b=make_city(engine, CITY_B, "b"))


def bearer(client: Any, slug: str, username: str) -> dict[str, str]:
    response = client.post(
        f"/api/v1/cities/{slug}/auth/token", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def session_cookie(client: Any, slug: str, username: str) -> dict[str, str]:
    csrf = form_token(client, f"/{slug}/login")
    response = client.post(
        f"/{slug}/login",
        data={"username": username, "password": PASSWORD, "csrf": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    cookie = response.cookies["civitas_session"]
    client.cookies.clear()
    return {"civitas_session": cookie}


def form_token(client: Any, path: str) -> str:
    """The csrf token of the form on a page, as a browser would send it back."""
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get(path).text)
    assert found, f"no form token on {path}"
    return found.group(1)


def run_queued_jobs() -> list[str]:
    """Run every queued background job as the worker would; their final states."""
    from civitas.core import background
    from civitas.core.tenancy import bind_all_cities
    from civitas.tasks import execute_job

    with session_scope() as db:
        bind_all_cities(db)
        queued = list(
            db.scalars(
                select(background.Job.id)
                .where(background.Job.status == background.QUEUED)
                .order_by(background.Job.id)
            )
        )
    return [execute_job(job_id) for job_id in queued]
