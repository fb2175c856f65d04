"""Rules and their dated parameters: checked when saved, versioned, compiled once.

A rule is checked against the register's fields and the city's parameters when it is saved:
an unknown name, a type error or a syntax error comes back with the line and column. Saving
a changed rule makes a new version; decisions cite the version they were made under.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
import yaml
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit
from civitas.core.documents import located, model_of, parse_yaml
from civitas.core.errors import InvalidInput, NotFound, Problem
from civitas.core.i18n import N_, NP_
from civitas.core.sequences import current_value, next_value
from civitas.proactive.expressions import Expression, Type, Value, literal_type, parse
from civitas.proactive.features import FIELDS
from civitas.proactive.models import Parameter, Rule, RuleVersion
from civitas.proactive.schemas import ParameterIn, RuleFile, RuleIn

PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_.]*)\}")


@dataclass(frozen=True)
class ParamValue:
    name: str
    value: Value
    valid_from: date
    reference: str
    url: str | None
    label: dict[str, str]


@dataclass(frozen=True)
class CompiledRule:
    rule_id: int
    version_id: int
    version: int
    data: RuleIn
    eligible: Expression
    review: Expression | None
    amount: Expression | None

    @property
    def code(self) -> str:
        return self.data.code

    def parameters(self) -> set[str]:
        names = self.eligible.parameters()
        for expr in (self.review, self.amount):
            if expr is not None:
                names |= expr.parameters()
        return names

    def fields(self) -> set[str]:
        names = self.eligible.fields()
        for expr in (self.review, self.amount):
            if expr is not None:
                names |= expr.fields()
        return names


def type_of(value: object) -> Type:
    """A parameter's type in the rule language (anything else counts as text)."""
    return literal_type(value) or "text"


def check_expressions(
    data: RuleIn, params: dict[str, Type], where: str = ""
) -> tuple[Expression, Expression | None, Expression | None]:
    problems: list[Problem] = []
    found: dict[str, Expression | None] = {"eligible": None, "review": None, "amount": None}
    checks: tuple[tuple[str, tuple[Type, ...]], ...] = (
        ("eligible", ("bool",)),
        ("review", ("bool",)),
        ("amount", ("int",)),
    )
    for key, expect in checks:
        source = getattr(data, key)
        if source is None or (key != "eligible" and not source.strip()):
            continue
        try:
            found[key] = parse(
                source, fields=FIELDS, parameters=params, expect=expect, where=f"{where}{key}"
            )
        except InvalidInput as exc:
            problems += exc.problems
    names = set(FIELDS) | set(params)
    for lang, text in data.reason.items():
        for name in PLACEHOLDER.findall(text):
            if name not in names:
                problems.append(
                    Problem(
                        f"{where}reason.{lang}",
                        N_("Unknown name «{name}» in braces: use a field or a parameter."),
                        {"name": name},
                    )
                )
    if data.needs_iban and data.mode != "offer":
        problems.append(
            Problem(
                f"{where}needs_iban",
                N_(
                    "Only an offer asks the resident for an IBAN; an automatic payment uses the "
                    "account the register knows."
                ),
            )
        )
    if data.mode == "automatic" and data.payment == "from_resident":
        problems.append(
            Problem(
                f"{where}payment",
                N_(
                    "A fee is never collected automatically: make the rule an offer the resident "
                    "accepts."
                ),
            )
        )
    if data.needs_iban and data.amount is None:
        problems.append(
            Problem(f"{where}needs_iban", N_("An IBAN is only needed when the rule has an amount."))
        )
    if problems:
        raise InvalidInput(
            NP_("The rule has {count} problem.", "The rule has {count} problems."),
            problems=problems,
            count=len(problems),
        )
    eligible = found["eligible"]
    assert eligible is not None
    return eligible, found["review"], found["amount"]


def parameter_types(db: Session, city: City) -> dict[str, Type]:
    enter_city(db, city)
    return {
        name: type_of(value)
        for name, value in db.execute(select(Parameter.name, Parameter.value)).all()
    }


GENERATION = "proactive-rules"  # a per-city counter, advanced by every saved change


@dataclass(frozen=True)
class RuleSet:
    """A city's active rules, compiled, and all its parameter values: read once per change
    of rules or parameters (the event path asks for it on every life event)."""

    rules: tuple[CompiledRule, ...]
    parameters: tuple[ParamValue, ...]  # every dated value, oldest first

    def parameters_on(self, on: date) -> dict[str, ParamValue]:
        """Each parameter's value on a date (the one with the latest start not after it)."""
        out: dict[str, ParamValue] = {}
        for value in self.parameters:
            if value.valid_from <= on:
                out[value.name] = value
        return out


_rulesets: dict[tuple[int, Any, int], RuleSet] = {}


def _current_versions() -> Select[Rule, RuleVersion]:
    """Each rule with its current version."""
    return select(Rule, RuleVersion).join(
        RuleVersion, (RuleVersion.rule_id == Rule.id) & (RuleVersion.version == Rule.version)
    )


def _load_ruleset(db: Session) -> RuleSet:
    values = tuple(
        ParamValue(row.name, row.value, row.valid_from, row.reference, row.url, row.label)
        for row in db.scalars(select(Parameter).order_by(Parameter.valid_from, Parameter.id))
    )
    types = frozenset((p.name, type_of(p.value)) for p in values)
    stmt = _current_versions().where(Rule.active.is_(True)).order_by(Rule.code)
    rules = tuple(
        _compiled(v.id, r.id, v.version, orjson.dumps(v.definition).decode(), types)
        for r, v in db.execute(stmt).all()
    )
    return RuleSet(rules, values)


def ruleset(db: Session, city: City) -> RuleSet:
    """The city's rule set, from the process cache unless a change was committed since."""
    enter_city(db, city)
    # the creation time tells a city from an earlier one that had the same id
    key = (city.id, city.created_at, current_value(db, GENERATION))
    found = _rulesets.get(key)
    if found is None:
        found = _load_ruleset(db)
        if len(_rulesets) > 256:
            _rulesets.clear()
        _rulesets[key] = found
    return found


def parameters_on(db: Session, city: City, on: date) -> dict[str, ParamValue]:
    """Each parameter's value on a date (the one with the latest start not after it)."""
    return ruleset(db, city).parameters_on(on)


@functools.lru_cache(maxsize=512)
def _compiled(
    version_id: int, rule_id: int, version: int, definition: str, params: frozenset[tuple[str, str]]
) -> CompiledRule:
    data = RuleIn.model_validate_json(definition)
    eligible, review, amount = check_expressions(data, dict(params))  # type: ignore[arg-type]
    return CompiledRule(rule_id, version_id, version, data, eligible, review, amount)


def active_rules(db: Session, city: City, *, codes: list[str] | None = None) -> list[CompiledRule]:
    """The active rules in their current versions, compiled (cached per version)."""
    rules = ruleset(db, city).rules
    return [r for r in rules if not codes or r.code in codes]


def get_rule(db: Session, city: City, code: str) -> tuple[Rule, RuleVersion]:
    enter_city(db, city)
    row = db.execute(_current_versions().where(Rule.code == code)).first()
    if row is None:
        raise NotFound("No proactive service '{code}' in this city.", code=code)
    return row[0], row[1]


def list_rules(db: Session, city: City) -> list[tuple[Rule, RuleVersion]]:
    enter_city(db, city)
    rows = db.execute(_current_versions().order_by(Rule.code)).all()
    return [(r, v) for r, v in rows]


def _save_parameters(db: Session, items: list[ParameterIn], actor: str) -> int:
    changed = 0
    for item in items:
        for entry in item.values:
            row = db.scalar(
                select(Parameter).where(
                    Parameter.name == item.name, Parameter.valid_from == entry.valid_from
                )
            )
            values = {
                "value": entry.value,
                "label": dict(item.label),
                "reference": item.reference,
                "url": item.url,
            }
            if row is None:
                db.add(Parameter(name=item.name, valid_from=entry.valid_from, **values))
            elif any(getattr(row, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(row, k, v)
            else:
                continue
            changed += 1
            next_value(db, GENERATION)
            audit.record(
                db,
                actor=actor,
                action="parameter.saved",
                entity_type="parameter",
                entity_id=f"{item.name}@{entry.valid_from}",
                changes={"value": entry.value},
            )
    return changed


def _save_rule(db: Session, data: RuleIn, actor: str) -> bool:
    definition = data.model_dump(mode="json")
    rule = db.scalar(select(Rule).where(Rule.code == data.code))
    if rule is None:
        rule = Rule(code=data.code, active=data.active, version=1)
        db.add(rule)
        db.flush()
        db.add(RuleVersion(rule_id=rule.id, version=1, definition=definition, created_by=actor))
        next_value(db, GENERATION)
        audit.record(
            db,
            actor=actor,
            action="rule.created",
            entity_type="rule",
            entity_id=data.code,
            changes={"version": 1},
        )
        return True
    current = db.scalar(
        select(RuleVersion).where(
            RuleVersion.rule_id == rule.id, RuleVersion.version == rule.version
        )
    )
    if current is not None and current.definition == definition:
        return False
    rule.version += 1
    rule.active = data.active
    db.add(
        RuleVersion(rule_id=rule.id, version=rule.version, definition=definition, created_by=actor)
    )
    next_value(db, GENERATION)
    audit.record(
        db,
        actor=actor,
        action="rule.changed",
        entity_type="rule",
        entity_id=data.code,
        changes={"version": rule.version},
    )
    return True


def _check_parameters(items: list[ParameterIn], located_at: Any) -> list[Problem]:
    problems = []
    for i, item in enumerate(items):
        types = {type_of(v.value) for v in item.values}
        if len(types) > 1 and not types <= {"int", "number"}:
            problems.append(
                located_at(
                    ("parameters", i, "values"),
                    N_("All values of parameter {name} must have one type."),
                    name=item.name,
                )
            )
        if item.name.split(".")[0] in FIELDS or item.name in FIELDS:
            problems.append(
                located_at(
                    ("parameters", i, "name"),
                    N_("{name} is the name of a register field; choose another."),
                    name=item.name,
                )
            )
        starts = [v.valid_from for v in item.values]
        if len(set(starts)) != len(starts):
            problems.append(
                located_at(
                    ("parameters", i, "values"),
                    N_("Parameter {name} has two values from the same date."),
                    name=item.name,
                )
            )
    return problems


def save_rule_file(db: Session, city: City, *, text: str, actor: str) -> dict[str, int]:
    """Check a whole YAML file of parameters and rules, then save it in one transaction."""
    enter_city(db, city)
    parsed = parse_yaml(text, expected=N_("Expected a mapping with 'parameters' and 'rules'."))
    document = model_of(
        parsed,
        RuleFile,
        NP_(
            "The rule file has {count} problem; nothing was saved.",
            "The rule file has {count} problems; nothing was saved.",
        ),
    )

    def at(loc: tuple[str | int, ...], message: str, **params: Any) -> Problem:
        return located(parsed, loc, message, **params)

    problems = _check_parameters(document.parameters, at)
    types = parameter_types(db, city)
    for item in document.parameters:
        types[item.name] = type_of(item.values[0].value)
    seen: set[str] = set()
    for i, rule in enumerate(document.rules):
        if rule.code in seen:
            problems.append(
                at(("rules", i, "code"), N_("The code '{code}' is used twice."), code=rule.code)
            )
        seen.add(rule.code)
        try:
            check_expressions(rule, types)
        except InvalidInput as exc:
            for p in exc.problems:
                key, _, position = p.location.partition(", ")
                found = at(("rules", i, key.split(".")[0]), p.message, **p.params)
                where = f"{found.location}, {position}" if position else found.location
                problems.append(Problem(where, p.message, p.params))
    if problems:
        raise InvalidInput(
            NP_(
                "The rule file has {count} problem; nothing was saved.",
                "The rule file has {count} problems; nothing was saved.",
            ),
            problems=problems,
            count=len(problems),
        )
    params = _save_parameters(db, document.parameters, actor)
    rules = sum(_save_rule(db, rule, actor) for rule in document.rules)
    return {"parameters": params, "rules": rules}


def save_rule(db: Session, city: City, *, data: RuleIn, actor: str) -> bool:
    """Check one rule and save it as a new version if it changed."""
    enter_city(db, city)
    check_expressions(data, parameter_types(db, city))
    return _save_rule(db, data, actor)


def check_rule(db: Session, city: City, data: RuleIn) -> CompiledRule:
    """Check a rule without saving it (the editor's "check" button)."""
    eligible, review, amount = check_expressions(data, parameter_types(db, city))
    return CompiledRule(0, 0, 0, data, eligible, review, amount)


def rule_file_yaml(db: Session, city: City) -> str:
    """The city's parameters and current rules as one YAML document (round-trips)."""
    enter_city(db, city)
    params: dict[str, dict[str, Any]] = {}
    for row in db.scalars(select(Parameter).order_by(Parameter.name, Parameter.valid_from)):
        entry = params.setdefault(
            row.name,
            {
                "name": row.name,
                "label": row.label,
                "reference": row.reference,
                "url": row.url,
                "values": [],
            },
        )
        entry["values"].append({"from": row.valid_from.isoformat(), "value": row.value})
    rules = [v.definition for _, v in list_rules(db, city)]
    return yaml.safe_dump(
        {"parameters": list(params.values()), "rules": rules}, allow_unicode=True, sort_keys=False
    )
