"""``civitas demo``: two demo cities, each filled by every installed domain's demo hook
(the catalogue's services, the staff, requests, the register, figures, recycling …).
Running it again changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.cities.schemas import CityCreate, Extent
from civitas.cities.service import create_city, enter_city
from civitas.core import plugins
from civitas.core.config import Settings

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


@dataclass
class DemoCity:
    slug: str
    name: str
    jurisdiction_id: str
    created: bool
    lines: list[str] = field(default_factory=list)  # what each domain made, to print


def load_demo_city(
    db: Session, settings: Settings, data: CityCreate, *, only: tuple[str, ...] | None = None
) -> DemoCity:
    """Create whatever of this demo city is missing: the city, then each installed
    domain's demo data in the order of the installed list (``only``: just these domains),
    in the caller's transaction. Running it again changes nothing."""
    password = settings.demo_password or DEFAULT_PASSWORD
    city = db.scalar(select(City).where(City.slug == data.slug))
    created = city is None
    if city is None:
        city = create_city(db, data)
    elif (city.colour, city.logo) != (data.colour, data.logo):
        city.colour, city.logo = data.colour, data.logo  # a demo made before branding
    enter_city(db, city)
    made = DemoCity(city.slug, city.name, city.jurisdiction_id, created)
    for domain in plugins.domains():
        if domain.demo and (only is None or domain.name in only):
            made.lines.extend(plugins.resolve(domain.demo)(db, city, settings, password))
            db.flush()
    return made
