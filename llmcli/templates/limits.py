"""The limits a template renders within, so that no template can hang or exhaust the process.

A `Budget` is set for each render (llmcli.templates.sandbox.render_source): every loop item,
call and operator checks a wall-clock deadline, and everything emitted counts against an
output cap, also inside `{% set %}` blocks and macros. Integers are capped in size, and what
one filter, method or format builds (repetition, `join`, `replace`, the widths of `center`,
`indent`, `format`, `%`) is checked before it is built. Breaking a limit raises `LimitError`
or `BudgetExceeded`, which become a one-line error (exit 2).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from functools import wraps
from typing import Any

from jinja2 import pass_context, pass_environment
from jinja2.exceptions import SecurityError
from jinja2.filters import make_attrgetter


class LimitError(SecurityError):
    """A value a template would build is past a limit (a SecurityError, so the sandbox's own
    checks and these are refused alike)."""


MAX_INT_BITS = 10_000  # about 3,000 decimal digits: more is never a prompt
MAX_BUILT = 1_000_000  # characters one filter, method or format may build
MAX_OUTPUT = 4_000_000  # characters a render may emit, on top of 4x the values it was given


class BudgetExceeded(Exception):
    """A render went past its time or size budget."""


class Budget:
    """The time and output allowance of one render, checked as the template runs."""

    def __init__(self, seconds: float, max_chars: int, now: Callable[[], float]):
        self.now = now
        self.deadline = now() + seconds
        self.seconds = seconds
        self.max_chars = max_chars
        self.chars = 0

    def tick(self) -> None:
        if self.now() > self.deadline:
            raise BudgetExceeded(f"rendering took longer than {self.seconds:g} s")

    def emit(self, text: str) -> None:
        self.chars += len(text)
        if self.chars > self.max_chars:
            raise BudgetExceeded(f"the template's output passed {self.max_chars:,} characters")
        self.tick()


BUDGET: ContextVar[Budget | None] = ContextVar("template_budget", default=None)


def tick() -> None:
    budget = BUDGET.get()
    if budget is not None:
        budget.tick()


def too_big(what: str, size: int) -> LimitError:
    return LimitError(f"{what} would build {size:,} characters (the limit is {MAX_BUILT:,})")


def check_int(value: Any) -> Any:
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise LimitError(f"an integer of {value.bit_length():,} bits is too large")
    return value


def check_widths(values: Iterable[Any], what: str) -> None:
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_BUILT:
            raise too_big(what, abs(value))


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\d+|\*)?(?:\.(\d+|\*))?")
_BRACE_SPEC = re.compile(r"\{[^{}]*?:([^{}]*)\}")


def check_format(fmt: str, args: Iterable[Any], what: str) -> None:
    """Refuse a %- or {}-format whose width or precision would build a huge string."""
    numbers = [n for m in _PERCENT_SPEC.finditer(fmt) for n in m.groups() if n]
    numbers += [n for spec in _BRACE_SPEC.findall(fmt) for n in re.findall(r"\d+", spec)]
    check_widths((int(n) for n in numbers if n.isdigit()), what)
    if "*" in numbers or "{" in "".join(_BRACE_SPEC.findall(fmt)) or re.search(r"\{[^}]*\{", fmt):
        check_widths(args, what)


def size_of(value: Any) -> int:
    return len(value) if isinstance(value, str) else len(str(value))


def check_join(items: list[Any], sep: str) -> None:
    total = len(sep) * max(len(items) - 1, 0)
    if total > MAX_BUILT:
        raise too_big("join", total)
    for item in items:
        total += size_of(item)
        if total > MAX_BUILT:
            raise too_big("join", total)


@pass_environment
def bounded_join(env: Any, value: Any, d: str = "", attribute: Any = None) -> str:
    items = list(value)
    if attribute is not None:
        items = list(map(make_attrgetter(env, attribute), items))
    items = [str(item) for item in items]
    check_join(items, str(d))
    return str(d).join(items)


def bounded_replace(s: Any, old: Any, new: Any, count: Any = None) -> str:
    text, old_s, new_s = str(s), str(old), str(new)
    hits = (text.count(old_s) if old_s else len(text) + 1)
    if count is not None:
        hits = min(hits, int(count))
    size = len(text) + hits * (len(new_s) - len(old_s))
    if size > MAX_BUILT:
        raise too_big("replace", size)
    return text.replace(old_s, new_s, -1 if count is None else int(count))


def bounded(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """A filter whose integer arguments (widths, counts) are capped."""

    @wraps(fn)  # keeps jinja's pass_environment mark
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        check_widths([*args, *kwargs.values()], name)
        value, args = args[0], args[1:]
        if name == "indent":
            width = args[0] if args else kwargs.get("width", 4)
            lines = str(value).count("\n") + 1
            size = len(str(value)) + (len(width) if isinstance(width, str) else int(width)) * lines
            if size > MAX_BUILT:
                raise too_big(name, size)
        if name == "format":
            check_format(str(value), [*args, *kwargs.values()], name)
        return fn(value, *args, **kwargs)

    return wrapped


STR_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


# pass_context keeps jinja from running these at compile time on constants (a literal in a
# loop must count once per time round, not once).
@pass_context
def budget_iter(_context: Any, iterable: Any) -> Iterator[Any]:
    """Every loop walks its items through this (see `_instrument`), so loops tick the budget."""
    budget = BUDGET.get()
    for item in iterable:
        if budget is not None:
            budget.tick()
        yield item


@pass_context
def budget_emit(_context: Any, value: Any) -> Any:
    """Every piece of output passes here (see `_instrument`), so output counts against the
    budget, also inside `{% set %}` blocks and macros."""
    budget = BUDGET.get()
    if budget is not None:
        budget.emit(value if isinstance(value, str) else str(value))
    return value
