"""Answers to a form: read from a page or from JSON, checked against their question, and
the whole set checked once more before it is sent. Also the form's pages in order (one
question a page, a group's items, the documents) and the JSON Schema of a version.

Answers are a JSON object by question id: text, e-mail, phone, date (ISO), choice and IBAN
(compact) as strings; numbers; multiple choice as a list of option values; yes/no and a
declaration as true/false; an address as ``{"text", "address_id"}``; a group as a list of
objects. Files are not answers: they are documents of the application (``documents.py``),
and the JSON Schema describes them as lists of ``{name, content_type, size, sha256}``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from civitas.applications.definition import (
    Condition,
    DocumentSpec,
    FormDefinition,
    Question,
    relative_date,
)
from civitas.core.errors import Problem
from civitas.core.i18n import N_, pick
from civitas.core.uploads import CONTENT_TYPES

_DATE_FORMS = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<d>\d{1,2})[./](?P<m>\d{1,2})[./](?P<y>\d{4})$"),
)
TRUE_WORDS = {"yes", "true", "1", "on"}
FALSE_WORDS = {"no", "false", "0"}


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


# -- conditions --------------------------------------------------------------------------------


def holds(condition: Condition | None, answers: Mapping[str, Any]) -> bool:
    """Whether a condition holds for these answers (an unanswered question holds nothing
    but ``answered: false`` and ``not_equals``)."""
    if condition is None:
        return True
    if condition.all is not None:
        return all(holds(c, answers) for c in condition.all)
    if condition.any is not None:
        return any(holds(c, answers) for c in condition.any)
    assert condition.question is not None
    value = answers.get(condition.question)
    if condition.answered is not None:
        return (not _empty(value)) == condition.answered
    if condition.not_equals is not None:
        return not _same(value, condition.not_equals)
    wanted = [condition.equals] if condition.equals is not None else list(condition.one_of or [])
    return any(_same(value, w) for w in wanted)


def _same(value: Any, wanted: Any) -> bool:
    if isinstance(value, list):  # a multiple choice holds a value when it was chosen
        return any(_same(v, wanted) for v in value)
    if isinstance(wanted, bool) or isinstance(value, bool):
        return value is wanted
    if isinstance(wanted, int | float) and isinstance(value, int | float):
        return math.isclose(float(value), float(wanted))
    return value is not None and str(value) == str(wanted)


# -- one answer ------------------------------------------------------------------------------


class Refused(Exception):  # noqa: N818 - an answer refused, with the problem to show
    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Refused(N_("Give a text."))
    return str(value).strip()


def _as_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    text = _text(value)
    for form in _DATE_FORMS:
        if found := form.match(text):
            try:
                return date(int(found["y"]), int(found["m"]), int(found["d"]))
            except ValueError:
                break
    raise Refused(N_("Enter a real date, like 27 3 2026 (day, month, year)."))


def _number(q: Question, value: Any) -> int | float:
    if isinstance(value, bool):
        raise Refused(N_("Enter a number."))
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = _text(value).replace(" ", "").replace("\u00a0", "")
        if "," in text and "." not in text:
            text = text.replace(",", ".")  # 12,5: a decimal comma
        try:
            number = float(text)
        except ValueError:
            raise Refused(N_("Enter a number, like 12 or 12.5.")) from None
    if not math.isfinite(number):
        raise Refused(N_("Enter a number, like 12 or 12.5."))
    if q.integer and number != int(number):
        raise Refused(N_("Enter a whole number."))
    if isinstance(q.min, int | float) and number < q.min:
        raise Refused(N_("Enter a number of at least {min}."), min=float(q.min))
    if isinstance(q.max, int | float) and number > q.max:
        raise Refused(N_("Enter a number of at most {max}."), max=float(q.max))
    return int(number) if q.integer or number.is_integer() else number


def _date(q: Question, value: Any, today: date) -> str:
    found = _as_date(value)
    low = relative_date(q.min, today) if q.min is not None else None
    high = relative_date(q.max, today) if q.max is not None else None
    if low is not None and found < low:
        raise Refused(N_("The date must be on or after {date}."), date=low)
    if high is not None and found > high:
        raise Refused(N_("The date must be on or before {date}."), date=high)
    return found.isoformat()


def _choices(q: Question, value: Any) -> list[str]:
    raw = value if isinstance(value, list) else [value]
    chosen = []
    allowed = {o.value for o in q.options}
    for item in raw:
        if _empty(item):
            continue
        text = _text(item)
        if text not in allowed:
            raise Refused(N_("Choose one of the options."))
        if text not in chosen:
            chosen.append(text)
    return chosen


def _iban(value: Any) -> str:
    try:
        return IBAN(_text(value)).compact
    except SchwiftyException:
        raise Refused(
            N_("Enter a valid IBAN, like DE89 3704 0044 0532 0130 00; check the digits.")
        ) from None


def _email(value: Any) -> str:
    try:
        found = validate_email(_text(value), check_deliverability=False)
    except EmailNotValidError:
        raise Refused(N_("Enter an e-mail address like name@example.org.")) from None
    return found.normalized.lower()


def _phone(value: Any, country: str) -> str:
    text = _text(value)
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise Refused(N_("Enter a phone number, like {example}."), example=_phone_example(country))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _phone_example(country: str) -> str:
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return "+49 151 23456789"
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)


def _address(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        text = _text(value.get("text", ""))
        address_id = value.get("address_id")
        if address_id is not None and not isinstance(address_id, str):
            raise Refused(N_("Give a text."))
    else:
        text, address_id = _text(value), None
    if not text:
        raise Refused(N_("Enter the address: street, number and postcode."))
    if len(text) > 300:
        raise Refused(N_("Use at most {max} characters."), max=300)
    return {"text": text, "address_id": address_id or None}


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise Refused(N_("Choose yes or no."))


def read_answer(q: Question, value: Any, *, today: date, country: str) -> Any:
    """One question's answer in its stored form; ``None`` when not answered. Raises
    :class:`Refused` with what is wrong."""
    if q.type == "multichoice":
        chosen = _choices(q, value)
        if not chosen:
            return None
        if q.min_items and len(chosen) < q.min_items:
            raise Refused(N_("Choose at least {count} options."), count=q.min_items)
        if q.max_items and len(chosen) > q.max_items:
            raise Refused(N_("Choose at most {count} options."), count=q.max_items)
        return chosen
    if q.type == "address" and isinstance(value, Mapping):
        return None if _empty(value.get("text")) else _address(value)
    if q.type in ("group", "file"):
        raise Refused(N_("Give a text."))  # asked on pages of their own
    if _empty(value) or (isinstance(value, str) and not value.strip()):
        return None
    if q.type == "text":
        text = _text(value)
        if len(text) > q.text_limit:
            raise Refused(N_("Use at most {max} characters."), max=q.text_limit)
        if q.min_length and len(text) < q.min_length:
            raise Refused(N_("Use at least {min} characters."), min=q.min_length)
        if q.pattern and not re.fullmatch(q.pattern, text):
            raise Refused(N_("The answer does not have the expected form."))
        return text
    if q.type == "number":
        return _number(q, value)
    if q.type == "date":
        return _date(q, value, today)
    if q.type == "choice":
        chosen = _choices(q, value)
        if len(chosen) != 1:
            raise Refused(N_("Choose one of the options."))
        return chosen[0]
    if q.type == "address":
        return _address(value)
    if q.type == "iban":
        return _iban(value)
    if q.type == "email":
        return _email(value)
    if q.type == "phone":
        return _phone(value, country)
    if q.type == "yesno":
        return _boolean(value)
    # a declaration: ticked, or not given
    return True if _boolean(value) else None


def missing_message(q: Question) -> str:
    if q.type == "declaration":
        return N_("Confirm the declaration to go on.")
    if q.type in ("choice", "yesno"):
        return N_("Choose an answer.")
    if q.type == "multichoice":
        return N_("Choose at least one option.")
    if q.type == "file":
        return N_("Upload the file.")
    return N_("Answer this question.")


def problem(where: str, q: Question, exc: Refused, lang: str) -> Problem:
    """The problem of a refused answer; a text question's own message for its pattern."""
    if q.pattern_message and exc.message == N_("The answer does not have the expected form."):
        return Problem(where, "{text}", {"text": pick(q.pattern_message, lang)})
    return Problem(where, exc.message, exc.params)


