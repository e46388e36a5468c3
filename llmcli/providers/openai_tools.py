"""The tool model on the chat-completions wire (OpenAI, Groq, compatible servers): `tools`
declarations, assistant `tool_calls` and `role: tool` messages out; whole and streamed
`tool_calls` back (a streamed call arrives in pieces keyed by `index`: the id and name first,
the arguments as JSON text split across chunks)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from llmcli.core.events import ToolCallRequested
from llmcli.core.tools import parse_arguments

if TYPE_CHECKING:
    from llmcli.core.messages import Message
    from llmcli.core.tools import ToolSpec


def wire_tools(tools: list[ToolSpec]) -> list[dict[str, Any]]:
    return [{"type": "function",
             "function": {"name": t.name, "description": t.description,
                          "parameters": t.parameters}}
            for t in tools]


def wire_message(m: Message) -> dict[str, Any]:
    """One message as the API takes it (tool turns and calls included)."""
    import json

    if m.role == "tool":
        return {"role": "tool", "tool_call_id": m.tool_call_id or "", "content": m.content}
    out: dict[str, Any] = {"role": m.role, "content": m.content}
    if m.tool_calls:
        out["content"] = m.content or None
        out["tool_calls"] = [
            {"id": c.id, "type": "function",
             "function": {"name": c.name,
                          "arguments": c.raw_arguments if c.error is not None and c.raw_arguments
                          else json.dumps(c.arguments, ensure_ascii=False)}}
            for c in m.tool_calls
        ]
    return out


def _get(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def whole_calls(tool_calls: Any) -> Iterator[ToolCallRequested]:
    """The calls of a whole (not streamed) reply, in order."""
    for i, tc in enumerate(tool_calls or []):
        fn = _get(tc, "function")
        name = _get(fn, "name") or ""
        yield ToolCallRequested(parse_arguments(_get(tc, "id") or f"call_{i}", name,
                                                _get(fn, "arguments")))


class CallAssembler:
    """Streamed `tool_calls` deltas joined into whole calls, by their `index`."""

    def __init__(self) -> None:
        self._calls: dict[int, dict[str, Any]] = {}

    def add(self, deltas: Any) -> None:
        for d in deltas:
            index = _get(d, "index")
            key = index if isinstance(index, int) else len(self._calls)
            slot = self._calls.setdefault(key, {"id": None, "name": "", "arguments": []})
            if _get(d, "id"):
                slot["id"] = _get(d, "id")
            fn = _get(d, "function")
            if _get(fn, "name"):
                slot["name"] = _get(fn, "name")
            if _get(fn, "arguments"):
                slot["arguments"].append(_get(fn, "arguments"))

    def events(self) -> Iterator[ToolCallRequested]:
        for key in sorted(self._calls):
            slot = self._calls[key]
            yield ToolCallRequested(parse_arguments(slot["id"] or f"call_{key}", slot["name"],
                                                    "".join(slot["arguments"])))
