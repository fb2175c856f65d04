"""A service's application form, as the city writes it (YAML) and as it is stored (JSON).

A form is a list of questions, each of one type (text, number, date, choice, multiple
choice, address, IBAN, e-mail, phone, yes/no, declaration, file, or a repeating group of
questions), with its texts in es/de/en, its validations, an optional condition on earlier
answers (``show_if``) and an optional value read from the register (``prefill``); then the
documents the office needs, with their file types and sizes. The fee and the legal basis
come from the catalogue entry of the service; a form may name its own legal basis and the
right to object that the decision notice states.

Everything is checked when the form is saved: the shape here (pydantic), the cross-checks
in :func:`cross_check` (unique ids, conditions only on earlier questions and on values the
question can take, bounds in order, patterns that compile), each problem with its line.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StringConstraints, model_validator

from civitas.core.i18n import N_
from civitas.core.types import I18nShortText, OptionalI18nText, invalid

QuestionId = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$"
    ),
]
DocumentCode = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_-]*$"
    ),
]
OptionValue = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
    ),
]
QuestionType = Literal[
    "text",
    "number",
    "date",
    "choice",
    "multichoice",
    "address",
    "iban",
    "email",
    "phone",
    "yesno",
    "declaration",
    "file",
    "group",
]
FileType = Literal["pdf", "jpeg", "png"]
ALL_TYPES: tuple[FileType, ...] = ("pdf", "jpeg", "png")
Prefill = Literal[
    "person.given_names",
    "person.family_name",
    "person.birth_date",
    "person.email",
    "person.phone",
    "person.address",
    "household",
]
# which question types each register value can fill
PREFILL_TYPES: dict[str, set[str]] = {
    "person.given_names": {"text"},
    "person.family_name": {"text"},
    "person.birth_date": {"date"},
    "person.email": {"email", "text"},
    "person.phone": {"phone", "text"},
    "person.address": {"address", "text"},
    "household": {"group"},
}
# what of the register each prefill reads (the access log names these parts)
PREFILL_PARTS = {
    "person.given_names": "identity",
    "person.family_name": "identity",
    "person.birth_date": "identity",
    "person.email": "contact",
    "person.phone": "contact",
    "person.address": "address",
    "household": "household",
}
# a household group's questions the register can fill
HOUSEHOLD_FIELDS = {"given_names": "text", "family_name": "text", "birth_date": "date"}

MAX_QUESTIONS = 200
MAX_FILE_MB = 20
TEXT_MAX = 200
MULTILINE_MAX = 4000
_RELATIVE = re.compile(r"^(today|[+-]\d{1,4}[dmy])$")


class Option(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: OptionValue
    label: I18nShortText


class Condition(BaseModel):
    """Shown only when an earlier answer is (or is not) a value, one of values, or given;
    ``all``/``any`` combine conditions."""

    model_config = ConfigDict(extra="forbid")

    question: QuestionId | None = None
    equals: str | int | float | bool | None = None
    not_equals: str | int | float | bool | None = None
    one_of: list[str | int | float | bool] | None = None
    answered: bool | None = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        tests = [
            n
            for n in ("equals", "not_equals", "one_of", "answered")
            if getattr(self, n) is not None
        ]
        groups = [n for n in ("all", "any") if getattr(self, n) is not None]
        if groups:
            if self.question is not None or tests or len(groups) > 1:
                raise invalid(
                    "Give either all or any, with a list of conditions, and nothing else."
                )
            if not (self.all or self.any):
                raise invalid("Give at least one condition in the list.")
            return self
        if self.question is None or len(tests) != 1:
            raise invalid(
                "Give question and one test: equals, not_equals, one_of or answered "
                "(e.g. question: moving_with_others, equals: true)."
            )
        return self

    def questions(self) -> list[str]:
        if self.question is not None:
            return [self.question]
        return [q for c in (self.all or self.any or []) for q in c.questions()]


Bound = Annotated[float | str, Field(union_mode="left_to_right")]


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: QuestionId
    type: QuestionType
    label: I18nShortText
    hint: OptionalI18nText = Field(default_factory=dict)
    required: bool = True
    show_if: Condition | None = None
    prefill: Prefill | None = None
    # text
    multiline: bool = False
    min_length: int | None = Field(default=None, ge=0, le=MULTILINE_MAX)
    max_length: int | None = Field(default=None, ge=1, le=MULTILINE_MAX)
    pattern: str | None = Field(default=None, max_length=200)
    pattern_message: OptionalI18nText = Field(default_factory=dict)
    # number (a number) and date (an ISO date, today, or today ± days, months, years: -18y)
    min: Bound | None = None
    max: Bound | None = None
    integer: bool = False
    # choice and multichoice
    options: list[Option] = Field(default_factory=list, max_length=100)
    # multichoice, file and group: how many
    min_items: int | None = Field(default=None, ge=0, le=100)
    max_items: int | None = Field(default=None, ge=1, le=100)
    # file
    types: list[FileType] = Field(default_factory=lambda: list(ALL_TYPES), min_length=1)
    max_mb: float = Field(default=5, gt=0, le=MAX_FILE_MB)
    # group: the questions asked for each item (e.g. each person moving in)
    questions: list[Question] = Field(default_factory=list, max_length=30)
    item_label: OptionalI18nText = Field(default_factory=dict)

    @property
    def text_limit(self) -> int:
        return self.max_length or (MULTILINE_MAX if self.multiline else TEXT_MAX)

    @property
    def max_bytes(self) -> int:
        return int(self.max_mb * 1024 * 1024)


class DocumentSpec(BaseModel):
    """A document the office needs: asked for on a page of its own, after the questions."""

    model_config = ConfigDict(extra="forbid")

    code: DocumentCode  # the catalogue's code of the document, where it has one
    name: OptionalI18nText = Field(default_factory=dict)  # else the catalogue's name
    hint: OptionalI18nText = Field(default_factory=dict)
    required: bool = True
    types: list[FileType] = Field(default_factory=lambda: list(ALL_TYPES), min_length=1)
    max_mb: float = Field(default=5, gt=0, le=MAX_FILE_MB)
    max_items: int = Field(default=3, ge=1, le=10)
    show_if: Condition | None = None


class LegalBasis(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: I18nShortText
    url: HttpUrl


class FormDefinition(BaseModel):
    """The whole form (what the YAML holds)."""

    model_config = ConfigDict(extra="forbid")

    title: OptionalI18nText = Field(default_factory=dict)  # else the service's name
    intro: OptionalI18nText = Field(default_factory=dict)
    questions: list[Question] = Field(min_length=1, max_length=MAX_QUESTIONS)
    documents: list[DocumentSpec] = Field(default_factory=list, max_length=20)
    # the fee: the catalogue's fees of the service ("catalogue"), or none at all
    fee: Literal["catalogue", "none"] = "catalogue"
    legal_basis: list[LegalBasis] | None = None  # else the catalogue's
    objection: OptionalI18nText = Field(default_factory=dict)  # else the standard text
    # what the decision notice says when the application is granted (e.g. the certificate)
    approval_text: OptionalI18nText = Field(default_factory=dict)
    # the applicant comes to an office once (to sign, to show an original): the
    # application's page then offers an appointment (where a domain offers them)
    in_person: bool = False


# -- cross-checks ----------------------------------------------------------------------------

Loc = tuple[str | int, ...]


def relative_date(bound: float | str, today: date) -> date | None:
    """A date bound as a date: "2026-01-01", "today", "+14d", "-18y", "+6m"."""
    if not isinstance(bound, str):
        return None
    text = bound.strip()
    if text == "today":
        return today
    if _RELATIVE.match(text):
        amount, unit = int(text[:-1]), text[-1]
        if unit == "d":
            return today + timedelta(days=amount)
        months = amount * (12 if unit == "y" else 1)
        year, month = divmod(today.month - 1 + months, 12)
        year += today.year
        month += 1
        day = min(today.day, 28 if month == 2 else 30 if month in (4, 6, 9, 11) else 31)
        try:
            return date(year, month, day)
        except ValueError:
            return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _option_values(question: Question) -> set[str]:
    return {o.value for o in question.options}


def _check_condition_values(
    condition: Condition,
    known: dict[str, Question],
    loc: Loc,
    out: list[tuple[Loc, str, dict[str, Any]]],
) -> None:
    for part in condition.all or condition.any or []:
        _check_condition_values(part, known, loc, out)
    if condition.question is None:
        return
    target = known.get(condition.question)
    if target is None:
        out.append(
            (
                loc,
                N_(
                    "The condition names '{question}', which is not a question asked "
                    "before this one."
                ),
                {"question": condition.question},
            )
        )
        return
    values = [v for v in (condition.equals, condition.not_equals) if v is not None]
    values += list(condition.one_of or [])
    for value in values:
        if target.type in ("choice", "multichoice") and str(value) not in _option_values(target):
            out.append(
                (
                    loc,
                    N_("'{value}' is not an option of '{question}'."),
                    {"value": value, "question": target.id},
                )
            )
        elif target.type in ("yesno", "declaration") and not isinstance(value, bool):
            out.append(
                (
                    loc,
                    N_("'{question}' is answered yes or no: compare it with true or false."),
                    {"question": target.id},
                )
            )
        elif target.type in ("file", "group", "address"):
            out.append(
                (
                    loc,
                    N_("'{question}' can only be tested with answered: true or false."),
                    {"question": target.id},
                )
            )


def _check_question(
    q: Question, loc: Loc, known: dict[str, Question], out: list[tuple[Loc, str, dict[str, Any]]]
) -> None:
    if q.show_if is not None:
        _check_condition_values(q.show_if, known, (*loc, "show_if"), out)
    if q.type in ("choice", "multichoice"):
        if not q.options:
            out.append(((*loc, "options"), N_("A choice needs options (value and label)."), {}))
        seen: set[str] = set()
        for i, option in enumerate(q.options):
            if option.value in seen:
                out.append(
                    (
                        (*loc, "options", i, "value"),
                        N_("The option '{value}' is given twice."),
                        {"value": option.value},
                    )
                )
            seen.add(option.value)
    elif q.options:
        out.append(
            ((*loc, "options"), N_("Only choice and multichoice questions have options."), {})
        )
    if q.type == "group":
        if not q.questions:
            out.append(((*loc, "questions"), N_("A group needs questions for each item."), {}))
        for i, sub in enumerate(q.questions):
            if sub.type in ("group", "file"):
                out.append(
                    (
                        (*loc, "questions", i, "type"),
                        N_("A group cannot hold another group or a file."),
                        {},
                    )
                )
    elif q.questions:
        out.append(((*loc, "questions"), N_("Only a group has questions of its own."), {}))
    if q.type == "number":
        for name in ("min", "max"):
            if isinstance(getattr(q, name), str):
                out.append(((*loc, name), N_("Give a number."), {}))
        if isinstance(q.min, float | int) and isinstance(q.max, float | int) and q.min > q.max:
            out.append(((*loc, "min"), N_("min is larger than max."), {}))
    elif q.type == "date":
        today = date(2000, 6, 15)  # any day: only the form of the bound is checked
        bounds = {}
        for name in ("min", "max"):
            bound = getattr(q, name)
            if bound is None:
                continue
            parsed = relative_date(bound, today) if isinstance(bound, str) else None
            if parsed is None:
                out.append(
                    (
                        (*loc, name),
                        N_(
                            "Give a date (2026-01-31), today, or today plus or minus "
                            "days, months or years (+14d, -18y)."
                        ),
                        {},
                    )
                )
            else:
                bounds[name] = parsed
        if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
            out.append(((*loc, "min"), N_("min is later than max."), {}))
    elif q.min is not None or q.max is not None:
        out.append(((*loc, "min"), N_("Only number and date questions have min and max."), {}))
    if q.min_length is not None and q.max_length is not None and q.min_length > q.max_length:
        out.append(((*loc, "min_length"), N_("min_length is larger than max_length."), {}))
    if q.min_items is not None and q.max_items is not None and q.min_items > q.max_items:
        out.append(((*loc, "min_items"), N_("min_items is larger than max_items."), {}))
    if q.pattern is not None:
        if q.type != "text":
            out.append(((*loc, "pattern"), N_("Only text questions have a pattern."), {}))
        try:
            re.compile(q.pattern)
        except re.error as exc:
            out.append(
                (
                    (*loc, "pattern"),
                    N_("The pattern is not a regular expression: {error}."),
                    {"error": str(exc)},
                )
            )
    if q.prefill is not None and q.type not in PREFILL_TYPES[q.prefill]:
        out.append(
            (
                (*loc, "prefill"),
                N_("{prefill} cannot fill a {type} question."),
                {"prefill": q.prefill, "type": q.type},
            )
        )
    if q.prefill == "household":
        unknown = [
            s.id
            for s in q.questions
            if s.id in HOUSEHOLD_FIELDS and s.type != HOUSEHOLD_FIELDS[s.id]
        ]
        for name in unknown:
            out.append(
                (
                    (*loc, "questions"),
                    N_("'{question}' of a household group must be a {type} question."),
                    {"question": name, "type": HOUSEHOLD_FIELDS[name]},
                )
            )
    if q.type == "declaration" and not q.required:
        out.append(((*loc, "required"), N_("A declaration is always required."), {}))


def cross_check(form: FormDefinition) -> list[tuple[Loc, str, dict[str, Any]]]:
    """What the shape alone cannot see, as (path, message, params)."""
    out: list[tuple[Loc, str, dict[str, Any]]] = []
    known: dict[str, Question] = {}
    for i, q in enumerate(form.questions):
        loc: Loc = ("questions", i)
        if q.id in known:
            out.append(((*loc, "id"), N_("The id '{id}' is used twice."), {"id": q.id}))
        _check_question(q, loc, known, out)
        if q.type == "group":
            inner = dict(known)
            for j, sub in enumerate(q.questions):
                sub_loc: Loc = (*loc, "questions", j)
                if sub.id in inner and sub.id not in known:
                    out.append(
                        ((*sub_loc, "id"), N_("The id '{id}' is used twice."), {"id": sub.id})
                    )
                _check_question(sub, sub_loc, inner, out)
                inner[sub.id] = sub
        known[q.id] = q
    codes: set[str] = set()
    for i, doc in enumerate(form.documents):
        loc = ("documents", i)
        if doc.code in codes or doc.code in known:
            out.append(((*loc, "code"), N_("The id '{id}' is used twice."), {"id": doc.code}))
        codes.add(doc.code)
        if doc.show_if is not None:
            _check_condition_values(doc.show_if, known, (*loc, "show_if"), out)
    return out
