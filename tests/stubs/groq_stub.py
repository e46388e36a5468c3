"""Loopback server speaking Groq's wire protocol: OpenAI's, under /openai/v1, with x_groq.

Per shared/reference/provider-wire-protocols.md §4: `x_groq.id` on the first chunk,
`x_groq.usage` on the final one (the one with `finish_reason`), `*_time` usage fields, error
bodies without `param`, and never an `event:` line (the groq SDK garbles events that have one).
Point the SDK at it with GROQ_BASE_URL=stub.url (the host; the SDK adds /openai/v1).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from tests.stubs.base import Recorded, Reply
from tests.stubs.openai_stub import CREATED, OpenAIStub

# Groq's production chat models as of 2026-12 (the Llama models were decommissioned on
# 2026-08-16), a speech model the adapter must drop, and a neutral one.
DEFAULT_MODELS = [
    "openai/gpt-oss-20b",
    "openai/gpt-oss-120b",
    "whisper-large-v3",
    "stub-model",
]


class GroqStub(OpenAIStub):
    name = "groq"
    prefix = "/openai/v1"
    part_types = ("text", "image_url")  # Groq's vision models read images, nothing else

    def __init__(self, expected_key: str | None = "gsk_test0123456789abcdef"):
        super().__init__(expected_key)
        self.models = list(DEFAULT_MODELS)

    @property
    def url(self) -> str:
        return self.host_url  # the groq SDK adds /openai/v1 itself

    def usage_for(self, req: Recorded | None, n_out: int) -> dict[str, Any]:
        u: dict[str, Any] = dict(super().usage_for(req, n_out))
        u.update(queue_time=0.01, prompt_time=0.001, completion_time=0.002, total_time=0.003)
        return u

    def completion_body(self, req: Recorded | None, model: str) -> dict[str, Any]:
        body = super().completion_body(req, model)
        body["choices"][0]["logprobs"] = None
        body["system_fingerprint"] = "fp_stub"
        body["x_groq"] = {"id": "req_01stub"}
        return body

    def stream_events(self, req: Recorded | None, model: str, include_usage: bool) -> list[bytes]:
        pieces = self.pieces(req)
        usage = self.usage_for(req, len(pieces))
        events = _groq_events(
            model, tuple(pieces), self.finish_reason, json.dumps(usage), include_usage
        )
        return self.with_reasoning(events, model)

    def model_entry(self, mid: str) -> dict[str, Any]:
        return {
            "id": mid,
            "object": "model",
            "created": CREATED,
            "owned_by": "Meta",
            "active": True,
            "context_window": 131072,
            "public_apps": None,
            "max_completion_tokens": 32768,
        }

    def error_body(
        self, message: str, type_: str, code: str | None, param: str | None = None
    ) -> dict:
        err: dict[str, Any] = {"message": message, "type": type_}
        if code is not None:
            err["code"] = code
        return {"error": err}

    def unauthorized(self) -> Reply:
        return self.error(401, "Invalid API Key", code="invalid_api_key")

    def rate_limited(
        self, retry_after: float | None = None, retry_after_ms: int | None = None
    ) -> Reply:
        reply = super().rate_limited(retry_after, retry_after_ms)
        reply.body = self.error_body(
            "Rate limit reached for model `openai/gpt-oss-20b` in organization `org_stub` on "
            "tokens per minute (TPM): Limit 6000, Used 5000, Requested 2000. "
            "Please try again in 10s.",
            "tokens",
            "rate_limit_exceeded",
        )
        return reply

    def retired_reply(self, model: str) -> Reply:
        """Groq's answer for a decommissioned model (400, code `model_decommissioned`)."""
        return self.error(
            400,
            f"The model `{model}` has been decommissioned and is no longer supported. Please "
            "refer to https://console.groq.com/docs/deprecations for a recommendation on which "
            "model to use instead.",
            code="model_decommissioned",
        )

    def server_error(self, status: int = 500) -> Reply:
        return self.error(status, "Internal Server Error", "internal_server_error")


@lru_cache(maxsize=32)
def _groq_events(
    model: str, pieces: tuple[str, ...], finish: str, usage_json: str, include_usage: bool
) -> list[bytes]:
    head = {
        "id": "chatcmpl-stub1",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": model,
        "system_fingerprint": "fp_stub",
    }
    prefix = json.dumps(head, separators=(",", ":"))[:-1].encode()

    def ev(delta: dict[str, Any] | None, fin: str | None, x_groq: str = "") -> bytes:
        choices = (
            "[]"
            if delta is None
            else json.dumps(
                [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": fin}],
                separators=(",", ":"),
            )
        )
        return b'data: %s,"choices":%s%s}\n\n' % (prefix, choices.encode(), x_groq.encode())

    out = [ev({"role": "assistant", "content": ""}, None, ',"x_groq":{"id":"req_01stub"}')]
    out += [ev({"content": p}, None) for p in pieces]
    out.append(ev({}, finish, ',"x_groq":{"id":"req_01stub","usage":' + usage_json + "}"))
    if include_usage:
        out.append(ev(None, None, f',"usage":{usage_json}'))
    out.append(b"data: [DONE]\n\n")
    return out
