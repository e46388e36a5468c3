"""Tool calling on the stubs' wires.

Chat completions (OpenAI, Groq): a reply with `message.tool_calls` (whole) or `delta.tool_calls`
pieces keyed by `index` (streamed: the id, type and name first with empty arguments, then the
arguments as JSON text split across chunks, then `finish_reason: "tool_calls"`), several calls
per turn, arguments sent as they are (bad JSON included). The request is checked as the API
checks it: a `tool` message must answer a `tool_calls` id of the assistant turn before it, and
every call of that turn must be answered.

Gemini: `functionCall` parts (arguments as an object) with finishReason STOP; the next request
must answer them with as many `functionResponse` parts in one user turn.

After the tool results, the stubs answer "Tool said: <results>" so tests see what came back.
"""

from __future__ import annotations

import json
from typing import Any

from tests.stubs.base import SSE, Recorded, Reply, sse_event

Call = tuple[str, str, str]  # (id, name, arguments as JSON text, sent as is)


def openai_tool_error(body: dict[str, Any]) -> str | None:
    """What the chat-completions API would refuse about the tool turns (None: nothing)."""
    pending: set[str] = set()
    for m in body.get("messages", []):
        role = m.get("role")
        if role == "tool":
            cid = m.get("tool_call_id")
            if cid not in pending:
                return (f"Invalid parameter: messages with role 'tool' must be a response to a "
                        f"preceeding message with 'tool_calls' (id {cid!r}).")
            pending.discard(cid)
            continue
        if pending:
            return ("An assistant message with 'tool_calls' must be followed by tool messages "
                    f"responding to each 'tool_call_id'. Missing: {sorted(pending)}")
        if role == "assistant" and m.get("tool_calls"):
            for tc in m["tool_calls"]:
                if not isinstance(tc.get("function", {}).get("arguments"), str):
                    return "tool_calls[].function.arguments must be a string"
                pending.add(tc.get("id"))
    for t in body.get("tools") or []:
        if t.get("type") != "function" or not t.get("function", {}).get("name"):
            return "Invalid 'tools': each needs type 'function' and a function name"
    return None


def tool_results_text(messages: list[dict[str, Any]]) -> str | None:
    """'Tool said: a | b' when the conversation ends with tool results."""
    tail = []
    for m in reversed(messages):
        if m.get("role") != "tool":
            break
        tail.append(str(m.get("content")))
    return "Tool said: " + " | ".join(reversed(tail)) if tail else None


def openai_calls(stub: Any, calls: list[Call], text: str = "") -> Any:
    """A reply asking for `calls` (whole or streamed, as the request asks): queue it with
    `stub.script("chat", ...)`."""
    def reply(req: Recorded) -> Any:
        body = req.body if isinstance(req.body, dict) else {}
        model = str(body.get("model", "stub-model"))
        if not body.get("tools"):
            return stub.error(400, "tool_calls replied to a request without tools (stub misuse)")
        if body.get("stream"):
            return SSE(_stream(stub, model, calls, text, body), headers={"x-request-id": "r"})
        message: dict[str, Any] = {
            "role": "assistant", "content": text or None,
            "tool_calls": [{"id": cid, "type": "function",
                            "function": {"name": name, "arguments": args}}
                           for cid, name, args in calls],
        }
        return Reply(200, {
            "id": "chatcmpl-stub-tools", "object": "chat.completion", "created": 1700000000,
            "model": model,
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        })
    return reply


def _stream(stub: Any, model: str, calls: list[Call], text: str,
            body: dict[str, Any]) -> list[bytes]:
    def ev(delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> bytes:
        chunk: dict[str, Any] = {"id": "chatcmpl-stub-tools", "object": "chat.completion.chunk",
                                 "created": 1700000000, "model": model,
                                 "choices": [] if delta is None else
                                 [{"index": 0, "delta": delta, "finish_reason": finish}]}
        chunk.update(extra)
        return sse_event(chunk)

    out = [ev({"role": "assistant", "content": text or None})]
    for i, (cid, name, args) in enumerate(calls):
        out.append(ev({"tool_calls": [{"index": i, "id": cid, "type": "function",
                                       "function": {"name": name, "arguments": ""}}]}))
        half = len(args) // 2
        for piece in (args[:half], args[half:]):
            if piece:
                out.append(ev({"tool_calls": [{"index": i, "function": {"arguments": piece}}]}))
    usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    if stub.name == "groq":  # Groq's usage rides on the final chunk's x_groq, always
        out.append(ev({}, "tool_calls", x_groq={"id": "req_01stub", "usage": usage}))
    else:
        out.append(ev({}, "tool_calls"))
    if (body.get("stream_options") or {}).get("include_usage"):
        out.append(ev(None, usage=usage))
    out.append(b"data: [DONE]\n\n")
    return out


# -- Gemini ---------------------------------------------------------------------------------------

GeminiCall = tuple[str, dict[str, Any]]  # (name, args)


def gemini_tool_error(body: dict[str, Any]) -> str | None:
    contents = body.get("contents", [])
    for i, c in enumerate(contents):
        responses = [p for p in c.get("parts", []) if "functionResponse" in p]
        if not responses:
            continue
        prev = contents[i - 1] if i else {}
        calls = [p for p in prev.get("parts", []) if "functionCall" in p]
        if prev.get("role") != "model" or len(calls) != len(responses):
            return ("Please ensure that the number of function response parts is equal to the "
                    "number of function call parts of the function call turn.")
        for r in responses:
            fr = r["functionResponse"]
            if not fr.get("name") or not isinstance(fr.get("response"), dict):
                return "functionResponse needs a name and a response object"
    for t in body.get("tools") or []:
        for d in t.get("functionDeclarations", []):
            if not d.get("name"):
                return "functionDeclarations[].name is required"
    return None


def gemini_results_text(body: dict[str, Any]) -> str | None:
    contents = body.get("contents", [])
    if not contents:
        return None
    parts = [p["functionResponse"] for p in contents[-1].get("parts", [])
             if "functionResponse" in p]
    if not parts:
        return None
    return "Tool said: " + " | ".join(str(p["response"].get("result", p["response"]))
                                      for p in parts)


def gemini_calls(stub: Any, calls: list[GeminiCall], text: str = "",
                 signature: str | None = None, ids: bool = False) -> Any:
    """`signature` (base64) rides on the first functionCall part as `thoughtSignature`, as
    Gemini 3 sends it; `ids` gives each call an id (the API may or may not)."""
    def reply(req: Recorded) -> Any:
        body = req.body if isinstance(req.body, dict) else {}
        if not body.get("tools"):
            return stub.error(400, "INVALID_ARGUMENT", "functionCall without tools (stub misuse)")
        parts: list[dict[str, Any]] = [{"text": text}] if text else []
        for i, (n, a) in enumerate(calls):
            part: dict[str, Any] = {"functionCall": {"name": n, "args": a}}
            if ids:
                part["functionCall"]["id"] = f"fc-{i}"
            if signature and i == 0:
                part["thoughtSignature"] = signature
            parts.append(part)
        cand = {"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}
        payload = {"candidates": [cand],
                   "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5,
                                     "totalTokenCount": 15},
                   "modelVersion": stub.model_of(req), "responseId": "resp-stub-tools"}
        if stub.is_stream(req):
            return SSE([sse_event(payload, "\r\n")])
        return Reply(200, payload)
    return reply


def dumps(args: dict[str, Any]) -> str:
    return json.dumps(args, ensure_ascii=False)
