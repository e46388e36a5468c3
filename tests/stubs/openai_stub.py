"""Loopback server speaking the OpenAI chat-completions wire protocol (prefix /v1).

Follows shared/reference/provider-wire-protocols.md §3 and the §7 checklist: full and streamed
completions (usage chunk only when `stream_options.include_usage`), log-probabilities when
`logprobs: true` (`choices[0].logprobs.content[i]` with token, logprob, bytes and `top_logprobs`
alternatives, in the whole reply and per stream chunk), models, embeddings (base64 or float per
`encoding_format`), the OpenAI error envelope, Retry-After headers.
Point the SDK at it with OPENAI_BASE_URL=stub.url and OPENAI_API_KEY=stub.expected_key.
"""

from __future__ import annotations

import base64
import json
import struct
from functools import lru_cache
from typing import Any

from tests.stubs.base import SSE, AnyReply, Recorded, Reply, StubServer, sse_event, words
from tests.stubs.batch_jobs import BatchEndpoints
from tests.stubs.tool_calls import openai_tool_error, tool_results_text

CREATED = 1700000000
DEFAULT_MODELS = [
    "gpt-6-luna",
    "gpt-4o-mini",
    "gpt-4o",
    "gpt-4.1-mini",
    "gpt-4.1",
    "text-embedding-3-small",
    "stub-model",
]
# GET /v1/models carries an optional `shutdown_date` (YYYY-MM-DD) per model; these are the
# dates OpenAI announced for the models above (its deprecations page, 2026-10).
SHUTDOWN_DATES = {m: "2027-01-14" for m in ("gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-4.1")}


