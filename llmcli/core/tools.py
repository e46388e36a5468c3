"""The one tool model: what a model may call (ToolSpec), what it asked for (ToolCall), what
came back (ToolResult), and one call with its outcome as logged and shown (ToolRun).

Adapters map these to their wire formats (OpenAI/Groq `tools`/`tool_calls`, Gemini function
declarations/`functionCall` parts); llmcli/tools/ runs the calls; exchange/tool_loop.py loops.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

MAX_ARGUMENTS_CHARS = 100_000  # arguments a model may send in one call (a runaway is cut off)


def empty_parameters() -> dict[str, Any]:
    return {"type": "object", "properties": {}}


class ToolSpec(BaseModel):
    """A tool as the model sees it: a name, what it does, a JSON Schema of its arguments."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=empty_parameters)


class ToolCall(BaseModel):
    """One call a model asked for. `error` says why its arguments could not be read (bad JSON):
    the call is then not run, the error goes back to the model as the result."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    raw_arguments: str | None = None  # kept only when they were not a JSON object
    error: str | None = None
    # Gemini's thought signature (base64) on the call: sent back with it in the next request.
    signature: str | None = None


class ToolResult(BaseModel):
    """What a call returned (text), or its error told to the model as the result."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    call_id: str
    name: str
    content: str
    is_error: bool = False


class ToolRun(BaseModel):
    """One call and its outcome in a round trip: what `--json` carries and the log keeps."""

    model_config = ConfigDict(extra="forbid")

    round: int
    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    result: str | None = None  # None: not run (declined, interrupted, chain limit)
    is_error: bool = False


def parse_arguments(call_id: str, name: str, raw: str | dict[str, Any] | None) -> ToolCall:
    """A ToolCall from the arguments as sent (JSON text on OpenAI's wire, an object on
    Gemini's); text that is not a JSON object is kept, with the error for the model."""
    if isinstance(raw, dict):
        return ToolCall(id=call_id, name=name, arguments=raw)
    text = (raw or "").strip()
    if not text:
        return ToolCall(id=call_id, name=name)
    if len(text) > MAX_ARGUMENTS_CHARS:
        return ToolCall(id=call_id, name=name, raw_arguments=text[:200],
                        error=f"arguments longer than {MAX_ARGUMENTS_CHARS} characters")
    try:
        value = json.loads(text)
    except ValueError as exc:
        return ToolCall(id=call_id, name=name, raw_arguments=text,
                        error=f"arguments are not valid JSON ({exc.msg} at {exc.pos})")
    if not isinstance(value, dict):
        return ToolCall(id=call_id, name=name, raw_arguments=text,
                        error="arguments must be a JSON object")
    return ToolCall(id=call_id, name=name, arguments=value)


def call_text(call: ToolCall, limit: int | None = 80) -> str:
    """`name(a=1, b="x")`, shortened to `limit` characters (None: in full)."""
    if call.error is not None:
        args = call.raw_arguments or ""
    else:
        args = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}"
                         for k, v in call.arguments.items())
    text = f"{call.name}({args})"
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


class Toolbox(Protocol):
    """The tools of one exchange: their specs, and a way to run a call (never raising for the
    tool's own failure: that becomes an error result the model reads)."""

    @property
    def specs(self) -> list[ToolSpec]: ...

    def run(self, call: ToolCall) -> ToolResult: ...


class ToolHooks(Protocol):
    """What a person sees and decides around each call (the command layer's screen)."""

    def approve(self, call: ToolCall) -> bool: ...

    def called(self, call: ToolCall) -> None: ...

    def returned(self, call: ToolCall, result: ToolResult) -> None: ...


class SilentHooks:
    """Every call approved, nothing shown: for callers with nobody watching."""

    def approve(self, call: ToolCall) -> bool:
        return True

    def called(self, call: ToolCall) -> None: ...

    def returned(self, call: ToolCall, result: ToolResult) -> None: ...
