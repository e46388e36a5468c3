"""The toolbox of one exchange: tools by name, each call run on a worker thread with a time
limit. A tool that raises or hangs gives an error result (the model reads it); the process
goes on (a hung worker is a daemon thread, left behind)."""

from __future__ import annotations

import json
import threading
from typing import Any, Protocol

from llmcli.core.tools import ToolCall, ToolResult, ToolSpec

DEFAULT_TIMEOUT = 30.0
MAX_RESULT_CHARS = 50_000  # a result larger than this is cut (the model's window is finite)


class ToolFailed(Exception):
    """The tool ran and reports a failure in its own words (an MCP tool's `isError` result)."""


class Tool(Protocol):
    name: str
    spec: ToolSpec

    def invoke(self, arguments: dict[str, Any]) -> Any: ...


class LocalToolbox:
    """`core.tools.Toolbox` over in-process tools (functions, MCP tools through a client)."""

    def __init__(self, tools: list[Tool], timeout: float = DEFAULT_TIMEOUT):
        self.tools = {t.name: t for t in tools}
        self.timeout = timeout
        self.enabled: set[str] = set(self.tools)  # chat's /tools switches them on and off

    @property
    def specs(self) -> list[ToolSpec]:
        return [t.spec for name, t in self.tools.items() if name in self.enabled]

    def run(self, call: ToolCall) -> ToolResult:
        tool = self.tools.get(call.name) if call.name in self.enabled else None
        if tool is None:
            known = ", ".join(sorted(self.enabled)) or "none"
            return _error(call, f"no tool named '{call.name}' (tools: {known})")
        outcome: dict[str, Any] = {}
        done = threading.Event()

        def work() -> None:
            try:
                outcome["value"] = tool.invoke(call.arguments)
            except BaseException as exc:
                outcome["error"] = exc
            finally:
                done.set()

        threading.Thread(target=work, name=f"tool-{call.name}", daemon=True).start()
        if not done.wait(self.timeout):
            return _error(call, f"timed out after {self.timeout:g} s")
        if "error" in outcome:
            exc = outcome["error"]
            return _error(call, str(exc) if isinstance(exc, ToolFailed)
                          else f"{type(exc).__name__}: {exc}")
        return ToolResult(call_id=call.id, name=call.name, content=as_text(outcome.get("value")))


def _error(call: ToolCall, text: str) -> ToolResult:
    return ToolResult(call_id=call.id, name=call.name, content=f"error: {text}", is_error=True)


def as_text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > MAX_RESULT_CHARS:
        text = text[:MAX_RESULT_CHARS] + f"\n[cut: the result had {len(text)} characters]"
    return text
