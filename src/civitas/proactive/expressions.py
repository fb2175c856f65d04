"""The rule language: small, safe expressions over register fields and dated parameters.

A rule's condition reads like a line of policy::

    18 <= age < 27 and student and months_in_city >= 3
    parking_zone in ["A", "B"] and known(parking_zone)
    household_income <= waste_fee.income_limit * household_size

It is parsed with Python's own parser and then checked against a whitelist: only literals,
field and parameter names, ``and``/``or``/``not``, comparisons (chained too), ``in`` with a
list of literals, ``+ - * /``, ``a if c else b`` and the functions ``known``, ``min`` and
``max``. No attribute access on objects, no calls of anything else, no loops, no lambdas:
a rule cannot run code. A name is a register field (``age``) or a dated parameter of the
city (``senior_pass.min_age``); every name is resolved and every operation type-checked
when the rule is saved, and a problem names the line and column.

One checked expression has two evaluators with one meaning:

* :meth:`Expression.evaluate` for one person (a dict of field values), in plain Python;
* :meth:`Expression.to_polars` for a whole population (a Polars frame, one row a person).

Missing data is ``None`` (null) in both, with the same three-valued logic as SQL:
a comparison with a missing value is missing; ``False and missing`` is ``False``,
``True or missing`` is ``True``; a condition that ends missing grants nothing. Division
by zero is missing. ``min``/``max`` skip missing values. ``a if c else b`` takes ``b``
when ``c`` is missing. ``tests/proactive/test_expressions.py`` checks the two evaluators
against each other on random inputs.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from civitas.core.errors import InvalidInput, Problem
from civitas.core.i18n import N_

Type = Literal["bool", "int", "number", "text"]
Value = bool | int | float | str | None

MAX_LENGTH = 2000
MAX_DEPTH = 40


@dataclass(frozen=True)
class Field:
    """A value the rules can read: a register field or a derived one."""

    name: str
    type: Type
    label: dict[str, str]
    nullable: bool = True


@dataclass(frozen=True)
class Node:
    """A checked expression node: its kind, its type, its children and its source span."""

    kind: str
    type: Type
    children: tuple[Node, ...] = ()
    value: Any = None  # literal value, name, operator or function name
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class Clause:
    """One part of a condition, as evaluated for one person (for the explanation)."""

    text: str
    result: Value
    values: dict[str, Value] = field(default_factory=dict)


class _RuleError(Exception):
    def __init__(self, node: ast.AST | None, message: str, **params: Any) -> None:
        super().__init__(message)
        self.node = node
        self.message = message
        self.params = params


_COMPARE = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}
_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_NUMERIC = ("int", "number")


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return None if head is None else f"{head}.{node.attr}"
    return None


def literal_type(value: object) -> Type | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "text"
    return None


def _comparable(a: Type, b: Type) -> bool:
    return a == b or (a in _NUMERIC and b in _NUMERIC)


class _Checker:
    def __init__(
        self, source: str, fields: Mapping[str, Field], parameters: Mapping[str, Type]
    ) -> None:
        self.source = source
        self.fields = fields
        self.parameters = parameters
        self.offsets = [0]
        for line in source.splitlines(keepends=True):
            self.offsets.append(self.offsets[-1] + len(line))

    def span(self, node: ast.AST) -> tuple[int, int]:
        # the source is parsed inside "(\n" … "\n)" so that it may span lines
        line = getattr(node, "lineno", 2) - 1
        col = getattr(node, "col_offset", 0)
        end_line = (getattr(node, "end_lineno", None) or line + 1) - 1
        end_col = getattr(node, "end_col_offset", col) or col
        # ast offsets count UTF-8 bytes; rules are short, so recount in characters
        start_text = self.source.splitlines(keepends=True)[line - 1] if self.source else ""
        end_text = self.source.splitlines(keepends=True)[end_line - 1] if self.source else ""
        start = self.offsets[line - 1] + len(start_text.encode()[:col].decode(errors="ignore"))
        end = self.offsets[end_line - 1] + len(end_text.encode()[:end_col].decode(errors="ignore"))
        return start, end

    def node(
        self,
        src: ast.AST,
        kind: str,
        type_: Type,
        children: tuple[Node, ...] = (),
        value: Any = None,
    ) -> Node:
        start, end = self.span(src)
        return Node(kind, type_, children, value, start, end)

    def check(self, src: ast.AST, depth: int = 0) -> Node:
        if depth > MAX_DEPTH:
            raise _RuleError(src, N_("The expression is nested too deeply; split it up."))
        if isinstance(src, ast.Constant):
            literal = literal_type(src.value)
            if literal is None:
                raise _RuleError(src, N_("{value} is not a value a rule can use."), value=src.value)
            return self.node(src, "literal", literal, value=src.value)
        if isinstance(src, ast.Name | ast.Attribute):
            name = _dotted(src)
            if name is None:
                raise _RuleError(src, N_("Only field and parameter names can be written here."))
            if name in self.fields:
                return self.node(src, "field", self.fields[name].type, value=name)
            if name in self.parameters:
                return self.node(src, "param", self.parameters[name], value=name)
            if name in ("true", "false"):
                return self.node(src, "literal", "bool", value=name == "true")
            raise _RuleError(
                src,
                N_("Unknown name «{name}»: use a register field or a parameter of the city."),
                name=name,
            )
        if isinstance(src, ast.BoolOp):
            op = "and" if isinstance(src.op, ast.And) else "or"
            kids = tuple(self.check(v, depth + 1) for v in src.values)
            for kid, v in zip(kids, src.values, strict=True):
                if kid.type != "bool":
                    raise _RuleError(
                        v,
                        N_("«{op}» needs yes/no values on both sides, not {type}."),
                        op=op,
                        type=kid.type,
                    )
            return self.node(src, op, "bool", kids)
        if isinstance(src, ast.UnaryOp):
            operand = self.check(src.operand, depth + 1)
            if isinstance(src.op, ast.Not):
                if operand.type != "bool":
                    raise _RuleError(
                        src, N_("«not» needs a yes/no value, not {type}."), type=operand.type
                    )
                return self.node(src, "not", "bool", (operand,))
            if isinstance(src.op, ast.USub | ast.UAdd):
                if operand.type not in _NUMERIC:
                    raise _RuleError(
                        src, N_("A sign needs a number, not {type}."), type=operand.type
                    )
                if isinstance(src.op, ast.UAdd):
                    return operand
                return self.node(src, "neg", operand.type, (operand,))
            raise _RuleError(src, N_("This operator is not part of the rule language."))
        if isinstance(src, ast.BinOp):
            arith = _ARITH.get(type(src.op))
            if arith is None:
                raise _RuleError(src, N_("Only + - * / are allowed for arithmetic."))
            op = arith
            left = self.check(src.left, depth + 1)
            right = self.check(src.right, depth + 1)
            for side, raw in ((left, src.left), (right, src.right)):
                if side.type not in _NUMERIC:
                    raise _RuleError(
                        raw, N_("«{op}» needs numbers, not {type}."), op=op, type=side.type
                    )
            type_: Type = "int" if op != "/" and left.type == right.type == "int" else "number"
            return self.node(src, "arith", type_, (left, right), op)
        if isinstance(src, ast.Compare):
            return self.compare(src, depth)
        if isinstance(src, ast.IfExp):
            cond = self.check(src.test, depth + 1)
            if cond.type != "bool":
                raise _RuleError(src.test, N_("The condition after «if» must be yes/no."))
            then = self.check(src.body, depth + 1)
            other = self.check(src.orelse, depth + 1)
            if not _comparable(then.type, other.type):
                raise _RuleError(
                    src,
                    N_("Both branches of «if … else» must have one type ({a}, {b})."),
                    a=then.type,
                    b=other.type,
                )
            type_ = then.type if then.type == other.type else "number"
            return self.node(src, "if", type_, (cond, then, other))
        if isinstance(src, ast.Call):
            return self.call(src, depth)
        if isinstance(src, ast.List | ast.Tuple | ast.Set):
            raise _RuleError(src, N_("A list can only follow «in» or «not in»."))
        raise _RuleError(src, N_("This is not part of the rule language."))

    def compare(self, src: ast.Compare, depth: int) -> Node:
        parts: list[Node] = []
        left = self.check(src.left, depth + 1)
        for op_ast, right_ast in zip(src.ops, src.comparators, strict=True):
            op = _COMPARE[type(op_ast)]
            if op in ("in", "not in"):
                if not isinstance(right_ast, ast.List | ast.Tuple | ast.Set) or not right_ast.elts:
                    raise _RuleError(
                        right_ast, N_('«{op}» needs a list of values, like ["A", "B"].'), op=op
                    )
                items = []
                for elt in right_ast.elts:
                    if not isinstance(elt, ast.Constant) or literal_type(elt.value) is None:
                        raise _RuleError(elt, N_("A list may hold only plain values."))
                    elt_type = literal_type(elt.value)
                    assert elt_type is not None
                    if not _comparable(left.type, elt_type):
                        raise _RuleError(
                            elt, N_("Cannot compare {a} with {b}."), a=left.type, b=elt_type
                        )
                    items.append(elt.value)
                right = self.node(right_ast, "list", left.type, value=tuple(items))
            else:
                right = self.check(right_ast, depth + 1)
                if not _comparable(left.type, right.type):
                    raise _RuleError(
                        right_ast, N_("Cannot compare {a} with {b}."), a=left.type, b=right.type
                    )
                if op not in ("==", "!=") and left.type == "bool":
                    raise _RuleError(src, N_("Yes/no values can only be compared with == or !=."))
            parts.append(Node("compare", "bool", (left, right), op, left.start, right.end))
            left = right
        if len(parts) == 1:
            return parts[0]
        return self.node(src, "and", "bool", tuple(parts))

    def call(self, src: ast.Call, depth: int) -> Node:
        name = src.func.id if isinstance(src.func, ast.Name) else None
        if src.keywords:
            raise _RuleError(src, N_("Functions take plain arguments, without names."))
        args = tuple(self.check(a, depth + 1) for a in src.args)
        if name == "known":
            if len(args) != 1:
                raise _RuleError(src, N_("known() takes one value, e.g. known(parking_zone)."))
            return self.node(src, "known", "bool", args)
        if name in ("min", "max"):
            if len(args) < 2:
                raise _RuleError(src, N_("{name}() takes two or more numbers."), name=name)
            for arg, raw in zip(args, src.args, strict=True):
                if arg.type not in _NUMERIC:
                    raise _RuleError(
                        raw, N_("{name}() takes numbers, not {type}."), name=name, type=arg.type
                    )
            type_: Type = "int" if all(a.type == "int" for a in args) else "number"
            return self.node(src, name, type_, args)
        raise _RuleError(
            src.func,
            N_("Unknown function «{name}»: the rule language has known(), min() and max()."),
            name=name or ast.unparse(src.func),
        )


@dataclass(frozen=True)
class Expression:
    """A parsed, checked expression, ready for either evaluator."""

    source: str
    root: Node

    @property
    def type(self) -> Type:
        return self.root.type

    def fields(self) -> set[str]:
        return _names_in(self.root, "field")

    def parameters(self) -> set[str]:
        return _names_in(self.root, "param")

    def text(self, node: Node) -> str:
        return self.source[node.start : node.end]

    # -- one person ----------------------------------------------------------------------

    def evaluate(self, values: Mapping[str, Value]) -> Value:
        """The value for one person; ``values`` holds every field and parameter used."""
        return _eval(self.root, values)

    def clauses(self, values: Mapping[str, Value]) -> list[Clause]:
        """The top-level parts of a condition (split at ``and``/``or``), each with its
        result and the values it read: what an explanation shows."""
        out = []
        for part in self._parts():
            used = sorted(_names_in(part))
            out.append(
                Clause(self.text(part), _eval(part, values), {n: values.get(n) for n in used})
            )
        return out

    # -- a population --------------------------------------------------------------------

    def to_polars(self, parameters: Mapping[str, Value]) -> pl.Expr:
        """The same expression over a frame with one column per field."""
        return _polars(self.root, parameters)

    def _parts(self) -> tuple[Node, ...]:
        root = self.root
        return root.children if root.kind in ("and", "or") else (root,)

    def size(self) -> int:
        """How many top-level parts (clauses) the expression has."""
        return len(self._parts())

    def part_to_polars(self, index: int, parameters: Mapping[str, Value]) -> pl.Expr:
        """One clause over a frame (its result goes into the explanation)."""
        return _polars(self._parts()[index], parameters)


def _names_in(node: Node, *kinds: str) -> set[str]:
    kinds = kinds or ("field", "param")
    found = {node.value} if node.kind in kinds else set()
    for kid in node.children:
        found |= _names_in(kid, *kinds)
    return found


def parse(
    source: str,
    *,
    fields: Mapping[str, Field],
    parameters: Mapping[str, Type],
    expect: tuple[Type, ...] = ("bool",),
    where: str = "expression",
) -> Expression:
    """Parse and check ``source``; raise :class:`InvalidInput` naming line and column."""
    text = source.strip()
    if not text:
        raise InvalidInput(
            "The rule has a problem.",
            problems=[Problem(where, N_("Write an expression here."))],
        )
    if len(text) > MAX_LENGTH:
        raise InvalidInput(
            "The rule has a problem.",
            problems=[
                Problem(
                    where,
                    N_("An expression may have at most {max} characters."),
                    {"max": MAX_LENGTH},
                )
            ],
        )
    checker = _Checker(text, fields, parameters)
    try:
        tree = ast.parse("(\n" + text + "\n)", mode="eval")
    except SyntaxError as exc:
        line, col = max(1, (exc.lineno or 2) - 1), (exc.offset or 1)
        raise InvalidInput(
            "The rule has a problem.",
            problems=[
                Problem(
                    f"{where}, line {line}, column {col}",
                    N_("The expression cannot be read ({reason})."),
                    {"reason": exc.msg},
                )
            ],
        ) from None
    try:
        root = checker.check(tree.body)
    except _RuleError as exc:
        line = getattr(exc.node, "lineno", 2) - 1 if exc.node is not None else 1
        col = getattr(exc.node, "col_offset", 0) + 1 if exc.node is not None else 1
        raise InvalidInput(
            "The rule has a problem.",
            problems=[Problem(f"{where}, line {line}, column {col}", exc.message, exc.params)],
        ) from None
    ok = root.type in expect or (root.type == "int" and "number" in expect)
    if not ok:
        raise InvalidInput(
            "The rule has a problem.",
            problems=[
                Problem(
                    where,
                    N_("The expression gives {type}, but {expected} is needed here."),
                    {"type": root.type, "expected": " or ".join(expect)},
                )
            ],
        )
    return Expression(text, root)


# -- the scalar evaluator ------------------------------------------------------------------


def _cmp(op: str, a: Any, b: Any) -> bool:
    if op == "==":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    return bool(a >= b)


def _eval(node: Node, values: Mapping[str, Value]) -> Value:
    kind = node.kind
    if kind == "literal":
        return node.value  # type: ignore[no-any-return]
    if kind in ("field", "param"):
        return values.get(node.value)
    if kind == "and":
        result: Value = True
        for kid in node.children:
            v = _eval(kid, values)
            if v is False:
                return False
            if v is None:
                result = None
        return result
    if kind == "or":
        result = False
        for kid in node.children:
            v = _eval(kid, values)
            if v is True:
                return True
            if v is None:
                result = None
        return result
    if kind == "not":
        v = _eval(node.children[0], values)
        return None if v is None else not v
    if kind == "neg":
        v = _eval(node.children[0], values)
        return None if v is None else -v  # type: ignore[operator]
    if kind == "arith":
        a = _eval(node.children[0], values)
        b = _eval(node.children[1], values)
        if a is None or b is None:
            return None
        op = node.value
        if op == "+":
            return a + b  # type: ignore[operator]
        if op == "-":
            return a - b  # type: ignore[operator]
        if op == "*":
            return a * b  # type: ignore[operator]
        if b == 0:
            return None
        return a / b  # type: ignore[operator]
    if kind == "compare":
        a = _eval(node.children[0], values)
        right = node.children[1]
        if a is None:
            return None
        if right.kind == "list":
            found = a in right.value
            return found if node.value == "in" else not found
        b = _eval(right, values)
        if b is None:
            return None
        return _cmp(node.value, a, b)
    if kind == "if":
        cond = _eval(node.children[0], values)
        return _eval(node.children[1] if cond is True else node.children[2], values)
    if kind == "known":
        return _eval(node.children[0], values) is not None
    if kind in ("min", "max"):
        got = [v for v in (_eval(k, values) for k in node.children) if v is not None]
        if not got:
            return None
        return min(got) if kind == "min" else max(got)
    raise AssertionError(f"unknown node {kind}")


# -- the vectorised evaluator --------------------------------------------------------------

_POLARS_TYPES: dict[Type, pl.DataType] = {
    "bool": pl.Boolean(),
    "int": pl.Int64(),
    "number": pl.Float64(),
    "text": pl.String(),
}

_PL_CMP: dict[str, Callable[[pl.Expr, pl.Expr], pl.Expr]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


_MIRROR = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _polars(node: Node, params: Mapping[str, Value]) -> pl.Expr:
    kind = node.kind
    if kind == "literal":
        return pl.lit(node.value, dtype=_POLARS_TYPES[node.type])
    if kind == "field":
        return pl.col(node.value)
    if kind == "param":
        return pl.lit(params.get(node.value), dtype=_POLARS_TYPES[node.type])
    if kind == "and":
        out = _polars(node.children[0], params)
        for kid in node.children[1:]:
            out = out & _polars(kid, params)
        return out
    if kind == "or":
        out = _polars(node.children[0], params)
        for kid in node.children[1:]:
            out = out | _polars(kid, params)
        return out
    if kind == "not":
        return ~_polars(node.children[0], params)
    if kind == "neg":
        return -_polars(node.children[0], params)
    if kind == "arith":
        a = _polars(node.children[0], params)
        b = _polars(node.children[1], params)
        op = node.value
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        return pl.when(b == 0).then(None).otherwise(a.cast(pl.Float64) / b)
    if kind == "compare":
        a = _polars(node.children[0], params)
        right = node.children[1]
        if right.kind == "list":
            listed = pl.lit(pl.Series(list(right.value), dtype=_POLARS_TYPES[right.type]))
            found = a.is_in(listed.implode(), nulls_equal=False)
            found = pl.when(a.is_null()).then(None).otherwise(found)
            return found if node.value == "in" else ~found
        b = _polars(right, params)
        if not _names_in(node.children[0], "field") and _names_in(right, "field"):
            # Polars (2.1) cannot broadcast `literal < when(…).then(literal)…`; the mirrored
            # comparison with the column side first means the same and works
            return _PL_CMP[_MIRROR[node.value]](b, a)
        return _PL_CMP[node.value](a, b)
    if kind == "if":
        cond = _polars(node.children[0], params)
        then = _polars(node.children[1], params)
        other = _polars(node.children[2], params)
        return pl.when(cond).then(then).otherwise(other)
    if kind == "known":
        return _polars(node.children[0], params).is_not_null()
    if kind == "min":
        return pl.min_horizontal(*(_polars(k, params) for k in node.children))
    if kind == "max":
        return pl.max_horizontal(*(_polars(k, params) for k in node.children))
    raise AssertionError(f"unknown node {kind}")
