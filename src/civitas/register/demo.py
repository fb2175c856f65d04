"""The register's demo: the registry office's user (persons come with proactive's demo)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from civitas.accounts.demo import ensure_user
from civitas.cities.models import City
from civitas.core.config import Settings
from civitas.register.permissions import REGISTRAR


def load(db: Session, city: City, settings: Settings, password: str) -> list[str]:
    return [
        ensure_user(
            db,
            city,
            username="registrar",
            full_name="Rita Registrar",
            role=REGISTRAR,
            department="citizens-office",
            password=password,
        )
    ]
