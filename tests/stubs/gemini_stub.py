"""Loopback server speaking the Gemini Developer API (google-genai 3.x), under /v1 and /v1beta.

Per shared/reference/provider-wire-protocols.md §5 and the §7 checklist: generateContent,
streamGenerateContent?alt=sse (strict `data: ` events, CRLF, no terminator, cumulative
usageMetadata, finishReason on the last event), paged models, batchEmbedContents, countTokens,
the google.rpc error envelope (bad key = 400 API_KEY_INVALID, 429 with RetryInfo).
Point the SDK at it with GOOGLE_GEMINI_BASE_URL=stub.url and GEMINI_API_KEY=stub.expected_key.
"""

from __future__ import annotations

import re
from typing import Any

from tests.stubs.base import SSE, AnyReply, Recorded, Reply, StubServer, sse_event, words
from tests.stubs.gemini_batch import GeminiBatchEndpoints
from tests.stubs.tool_calls import gemini_results_text, gemini_tool_error

_PATH = re.compile(r"^/(v1|v1beta)/models(?:/([^:/]+))?(?::([A-Za-z]+))?$")

DEFAULT_MODELS = [
    ("gemini-3.5-flash-lite", ["generateContent", "countTokens"], 1048576),
    ("gemini-2.5-flash-lite", ["generateContent", "countTokens"], 1048576),
    ("gemini-3.8-flash", ["generateContent", "countTokens"], 1048576),
    ("gemini-embedding-001", ["embedContent", "batchEmbedContents"], 2048),
    ("imagen-stub", ["predict"], 480),
]


