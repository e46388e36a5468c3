"""Arithmetic without `eval`: the expression is parsed with `ast` and only numbers, + - * / //
% ** and a few math functions are evaluated, within bounds (length, depth, exponent, size), so
no expression can run code, hang the process or exhaust memory."""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

MAX_CHARS = 500
MAX_NODES = 200
MAX_EXPONENT = 1000
MAX_MAGNITUDE = 1e300  # beyond this a result is refused rather than computed

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": math.sqrt, "abs": abs, "round": round, "floor": math.floor, "ceil": math.ceil,
    "log": math.log, "log10": math.log10, "exp": math.exp, "sin": math.sin, "cos": math.cos,
    "tan": math.tan, "min": min, "max": max,
}
_CONSTANTS = {"pi": math.pi, "e": math.e}


class CalcError(ValueError):
    """An expression the calculator refuses (the message goes back to the model)."""


def evaluate(expression: str) -> int | float:
    """The value of an arithmetic expression; `CalcError` says what is wrong with it."""
    text = expression.strip().replace("×", "*").replace("÷", "/").replace("^", "**")
    if not text:
        raise CalcError("empty expression")
    if len(text) > MAX_CHARS:
        raise CalcError(f"expression longer than {MAX_CHARS} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError) as exc:
        raise CalcError(f"not an arithmetic expression: {exc.msg if hasattr(exc, 'msg') else exc}"
                        ) from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise CalcError(f"expression has more than {MAX_NODES} parts")
    try:
        return _check(_eval(tree.body))
    except CalcError:
        raise
    except ZeroDivisionError:
        raise CalcError("division by zero") from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise CalcError(str(exc)) from None


def _check(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CalcError("the result is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise CalcError("the result is not finite")
    if abs(value) > MAX_MAGNITUDE:
        raise CalcError("the result is too large")
    return value


def _eval(node: ast.AST) -> int | float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) \
            and not isinstance(node.value, bool):
        return _check(node.value)
    if isinstance(node, ast.Name) and node.id in _CONSTANTS:
        return _CONSTANTS[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT:
            raise CalcError(f"exponent larger than {MAX_EXPONENT}")
        if isinstance(node.op, ast.Pow) and abs(left) > 1 and isinstance(left, int) \
                and isinstance(right, int) and right * math.log10(abs(left)) > 300:
            raise CalcError("the result is too large")
        return _check(_BINARY[type(node.op)](left, right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _check(_UNARY[type(node.op)](_eval(node.operand)))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in _FUNCTIONS and not node.keywords:
        args = [_eval(a) for a in node.args]
        return _check(_FUNCTIONS[node.func.id](*args))
    what = type(node).__name__
    if isinstance(node, ast.Name | ast.Call):
        what = getattr(node, "id", None) or getattr(getattr(node, "func", None), "id", what)
    raise CalcError(f"'{what}' is not allowed (numbers, + - * / // % **, "
                    f"{', '.join(sorted(_FUNCTIONS))}, pi, e)")
