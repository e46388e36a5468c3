"""The chat-completions wire shapes shared by OpenAI-compatible servers and Groq: content parts
for attachments, `response_format` for a JSON Schema, log-probabilities, finish reasons."""

from __future__ import annotations

from typing import Any

from llmcli.core.events import TokenLogprobs

_FINISH = {
    "stop": "stop",
    "end_turn": "stop",
    "eos": "stop",
    "length": "length",
    "max_tokens": "length",
    "content_filter": "content_filter",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
}


def content_parts(text: str, attachments: Any) -> list[dict[str, Any]]:
    """A message's text and attachments as chat-completions content parts: images as
    `image_url` data URLs, PDFs as `file` parts (`file_data` data URL), audio as `input_audio`
    (base64, format mp3 or wav). Groq takes the same `image_url` parts on its vision models."""
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    for a in attachments:
        if a.kind == "image":
            parts.append({"type": "image_url", "image_url": {"url": a.data_url()}})
        elif a.kind == "pdf":
            parts.append({"type": "file",
                          "file": {"filename": a.filename, "file_data": a.data_url()}})
        else:
            fmt = "wav" if "wav" in a.mime else "mp3"
            parts.append({"type": "input_audio", "input_audio": {"data": a.b64(), "format": fmt}})
    return parts


def response_format(schema: dict[str, Any], *, strict: bool) -> dict[str, Any]:
    """The `response_format` field for a JSON Schema. Strict mode needs every property
    required and `additionalProperties: false` on each object; other schemas go best-effort
    (the reply is validated by llmcli either way)."""
    name = str(schema.get("title") or "reply")
    name = "".join(c if c.isalnum() or c in "_-" else "_" for c in name)[:64]
    return {"type": "json_schema",
            "json_schema": {"name": name, "schema": schema,
                            "strict": strict and strict_compatible(schema)}}


def strict_compatible(node: Any) -> bool:
    """Whether every object in the schema lists all its properties as required and forbids
    others: the subset OpenAI's and Groq's strict modes accept."""
    if isinstance(node, list):
        return all(strict_compatible(v) for v in node)
    if not isinstance(node, dict):
        return True
    if node.get("type") == "object" or "properties" in node:
        props = node.get("properties", {})
        if node.get("additionalProperties", True) is not False:
            return False
        if set(node.get("required", [])) != set(props):
            return False
    return all(strict_compatible(v) for v in node.values())


def token_logprobs(logprobs: Any) -> list[TokenLogprobs]:
    """TokenLogprobs from a choice's `logprobs` ({"content": [{token, logprob, top_logprobs}]}).

    Read as attributes or keys: without strict validation the SDK leaves a shape it does not
    expect (some compatible servers) as plain dicts."""
    out = []
    for item in _field(logprobs, "content") or []:
        pair = _pair(item)
        if pair is not None:
            alts = [_pair(t) for t in _field(item, "top_logprobs") or []]
            out.append(TokenLogprobs(*pair, [a for a in alts if a is not None]))
    return out


def _pair(item: Any) -> tuple[str, float] | None:
    token, logprob = _field(item, "token"), _field(item, "logprob")
    if not isinstance(token, str) or not isinstance(logprob, int | float):
        return None  # a malformed entry is skipped, not a crash mid-reply
    return token, float(logprob)


def _field(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def normalise_finish(reason: str | None) -> str | None:
    """OpenAI-style finish reasons, with the spellings some compatible servers use folded in."""
    if reason is None:
        return None
    return _FINISH.get(str(reason).lower(), str(reason).lower())
