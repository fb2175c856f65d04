"""The form language and the answers, without a database: every question type reads what a
browser or a JSON client sends and refuses what is wrong with a sentence; the cross-checks
name each problem with its line; an answer the reader accepts is valid against the form's
JSON Schema, and one it refuses is not."""

from __future__ import annotations

from datetime import date
from typing import Any

import jsonschema
import pytest

from civitas.applications.answers import Refused, check_all, json_schema, read_answer, steps
from civitas.applications.definition import FormDefinition, Question
from civitas.applications.forms import read_source
from civitas.core.errors import InvalidInput

TODAY = date(2026, 12, 4)
EVERY_TYPE = """
questions:
  - {id: name, type: text, max_length: 20, label: {en: Name}}
  - {id: code, type: text, pattern: "[A-Z]{3}", label: {en: Code}}
  - {id: count, type: number, integer: true, min: 1, max: 5, label: {en: How many}}
  - {id: share, type: number, min: 0, max: 1, label: {en: Share}}
  - {id: born, type: date, min: -120y, max: today, label: {en: Born}}
  - id: colour
    type: choice
    label: {en: Colour}
    options: [{value: red, label: {en: Red}}, {value: blue, label: {en: Blue}}]
  - id: tags
    type: multichoice
    max_items: 2
    label: {en: Tags}
    options: [{value: a, label: {en: A}}, {value: b, label: {en: B}}, {value: c, label: {en: C}}]
  - {id: home, type: address, label: {en: Home}}
  - {id: iban, type: iban, label: {en: IBAN}}
  - {id: mail, type: email, label: {en: Mail}}
  - {id: phone, type: phone, label: {en: Phone}}
  - {id: pets, type: yesno, label: {en: "Pets"}}
  - {id: pet_name, type: text, show_if: {question: pets, equals: true}, label: {en: Pet}}
  - {id: ok, type: declaration, label: {en: I confirm}}
"""


def q(form: FormDefinition, qid: str) -> Question:
    return next(x for x in form.questions if x.id == qid)


@pytest.fixture(scope="module")
def form() -> FormDefinition:
    return read_source(EVERY_TYPE)


GOOD: list[tuple[str, Any, Any]] = [
    ("name", "  Ana ", "Ana"),
    ("code", "ABC", "ABC"),
    ("count", "3", 3),
    ("share", "0,25", 0.25),  # a decimal comma
    ("born", "1990-05-01", "1990-05-01"),
    ("born", "1.5.1990", "1990-05-01"),
    ("colour", "blue", "blue"),
    ("tags", ["a", "c", "a"], ["a", "c"]),
    ("home", "Hauptstraße 3", {"text": "Hauptstraße 3", "address_id": None}),
    ("iban", "de89 3704 0044 0532 0130 00", "DE89370400440532013000"),
    ("mail", "Ana@Example.org", "ana@example.org"),
    ("phone", "0151 23456789", "+4915123456789"),
    ("pets", "no", False),
    ("ok", "yes", True),
]
BAD: list[tuple[str, Any, str]] = [
    ("name", "x" * 21, "Use at most {max} characters."),
    ("code", "abc", "The answer does not have the expected form."),
    ("count", "2.5", "Enter a whole number."),
    ("count", "9", "Enter a number of at most {max}."),
    ("share", "lots", "Enter a number, like 12 or 12.5."),
    ("share", "nan", "Enter a number, like 12 or 12.5."),
    ("born", "2030-01-01", "The date must be on or before {date}."),
    ("born", "1800-01-01", "The date must be on or after {date}."),
    ("born", "31.02.2020", "Enter a real date, like 27 3 2026 (day, month, year)."),
    ("colour", "green", "Choose one of the options."),
    ("tags", ["a", "b", "c"], "Choose at most {count} options."),
    (
        "iban",
        "DE89 3704 0044 0532 0130 01",
        "Enter a valid IBAN, like DE89 3704 0044 0532 0130 00; check the digits.",
    ),
    ("mail", "ana@", "Enter an e-mail address like name@example.org."),
    ("phone", "12", "Enter a phone number, like {example}."),
    ("pets", "maybe", "Choose yes or no."),
]


@pytest.mark.parametrize(
    ("qid", "raw", "stored"), GOOD, ids=[f"{g[0]}-{i}" for i, g in enumerate(GOOD)]
)
def test_each_type_reads_its_answers(form: FormDefinition, qid: str, raw: Any, stored: Any) -> None:
    assert read_answer(q(form, qid), raw, today=TODAY, country="DE") == stored


