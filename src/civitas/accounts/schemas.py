from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, field_validator

from civitas.core import permissions
from civitas.core.i18n import N_
from civitas.core.security import MIN_PASSWORD_LENGTH
from civitas.core.types import Language, Patch, invalid


def _known_role(value: str) -> str:
    """A role some installed domain declares; another is refused by name."""
    known = permissions.roles()
    if value not in known:
        raise invalid(
            N_("{role} is not a role here. Choose one of: {expected}."),
            role=value,
            expected=", ".join(known),
        )
    return value


RoleName = Annotated[str, Field(max_length=60), AfterValidator(_known_role)]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=2, max_length=80, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    full_name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = None
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=200)
    roles: list[RoleName] = Field(min_length=1, max_length=20)
    language: Language | None = None
    department: str | None = None

    @field_validator("roles")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class UserUpdate(Patch):
    """Change a staff user; only the fields given are changed. ``null`` clears the e-mail
    address, or the language (the user then reads the city's)."""

    clearable = frozenset({"email", "language"})

    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr | None = None
    password: str | None = Field(default=None, min_length=MIN_PASSWORD_LENGTH, max_length=200)
    roles: list[RoleName] | None = Field(default=None, min_length=1, max_length=20)
    language: Language | None = None
    is_active: bool | None = None

    @field_validator("roles")
    @classmethod
    def _unique(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else list(dict.fromkeys(value))


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    username: str
    full_name: str
    email: str | None
    roles: list[str]
    language: str | None
    is_active: bool


class Me(UserRead):
    city: str
    permissions: list[str]


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)
    name: str | None = Field(default=None, max_length=120)


class TokenIssued(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth 2.0 token type, not a secret
    expires_at: datetime


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    contact_email: EmailStr | None = None


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    key_prefix: str
    contact_email: str | None
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyIssued(ApiKeyRead):
    api_key: str = Field(description="Shown once; only its hash is kept.")