class GeminiStub(GeminiBatchEndpoints, StubServer):
    name = "gemini"

    def __init__(self, expected_key: str | None = "AIzaStubTestKey0123456789abcdefghij"):
        super().__init__(expected_key)
        self.models: list[tuple[str, list[str], int]] = list(DEFAULT_MODELS)
        self.check_models = True
        # Withdrawn models -> the status Gemini answers them with: 404 NOT_FOUND, or 503
        # UNAVAILABLE (the wording of that 503 is not documented; ours is made up).
        self.retired: dict[str, int] = {}
        self.page_size = 3  # models per page, so the pager must follow nextPageToken
        self.reply_text = "Hello from the stub."
        self.chunks: list[str] | None = None
        self.echo = False
        self.thought: str | None = None  # a thinking part sent before the reply (not shown)
        self.finish_reason = "STOP"
        self.prompt_tokens: int | None = None
        self.completion_tokens: int | None = None
        self.thoughts_tokens: int | None = None
        self.total_tokens_reply: int | None = None  # countTokens answer; default: words
        self.dims = 3
        self._init_batches()  # batch mode (tests/stubs/gemini_batch.py)

    # -- routing --------------------------------------------------------------------------------
    def route(self, req: Recorded) -> str | None:
        batch = self.batch_route(req)
        if batch is not None:
            return batch
        m = _PATH.match(req.route_path)
        if not m:
            return None
        _, model, action = m.groups()
        if req.method == "GET" and not model and not action:
            return "models"
        if req.method == "GET" and model and not action:
            return "model"
        if req.method == "POST" and action in ("generateContent", "streamGenerateContent"):
            return "chat"
        if req.method == "POST" and action in ("batchEmbedContents", "embedContent"):
            return "embeddings"
        if req.method == "POST" and action == "countTokens":
            return "count_tokens"
        return None

    @staticmethod
    def model_of(req: Recorded) -> str:
        m = _PATH.match(req.route_path)
        return (m.group(2) if m else None) or ""

    @staticmethod
    def is_stream(req: Recorded) -> bool:
        return req.route_path.endswith(":streamGenerateContent")

    def check_auth(self, req: Recorded) -> AnyReply | None:
        if self.expected_key is None or req.route == "files.upload_chunk":
            return None  # an upload URL is its own credential (its upload id)
        given = req.headers.get("x-goog-api-key")
        if not given:
            return self.error(
                403,
                "PERMISSION_DENIED",
                "Method doesn't allow unregistered callers. Please use API Key.",
            )
        if given != self.expected_key:
            return self.bad_key()
        return None

    def default(self, route: str, req: Recorded) -> AnyReply:
        if route.startswith(("batches.", "files.")):
            return self.batch_default(route, req)
        names = [m[0] for m in self.models]
        routes = ("chat", "embeddings", "count_tokens", "model")
        if route in routes and self.model_of(req) in self.retired:
            model = self.model_of(req)
            if self.retired[model] == 503:
                return self.error(503, "UNAVAILABLE", f"The model {model} is not available.")
            return self.model_not_found(model, req)
        if route in routes and self.check_models and self.model_of(req) not in names:
            return self.model_not_found(self.model_of(req), req)
        if route == "chat":
            config = (req.body or {}).get("generationConfig", {})
            if "responseJsonSchema" in config and config.get("responseMimeType") != (
                    "application/json"):
                return self.error(400, "INVALID_ARGUMENT", "responseJsonSchema needs "
                                  "responseMimeType application/json")
            bad = self.check_parts(req.body or {})
            if bad is not None:
                return bad
            problem = gemini_tool_error(req.body or {})
            if problem is not None:
                return self.error(400, "INVALID_ARGUMENT", problem)
            return self.stream(req) if self.is_stream(req) else self.generate(req)
        if route == "models":
            return self.models_page(req)
        if route == "model":
            return Reply(
                200, self.model_entry(next(m for m in self.models if m[0] == self.model_of(req)))
            )
        if route == "embeddings":
            return self.embeddings(req)
        if route == "count_tokens":
            return Reply(200, {"totalTokens": self.count(req)})
        raise AssertionError(route)

    # MIME types Gemini reads as inline data (ai.google.dev: vision, document, audio pages).
    inline_types = ("image/png", "image/jpeg", "image/webp", "image/gif", "application/pdf",
                    "audio/mp3", "audio/wav", "audio/mpeg")

    def check_parts(self, body: dict[str, Any]) -> Reply | None:
        """400 INVALID_ARGUMENT for a part Gemini would refuse: inline data with no or an
        unknown mimeType, or data that is not base64; a part that is neither text nor data.
        Field names in either spelling, as proto3 JSON parsers accept: google-genai 3.4 sends
        `inlineData` with `mime_type` inside."""
        for i, content in enumerate(body.get("contents", [])):
            for j, part in enumerate(content.get("parts", [])):
                where = f"contents[{i}].parts[{j}]"
                if "text" in part or _is_function_part(part):
                    continue  # function parts are checked by gemini_tool_error
                blob = part.get("inlineData") or part.get("inline_data")
                if not isinstance(blob, dict):
                    return self.error(400, "INVALID_ARGUMENT", f"{where}: no data in the part")
                mime = blob.get("mimeType") or blob.get("mime_type")
                if mime not in self.inline_types:
                    return self.error(400, "INVALID_ARGUMENT",
                                      f"{where}: unsupported MIME type {mime!r}")
                if decode_bytes(blob.get("data")) is None:
                    return self.error(400, "INVALID_ARGUMENT", f"{where}: data is not base64")
        return None

    # -- bodies ---------------------------------------------------------------------------------
    def texts_in(self, req: Recorded | None) -> list[str]:
        body = req.body if req is not None and isinstance(req.body, dict) else {}
        out = []
        for content in [*body.get("contents", []), body.get("systemInstruction") or {}]:
            for part in content.get("parts", []) if isinstance(content, dict) else []:
                out.append(str(part.get("text", "")))
        return out

    def count(self, req: Recorded) -> int:
        return (
            self.total_tokens_reply
            if self.total_tokens_reply is not None
            else words(self.texts_in(req))
        )

    def pieces(self, req: Recorded | None) -> list[str]:
        said = gemini_results_text(req.body) if req is not None and isinstance(req.body, dict) \
            else None
        if said is not None:
            return [said[: len(said) // 2], said[len(said) // 2 :]]
        if self.chunks is not None:
            return self.chunks
        text = self.reply_text
        if self.echo and req is not None and isinstance(req.body, dict):
            users = [c for c in req.body.get("contents", []) if c.get("role") == "user"]
            text = users[-1]["parts"][0]["text"] if users else ""
        half = len(text) // 2
        return [text[:half], text[half:]] if half else [text]

    def usage(self, req: Recorded | None, n_out: int | None) -> dict[str, int]:
        p = self.prompt_tokens if self.prompt_tokens is not None else words(self.texts_in(req))
        u = {"promptTokenCount": p}
        if n_out is not None:
            c = self.completion_tokens if self.completion_tokens is not None else n_out
            u["candidatesTokenCount"] = c
            t = self.thoughts_tokens or 0
            if t:
                u["thoughtsTokenCount"] = t
            u["totalTokenCount"] = p + c + t
        else:
            u["totalTokenCount"] = p
        return u

    def _parts(self, text: str, with_thought: bool) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        if with_thought and self.thought:
            parts.append({"text": self.thought, "thought": True})
        parts.append({"text": text})
        return parts

    def generate(self, req: Recorded) -> Reply:
        pieces = self.pieces(req)
        return Reply(
            200,
            {
                "candidates": [
                    {
                        "content": {"parts": self._parts("".join(pieces), True), "role": "model"},
                        "finishReason": self.finish_reason,
                        "index": 0,
                    }
                ],
                "usageMetadata": self.usage(req, len(pieces)),
                "modelVersion": self.model_of(req),
                "responseId": "resp-stub-1",
            },
        )

    def stream_events(self, req: Recorded | None, model: str) -> list[bytes]:
        pieces = self.pieces(req)
        out = []
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            cand: dict[str, Any] = {
                "content": {"parts": self._parts(piece, i == 0), "role": "model"},
                "index": 0,
            }
            if last:
                cand["finishReason"] = self.finish_reason
            out.append(
                sse_event(
                    {
                        "candidates": [cand],
                        "usageMetadata": self.usage(req, i + 1 if last else None),
                        "modelVersion": model,
                        "responseId": "resp-stub-1",
                    },
                    "\r\n",
                )
            )
        return out

    def stream(
        self,
        req: Recorded | None = None,
        *,
        drop_after: int | None = None,
        stall_after: int | None = None,
        chunk_delay: float = 0.0,
        error_after: int | None = None,
        error: dict[str, Any] | None = None,
    ) -> Any:
        """A streamed reply; without `req`, a callable to queue with `script`. Counts are events."""
        if req is None:
            return lambda r: self.stream(
                r,
                drop_after=drop_after,
                stall_after=stall_after,
                chunk_delay=chunk_delay,
                error_after=error_after,
                error=error,
            )
        events = self.stream_events(req, self.model_of(req))
        if error_after is not None:
            err = error or {
                "code": 503,
                "message": "The model is overloaded. Please try again later.",
                "status": "UNAVAILABLE",
            }
            events = [*events[:error_after], sse_event({"error": err}, "\r\n")]
        return SSE(events, drop_after=drop_after, stall_after=stall_after, chunk_delay=chunk_delay)

    def model_entry(self, m: tuple[str, list[str], int]) -> dict[str, Any]:
        name, actions, limit = m
        return {
            "name": f"models/{name}",
            "version": "001",
            "displayName": name.replace("-", " ").title(),
            "description": "stub model",
            "inputTokenLimit": limit,
            "outputTokenLimit": 8192,
            "supportedGenerationMethods": actions,
        }

    def models_page(self, req: Recorded) -> Reply:
        size = int((req.query.get("pageSize") or [self.page_size])[0])
        size = min(size, self.page_size)
        start = int((req.query.get("pageToken") or ["0"])[0])
        page = self.models[start : start + size]
        body: dict[str, Any] = {"models": [self.model_entry(m) for m in page]}
        if start + size < len(self.models):
            body["nextPageToken"] = str(start + size)
        return Reply(200, body)

    def vector(self, i: int) -> list[float]:
        return [round(0.5 * (i + 1) * (j + 1) * (-1) ** j, 4) for j in range(self.dims)]

    def embeddings(self, req: Recorded) -> Reply:
        body = req.body or {}
        if req.route_path.endswith(":embedContent"):
            return Reply(200, {"embedding": {"values": self.vector(0)}})
        return Reply(
            200,
            {
                "embeddings": [
                    {"values": self.vector(i)} for i, _ in enumerate(body.get("requests", []))
                ]
            },
        )

    # -- errors ---------------------------------------------------------------------------------
    def error(
        self,
        code: int,
        status: str,
        message: str,
        details: list | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        err: dict[str, Any] = {"code": code, "message": message, "status": status}
        if details:
            err["details"] = details
        return Reply(code, {"error": err}, headers=headers or {})

    def bad_key(self) -> Reply:
        return self.error(
            400,
            "INVALID_ARGUMENT",
            "API key not valid. Please pass a valid API key.",
            [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "generativelanguage.googleapis.com"},
                }
            ],
        )

    def model_not_found(self, model: str = "nope", req: Recorded | None = None) -> Reply:
        version = req.route_path.split("/")[1] if req is not None else "v1"
        return self.error(
            404,
            "NOT_FOUND",
            f"models/{model} is not found for API version {version}, or is not "
            "supported for generateContent. Call ListModels to see the list of "
            "available models and their supported methods.",
        )

    def rate_limited(
        self, retry_delay: str | None = "1s", retry_after: float | None = None
    ) -> Reply:
        details: list[dict[str, Any]] = [
            {
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [
                    {
                        "quotaMetric": "generativelanguage.googleapis.com/"
                        "generate_content_free_tier_requests",
                        "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                    }
                ],
            },
            {
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [
                    {
                        "description": "Learn more",
                        "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                    }
                ],
            },
        ]
        if retry_delay is not None:
            details.append(
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay}
            )
        headers = {"retry-after": f"{retry_after:g}"} if retry_after is not None else {}
        return self.error(
            429,
            "RESOURCE_EXHAUSTED",
            "You exceeded your current quota, please check your plan and billing details.",
            details,
            headers,
        )

    def context_too_long(self) -> Reply:
        return self.error(
            400,
            "INVALID_ARGUMENT",
            "The input token count (1200000) exceeds the maximum number of tokens "
            "allowed (1048576).",
        )

    def server_error(self, status: int = 500) -> Reply:
        if status == 503:
            return self.error(
                503, "UNAVAILABLE", "The model is overloaded. Please try again later."
            )
        return self.error(status, "INTERNAL", "An internal error has occurred. Please retry.")

    def bad_gateway(self) -> Reply:
        return Reply(
            502, "<html><body><h1>502 Bad Gateway</h1></body></html>", content_type="text/html"
        )

    def blocked_prompt(self) -> Any:
        """The reply to a prompt the safety filter refused: no candidates, a block reason."""
        body = {
            "promptFeedback": {"blockReason": "SAFETY"},
            "usageMetadata": {"promptTokenCount": 4, "totalTokenCount": 4},
        }
        return lambda r: SSE([sse_event(body, "\r\n")]) if self.is_stream(r) else Reply(200, body)


def decode_bytes(text: Any) -> bytes | None:
    """A proto3 JSON `bytes` field: standard or URL-safe base64, padded or not (google-genai
    sends the URL-safe form)."""
    import base64
    import binascii

    if not isinstance(text, str) or not text:
        return None
    padded = text + "=" * (-len(text) % 4)
    for alphabet in ("+/", "-_"):
        try:
            return base64.b64decode(padded, altchars=alphabet.encode(), validate=True)
        except (binascii.Error, ValueError):
            continue
    return None


def _is_function_part(part: dict[str, Any]) -> bool:
    return any(k in part for k in ("functionCall", "function_call", "functionResponse",
                                   "function_response"))
