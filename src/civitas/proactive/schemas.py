"""The rule and parameter formats a city administrator edits (YAML or JSON)."""

from __future__ import annotations

import keyword
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from civitas.core.types import Code, I18nText, OptionalI18nText, invalid
from civitas.register.schemas import EVENT_TYPES

Mode = Literal["offer", "automatic"]
Period = Literal["once", "year", "month"]
Trigger = Literal[
    "birth", "death", "move_in", "move_out", "move_within", "marriage", "update", "periodic"
]
assert set(EVENT_TYPES) < set(Trigger.__args__)  # type: ignore[attr-defined]

ParamName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=2,
        max_length=80,
        pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$",
    ),
]


class LegalBasis(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    url: Annotated[str, StringConstraints(max_length=500)] | None = None


class RuleIn(BaseModel):
    """A proactive service's rule.

    ``eligible`` is the condition (an expression of the rule language); ``review`` an
    optional second condition for edge cases: a person for whom ``eligible`` is not true but
    ``review`` is goes to a member of staff (the rules never refuse anyone by themselves).
    ``amount``, if given, is an expression in minor units of the city's currency."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: Code
    name: I18nText
    description: I18nText
    reason: I18nText = Field(description="Plain-language reason shown to the resident")
    service_code: Code | None = None
    mode: Mode
    triggers: Annotated[list[Trigger], Field(min_length=1)]
    period: Period
    eligible: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    review: Annotated[str, StringConstraints(max_length=2000)] | None = None
    amount: Annotated[str, StringConstraints(max_length=2000)] | None = None
    payment: Literal["to_resident", "from_resident"] = Field(
        default="to_resident",
        description="to_resident: the city pays the amount (a benefit); from_resident: the "
        "resident pays it (a fee, collected by direct debit once they accept)",
    )
    needs_iban: bool = False
    legal_basis: list[LegalBasis] = Field(default_factory=list)
    active: bool = True
    notice: OptionalI18nText = Field(
        default_factory=dict, description="What the resident should do next (optional)"
    )


class ParameterValue(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    valid_from: date = Field(alias="from")
    value: bool | int | float | str


class ParameterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("name")
    @classmethod
    def _no_keywords(cls, value: str) -> str:
        for part in value.split("."):
            if keyword.iskeyword(part) or part in ("true", "false"):
                raise invalid(
                    "'{part}' is a reserved word of the rule language; choose another name.",
                    part=part,
                )
        return value

    name: ParamName
    label: I18nText
    reference: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)
    ]
    url: Annotated[str, StringConstraints(max_length=500)] | None = None
    values: Annotated[list[ParameterValue], Field(min_length=1)]


class RuleFile(BaseModel):
    """A YAML document with parameters and rules (either may be left out)."""

    model_config = ConfigDict(extra="forbid")

    parameters: list[ParameterIn] = Field(default_factory=list)
    rules: list[RuleIn] = Field(default_factory=list)


class RuleCase(BaseModel):
    """One readable test case: on a date, a person with these values, this outcome."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str
    rule: Code
    on: date = Field(alias="date")
    person: dict[str, bool | int | float | str | None]
    expect: Literal["offer", "grant", "review", "nothing"]
    amount: int | None = None
