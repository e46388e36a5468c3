"""The Jinja2 sandbox every template is rendered in.

A template shared by someone else must not run code, read files or reach the environment, so:
- rendering happens in an ImmutableSandboxedEnvironment (no `__class__`, `__globals__`, no
  mutation of lists and dicts, `str.format` checked too);
- the globals are cut down to `range` and `namespace` (no `lipsum`, `cycler`, `joiner`, whose
  `__init__.__globals__` are the classic way out);
- there is no loader, and `include`, `import` and `extends` are refused before rendering;
- attribute names starting with `_` are refused statically, so a bad template fails when it
  is loaded, not half-way through a run;
- `*` and `**` are bounded so `{{ 'a' * 10**10 }}` cannot exhaust memory;
- rendering has a budget (`Budget`): every loop item, call and operator checks a wall-clock
  deadline (the clock is injectable), integers are capped in size, and what a template builds
  (repetition, `join`, `replace`, widths of `center`/`indent`/`format`, its total output) is
  capped in characters, so no template can hang or exhaust the process;
- undefined names are errors (StrictUndefined), never silently empty.
Variable values are data: they are inserted as text and never evaluated as templates.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from functools import lru_cache, wraps
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes, pass_context, pass_environment
from jinja2.exceptions import SecurityError, TemplateError, UndefinedError
from jinja2.filters import make_attrgetter
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_REPEAT = 100_000  # longest string or list `*` may build
MAX_EXPONENT = 1_000
MAX_INT_BITS = 10_000  # about 3,000 decimal digits: more is never a prompt
MAX_BUILT = 1_000_000  # characters one filter, method or format may build
MAX_OUTPUT = 4_000_000  # characters a render may emit, on top of 4x the values it was given
RENDER_SECONDS = 5.0  # wall-clock budget of one render
clock: Callable[[], float] = time.monotonic  # injectable: tests replace it with a fake clock


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


_BUDGET: ContextVar[Budget | None] = ContextVar("template_budget", default=None)


def _tick() -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.tick()


def _too_big(what: str, size: int) -> SecurityError:
    return SecurityError(f"{what} would build {size:,} characters (the limit is {MAX_BUILT:,})")


def _check_int(value: Any) -> Any:
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise SecurityError(f"an integer of {value.bit_length():,} bits is too large")
    return value


def _check_widths(values: Iterable[Any], what: str) -> None:
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_BUILT:
            raise _too_big(what, abs(value))


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\d+|\*)?(?:\.(\d+|\*))?")
_BRACE_SPEC = re.compile(r"\{[^{}]*?:([^{}]*)\}")


def _check_format(fmt: str, args: Iterable[Any], what: str) -> None:
    """Refuse a %- or {}-format whose width or precision would build a huge string."""
    numbers = [n for m in _PERCENT_SPEC.finditer(fmt) for n in m.groups() if n]
    numbers += [n for spec in _BRACE_SPEC.findall(fmt) for n in re.findall(r"\d+", spec)]
    _check_widths((int(n) for n in numbers if n.isdigit()), what)
    if "*" in numbers or "{" in "".join(_BRACE_SPEC.findall(fmt)) or re.search(r"\{[^}]*\{", fmt):
        _check_widths(args, what)


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str) else len(str(value))


def _join_size(items: list[Any], sep: str) -> None:
    total = len(sep) * max(len(items) - 1, 0)
    if total > MAX_BUILT:
        raise _too_big("join", total)
    for item in items:
        total += _size(item)
        if total > MAX_BUILT:
            raise _too_big("join", total)


@pass_environment
def _bounded_join(env: Any, value: Any, d: str = "", attribute: Any = None) -> str:
    items = list(value)
    if attribute is not None:
        items = list(map(make_attrgetter(env, attribute), items))
    items = [str(item) for item in items]
    _join_size(items, str(d))
    return str(d).join(items)


def _bounded_replace(s: Any, old: Any, new: Any, count: Any = None) -> str:
    text, old_s, new_s = str(s), str(old), str(new)
    hits = (text.count(old_s) if old_s else len(text) + 1)
    if count is not None:
        hits = min(hits, int(count))
    size = len(text) + hits * (len(new_s) - len(old_s))
    if size > MAX_BUILT:
        raise _too_big("replace", size)
    return text.replace(old_s, new_s, -1 if count is None else int(count))


def _bounded(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """A filter whose integer arguments (widths, counts) are capped."""

    @wraps(fn)  # keeps jinja's pass_environment mark
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        _check_widths([*args, *kwargs.values()], name)
        value, args = args[0], args[1:]
        if name == "indent":
            width = args[0] if args else kwargs.get("width", 4)
            lines = str(value).count("\n") + 1
            size = len(str(value)) + (len(width) if isinstance(width, str) else int(width)) * lines
            if size > MAX_BUILT:
                raise _too_big(name, size)
        if name == "format":
            _check_format(str(value), [*args, *kwargs.values()], name)
        return fn(value, *args, **kwargs)

    return wrapped


_STR_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


# pass_context keeps jinja from running these at compile time on constants (a literal in a
# loop must count once per time round, not once).
@pass_context
def _budget_iter(_context: Any, iterable: Any) -> Iterator[Any]:
    """Every loop walks its items through this (see `_instrument`), so loops tick the budget."""
    budget = _BUDGET.get()
    for item in iterable:
        if budget is not None:
            budget.tick()
        yield item


@pass_context
def _budget_emit(_context: Any, value: Any) -> Any:
    """Every piece of output passes here (see `_instrument`), so output counts against the
    budget, also inside `{% set %}` blocks and macros."""
    budget = _BUDGET.get()
    if budget is not None:
        budget.emit(value if isinstance(value, str) else str(value))
    return value


class SourceError(Exception):
    """A problem found in template text before rendering; `lineno` counts from 1."""

    def __init__(self, message: str, lineno: int | None = None, kind: str = "syntax"):
        super().__init__(message)
        self.message = message
        self.lineno = lineno
        self.kind = kind  # "syntax" or "sandbox"


class PromptSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        _tick()
        if op == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is too large")
        both_int = isinstance(left, int) and isinstance(right, int)
        if op == "**" and both_int and left.bit_length() * abs(right) > MAX_INT_BITS:
            raise SecurityError(f"an integer ** {right} is too large")
        if op == "*" and both_int and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise SecurityError("the product is too large an integer")
        if op == "*":
            for seq, times in ((left, right), (right, left)):
                sized = isinstance(seq, str | list | tuple) and isinstance(times, int)
                if sized and len(seq) * times > MAX_REPEAT:
                    raise SecurityError(f"'*' would build a value of {len(seq) * times} items")
                if sized and isinstance(seq, list | tuple):
                    chars = times * sum(_size(item) for item in seq)
                    if chars > MAX_BUILT:
                        raise _too_big("'*'", chars)
        if op == "%" and isinstance(left, str):
            args = right if isinstance(right, tuple) else (right,)
            _check_format(left, args, "'%'")
        return _check_int(super().call_binop(context, op, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _tick()
        # str.format reaches here wrapped by jinja's sandbox (the method is its __wrapped__).
        owner = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)
        if isinstance(owner, str):
            name = getattr(__obj, "__name__", "")
            if name in _STR_WIDTH_METHODS:
                _check_widths([*args, *kwargs.values()], name)
            elif name == "replace" and len(args) >= 2:
                _bounded_replace(owner, args[0], args[1], args[2] if len(args) > 2 else None)
            elif name in ("format", "format_map"):
                mapped = args[0].values() if name == "format_map" and args else []
                _check_format(owner, [*args, *mapped, *kwargs.values()], name)
            elif name == "join" and args:
                args = ([str(item) for item in args[0]],)
                _join_size(args[0], owner)
        return _check_int(super().call(__context, __obj, *args, **kwargs))



def _make_env() -> PromptSandbox:
    env = PromptSandbox(
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,  # a line holding only {% ... %} leaves no blank line behind
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.globals = {k: env.globals[k] for k in ("range", "namespace")}
    for name in ("center", "indent", "format", "wordwrap", "truncate", "slice", "batch"):
        env.filters[name] = _bounded(name, env.filters[name])
    env.filters["join"] = _bounded_join
    env.filters["replace"] = _bounded_replace
    env.filters[_ITER] = _budget_iter
    env.filters[_EMIT] = _budget_emit
    return env


_ITER, _EMIT = "budget_iter__", "budget_emit__"


def _instrument(tree: nodes.Template) -> nodes.Template:
    """Route every loop's items and every piece of output through the budget's filters."""
    for loop in tree.find_all(nodes.For):
        loop.iter = nodes.Filter(loop.iter, _ITER, [], [], None, None, lineno=loop.lineno)
    for out in tree.find_all(nodes.Output):
        out.nodes = [nodes.Filter(n, _EMIT, [], [], None, None, lineno=n.lineno)
                     for n in out.nodes]
    return tree


ENV = _make_env()
SUPPLIED = frozenset(ENV.globals)


def _refuse(node: nodes.Node, what: str) -> SourceError:
    return SourceError(f"refused by the sandbox: {what}", getattr(node, "lineno", None), "sandbox")


def _check_tree(tree: nodes.Template) -> None:
    for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        raise _refuse(node, "templates cannot include, import or extend other files")
    for node in tree.find_all(nodes.Getattr):
        if node.attr.startswith("_"):
            raise _refuse(node, f"access to attribute '{node.attr}' is not allowed")
    for node in tree.find_all(nodes.Getitem):
        if isinstance(node.arg, nodes.Const) and str(node.arg.value).startswith("_"):
            raise _refuse(node, f"access to item '{node.arg.value}' is not allowed")
    for node in tree.find_all(nodes.Filter):
        if node.name == "attr" and any(
            isinstance(a, nodes.Const) and str(a.value).startswith("_") for a in node.args
        ):
            raise _refuse(node, "the attr filter cannot reach names starting with '_'")


def _static_int(node: nodes.Node) -> int | None:
    """The value of a constant integer expression (`10**1000`), bounded like at render time."""
    if isinstance(node, nodes.Const) and isinstance(node.value, int):
        return node.value
    if isinstance(node, nodes.Pow | nodes.Mul):
        left, right = _static_int(node.left), _static_int(node.right)
        if left is None or right is None:
            return None
        try:
            op = "**" if isinstance(node, nodes.Pow) else "*"
            return ENV.call_binop(None, op, left, right)
        except SecurityError as exc:
            raise _refuse(node, str(exc)) from None
    return None


def _check_constants(tree: nodes.Template) -> None:
    """What can be known before rendering is refused when loading: `templates validate` then
    catches a constant width, format or integer that would build a huge value."""
    for node in tree.find_all((nodes.Pow, nodes.Mul)):
        _static_int(node)
    for node in tree.find_all((nodes.Filter, nodes.Call)):
        what = node.name if isinstance(node, nodes.Filter) else getattr(node.node, "attr", "call")
        args = [*node.args, *(kw.value for kw in node.kwargs)]
        try:
            _check_widths((a.value for a in args if isinstance(a, nodes.Const)), what)
            literal = isinstance(node.node, nodes.Const) and isinstance(node.node.value, str)
            if isinstance(node, nodes.Filter) and node.name == "format" and literal:
                _check_format(node.node.value, [], what)
            if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
                target = node.node.node
                if isinstance(target, nodes.Const) and isinstance(target.value, str):
                    _check_format(target.value, [], node.node.attr)
        except SecurityError as exc:
            raise _refuse(node, str(exc)) from None
    for node in tree.find_all(nodes.Mod):
        if isinstance(node.left, nodes.Const) and isinstance(node.left.value, str):
            try:
                _check_format(node.left.value, [], "'%'")
            except SecurityError as exc:
                raise _refuse(node, str(exc)) from None


@lru_cache(maxsize=256)
def inspect_source(source: str) -> frozenset[str]:
    """Parse and check template text; return the variable names it uses but does not set."""
    try:
        tree = ENV.parse(source)
    except TemplateSyntaxError as exc:
        raise SourceError(exc.message or "syntax error", exc.lineno) from None
    _check_tree(tree)
    _check_constants(tree)
    return frozenset(meta.find_undeclared_variables(tree) - SUPPLIED)


@lru_cache(maxsize=256)
def _compiled(source: str):
    inspect_source(source)
    return ENV.from_string(_instrument(ENV.parse(source)))


class RenderError(Exception):
    """Rendering failed; `kind` is "sandbox", "undefined" or "error"."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.message = message
        self.kind = kind


