"""Answers in words, in one language: for "check your answers", the case page and the
decision notice. Option values become their labels, dates and numbers are written as the
reader's locale writes them, and a prefilled value the applicant changed says so."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal

from civitas.applications.answers import holds
from civitas.applications.definition import FormDefinition, Question
from civitas.core.i18n import N_, pick, translate


@dataclass
class Row:
    key: str  # the question id (the page to change it on)
    label: str
    text: str
    items: list[list[tuple[str, str]]] = field(default_factory=list)  # a group's items
    prefilled: str | None = None  # what the register said, when the applicant changed it
    group: bool = False


def value_text(q: Question, value: Any, lang: str, locale: str) -> str:
    if value is None or value == "" or value == []:
        return translate(lang, N_("Not answered"))
    if q.type in ("yesno", "declaration"):
        return translate(lang, N_("Yes") if value else N_("No"))
    if q.type == "date":
        try:
            return format_date(date.fromisoformat(str(value)), "long", locale=locale)
        except ValueError:
            return str(value)
    if q.type == "number":
        return format_decimal(value, locale=locale)
    if q.type in ("choice", "multichoice"):
        chosen = value if isinstance(value, list) else [value]
        labels = {o.value: pick(o.label, lang) for o in q.options}
        return ", ".join(labels.get(str(v), str(v)) for v in chosen)
    if q.type == "address" and isinstance(value, Mapping):
        return str(value.get("text", ""))
    if q.type == "iban":
        text = str(value)
        return " ".join(text[i : i + 4] for i in range(0, len(text), 4))
    return str(value)


def rows(
    form: FormDefinition,
    answers: Mapping[str, Any],
    *,
    lang: str,
    locale: str,
    prefilled: Mapping[str, Any] | None = None,
) -> list[Row]:
    """One row a visible question (files are listed with the documents)."""
    found = []
    before = prefilled or {}
    for q in form.questions:
        if q.type == "file" or not holds(q.show_if, answers):
            continue
        value = answers.get(q.id)
        row = Row(q.id, pick(q.label, lang), "", group=q.type == "group")
        if q.type == "group":
            items = value if isinstance(value, list) else []
            for item in items:
                row.items.append(
                    [
                        (pick(s.label, lang), value_text(s, item.get(s.id), lang, locale))
                        for s in q.questions
                        if holds(s.show_if, {**answers, **item})
                    ]
                )
            row.text = str(len(items))
        else:
            row.text = value_text(q, value, lang, locale)
        if q.id in before and before[q.id] != value:
            if q.type == "group":
                row.prefilled = translate(
                    lang,
                    N_("The register lists {count} other members of the household."),
                    count=len(before[q.id]),
                )
            else:
                row.prefilled = value_text(q, before[q.id], lang, locale)
        found.append(row)
    return found