@pytest.mark.parametrize(
    ("qid", "raw", "message"), BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)]
)
def test_each_type_refuses_with_a_sentence(
    form: FormDefinition, qid: str, raw: Any, message: str
) -> None:
    with pytest.raises(Refused) as refused:
        read_answer(q(form, qid), raw, today=TODAY, country="DE")
    assert refused.value.message == message


def test_a_condition_opens_and_closes_a_question(form: FormDefinition) -> None:
    keys = [s.key for s in steps(form, {"pets": False})]
    assert "pet_name" not in keys
    assert "pet_name" in [s.key for s in steps(form, {"pets": True})]
    answers = {v[0]: v[2] for v in GOOD}
    answers["pet_name"] = "Bello"  # answered while pets was yes, then pets became no
    clean, problems = check_all(form, answers, {}, today=TODAY, country="DE", lang="en")
    assert problems == []
    assert "pet_name" not in clean
    _, missing = check_all(
        form, {**answers, "pets": True, "pet_name": ""}, {}, today=TODAY, country="DE", lang="en"
    )
    assert [p.location for p in missing] == ["pet_name"]


def test_what_the_reader_accepts_the_json_schema_accepts(form: FormDefinition) -> None:
    schema = json_schema(
        form, url="https://x.example/s.json", title={"en": "T"}, version=1, lang="en"
    )
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    answers = {}
    for qid, _, stored in GOOD:
        answers[qid] = stored
    clean, problems = check_all(form, answers, {}, today=TODAY, country="DE", lang="en")
    assert problems == []
    assert list(validator.iter_errors(clean)) == []
    for qid, raw, _ in BAD:
        if qid in ("born", "phone", "mail", "iban"):
            # the schema gives the form (a date, E.164, an e-mail, an IBAN's shape); bounds
            # relative to the day and checksums are the reader's
            continue
        broken = {**clean, qid: raw}
        assert list(validator.iter_errors(broken)), (qid, raw)
    assert list(validator.iter_errors({k: v for k, v in clean.items() if k != "ok"}))  # required
    assert list(validator.iter_errors({**clean, "pets": True}))  # pet_name needed then


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            "questions:\n  - {id: a, type: text, label: {en: A}}\n"
            "  - {id: a, type: text, label: {en: B}}\n",
            "line 3",
            "The id '{id}' is used twice.",
        ),
        (
            "questions:\n"
            "  - {id: a, type: text, show_if: {question: b, equals: x}, label: {en: A}}\n"
            "  - {id: b, type: text, label: {en: B}}\n",
            "line 2",
            "The condition names '{question}', which is not a question asked before this one.",
        ),
        (
            "questions:\n"
            "  - {id: c, type: choice, label: {en: C}, options: [{value: x, label: {en: X}}]}\n"
            "  - {id: d, type: text, show_if: {question: c, equals: y}, label: {en: D}}\n",
            "line 3",
            "'{value}' is not an option of '{question}'.",
        ),
        (
            "questions:\n  - {id: e, type: date, min: tomorrow, label: {en: E}}\n",
            "line 2",
            "Give a date (2026-01-31), today, or today plus or minus days, months or years "
            "(+14d, -18y).",
        ),
        (
            "questions:\n  - {id: f, type: text, pattern: '[a-', label: {en: F}}\n",
            "line 2",
            "The pattern is not a regular expression: {error}.",
        ),
        (
            "questions:\n  - {id: g, type: date, prefill: person.given_names, label: {en: G}}\n",
            "line 2",
            "{prefill} cannot fill a {type} question.",
        ),
        (
            "questions:\n  - {id: h, type: colour, label: {en: H}}\n",
            "line 2",
            "Choose one of: {expected}.",
        ),
    ],
)
def test_a_form_is_refused_with_each_problem_on_its_line(
    text: str, where: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        read_source(text)
    found = refused.value.problems[0]
    assert found.location.startswith(where), found.location
    assert found.message == message


def test_every_demo_form_is_valid() -> None:
    from tests.applications.helpers import FORMS

    for path in sorted(FORMS.glob("*.yaml")):
        form = read_source(path.read_text(encoding="utf-8"))
        assert form.questions, path.name
        assert all(
            "en" in x.label and "es" in x.label and "de" in x.label for x in form.questions
        ), path.name
