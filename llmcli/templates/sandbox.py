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

import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, TemplateError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from llmcli.templates.limits import (
    BUDGET,
    MAX_BUILT,
    MAX_INT_BITS,
    MAX_OUTPUT,
    STR_WIDTH_METHODS,
    Budget,
    BudgetExceeded,
    LimitError,
    bounded,
    bounded_join,
    bounded_replace,
    budget_emit,
    budget_iter,
    check_format,
    check_int,
    check_join,
    check_widths,
    size_of,
    tick,
    too_big,
)

MAX_REPEAT = 100_000  # longest string or list `*` may build
MAX_EXPONENT = 1_000
RENDER_SECONDS = 5.0  # wall-clock budget of one render
clock: Callable[[], float] = time.monotonic  # injectable: tests replace it with a fake clock
class SourceError(Exception):
    """A problem found in template text before rendering; `lineno` counts from 1."""

    def __init__(self, message: str, lineno: int | None = None, kind: str = "syntax"):
        super().__init__(message)
        self.message = message
        self.lineno = lineno
        self.kind = kind  # "syntax", "sandbox" or "limit"


class PromptSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        tick()
        if op == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise LimitError(f"exponent {right} is too large")
        both_int = isinstance(left, int) and isinstance(right, int)
        if op == "**" and both_int and left.bit_length() * abs(right) > MAX_INT_BITS:
            raise LimitError(f"an integer ** {right} is too large")
        if op == "*" and both_int and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise LimitError("the product is too large an integer")
        if op == "*":
            for seq, times in ((left, right), (right, left)):
                sized = isinstance(seq, str | list | tuple) and isinstance(times, int)
                if sized and len(seq) * times > MAX_REPEAT:
                    raise LimitError(f"'*' would build a value of {len(seq) * times} items")
                if sized and isinstance(seq, list | tuple):
                    chars = times * sum(size_of(item) for item in seq)
                    if chars > MAX_BUILT:
                        raise too_big("'*'", chars)
        if op == "%" and isinstance(left, str):
            args = right if isinstance(right, tuple) else (right,)
            check_format(left, args, "'%'")
        return check_int(super().call_binop(context, op, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        tick()
        # str.format reaches here wrapped by jinja's sandbox (the method is its __wrapped__).
        owner = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)
        if isinstance(owner, str):
            name = getattr(__obj, "__name__", "")
            if name in STR_WIDTH_METHODS:
                check_widths([*args, *kwargs.values()], name)
            elif name == "replace" and len(args) >= 2:
                bounded_replace(owner, args[0], args[1], args[2] if len(args) > 2 else None)
            elif name in ("format", "format_map"):
                mapped = args[0].values() if name == "format_map" and args else []
                check_format(owner, [*args, *mapped, *kwargs.values()], name)
            elif name == "join" and args:
                args = ([str(item) for item in args[0]],)
                check_join(args[0], owner)
        return check_int(super().call(__context, __obj, *args, **kwargs))



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
        env.filters[name] = bounded(name, env.filters[name])
    env.filters["join"] = bounded_join
    env.filters["replace"] = bounded_replace
    env.filters[_ITER] = budget_iter
    env.filters[_EMIT] = budget_emit
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


def _refuse(node: nodes.Node, what: str, kind: str = "sandbox") -> SourceError:
    return SourceError(f"refused by the sandbox: {what}", getattr(node, "lineno", None), kind)


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
            raise _refuse(node, str(exc), "limit") from None
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
            check_widths((a.value for a in args if isinstance(a, nodes.Const)), what)
            literal = isinstance(node.node, nodes.Const) and isinstance(node.node.value, str)
            if isinstance(node, nodes.Filter) and node.name == "format" and literal:
                check_format(node.node.value, [], what)
            if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
                target = node.node.node
                if isinstance(target, nodes.Const) and isinstance(target.value, str):
                    check_format(target.value, [], node.node.attr)
        except SecurityError as exc:
            raise _refuse(node, str(exc), "limit") from None
    for node in tree.find_all(nodes.Mod):
        if isinstance(node.left, nodes.Const) and isinstance(node.left.value, str):
            try:
                check_format(node.left.value, [], "'%'")
            except SecurityError as exc:
                raise _refuse(node, str(exc), "limit") from None


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
    """Rendering failed; `kind` is "sandbox", "limit", "undefined" or "error"."""

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
    token = BUDGET.set(budget)
    try:
        return "".join(template.root_render_func(template.new_context(values)))
    except (BudgetExceeded, LimitError) as exc:
        raise RenderError(f"refused by the sandbox: {exc}", "limit") from None
    except MemoryError:
        raise RenderError("refused by the sandbox: rendering ran out of memory",
                          "limit") from None
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
        BUDGET.reset(token)

