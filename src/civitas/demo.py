"""``civitas demo``: two demo cities with departments, 35 services each, a user per role and
an Open311 API key. Running it again changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.accounts.models import User
from civitas.accounts.schemas import ApiKeyCreate, UserCreate
from civitas.accounts.service import create_api_key, create_user, find_api_key
from civitas.cases.demo import load_demo_requests
from civitas.catalogue.demo import demo_catalogue
from civitas.catalogue.service import apply_import
from civitas.cities.models import City
from civitas.cities.schemas import CityCreate, Extent
from civitas.cities.service import create_city, enter_city
from civitas.core.config import Settings
from civitas.core.permissions import Role
from civitas.core.security import sign

ACTOR = "system:demo"
DEFAULT_PASSWORD = "civitas-demo"  # noqa: S105 - the documented demo password

DEMO_CITIES = [
    CityCreate(
        slug="trujillo",
        name="Trujillo",
        country="PE",
        languages=["es", "en"],
        default_language="es",
        timezone="America/Lima",
        currency="PEN",
        jurisdiction_id="trujillo.example",
        center_lat=-8.1116,
        center_lon=-79.0287,
        extent=Extent(min_lat=-8.2, min_lon=-79.12, max_lat=-8.02, max_lon=-78.94),
        colour="#8a1538",
        logo="trujillo.svg",
    ),
    CityCreate(
        slug="musterstadt",
        name="Musterstadt",
        country="DE",
        languages=["de", "en"],
        default_language="de",
        timezone="Europe/Berlin",
        currency="EUR",
        jurisdiction_id="musterstadt.example",
        center_lat=51.3397,
        center_lon=12.3731,
        extent=Extent(min_lat=51.24, min_lon=12.24, max_lat=51.45, max_lon=12.54),
        colour="#00594f",
        logo="musterstadt.svg",
    ),
]

DEMO_USERS = [
    ("admin", "Ada Admin", Role.ADMINISTRATOR, None),
    ("manager", "Manu Manager", Role.MANAGER, "citizens-office"),
    ("caseworker", "Case Worker", Role.CASE_WORKER, "waste"),
    ("agent", "Hotline Agent", Role.AGENT, "citizens-office"),
    ("fieldworker", "Field Worker", Role.FIELD_WORKER, "roads"),
    ("registrar", "Rita Registrar", Role.REGISTRAR, "citizens-office"),
    ("network", "Nora Network", Role.NETWORK_COORDINATOR, None),
]


@dataclass
class DemoCity:
    slug: str
    name: str
    jurisdiction_id: str
    api_key: str
    created: bool
    requests: int = 0


def demo_api_key(settings: Settings, slug: str) -> str:
    """The fixed key when CIVITAS_DEMO_API_KEY is set, else one derived from the secret."""
    if settings.demo_api_key:
        return settings.demo_api_key
    return "cvk_demo_" + sign(settings.secret_key, "demo-api-key:" + slug)[:32]


def load_demo_city(db: Session, settings: Settings, data: CityCreate) -> DemoCity:
    """Create whatever of this demo city is missing, in the caller's transaction."""
    password = settings.demo_password or DEFAULT_PASSWORD
    city = db.scalar(select(City).where(City.slug == data.slug))
    created = city is None
    if city is None:
        city = create_city(db, data)
    elif (city.colour, city.logo) != (data.colour, data.logo):
        city.colour, city.logo = data.colour, data.logo  # a demo made before branding
    enter_city(db, city)
    catalogue = demo_catalogue(city)
    apply_import(
        db, city, departments=catalogue.departments, services=catalogue.services, actor=ACTOR
    )
    for username, full_name, role, department in DEMO_USERS:
        if db.scalar(select(User.id).where(User.username == username)) is None:
            create_user(
                db,
                city,
                data=UserCreate(
                    username=username,
                    full_name=full_name,
                    password=password,
                    roles=[role],
                    language=city.default_language,
                    department=department,
                ),
                actor=ACTOR,
            )
    key = demo_api_key(settings, city.slug)
    if find_api_key(db, city, raw=key) is None:
        create_api_key(
            db, city, data=ApiKeyCreate(name="Demo Open311 client"), actor=ACTOR, raw_key=key
        )
    db.flush()
    requests = load_demo_requests(db, city)
    return DemoCity(city.slug, city.name, city.jurisdiction_id, key, created, requests)
