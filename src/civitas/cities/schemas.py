from __future__ import annotations

import re
import zoneinfo

from babel import Locale
from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from civitas.core.types import (
    Code,
    CurrencyCode,
    I18nShortText,
    Language,
    Patch,
    Slug,
    invalid,
)

_COUNTRIES = frozenset(str(code) for code in Locale("en").territories if str(code).isalpha())


class Extent(BaseModel):
    min_lat: float = Field(ge=-90, le=90)
    min_lon: float = Field(ge=-180, le=180)
    max_lat: float = Field(ge=-90, le=90)
    max_lon: float = Field(ge=-180, le=180)

    @model_validator(mode="after")
    def _ordered(self) -> Extent:
        if self.min_lat >= self.max_lat or self.min_lon >= self.max_lon:
            raise invalid(
                "The extent's minimum must be below its maximum (south-west corner first)."
            )
        return self


def contrast_with_white(colour: str) -> float:
    """The WCAG 2.1 contrast ratio of a #rrggbb colour against white."""

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)


class CityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    name: str = Field(min_length=1, max_length=200)
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")
    languages: list[Language] = Field(min_length=1)
    default_language: Language
    timezone: str
    currency: CurrencyCode
    jurisdiction_id: str = Field(min_length=3, max_length=200, pattern=r"^[A-Za-z0-9.-]+$")
    center_lat: float = Field(ge=-90, le=90)
    center_lon: float = Field(ge=-180, le=180)
    extent: Extent
    colour: str = Field(default="#0b5cad", description="The city's colour, #rrggbb")
    logo: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9-]*\.(svg|png)$",
        description="A file in static/cities/, e.g. trujillo.svg",
    )

    @field_validator("colour")
    @classmethod
    def _colour(cls, value: str) -> str:
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
            raise invalid("Give the colour as #rrggbb, e.g. #0b5cad.")
        ratio = contrast_with_white(value)
        if ratio < 4.5:
            raise invalid(
                "The colour {value} is too light for white text and links "
                "(contrast {ratio}:1, at least 4.5:1 is needed).",
                value=value,
                ratio=round(ratio, 2),
            )
        return value.lower()

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        value = value.upper()
        if value not in _COUNTRIES:
            raise invalid(
                "'{value}' is not an ISO 3166-1 alpha-2 country code (e.g. PE, DE).", value=value
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        if value not in zoneinfo.available_timezones():
            raise invalid("'{value}' is not an IANA time zone (e.g. America/Lima).", value=value)
        return value

    @field_validator("languages")
    @classmethod
    def _unique_languages(cls, value: list[Language]) -> list[Language]:
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _consistent(self) -> CityCreate:
        if self.default_language not in self.languages:
            raise invalid("default_language must be one of the city's languages.")
        e = self.extent
        if not (
            e.min_lat <= self.center_lat <= e.max_lat and e.min_lon <= self.center_lon <= e.max_lon
        ):
            raise invalid("The map centre must lie inside the extent.")
        return self


class CityView(BaseModel):
    """What pages need of a city, detached from any database session."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    slug: str
    name: str
    country: str
    languages: list[str]
    default_language: str
    timezone: str
    currency: str
    center_lat: float
    center_lon: float
    min_lat: float
    min_lon: float
    max_lat: float
    max_lon: float
    colour: str = "#0b5cad"
    logo: str | None = None
    disabled_domains: list[str] = []


class CityRead(CityView):
    """A city as the API shows it: the view plus its Open311 id."""

    jurisdiction_id: str


class DepartmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code
    name: I18nShortText
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=300)


class DepartmentUpdate(Patch):
    clearable = frozenset({"email", "phone", "address"})

    name: I18nShortText | None = None
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=300)


class DepartmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: dict[str, str]
    email: str | None
    phone: str | None
    address: str | None


class DomainState(BaseModel):
    """A part of Civitas installed on this deployment, and whether it serves the city."""

    name: str
    title: str
    optional: bool  # whether an administrator may turn it off for the city
    enabled: bool


class DomainSwitch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool
