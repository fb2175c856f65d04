"""Files people write (YAML catalogues, rule files): parse them keeping each value's line,
so that every problem can name the line to fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from civitas.core.errors import InvalidInput, Problem
from civitas.core.validation import location, template_for

Path = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


@dataclass
class Parsed:
    data: dict[str, Any]
    lines: dict[Path, int] = field(default_factory=dict)


def _index_lines(node: yaml.Node, path: Path, out: dict[Path, int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _index_lines(value, (*path, str(key.value)), out)
            out[(*path, str(key.value))] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, (*path, i), out)


def line_for(lines: dict[Path, int], loc: Path) -> int | None:
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in lines:
            return lines[loc[:cut]]
    return None


def parse_yaml(text: str, *, expected: str) -> Parsed:
    """A YAML mapping with a line index; ``expected`` says what the top level should hold."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        raise InvalidInput(
            "The file is not valid YAML.",
            problems=[
                Problem(
                    f"line {line}",
                    "YAML syntax error: {error}",
                    {"error": str(getattr(exc, "problem", exc))},
                )
            ],
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput("The file is not valid YAML.", problems=[Problem("line 1", expected)])
    lines: dict[Path, int] = {}
    if node is not None:
        _index_lines(node, (), lines)
    return Parsed(data=data, lines=lines)


def located(parsed: Parsed, loc: Path, message: str, **params: Any) -> Problem:
    """A problem at a path of the document, with its line when known."""
    line = line_for(parsed.lines, loc)
    where = f"line {line}: {location(loc)}" if line else location(loc)
    return Problem(where, message, params)


def validation_problems(parsed: Parsed, exc: ValidationError) -> list[Problem]:
    """Pydantic's errors as problems with lines."""
    problems = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        template, params = template_for(err)
        problems.append(located(parsed, loc, template, **params))
    return problems


def model_of(parsed: Parsed, model: type[M], refused: str) -> M:
    """The document as ``model``, or InvalidInput with every problem of form and its line;
    ``refused`` is the headline, with ``{count}`` (e.g. "…; nothing was saved.")."""
    try:
        return model.model_validate(parsed.data)
    except ValidationError as exc:
        problems = validation_problems(parsed, exc)
        raise InvalidInput(refused, problems=problems, count=len(problems)) from None
