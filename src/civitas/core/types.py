"""Shared Pydantic types: multilingual text, slugs, codes."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from babel.numbers import is_currency
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError


def invalid(template: str, **params: Any) -> PydanticCustomError:
    """A validation error whose sentence the web layer can translate (template kept in ctx)."""
    return PydanticCustomError("civitas", template, {"template": template, **params})


Language = Literal["es", "de", "en"]

Slug = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=2, max_length=60, pattern=r"^[a-z0-9][a-z0-9-]*$"
    ),
]
Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
    ),
]


def _non_empty_texts(value: dict[Language, str]) -> dict[Language, str]:
    cleaned = {lang: text.strip() for lang, text in value.items() if text and text.strip()}
    if not cleaned:
        raise invalid("Give the text in at least one language (es, de or en).")
    return cleaned


def _currency(value: str) -> str:
    value = value.upper()
    if not is_currency(value):
        raise invalid("'{value}' is not an ISO 4217 currency code (e.g. PEN, EUR).", value=value)
    return value


CurrencyCode = Annotated[
    str, StringConstraints(min_length=3, max_length=3), AfterValidator(_currency)
]

I18nText = Annotated[dict[Language, str], AfterValidator(_non_empty_texts)]
I18nShortText = Annotated[
    dict[Language, Annotated[str, Field(max_length=200)]], AfterValidator(_non_empty_texts)
]
OptionalI18nText = Annotated[
    dict[Language, str],
    AfterValidator(lambda v: {k: t.strip() for k, t in v.items() if t and t.strip()}),
]


def _non_null_schema(schema: dict[str, Any], model: type[BaseModel]) -> None:
    clearable: frozenset[str] = getattr(model, "clearable", frozenset())
    for name, prop in schema.get("properties", {}).items():
        options = prop.get("anyOf")
        if name in clearable or not options:
            continue
        kept = [o for o in options if o.get("type") != "null"]
        prop.pop("anyOf")
        if len(kept) == 1:
            prop.update(kept[0])
        else:
            prop["anyOf"] = kept
        if prop.get("default", 0) is None:
            prop.pop("default")


class Patch(BaseModel):
    """A partial update: a field left out keeps its value. ``null`` clears only the fields
    named in ``clearable``; for any other field it is refused, naming the field, before
    anything is written. The schema says so too (no ``null`` for those fields)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_non_null_schema)

    clearable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _no_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.clearable:
            raise invalid("This field cannot be empty: leave it out to keep its value.")
        return value
