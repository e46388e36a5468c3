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
- undefined names are errors (StrictUndefined), never silently empty.
Variable values are data: they are inserted as text and never evaluated as templates.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, TemplateError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_REPEAT = 100_000  # longest string or list `*` may build
MAX_EXPONENT = 1_000


class SourceError(Exception):
    """A problem found in template text before rendering; `lineno` counts from 1."""

    def __init__(self, message: str, lineno: int | None = None, kind: str = "syntax"):
        super().__init__(message)
        self.message = message
        self.lineno = lineno
        self.kind = kind  # "syntax" or "sandbox"


class PromptSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        if op == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is too large")
        if op == "*":
            for seq, times in ((left, right), (right, left)):
                sized = isinstance(seq, str | list | tuple) and isinstance(times, int)
                if sized and len(seq) * times > MAX_REPEAT:
                    raise SecurityError(f"'*' would build a value of {len(seq) * times} items")
        return super().call_binop(context, op, left, right)


def _make_env() -> PromptSandbox:
    env = PromptSandbox(
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,  # a line holding only {% ... %} leaves no blank line behind
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.globals = {k: env.globals[k] for k in ("range", "namespace")}
    return env


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


@lru_cache(maxsize=256)
def inspect_source(source: str) -> frozenset[str]:
    """Parse and check template text; return the variable names it uses but does not set."""
    try:
        tree = ENV.parse(source)
    except TemplateSyntaxError as exc:
        raise SourceError(exc.message or "syntax error", exc.lineno) from None
    _check_tree(tree)
    return frozenset(meta.find_undeclared_variables(tree) - SUPPLIED)


@lru_cache(maxsize=256)
def _compiled(source: str):
    inspect_source(source)
    return ENV.from_string(source)


class RenderError(Exception):
    """Rendering failed; `kind` is "sandbox", "undefined" or "error"."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.message = message
        self.kind = kind


def render_source(source: str, values: dict[str, Any]) -> str:
    """Render checked template text with these values; raises SourceError or RenderError."""
    template = _compiled(source)
    try:
        return template.render(**values)
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