class OpenAIStub(BatchEndpoints, StubServer):
    """Scriptable OpenAI-compatible server. Attributes set the default replies."""

    name = "openai"
    prefix = "/v1"

    def __init__(self, expected_key: str | None = "sk-test-0123456789abcdef"):
        super().__init__(expected_key)
        self.models: list[str] = list(DEFAULT_MODELS)
        self.shutdown_dates: dict[str, str] = dict(SHUTDOWN_DATES)  # listed as `shutdown_date`
        self.check_models = True  # unknown model -> 404 model_not_found
        self.retired: set[str] = set()  # models the service has shut down (see retired_reply)
        self.reply_text = "Hello from the stub."
        self.chunks: list[str] | None = None  # streamed pieces; default: reply_text split in two
        # Per token: (token, logprob, [(alternative, logprob), ...] best first). When set (and
        # `chunks` is not), these tokens are the reply, streamed one per chunk as the API does.
        # Otherwise each piece is a token with made-up log-probabilities (see `logprob_entries`).
        self.token_logprobs: list[tuple[str, float, list[tuple[str, float]]]] | None = None
        self.echo = False  # reply with the last user message instead of reply_text
        self.finish_reason = "stop"
        self.prompt_tokens: int | None = None  # default: words in the messages
        self.completion_tokens: int | None = None  # default: number of chunks
        self.embedding_format: str = "auto"  # 'auto' honours encoding_format; 'float' ignores it
        self.dims = 3
        # Reasoning sent apart from the answer: these pieces, in this message/delta field
        # ('reasoning': Groq parsed, Ollama, vLLM; 'reasoning_content': DeepSeek, llama.cpp),
        # streamed before the answer; `reasoning_tokens` goes in completion_tokens_details.
        self.reasoning: list[str] | None = None
        self.reasoning_field = "reasoning"
        self.reasoning_tokens: int | None = None
        self._init_batches()  # files + batches endpoints (tests/stubs/batch_jobs.py)

    @property
    def url(self) -> str:
        return self.host_url + self.prefix

    # -- routing --------------------------------------------------------------------------------
    def route(self, req: Recorded) -> str | None:
        p = req.route_path
        if not p.startswith(self.prefix + "/"):
            return None
        rest = p[len(self.prefix) :]
        if req.method == "POST" and rest == "/chat/completions":
            return "chat"
        if req.method == "GET" and rest == "/models":
            return "models"
        if req.method == "GET" and rest.startswith("/models/"):
            return "model"
        if req.method == "POST" and rest == "/embeddings":
            return "embeddings"
        return self.batch_route(req.method, rest)

    def check_auth(self, req: Recorded) -> AnyReply | None:
        if self.expected_key is None:
            return None
        given = req.headers.get("authorization", "")
        if given != f"Bearer {self.expected_key}":
            shown = given.removeprefix("Bearer ")
            # The real API echoes (part of) the key; echo it whole to test that llmcli hides it.
            return self.error(
                401,
                f"Incorrect API key provided: {shown}.",
                "invalid_request_error",
                "invalid_api_key",
            )
        return None

    def default(self, route: str, req: Recorded) -> AnyReply:
        if route.startswith(("files.", "batches.")):
            return self.batch_default(route, req)
        body = req.body if isinstance(req.body, dict) else {}
        if route in ("chat", "embeddings"):
            model = body.get("model")
            if model in self.retired:
                return self.retired_reply(str(model))
            if self.check_models and model not in self.models:
                return self.model_not_found(str(model))
        if route == "chat":
            refused = (self.check_logprobs(body) or self.check_response_format(body)
                       or self.check_content_parts(body))
            if refused is not None:
                return refused
            tool_problem = openai_tool_error(body)
            if tool_problem is not None:
                return self.error(400, tool_problem, code="invalid_request_error")
            return self.stream(req) if body.get("stream") else self.completion(req)
        if route == "models":
            return Reply(200, self.models_body())
        if route == "model":
            mid = req.route_path.rsplit("/", 1)[-1]
            if mid not in self.models:
                return self.model_not_found(mid)
            return Reply(200, self.model_entry(mid))
        if route == "embeddings":
            return self.embeddings(req)
        raise AssertionError(route)

    # -- bodies ---------------------------------------------------------------------------------
    def text_for(self, req: Recorded | None) -> str:
        if req is not None and isinstance(req.body, dict):
            said = tool_results_text(req.body.get("messages", []))
            if said is not None:
                return said
        if self.echo and req is not None and isinstance(req.body, dict):
            users = [m["content"] for m in req.body.get("messages", []) if m.get("role") == "user"]
            last = users[-1] if users else ""
            if isinstance(last, list):  # content parts: their text
                return "".join(p.get("text", "") for p in last if p.get("type") == "text")
            return last
        return self.reply_text

    # -- content parts ----------------------------------------------------------------------------
    # The part types this server takes (Groq's takes text and image_url only).
    part_types = ("text", "image_url", "file", "input_audio")

    def check_content_parts(self, body: dict[str, Any]) -> Reply | None:
        """A 400, as the API gives, for a content part it would not read: an unknown type, an
        image that is not a base64 data URL of an image, a PDF file part without a filename or
        a base64 data URL, audio that is not base64 mp3/wav."""
        for i, m in enumerate(body.get("messages", [])):
            content = m.get("content")
            if not isinstance(content, list):
                continue
            for j, part in enumerate(content):
                why = self._bad_part(part)
                if why:
                    return self.error(400, f"Invalid content part messages[{i}].content[{j}]: "
                                      f"{why}")
        return None

    def _bad_part(self, part: Any) -> str | None:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in self.part_types:
            return f"type {kind!r} is not one of {', '.join(self.part_types)}"
        if kind == "text":
            return None if isinstance(part.get("text"), str) else "text must be a string"
        if kind == "image_url":
            return _bad_data_url(part.get("image_url", {}).get("url"), "image/")
        if kind == "file":
            f = part.get("file") or {}
            if not f.get("filename"):
                return "file.filename is required with file_data"
            return _bad_data_url(f.get("file_data"), "application/pdf")
        audio = part.get("input_audio") or {}
        if audio.get("format") not in ("mp3", "wav"):
            return "input_audio.format must be mp3 or wav"
        return None if _b64(audio.get("data")) else "input_audio.data must be base64"

    def pieces(self, req: Recorded | None) -> list[str]:
        if req is not None and isinstance(req.body, dict) \
                and tool_results_text(req.body.get("messages", [])) is not None:
            text = self.text_for(req)
            return [text[: len(text) // 2], text[len(text) // 2 :]]
        if self.chunks is not None:
            return self.chunks
        if self.token_logprobs is not None:
            return [t[0] for t in self.token_logprobs]
        text = self.text_for(req)
        half = len(text) // 2
        return [text[:half], text[half:]] if half else [text]

    def usage_for(self, req: Recorded | None, n_out: int) -> dict[str, int]:
        msgs = (
            req.body.get("messages", []) if req is not None and isinstance(req.body, dict) else []
        )
        p = (
            self.prompt_tokens
            if self.prompt_tokens is not None
            else words(str(m.get("content", "")) for m in msgs)
        )
        c = self.completion_tokens if self.completion_tokens is not None else n_out
        u: dict[str, Any] = {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}
        if self.reasoning_tokens is not None:
            u["completion_tokens_details"] = {"reasoning_tokens": self.reasoning_tokens}
        return u

    # -- log-probabilities ------------------------------------------------------------------------
    def check_logprobs(self, body: dict[str, Any]) -> Reply | None:
        """A 400 where the API gives one: `top_logprobs` without `logprobs: true`, or out of
        0-20 (the messages are ours, not the API's exact wording)."""
        n = body.get("top_logprobs")
        if n is None:
            return None
        if not isinstance(n, int) or not 0 <= n <= 20:
            return self.error(400, f"Invalid 'top_logprobs': expected an integer from 0 to 20, "
                              f"got {n!r}.", code="invalid_value")
        if body.get("logprobs") is not True:
            return self.error(400, "Invalid value for 'top_logprobs': 'logprobs' must be true "
                              "to use 'top_logprobs'.", code="invalid_value")
        return None

    def logprob_entries(self, req: Recorded | None, pieces: list[str]) -> list[dict] | None:
        """One `logprobs.content` entry per piece, or None when the request did not ask."""
        body = req.body if req is not None and isinstance(req.body, dict) else {}
        if body.get("logprobs") is not True:
            return None
        n = int(body.get("top_logprobs") or 0)
        tokens = self.token_logprobs
        if tokens is None or self.chunks is not None:
            # Made up but consistent: the chosen token is the most likely, then alternatives.
            tokens = [
                (p, -0.1 * (i + 1), [(p, -0.1 * (i + 1))]
                 + [(f"<alt{k}>", -0.1 * (i + 1) - k) for k in range(1, 20)])
                for i, p in enumerate(pieces)
            ]
        assert len(tokens) == len(pieces), "token_logprobs and chunks disagree"
        return [
            {**_token_entry(tok, lp), "top_logprobs": [_token_entry(t, a) for t, a in top[:n]]}
            for tok, lp, top in tokens
        ]

    def completion_body(self, req: Recorded | None, model: str) -> dict[str, Any]:
        pieces = self.pieces(req)
        entries = self.logprob_entries(req, pieces)
        return {
            "id": "chatcmpl-stub1",
            "object": "chat.completion",
            "created": CREATED,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": self.message(pieces),
                    "logprobs": None if entries is None else {"content": entries, "refusal": None},
                    "finish_reason": self.finish_reason,
                }
            ],
            "usage": self.usage_for(req, len(pieces)),
        }

    def message(self, pieces: list[str]) -> dict[str, Any]:
        msg = {"role": "assistant", "content": "".join(pieces)}
        if self.reasoning:
            msg[self.reasoning_field] = "".join(self.reasoning)
        return msg

    def with_reasoning(self, events: list[bytes], model: str) -> list[bytes]:
        """The events with the reasoning deltas after the role chunk, as servers send them."""
        if not self.reasoning:
            return events
        thoughts = [sse_event(self.chunk(model, {self.reasoning_field: r})) for r in self.reasoning]
        return [*events[:1], *thoughts, *events[1:]]

    def completion(self, req: Recorded) -> Reply:
        model = str((req.body or {}).get("model", "stub-model"))
        return Reply(200, self.completion_body(req, model), headers={"x-request-id": "req_stub_1"})

    def chunk(self, model: str, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-stub1",
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    def stream_events(self, req: Recorded | None, model: str, include_usage: bool) -> list[bytes]:
        pieces = self.pieces(req)
        usage = self.usage_for(req, len(pieces)) if include_usage else None
        entries = self.logprob_entries(req, pieces)
        logprobs = None if entries is None else tuple(
            json.dumps({"content": [e], "refusal": None}, separators=(",", ":")) for e in entries
        )
        events = _openai_events(model, tuple(pieces), self.finish_reason, _freeze(usage), logprobs)
        return self.with_reasoning(events, model)

    def stream(
        self,
        req: Recorded | None = None,
        *,
        model: str = "stub-model",
        include_usage: bool | None = None,
        drop_after: int | None = None,
        stall_after: int | None = None,
        chunk_delay: float = 0.0,
        error_after: int | None = None,
        error: dict[str, Any] | None = None,
    ) -> Any:
        """A streamed reply. Without `req` it returns a callable to queue with `script`.

        Counts (`drop_after`, `stall_after`, `error_after`) are in SSE events; event 0 is the
        role chunk, so `error_after=2` sends the role and one text piece, then the error frame.
        """
        if req is None:
            return lambda r: self.stream(
                r,
                include_usage=include_usage,
                drop_after=drop_after,
                stall_after=stall_after,
                chunk_delay=chunk_delay,
                error_after=error_after,
                error=error,
            )
        body = req.body if isinstance(req.body, dict) else {}
        model = str(body.get("model", model))
        if include_usage is None:
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        events = list(self.stream_events(req, model, include_usage))
        if error_after is not None:
            err = error or {
                "message": "The server had an error while processing your request.",
                "type": "server_error",
            }
            events = [*events[:error_after], sse_event({"error": err})]
        return SSE(
            events,
            headers={"x-request-id": "req_stub_1"},
            drop_after=drop_after,
            stall_after=stall_after,
            chunk_delay=chunk_delay,
        )

    def model_entry(self, mid: str) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "id": mid, "object": "model", "created": CREATED, "owned_by": "stub"
        }
        if mid in self.shutdown_dates:
            entry["shutdown_date"] = self.shutdown_dates[mid]
        return entry

    def models_body(self) -> dict[str, Any]:
        return {"object": "list", "data": [self.model_entry(m) for m in self.models]}

    def vector(self, i: int) -> list[float]:
        return [round(0.25 * (i + 1) * (j + 1) * (-1) ** j, 4) for j in range(self.dims)]

    def embeddings(self, req: Recorded) -> Reply:
        body = req.body or {}
        inputs = body.get("input")
        texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
        as_b64 = body.get("encoding_format") == "base64" and self.embedding_format == "auto"
        data = []
        for i, _ in enumerate(texts):
            vec = self.vector(i)
            emb: Any = (
                base64.b64encode(struct.pack(f"<{len(vec)}f", *vec)).decode() if as_b64 else vec
            )
            data.append({"object": "embedding", "index": i, "embedding": emb})
        n = words(str(t) for t in texts)
        return Reply(
            200,
            {
                "object": "list",
                "model": body.get("model"),
                "data": data,
                "usage": {"prompt_tokens": n, "total_tokens": n},
            },
        )

    def check_response_format(self, body: dict[str, Any]) -> Reply | None:
        """A 400 for a malformed `response_format`, as the live API answers: json_schema needs
        a name and a schema object, and strict mode needs every property required."""
        rf = body.get("response_format")
        if rf is None:
            return None
        spec = rf.get("json_schema") if isinstance(rf, dict) else None
        if rf.get("type") != "json_schema" or not isinstance(spec, dict):
            return self.error(400, "Invalid 'response_format'", code="invalid_value")
        schema = spec.get("schema")
        if not spec.get("name") or not isinstance(schema, dict):
            return self.error(400, "Missing 'response_format.json_schema.name' or schema")
        if spec.get("strict") and set(schema.get("required", [])) != set(
                schema.get("properties", {})):
            return self.error(400, "Invalid schema for strict mode: 'required' must list "
                              "every key in 'properties'", code="invalid_json_schema")
        return None

    # -- errors ---------------------------------------------------------------------------------
    def error_body(
        self, message: str, type_: str, code: str | None, param: str | None = None
    ) -> dict:
        return {"error": {"message": message, "type": type_, "param": param, "code": code}}

    def error(
        self,
        status: int,
        message: str,
        type_: str = "invalid_request_error",
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        return Reply(
            status,
            self.error_body(message, type_, code),
            headers={"x-request-id": f"req_err_{status}", **(headers or {})},
        )

    def unauthorized(self) -> Reply:
        return self.error(401, "Incorrect API key provided.", code="invalid_api_key")

    def model_not_found(self, model: str = "nope") -> Reply:
        return self.error(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            code="model_not_found",
        )

    def retired_reply(self, model: str) -> Reply:
        """What OpenAI answers for a shut-down id: the same 404 `model_not_found`."""
        return self.model_not_found(model)

    def context_too_long(self) -> Reply:
        return self.error(
            400,
            "This model's maximum context length is 128000 tokens. However, your messages "
            "resulted in 130000 tokens. Please reduce the length of the messages.",
            code="context_length_exceeded",
        )

    def rate_limited(
        self, retry_after: float | None = None, retry_after_ms: int | None = None
    ) -> Reply:
        headers = {
            "x-ratelimit-limit-requests": "500",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": "120ms",
            "x-ratelimit-limit-tokens": "200000",
            "x-ratelimit-remaining-tokens": "199000",
            "x-ratelimit-reset-tokens": "300ms",
        }
        if retry_after is not None:
            headers["retry-after"] = f"{retry_after:g}"
        if retry_after_ms is not None:
            headers["retry-after-ms"] = str(retry_after_ms)
        return self.error(
            429,
            "Rate limit reached for requests",
            "requests",
            "rate_limit_exceeded",
            headers=headers,
        )

    def server_error(self, status: int = 500) -> Reply:
        return self.error(
            status, "The server had an error while processing your request.", "server_error"
        )

    def bad_gateway(self) -> Reply:
        """A 502 from a proxy in front of the API: HTML, not JSON."""
        return Reply(
            502, "<html><body><h1>502 Bad Gateway</h1></body></html>", content_type="text/html"
        )


@lru_cache(maxsize=32)
def _openai_events(
    model: str,
    pieces: tuple[str, ...],
    finish: str,
    usage: str | None,
    logprobs: tuple[str, ...] | None = None,
) -> list[bytes]:
    """Cached: the 20,000-chunk benchmark stream is built once, not per request.

    `logprobs`, when asked for, holds each piece's `logprobs` object as JSON; the role chunk
    then carries an empty one and the finish chunk null, as the API sends them."""
    head = {
        "id": "chatcmpl-stub1",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": model,
    }
    prefix = json.dumps(head, separators=(",", ":"))[:-1]

    def ev(choices: str, extra: str = "") -> bytes:
        return b'data: %s,"choices":%s%s}\n\n' % (prefix.encode(), choices.encode(), extra.encode())

    def choice(delta: dict[str, Any], fin: str | None, lp: Any = _ABSENT) -> str:
        c: dict[str, Any] = {"index": 0, "delta": delta}
        if lp is not _ABSENT:
            c["logprobs"] = json.loads(lp) if isinstance(lp, str) else lp
        c["finish_reason"] = fin
        return json.dumps([c], separators=(",", ":"))

    asked = logprobs is not None
    role_lp = {"content": [], "refusal": None} if asked else _ABSENT
    out = [ev(choice({"role": "assistant", "content": ""}, None, role_lp))]
    out += [
        ev(choice({"content": p}, None, logprobs[i] if logprobs is not None else _ABSENT))
        for i, p in enumerate(pieces)
    ]
    out.append(ev(choice({}, finish, None if asked else _ABSENT)))
    if usage is not None:
        out.append(ev("[]", ',"usage":' + usage))
    out.append(b"data: [DONE]\n\n")
    return out


_ABSENT = object()  # a field left out of a chunk (not null)


def _b64(text: Any) -> bytes | None:
    import base64
    import binascii

    if not isinstance(text, str) or not text:
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _bad_data_url(url: Any, mime_prefix: str) -> str | None:
    if not isinstance(url, str) or not url.startswith("data:"):
        return "expected a data: URL"
    head, _, data = url.partition(",")
    if not head.startswith("data:" + mime_prefix) or not head.endswith(";base64"):
        return f"expected data:{mime_prefix}...;base64, got {head[:40]!r}"
    return None if _b64(data) else "the data URL is not valid base64"


def _token_entry(token: str, logprob: float) -> dict[str, Any]:
    return {"token": token, "logprob": round(logprob, 6), "bytes": list(token.encode("utf-8"))}


def _freeze(d: dict[str, Any] | None) -> str | None:
    """The usage as compact JSON: hashable for the event cache, nested details included."""
    return json.dumps(d, separators=(",", ":")) if d is not None else None
