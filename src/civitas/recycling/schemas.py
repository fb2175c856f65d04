"""What the recycling domain takes in: pickers, what a picker records at a stop, sales."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from civitas.core.types import invalid

VEHICLES = ("on_foot", "tricycle", "cart", "motocargo")
# kilometres an hour in town, with stops and loading (a city can think otherwise later)
SPEED_KMH = {"on_foot": 4.0, "tricycle": 9.0, "cart": 6.0, "motocargo": 15.0}
OUTCOMES = ("collected", "not_found")
# the most one load of one material can weigh: more is a typing error, not a pickup
MAX_LINE_KG = 2000


def _clock(value: str) -> str:
    try:
        hours, minutes = (int(part) for part in value.split(":"))
    except ValueError:
        hours = minutes = -1
    if not (0 <= hours <= 23 and 0 <= minutes <= 59) or len(value) != 5:
        raise invalid("{value} is not a time of day: write it as HH:MM, e.g. 07:30.", value=value)
    return value


class PickerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1, max_length=200)
    document_id: str = Field(min_length=6, max_length=40, pattern=r"^[A-Za-z0-9-]+$")
    phone: str | None = Field(default=None, max_length=40, pattern=r"^[0-9+()./ -]{3,40}$")
    association: str | None = None
    zone: str
    vehicle: str = Field(pattern="^(" + "|".join(VEHICLES) + ")$")
    capacity_kg: int = Field(gt=0, le=1500)
    working_days: list[int] = Field(min_length=1)
    shift_start: str
    shift_end: str
    home_lat: float = Field(ge=-90, le=90)
    home_lon: float = Field(ge=-180, le=180)
    account: str | None = Field(default=None, max_length=80)  # the picker's sign-in, if any

    @field_validator("shift_start", "shift_end")
    @classmethod
    def _times(cls, value: str) -> str:
        return _clock(value)

    @field_validator("working_days")
    @classmethod
    def _days(cls, value: list[int]) -> list[int]:
        if any(d < 0 or d > 6 for d in value):
            raise invalid("Working days are numbers from 0 (Monday) to 6 (Sunday).")
        return sorted(set(value))


class StopRecord(BaseModel):
    """What a picker records at a stop; ``client_key`` makes a resend harmless."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    pickup_id: int
    outcome: str = Field(pattern="^(collected|not_found)$")
    weights_kg: dict[str, float] = Field(default_factory=dict)
    note: str | None = Field(default=None, max_length=500)
    client_key: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    recorded_at: datetime | None = None  # when it happened on the phone (offline: earlier)


class SaleLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    material: str
    weight_kg: float
    price_minor_per_kg: int | None = Field(default=None, ge=0)


class SaleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    buyer: str
    picker: str | None = None
    association: str | None = None
    lines: list[SaleLineIn] = Field(min_length=1)
    client_key: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    sold_at: datetime | None = None
