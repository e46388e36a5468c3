"""The built-in calculator evaluates arithmetic with `ast`, never `eval`, within bounds."""

from __future__ import annotations

import pytest

from llmcli.tools.builtins import calculate, now
from llmcli.tools.calculator import CalcError, evaluate


@pytest.mark.parametrize("expr, value", [
    ("17*23", "391"), ("2 ** 10", "1024"), ("(1+2)*3 - 4/2", "7"), ("7 // 2", "3"),
    ("sqrt(2)", "1.4142135623730951"), ("17 × 23", "391"), ("2^3", "8"), ("-3 % 5", "2"),
    ("max(1, 5, 3)", "5"), ("round(pi, 2)", "3.14"),
])
def test_arithmetic(expr: str, value: str) -> None:
    assert calculate(expr) == value


@pytest.mark.parametrize("expr, why", [
    ("__import__('os').system('true')", "is not allowed"),
    ("open('/etc/passwd')", "'open' is not allowed"),
    ("(1).__class__", "is not allowed"),
    ("9 ** 9 ** 9", "exponent larger than"),
    ("10 ** 999", "too large"),
    ("1/0", "division by zero"),
    ("'a' * 3", "is not allowed"),
    ("+".join(["1"] * 300), "longer than"),
    ("1 +", "not an arithmetic expression"),
    ("sqrt(-1)", "math domain error"),
    ("", "empty expression"),
])
def test_refused(expr: str, why: str) -> None:
    with pytest.raises(CalcError, match=why):
        evaluate(expr)


def test_now_refuses_an_unknown_zone() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        now("Mars/Olympus")
