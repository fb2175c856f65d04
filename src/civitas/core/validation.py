"""Pydantic errors as translatable sentences: (template, params) for each error."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from civitas.core.errors import InvalidInput, Problem
from civitas.core.i18n import N_, NP_

# Pydantic error types people meet most, as sentences with their parameters.
MESSAGES: dict[str, str] = {
    "missing": N_("This field is required."),
    "extra_forbidden": N_("This field is not allowed here; remove it."),
    "string_too_short": N_("Use at least {min_length} characters."),
    "string_too_long": N_("Use at most {max_length} characters."),
    "string_pattern_mismatch": N_("The value does not have the expected form ({pattern})."),
    "string_type": N_("Give a text."),
    "int_parsing": N_("Give a whole number."),
    "int_type": N_("Give a whole number."),
    "int_from_float": N_("Give a whole number."),
    "float_parsing": N_("Give a number."),
    "float_type": N_("Give a number."),
    "bool_parsing": N_("Give true or false."),
    "bool_type": N_("Give true or false."),
    "greater_than_equal": N_("Give a number of at least {ge}."),
    "less_than_equal": N_("Give a number of at most {le}."),
    "greater_than": N_("Give a number greater than {gt}."),
    "less_than": N_("Give a number less than {lt}."),
    "literal_error": N_("Choose one of: {expected}."),
    "enum": N_("Choose one of: {expected}."),
    "too_short": NP_("Give at least {count} item.", "Give at least {count} items."),
    "too_long": NP_("Give at most {count} item.", "Give at most {count} items."),
    "json_invalid": N_("The body is not valid JSON: {error}."),
    "url_parsing": N_("Give a full web address (https://…)."),
    "url_scheme": N_("Give a full web address (https://…)."),
    "list_type": N_("Give a list."),
    "dict_type": N_("Give an object."),
    "model_type": N_("Give an object."),
    "model_attributes_type": N_("Give an object."),
    "time_parsing": N_("Give a time as HH:MM."),
    "time_type": N_("Give a time as HH:MM."),
    "datetime_parsing": N_(
        "Give a date and time as ISO 8601 with offset (2026-11-23T09:30:00-05:00)."
    ),
    "value_error": N_("{error}"),
}


def template_for(err: Any) -> tuple[str, dict[str, Any]]:
    """The sentence and its parameters for one entry of ``ValidationError.errors()``."""
    ctx = dict(err.get("ctx") or {})
    if err["type"] == "civitas":
        template = str(ctx.pop("template"))
        return template, ctx
    if err["type"] == "value_error":
        return str(ctx.get("error", err["msg"])), {}
    known = MESSAGES.get(err["type"])
    if known is None:
        return str(err["msg"]), {}
    if err["type"] in ("literal_error", "enum") and isinstance(ctx.get("expected"), str):
        # pydantic says "'es', 'de' or 'en'" in English: the choices alone, in any language
        choices = re.findall(r"'([^']*)'", ctx["expected"])
        if choices:
            ctx["expected"] = ", ".join(choices)
    if err["type"] in ("too_short", "too_long"):  # a number of items: its plural form
        ctx["count"] = ctx.get("min_length" if err["type"] == "too_short" else "max_length")
    try:
        known.format(**ctx)
    except (KeyError, IndexError):
        return str(err["msg"]), {}
    return known, ctx


def location(loc: tuple[Any, ...] | list[Any]) -> str:
    """``('services', 3, 'fees', 0)`` as ``services[3].fees[0]``; request parts dropped."""
    out = ""
    for part in loc:
        if part == "body" and not out:
            continue
        if isinstance(part, str) and part.startswith("function-"):
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def refusal(exc: ValidationError, message: str) -> InvalidInput:
    """A model's validation errors as one refusal, each problem at its field."""
    problems = []
    for err in exc.errors():
        template, params = template_for(err)
        problems.append(Problem(location(err["loc"]), template, params))
    return InvalidInput(message, problems=problems, count=len(problems))


M = TypeVar("M", bound=BaseModel)


def checked(model: type[M], data: Any, message: str) -> M:
    """``data`` as ``model``, or one refusal (``message``) with each problem at its field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise refusal(exc, message) from None
