"""Demo forms and applications (filled in below)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.core.config import Settings


def load(db: Session, city: City, settings: Settings, password: str) -> list[str]:
    return []
