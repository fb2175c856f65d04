"""The demo's staff: one user per role of the core, and an Open311 API key per city."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.accounts.models import User
from civitas.accounts.schemas import ApiKeyCreate, UserCreate
from civitas.accounts.service import create_api_key, create_user, find_api_key
from civitas.cities.models import City
from civitas.core.config import Settings
from civitas.core.permissions import Role
from civitas.core.security import sign

ACTOR = "system:demo"

DEMO_USERS = [
    ("admin", "Ada Admin", Role.ADMINISTRATOR, None),
    ("manager", "Manu Manager", Role.MANAGER, "citizens-office"),
    ("caseworker", "Case Worker", Role.CASE_WORKER, "waste"),
    ("agent", "Hotline Agent", Role.AGENT, "citizens-office"),
    ("fieldworker", "Field Worker", Role.FIELD_WORKER, "roads"),
]


def ensure_user(
    db: Session,
    city: City,
    *,
    username: str,
    full_name: str,
    role: str,
    department: str | None,
    password: str,
) -> str:
    """A demo staff user, made once; the line that names the login."""
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
    return f"  staff login:     {username} ({role})"


def demo_api_key(settings: Settings, slug: str) -> str:
    """The fixed key when CIVITAS_DEMO_API_KEY is set, else one derived from the secret."""
    if settings.demo_api_key:
        return settings.demo_api_key
    return "cvk_demo_" + sign(settings.secret_key, "demo-api-key:" + slug)[:32]


def load(db: Session, city: City, settings: Settings, password: str) -> list[str]:
    lines = [f"  staff sign-in:   {settings.public_url}/{city.slug}/login (password {password})"]
    for username, full_name, role, department in DEMO_USERS:
        lines.append(
            ensure_user(
                db,
                city,
                username=username,
                full_name=full_name,
                role=role,
                department=department,
                password=password,
            )
        )
    key = demo_api_key(settings, city.slug)
    if find_api_key(db, city, raw=key) is None:
        create_api_key(
            db, city, data=ApiKeyCreate(name="Demo Open311 client"), actor=ACTOR, raw_key=key
        )
    lines.append(f"  Open311 api_key: {key}")
    return lines