def read_item(
    group: Question,
    raw: Mapping[str, Any],
    scope: Mapping[str, Any],
    *,
    today: date,
    country: str,
    lang: str,
    prefix: str = "",
) -> tuple[dict[str, Any], list[Problem]]:
    """One item of a group (e.g. one person moving in): its visible answers and problems."""
    item: dict[str, Any] = {}
    problems: list[Problem] = []
    for sub in group.questions:
        if not holds(sub.show_if, {**scope, **item}):
            continue
        where = f"{prefix}{sub.id}"
        try:
            value = read_answer(sub, raw.get(sub.id), today=today, country=country)
        except Refused as exc:
            problems.append(problem(where, sub, exc, lang))
            continue
        if value is None:
            if sub.required:
                problems.append(Problem(where, missing_message(sub)))
            continue
        item[sub.id] = value
    return item, problems


# -- the pages and the whole set ------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One page of the form: a question, a group (its items and "add another"), or a
    document to upload."""

    kind: str  # question | group | document
    key: str  # the question id or the document code
    question: Question | None = None
    document: DocumentSpec | None = None


def steps(form: FormDefinition, answers: Mapping[str, Any]) -> list[Step]:
    """The pages this applicant sees, in order, for their answers so far."""
    found = []
    for q in form.questions:
        if not holds(q.show_if, answers):
            continue
        kind = "group" if q.type == "group" else "document" if q.type == "file" else "question"
        found.append(Step(kind, q.id, question=q))
    for doc in form.documents:
        if holds(doc.show_if, answers):
            found.append(Step("document", doc.code, document=doc))
    return found


def file_spec(step: Step) -> tuple[list[str], int, int, bool]:
    """(types, max bytes, max files, required) of a document step."""
    if step.document is not None:
        d = step.document
        return list(d.types), int(d.max_mb * 1024 * 1024), d.max_items, d.required
    assert step.question is not None
    q = step.question
    return list(q.types), q.max_bytes, q.max_items or 3, q.required


def check_all(
    form: FormDefinition,
    answers: Mapping[str, Any],
    files: Mapping[str, int],
    *,
    today: date,
    country: str,
    lang: str,
) -> tuple[dict[str, Any], list[Problem]]:
    """The answers as they will be sent (hidden questions dropped, each answer read again)
    and every problem left: what is missing, what no longer holds (a date now out of
    range), a document not uploaded. ``files`` counts the uploads by step key."""
    clean: dict[str, Any] = {}
    problems: list[Problem] = []
    for step in steps(form, answers):
        if step.kind == "document":
            _, _, most, required = file_spec(step)
            count = files.get(step.key, 0)
            if required and count == 0:
                problems.append(Problem(step.key, N_("Upload the file.")))
            elif count > most:
                problems.append(
                    Problem(step.key, N_("Upload at most {count} files."), {"count": most})
                )
            continue
        q = step.question
        assert q is not None
        value = answers.get(q.id)
        if q.type == "group":
            items = value if isinstance(value, list) else []
            kept = []
            for i, raw in enumerate(items):
                item, found = read_item(
                    q,
                    raw if isinstance(raw, Mapping) else {},
                    clean,
                    today=today,
                    country=country,
                    lang=lang,
                    prefix=f"{q.id}[{i}].",
                )
                problems += found
                kept.append(item)
            low = q.min_items if q.min_items is not None else (1 if q.required else 0)
            if len(kept) < low:
                problems.append(Problem(q.id, N_("Add at least {count}."), {"count": low}))
            if q.max_items and len(kept) > q.max_items:
                problems.append(Problem(q.id, N_("Add at most {count}."), {"count": q.max_items}))
            if kept:
                clean[q.id] = kept
            continue
        try:
            value = read_answer(q, value, today=today, country=country)
        except Refused as exc:
            problems.append(problem(q.id, q, exc, lang))
            continue
        if value is None:
            if q.required:
                problems.append(Problem(q.id, missing_message(q)))
            continue
        clean[q.id] = value
    return clean, problems


# -- JSON Schema -----------------------------------------------------------------------------

FILE_SCHEMA = {
    "type": "object",
    "required": ["name", "content_type", "size", "sha256"],
    "properties": {
        "name": {"type": "string", "maxLength": 200},
        "content_type": {"type": "string"},
        "size": {"type": "integer", "minimum": 1},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    },
    "additionalProperties": False,
}


def _texts(texts: Mapping[Any, str], default: str) -> dict[str, Any]:
    return {"title": pick(texts, default, default), "x-civitas-texts": dict(texts)}


def _question_schema(q: Question, lang: str) -> dict[str, Any]:
    schema: dict[str, Any] = _texts(q.label, lang)
    if q.hint:
        schema["description"] = pick(q.hint, lang, lang)
    kind = q.type
    if kind == "text":
        schema |= {"type": "string", "maxLength": q.text_limit}
        if q.min_length:
            schema["minLength"] = q.min_length
        if q.pattern:
            schema["pattern"] = f"^(?:{q.pattern})$"
    elif kind == "number":
        schema["type"] = "integer" if q.integer else "number"
        if isinstance(q.min, int | float):
            schema["minimum"] = q.min
        if isinstance(q.max, int | float):
            schema["maximum"] = q.max
    elif kind == "date":
        schema |= {"type": "string", "format": "date"}
        bounds = {k: v for k, v in (("min", q.min), ("max", q.max)) if v is not None}
        if bounds:
            schema["x-civitas-date-bounds"] = bounds  # relative to the day it is filled in
    elif kind == "choice":
        schema |= {"type": "string", "enum": [o.value for o in q.options]}
        schema["x-civitas-options"] = {o.value: dict(o.label) for o in q.options}
    elif kind == "multichoice":
        schema |= {
            "type": "array",
            "items": {"type": "string", "enum": [o.value for o in q.options]},
            "uniqueItems": True,
            "minItems": max(q.min_items or 0, 1),
            "x-civitas-options": {o.value: dict(o.label) for o in q.options},
        }
        if q.max_items:
            schema["maxItems"] = q.max_items
    elif kind == "address":
        schema |= {
            "type": "object",
            "required": ["text"],
            "properties": {
                "text": {"type": "string", "minLength": 1, "maxLength": 300},
                "address_id": {"type": ["string", "null"]},
            },
            "additionalProperties": False,
        }
    elif kind == "iban":
        schema |= {"type": "string", "pattern": "^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$"}
    elif kind == "email":
        schema |= {"type": "string", "format": "email", "maxLength": 254}
    elif kind == "phone":
        schema |= {"type": "string", "pattern": r"^\+[1-9][0-9]{5,14}$"}
    elif kind == "yesno":
        schema["type"] = "boolean"
    elif kind == "declaration":
        schema |= {"type": "boolean", "const": True}
    elif kind == "file":
        schema |= {
            "type": "array",
            "items": FILE_SCHEMA | {"x-civitas-types": [CONTENT_TYPES[t] for t in q.types]},
            "minItems": 1,
            "maxItems": q.max_items or 3,
            "x-civitas-max-bytes": q.max_bytes,
        }
    elif kind == "group":
        schema |= {
            "type": "array",
            "items": _object_schema(q.questions, lang),
            "minItems": q.min_items if q.min_items is not None else (1 if q.required else 0),
        }
        if q.max_items:
            schema["maxItems"] = q.max_items
    return schema


def _condition_schema(condition: Condition) -> dict[str, Any]:
    if condition.all is not None:
        return {"allOf": [_condition_schema(c) for c in condition.all]}
    if condition.any is not None:
        return {"anyOf": [_condition_schema(c) for c in condition.any]}
    name = condition.question
    assert name is not None
    if condition.answered is not None:
        given = {"required": [name]}
        return given if condition.answered else {"not": given}
    if condition.not_equals is not None:
        return {"not": {"required": [name], "properties": {name: _holding(condition.not_equals)}}}
    wanted = [condition.equals] if condition.equals is not None else list(condition.one_of or [])
    return {"required": [name], "properties": {name: {"anyOf": [_holding(w) for w in wanted]}}}


def _holding(value: Any) -> dict[str, Any]:
    """A value, or a list (a multiple choice) that contains it."""
    return {"anyOf": [{"const": value}, {"type": "array", "contains": {"const": value}}]}


def _object_schema(questions: list[Question], lang: str) -> dict[str, Any]:
    properties = {q.id: _question_schema(q, lang) for q in questions}
    required = [q.id for q in questions if q.required and q.show_if is None]
    rules = []
    for q in questions:
        if q.show_if is None:
            continue
        shown = _condition_schema(q.show_if)
        then: dict[str, Any] = {"required": [q.id]} if q.required else {}
        rules.append({"if": shown, "then": then, "else": {"not": {"required": [q.id]}}})
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    if rules:
        schema["allOf"] = rules
    return schema


def json_schema(
    form: FormDefinition,
    *,
    url: str,
    title: Mapping[Any, str],
    version: int,
    lang: str,
    document_names: Mapping[str, Mapping[Any, str]] | None = None,
) -> dict[str, Any]:
    """The JSON Schema (2020-12) of an application's answers to this version of the form;
    documents are properties too (lists of files), texts in every language the form has."""
    names = document_names or {}
    file_questions = [
        Question.model_construct(
            id=d.code,
            type="file",
            label=dict(d.name or names.get(d.code) or {"en": d.code}),
            hint=dict(d.hint),
            required=d.required,
            types=list(d.types),
            max_mb=d.max_mb,
            max_items=d.max_items,
            show_if=d.show_if,
        )
        for d in form.documents
    ]
    schema = _object_schema([*form.questions, *file_questions], lang)
    head: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url,
        **_texts(form.title or title, lang),
    }
    if form.intro:
        head["description"] = pick(form.intro, lang, lang)
    return head | {"x-civitas-version": version} | schema
