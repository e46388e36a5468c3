"""Plain Python functions as tools: type hints and the docstring become the JSON schema
(pydantic builds it from the signature), and the same model checks the model's arguments
before the function runs. Used for the built-ins and for `--functions FILE`."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from llmcli.core.errors import ToolError
from llmcli.core.tools import ToolSpec

MAX_FILE_BYTES = 1_000_000
_PARAM_LINE = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?:\([^)]*\))?\s*:\s*(.+)$")


class FunctionTool:
    """A function with its spec; `invoke` validates the arguments and calls it."""

    def __init__(self, fn: Callable[..., Any], name: str | None = None):
        self.fn = fn
        self.name = name or fn.__name__
        self.model = _arguments_model(fn, self.name)
        description, params = _docstring(fn)
        schema = self.model.model_json_schema()
        schema.pop("title", None)
        for pname, prop in schema.get("properties", {}).items():
            prop.pop("title", None)
            if pname in params and "description" not in prop:
                prop["description"] = params[pname]
        schema.setdefault("properties", {})
        self.spec = ToolSpec(name=self.name, description=description, parameters=schema)

    def invoke(self, arguments: dict[str, Any]) -> Any:
        from pydantic import ValidationError

        try:
            values = self.model.model_validate(arguments)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}"
                                 for e in exc.errors()[:5])
            raise ValueError(f"bad arguments: {problems}") from None
        return self.fn(**{k: getattr(values, k) for k in type(values).model_fields})


def _arguments_model(fn: Callable[..., Any], name: str) -> Any:
    from pydantic import ConfigDict, create_model

    try:
        hints = _hints(fn)
        sig = inspect.signature(fn)
    except (TypeError, ValueError, NameError) as exc:
        raise ToolError(f"function '{name}' cannot be a tool: {exc}",
                        hint="give it plain parameters with type hints") from None
    fields: dict[str, Any] = {}
    for pname, param in sig.parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        annotation = hints.get(pname, str)
        default = ... if param.default is param.empty else param.default
        fields[pname] = (annotation, default)
    try:
        return create_model(f"{name}_arguments", __config__=ConfigDict(extra="forbid"), **fields)
    except Exception as exc:
        raise ToolError(f"function '{name}' cannot be a tool: {exc}",
                        hint="use JSON-friendly type hints (str, int, float, bool, list, dict)"
                        ) from None


def _hints(fn: Callable[..., Any]) -> dict[str, Any]:
    import typing

    return typing.get_type_hints(fn)


def _docstring(fn: Callable[..., Any]) -> tuple[str, dict[str, str]]:
    """The summary (text before the parameter lines) and `name: description` lines."""
    doc = inspect.getdoc(fn) or ""
    summary: list[str] = []
    params: dict[str, str] = {}
    names = set(inspect.signature(fn).parameters)
    current: str | None = None
    for line in doc.splitlines():
        m = _PARAM_LINE.match(line)
        if m and m.group(1) in names:
            current = m.group(1)
            params[current] = m.group(2).strip()
        elif current is not None and line.strip():
            params[current] += " " + line.strip()
        elif current is None and line.strip().lower() not in ("args:", "parameters:"):
            summary.append(line)
        else:
            current = None if not line.strip() else current
    return " ".join(" ".join(summary).split()), params


def load_functions(path: Path) -> list[FunctionTool]:
    """The public functions defined in a Python file (not imported into it), as tools.

    The file is the user's own code and runs as such (like `python FILE`); a file that does
    not exist, is too large, does not import or defines no function is a ToolError (exit 18).
    """
    import importlib.util

    if not path.is_file():
        raise ToolError(f"--functions file not found: {path}", hint="give a Python file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ToolError(f"--functions file larger than {MAX_FILE_BYTES // 1_000_000} MB: {path}")
    module_name = f"llmcli_functions_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ToolError(f"cannot load {path} as Python", hint="give a .py file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise ToolError(f"{path} failed to load: {type(exc).__name__}: {exc}",
                        hint="run it with python to see the traceback") from None
    found = [
        obj for name, obj in vars(module).items()
        if inspect.isfunction(obj) and not name.startswith("_")
        and getattr(obj, "__module__", None) == module_name
    ]
    if not found:
        raise ToolError(f"{path} defines no public function", hint="define def name(arg: type)")
    return [FunctionTool(fn) for fn in found]
