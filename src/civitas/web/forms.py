"""Reading HTML forms into what the service layer takes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from civitas.catalogue.models import Service
from civitas.cities.models import City
from civitas.core.errors import CivitasError, Problem
from civitas.core.i18n import translate


def attribute_answers(city: City, service: Service, form: Any) -> dict[str, Any]:
    """The service's questions as the form sent them; a datetime-local value gets the
    city's offset (browsers send local time without one)."""
    given: dict[str, Any] = {}
    for attr in service.attributes:
        if not attr.get("variable", True):
            continue
        name = f"attribute[{attr['code']}]"
        if attr["datatype"] == "multivaluelist":
            values = [v for v in form.getlist(name) if isinstance(v, str) and v]
            if values:
                given[attr["code"]] = values
            continue
        value = form.get(name)
        if not isinstance(value, str) or not value.strip():
            continue
        value = value.strip()
        if attr["datatype"] == "datetime":
            try:
                moment = datetime.fromisoformat(value)
                if moment.tzinfo is None:
                    value = moment.replace(tzinfo=ZoneInfo(city.timezone)).isoformat()
            except ValueError:
                pass
        given[attr["code"]] = value
    return given


def problems_by_field(
    lang: str,
    exc: CivitasError,
    *,
    fallback: str = "form",
    field: Callable[[str], str] = str,
    reword: Callable[[Problem, str], str] | None = None,
) -> dict[str, str]:
    """Field -> message in the reader's language, the first problem of each field, for a
    form's error summary; ``field`` maps a problem's location to the form field,
    ``reword(problem, text)`` says it in the form's own words, and an error without
    problems is shown on ``fallback``."""
    found: dict[str, str] = {}
    for p in exc.problems:
        text = translate(lang, p.message, **p.params)
        found.setdefault(field(p.location), reword(p, text) if reword else text)
    return found or {fallback: exc.text(lang)}


def problem_list(lang: str, exc: CivitasError) -> list[dict[str, str]]:
    """Every problem of a refused document (a rule, the scorecard) with its location (its
    line), in the reader's language; an error without problems is shown alone."""
    found = [
        {"location": p.location, "message": translate(lang, p.message, **p.params)}
        for p in exc.problems
    ]
    return found or [{"location": "", "message": exc.text(lang)}]
