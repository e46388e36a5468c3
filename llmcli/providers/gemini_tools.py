"""The tool model on Gemini's wire: `function_declarations` out, `functionCall` parts back (the
arguments already an object), answers as `functionResponse` parts in a user turn (the calls of
one turn answered together, in one content, as the API requires)."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from llmcli.core.events import ToolCallRequested
from llmcli.core.tools import parse_arguments

if TYPE_CHECKING:
    from collections.abc import Callable

    from llmcli.core.messages import Message
    from llmcli.core.tools import ToolSpec


def wire_tools(tools: list[ToolSpec]) -> list[dict[str, Any]]:
    """One Tool holding every declaration; `parameters_json_schema` takes standard JSON
    Schema as is (the `parameters` field takes only Google's OpenAPI subset)."""
    return [{"function_declarations": [
        {"name": t.name, "description": t.description, "parameters_json_schema": t.parameters}
        for t in tools
    ]}]


def wire_contents(turns: list[Message],
                  user_parts: Callable[[Message], list[Any]] | None = None) -> list[dict[str, Any]]:
    """The turns as Gemini contents; `user_parts` makes a user turn's parts (text and
    attachments), plain text without it."""
    out: list[dict[str, Any]] = []
    for m in turns:
        if m.role == "tool":
            response: dict[str, Any] = {"name": m.tool_name or "",
                                        "response": {"result": m.content}}
            if m.tool_call_id and not m.tool_call_id.startswith(MADE_ID):
                response["id"] = m.tool_call_id
            part = {"function_response": response}
            if out and out[-1]["role"] == "user" and "function_response" in out[-1]["parts"][0]:
                out[-1]["parts"].append(part)
            else:
                out.append({"role": "user", "parts": [part]})
            continue
        if m.role == "assistant":
            parts: list[dict[str, Any]] = [{"text": m.content}] if m.content else []
            for c in m.tool_calls:
                fc: dict[str, Any] = {"name": c.name, "args": c.arguments}
                if not c.id.startswith(MADE_ID):
                    fc["id"] = c.id
                p: dict[str, Any] = {"function_call": fc}
                if c.signature:
                    p["thought_signature"] = base64.b64decode(c.signature)
                parts.append(p)
            out.append({"role": "model", "parts": parts or [{"text": ""}]})
            continue
        out.append({"role": "user",
                    "parts": user_parts(m) if user_parts else [{"text": m.content}]})
    return out


MADE_ID = "llmcli-call-"  # an id made here (the model gave none): not sent back to Gemini


def call_event(fc: Any, n: int, signature: bytes | None = None) -> ToolCallRequested:
    """A `functionCall` part as a ToolCallRequested (Gemini may give no id: one is made, to
    pair the call with its result inside llmcli, and left out of the next request)."""
    call = parse_arguments(getattr(fc, "id", None) or f"{MADE_ID}{n}", fc.name or "",
                           dict(fc.args or {}))
    if signature:
        call = call.model_copy(update={"signature": base64.b64encode(signature).decode()})
    return ToolCallRequested(call)
