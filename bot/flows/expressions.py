"""Conditions in `route:` rules: a tiny, safe expression language (never Python `eval`).

Grammar (Python-like): names of saved answers, `settings.NAME` for flow parameters, numbers, quoted text,
`true`/`false`, comparisons (`== != < <= > >=`), `and`, `or`, `not`, parentheses, and `in [..]`.

    ric_yes >= 14
    incidents_12m >= settings.escalation_incidents or professional_concern
    tenure == "private_renter" and not wants_to_stay
"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass
from typing import Any

__all__ = ["Condition", "ConditionSyntaxError", "compile_condition"]

_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_LITERAL_NAMES = {"true": True, "false": False, "True": True, "False": False, "none": None}


class ConditionSyntaxError(ValueError):
    """The condition is not in the flow condition language; the message says why."""


@dataclass(frozen=True)
class Condition:
    """A compiled condition: its source text, the variables and parameters it reads."""

    source: str
    tree: ast.expr
    variables: frozenset[str]
    parameters: frozenset[str]

    def evaluate(self, variables: dict[str, Any], parameters: dict[str, Any]) -> bool:
        """True or False. An answer not yet given reads as empty, and compares as False."""
        return bool(_eval(self.tree, variables, parameters))


def compile_condition(source: str) -> Condition:
    """Parse and check a condition; raises ConditionSyntaxError with a plain explanation."""
    text = source.strip()
    if not text:
        raise ConditionSyntaxError("the condition is empty")
    if len(text) > 500:
        raise ConditionSyntaxError("the condition is too long (500 characters at most)")
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError as exc:
        raise ConditionSyntaxError(f"cannot read '{text}': {exc.msg}") from None
    variables: set[str] = set()
    parameters: set[str] = set()
    _check(tree, variables, parameters)
    return Condition(text, tree, frozenset(variables), frozenset(parameters))


def _check(node: ast.AST, variables: set[str], parameters: set[str]) -> None:
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            _check(value, variables, parameters)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
        _check(node.operand, variables, parameters)
    elif isinstance(node, ast.Compare):
        _check(node.left, variables, parameters)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            if not (type(op) in _COMPARE or isinstance(op, ast.In | ast.NotIn)):
                raise ConditionSyntaxError(f"the comparison '{type(op).__name__}' is not allowed")
            _check(comparator, variables, parameters)
    elif isinstance(node, ast.Name):
        if node.id not in _LITERAL_NAMES:
            variables.add(node.id)
    elif isinstance(node, ast.Attribute):
        if not (isinstance(node.value, ast.Name) and node.value.id == "settings"):
            raise ConditionSyntaxError("only 'settings.NAME' may use a dot")
        parameters.add(node.attr)
    elif isinstance(node, ast.Constant):
        if not isinstance(node.value, int | float | str | bool) and node.value is not None:
            raise ConditionSyntaxError(f"the value {node.value!r} is not allowed")
    elif isinstance(node, ast.List | ast.Tuple):
        for element in node.elts:
            _check(element, variables, parameters)
    else:
        raise ConditionSyntaxError(
            f"'{ast.unparse(node)}' is not allowed: use names, numbers, text, comparisons, and/or/not"
        )


def _eval(node: ast.AST, variables: dict[str, Any], parameters: dict[str, Any]) -> Any:
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            return all(_eval(v, variables, parameters) for v in node.values)
        return any(_eval(v, variables, parameters) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, variables, parameters)
        if isinstance(node.op, ast.Not):
            return not value
        return -value if isinstance(value, int | float) else None
    if isinstance(node, ast.Compare):
        left = _eval(node.left, variables, parameters)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _eval(comparator, variables, parameters)
            if isinstance(op, ast.In | ast.NotIn):
                try:
                    result = left in right
                except TypeError:
                    return False
                if isinstance(op, ast.NotIn):
                    result = not result
            else:
                if left is None or right is None:
                    return False
                try:
                    result = _COMPARE[type(op)](left, right)
                except TypeError:
                    return False
            if not result:
                return False
            left = right
        return True
    if isinstance(node, ast.Name):
        if node.id in _LITERAL_NAMES:
            return _LITERAL_NAMES[node.id]
        return variables.get(node.id)
    if isinstance(node, ast.Attribute):
        return parameters.get(node.attr)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List | ast.Tuple):
        return [_eval(e, variables, parameters) for e in node.elts]
    raise ConditionSyntaxError(f"cannot evaluate '{ast.unparse(node)}'")  # unreachable after _check
