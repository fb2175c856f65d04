"""Life events as they arrive (JSON API, CSV/Parquet import) and the register's read shapes."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from civitas.core.types import invalid

Sex = Literal["female", "male", "diverse", "unspecified"]
MaritalStatus = Literal["single", "married", "widowed", "divorced"]
EVENT_TYPES = ("birth", "death", "move_in", "move_out", "move_within", "marriage", "update")

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
RegisterNumber = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
    ),
]
EventId = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
    ),
]
Nationality = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Z]{2}$")
]


def normalise_iban(value: str) -> str:
    """An IBAN in its compact form, or a clear error (checksum, length, country)."""
    compact = re.sub(r"\s+", "", value).upper()
    try:
        return str(IBAN(compact).compact)
    except SchwiftyException:
        raise invalid(
            "'{value}' is not a valid IBAN; check it against your bank card or statement.",
            value=value.strip(),
        ) from None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AddressIn(_Strict):
    street: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    number: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    postcode: Annotated[str, StringConstraints(min_length=1, max_length=12)]
    district: Annotated[str, StringConstraints(max_length=100)] | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    parking_zone: Annotated[str, StringConstraints(max_length=20)] | None = None


class Facts(_Strict):
    """Facts a person may have on moving in or that may change later (all optional)."""

    nationality: Nationality | None = None
    email: (
        Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")] | None
    ) = None
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    language: Literal["es", "de", "en"] | None = None
    monthly_income_minor: Annotated[int, Field(ge=0, le=10**12)] | None = None
    student: bool | None = None
    iban: str | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else value.lower()

    @field_validator("iban")
    @classmethod
    def _iban(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else normalise_iban(value)


class NewPerson(Facts):
    register_number: RegisterNumber | None = None
    given_names: Name
    family_name: Name
    birth_date: date
    sex: Sex
    marital_status: MaritalStatus = "single"


class NewChild(_Strict):
    register_number: RegisterNumber | None = None
    given_names: Name
    family_name: Name
    sex: Sex


class _Event(_Strict):
    event_id: EventId = Field(description="The sender's identifier: a retry with it is a no-op")
    date: date


class Birth(_Event):
    type: Literal["birth"]
    child: NewChild
    parents: Annotated[list[RegisterNumber], Field(min_length=1, max_length=2)]


class Death(_Event):
    type: Literal["death"]
    person: RegisterNumber


class MoveIn(_Event):
    type: Literal["move_in"]
    person: NewPerson
    address: AddressIn
    household_with: RegisterNumber | None = Field(
        default=None, description="Join the household of this resident (default: a new one)"
    )
    parents: Annotated[list[RegisterNumber], Field(max_length=2)] = Field(default_factory=list)


class MoveOut(_Event):
    type: Literal["move_out"]
    person: RegisterNumber


class MoveWithin(_Event):
    type: Literal["move_within"]
    person: RegisterNumber
    address: AddressIn
    household: Literal["keep", "new"] | RegisterNumber = Field(
        default="keep",
        description="keep: the whole household moves; new: the person moves alone; "
        "or the register number of the resident whose household the person joins",
    )


class Marriage(_Event):
    type: Literal["marriage"]
    person: RegisterNumber
    partner: RegisterNumber
    family_name: Name | None = Field(default=None, description="The person's new family name")
    partner_family_name: Name | None = None


class Update(_Event):
    type: Literal["update"]
    person: RegisterNumber
    facts: Facts


LifeEventIn = Annotated[
    Birth | Death | MoveIn | MoveOut | MoveWithin | Marriage | Update, Field(discriminator="type")
]


class EventResult(BaseModel):
    event_id: str
    type: str
    person: str
    created: bool = Field(description="False when this event_id had been recorded before")
    decisions: list[dict[str, Any]] = Field(default_factory=list)


class PersonRead(BaseModel):
    register_number: str
    given_names: str
    family_name: str
    birth_date: date
    death_date: date | None
    sex: str
    nationality: str | None
    marital_status: str
    email: str | None
    phone: str | None
    language: str | None
    address: dict[str, Any]
    household: list[str]
    resident_since: date
    monthly_income_minor: int | None
    student: bool
    has_iban: bool
    on: date


class AccessRead(BaseModel):
    at: Any
    actor: str
    actor_kind: str
    purpose: str
    data: list[str]
    detail: str | None = None
