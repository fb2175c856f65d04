"""One settings object, read from the environment (prefix ``CIVITAS_``) and an optional .env."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_VAR = Path("var")


class ConfigError(Exception):
    """The configuration is invalid; the message names every wrong setting."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CIVITAS_", env_file=".env", extra="ignore", frozen=True
    )

    env: Literal["development", "production", "test"] = "development"
    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_VAR / 'civitas.db'}",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    database_echo: bool = False
    db_pool_size: int = Field(
        default=40,
        ge=1,
        le=500,
        description="Connections kept open (request threads, background threads and jobs "
        "share them). PostgreSQL needs max_connections above the sum of all processes.",
    )
    secret_key: str = Field(
        default="dev-only-insecure-secret-change-me-0123456789",
        min_length=32,
        description="Signs CSRF tokens; at least 32 characters.",
    )
    jobs_backend: Literal["sqlite", "redis", "immediate"] = "sqlite"
    jobs_path: Path = DEFAULT_VAR / "jobs.db"
    redis_url: str = "redis://127.0.0.1:6379/0"
    smtp_host: str = Field(
        default="",
        description="SMTP server for outgoing mail; empty keeps mail in the outbox unsent.",
    )
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = Field(default=20.0, gt=0)
    mail_from: str = "Civitas <no-reply@civitas.example>"
    log_format: Literal["console", "json"] = "console"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_body_bytes: int = Field(default=2 * 1024 * 1024, gt=0)
    open311_list_cache_seconds: float = Field(
        default=2.0, ge=0, le=300, description="How long Open311 lists may be served from cache."
    )
    threads: int = Field(
        default=4,
        ge=1,
        le=256,
        description="Threads per process that run blocking work (database, files) at once.",
    )
    db_slots: int = Field(
        default=2, ge=1, le=256, description="Requests at work in the database at once per process."
    )
    max_upload_bytes: int = Field(
        default=25 * 1024 * 1024, gt=0, description="Limit of multipart bodies (photos)."
    )
    media_root: Path = DEFAULT_VAR / "media"
    max_photo_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_photo_pixels: int = Field(default=40_000_000, gt=0)
    max_photos_per_request: int = Field(default=5, ge=1, le=20)
    session_hours: int = Field(default=12, gt=0, le=24 * 30)
    bearer_token_days: int = Field(default=30, gt=0, le=365)
    demo_api_key: str | None = Field(default=None, min_length=24)
    demo_password: str | None = Field(default=None, min_length=8)
    secure_cookies: bool = False
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        pattern=r"^https?://[^/]+(/.*)?$",
        description="The address residents reach Civitas at; the base of exported IRIs.",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://")):
            raise ValueError(
                "must start with sqlite:// or postgresql+psycopg:// "
                "(e.g. postgresql+psycopg://civitas@127.0.0.1:5432/civitas)"
            )
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings() -> Settings:
    """Read the settings; raise ConfigError naming each bad ``CIVITAS_*`` variable."""
    try:
        return Settings()
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = "CIVITAS_" + "_".join(str(p) for p in err["loc"]).upper()
            lines.append(f"  {name}: {err['msg']}")
        raise ConfigError("Invalid configuration:\n" + "\n".join(lines)) from None


@functools.cache
def get_settings() -> Settings:
    return load_settings()
