"""Shared Pydantic types: multilingual text, slugs, codes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from babel.numbers import is_currency
from pydantic import AfterValidator, Field, StringConstraints
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
