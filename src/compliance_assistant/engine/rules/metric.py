"""``metric``: a formula over document statistics, reported when a condition holds.

Formulas are arithmetic over named variables (``words``, ``sentences``, ``syllables``,
``characters``, ``long_words``, ``complex_words``, ``polysyllabic_words``, ``paragraphs``,
``heading.h1``…``heading.h6``, ``list``, ``blockquote``, ``pre``) with ``math.*`` functions;
they are parsed once into a restricted syntax tree and evaluated without ``eval``.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import regex

from compliance_assistant.engine.rules.base import DOCUMENT_LEVEL, Hit, Rule, format_message
from compliance_assistant.engine.rules.fields import Fields
from compliance_assistant.engine.rules.state import DocumentState
from compliance_assistant.engine.vale.scopes import Scope
from compliance_assistant.engine.vale.units import Unit

_HEADING_VARIABLE = regex.compile(r"heading\.(h[1-6])")
_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_COMPARE: dict[type[ast.cmpop], Callable[[float, float], bool]] = {
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_MATH: dict[str, Callable[..., float]] = {
    "sqrt": math.sqrt,
    "pow": math.pow,
    "log": math.log,
    "log10": math.log10,
    "log2": math.log2,
    "exp": math.exp,
    "abs": abs,
    "floor": math.floor,
    "ceil": math.ceil,
    "round": round,
    "min": min,
    "max": max,
}


class FormulaError(ValueError):
    """A formula uses syntax or names outside the small arithmetic language."""


@dataclass(frozen=True)
class Formula:
    text: str
    tree: ast.Expression

    @classmethod
    def parse(cls, text: str) -> Formula:
        source = _HEADING_VARIABLE.sub(r"heading_\1", " ".join(text.split()))
        try:
            tree = ast.parse(source, mode="eval")
        except SyntaxError as exc:
            raise FormulaError(f"invalid expression {text!r}: {exc.msg}") from None
        _validate(tree.body)
        return cls(text=text, tree=tree)

    def evaluate(self, variables: Mapping[str, float]) -> float | bool:
        value = _evaluate(self.tree.body, variables)
        return value if isinstance(value, bool) else float(value)


def _validate(node: ast.AST) -> None:
    allowed = (
        ast.BinOp,
        ast.UnaryOp,
        ast.Compare,
        ast.BoolOp,
        ast.Constant,
        ast.Name,
        ast.Call,
        ast.Attribute,
        ast.operator,
        ast.unaryop,
        ast.cmpop,
        ast.boolop,
        ast.Load,
    )
    for child in ast.walk(node):
        if not isinstance(child, allowed):
            raise FormulaError(f"unsupported syntax: {type(child).__name__}")
        if isinstance(child, ast.Constant) and not isinstance(child.value, (int, float)):
            raise FormulaError("only numbers are allowed as constants")
        if isinstance(child, ast.Call) and not _math_name(child.func):
            raise FormulaError("only math.* functions may be called")
        if isinstance(child, ast.Attribute) and not _math_name(child):
            raise FormulaError("only math.* functions may be used")


def _math_name(node: ast.AST) -> str | None:
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "math"
        and node.attr in _MATH
    ):
        return node.attr
    return None


def _evaluate(node: ast.AST, variables: Mapping[str, float]) -> Any:
    if isinstance(node, ast.Constant):
        return float(node.value) if isinstance(node.value, (int, float)) else 0.0
    if isinstance(node, ast.Name):
        return float(variables.get(node.id, 0.0))
    if isinstance(node, ast.UnaryOp):
        value = _evaluate(node.operand, variables)
        return (
            -value
            if isinstance(node.op, ast.USub)
            else (not value if isinstance(node.op, ast.Not) else value)
        )
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, variables), _evaluate(node.right, variables)
        try:
            return _BINARY[type(node.op)](left, right)
        except ZeroDivisionError:
            return math.inf if left > 0 else (-math.inf if left < 0 else math.nan)
    if isinstance(node, ast.Compare):
        left = _evaluate(node.left, variables)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _evaluate(comparator, variables)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.BoolOp):
        values = [_evaluate(v, variables) for v in node.values]
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.Call):
        name = _math_name(node.func) or ""
        return float(_MATH[name](*(_evaluate(a, variables) for a in node.args)))
    raise FormulaError(f"unsupported syntax: {type(node).__name__}")


@dataclass(frozen=True, kw_only=True)
class Metric(Rule):
    """Keys: ``formula``, ``condition`` (e.g. ``"> 35"``). The message's ``%s`` is the
    formula's value with two decimals. Always document-level (scope ``summary``)."""

    kind: ClassVar[str] = "metric"
    keys: ClassVar[frozenset[str]] = frozenset({"formula", "condition"})

    formula: Formula
    condition: str

    @classmethod
    def compile(cls, fields: Fields, common: dict[str, Any]) -> Self:
        formula_text, condition = fields.string("formula"), fields.string("condition")
        if not formula_text.strip():
            raise fields.error("formula", "a metric rule needs a 'formula'")
        if not condition.strip():
            raise fields.error("condition", "a metric rule needs a 'condition' such as '> 10'")
        try:
            formula = Formula.parse(formula_text)
            Formula.parse(f"0 {condition}")
        except FormulaError as exc:
            key = "condition" if condition in str(exc) else "formula"
            raise fields.error(key, str(exc)) from None
        common = {**common, "scope": Scope.parse(["summary"])}
        return cls(**common, vocab=False, formula=formula, condition=condition)

    def check(self, unit: Unit, state: DocumentState) -> list[Hit]:
        del unit  # a document-level rule: it reads the state, not the unit
        variables = state.metrics()
        if not variables.get("words"):
            return []
        value = self.formula.evaluate(variables)
        number = float(value)
        if math.isnan(number):
            return []
        if not Formula.parse(f"{number:f} {self.condition}").evaluate(variables):
            return []
        text = f"{number:.2f}"
        return [
            Hit(
                DOCUMENT_LEVEL,
                DOCUMENT_LEVEL,
                format_message(self.message, text),
                format_message(self.description, text),
                self.action,
            )
        ]