def _values_size(values: Any) -> int:
    if isinstance(values, str):
        return len(values)
    if isinstance(values, dict):
        return sum(_values_size(v) for v in values.values())
    if isinstance(values, list | tuple):
        return sum(_values_size(v) for v in values)
    return 0


def render_source(source: str, values: dict[str, Any], seconds: float = RENDER_SECONDS) -> str:
    """Render checked template text with these values within a time and size budget;
    raises SourceError or RenderError."""
    template = _compiled(source)
    budget = Budget(seconds, MAX_OUTPUT + 4 * _values_size(values), clock)
    token = _BUDGET.set(budget)
    try:
        return "".join(template.root_render_func(template.new_context(values)))
    except BudgetExceeded as exc:
        raise RenderError(f"refused by the sandbox: {exc}", "sandbox") from None
    except MemoryError:
        raise RenderError("refused by the sandbox: rendering ran out of memory",
                          "sandbox") from None
    except SecurityError as exc:
        raise RenderError(f"refused by the sandbox: {exc}", "sandbox") from None
    except UndefinedError as exc:
        # An unsafe attribute yields an undefined value; using it lands here, not in SecurityError.
        if "'__" in str(exc) or "'_" in str(exc):
            raise RenderError(f"refused by the sandbox: {exc}", "sandbox") from None
        raise RenderError(str(exc), "undefined") from None
    except OverflowError as exc:  # range() beyond the sandbox's limit
        raise RenderError(f"refused by the sandbox: {exc}", "sandbox") from None
    except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError) as exc:
        raise RenderError(f"{type(exc).__name__}: {exc}", "error") from None
    finally:
        _BUDGET.reset(token)

