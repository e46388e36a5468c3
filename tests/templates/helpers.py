"""Helpers for template tests: scripted replies from the OpenAI stub, a scripted provider."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from llmcli.core.events import Finish, TextDelta, Usage
from llmcli.core.messages import ChatRequest, Message
from llmcli.core.provider import Provider, ProviderSettings
from llmcli.core.response import Response
from llmcli.core.runner import Run


def says(stub: Any, text: str) -> Callable[[Any], Any]:
    """A stub reply (streamed or whole, as the request asks) whose text is `text`."""

    def reply(req: Any) -> Any:
        old = stub.chunks
        stub.chunks = [text[: len(text) // 2], text[len(text) // 2 :]] if len(text) > 1 else [text]
        try:
            return stub.stream(req) if req.body.get("stream") else stub.completion(req)
        finally:
            stub.chunks = old

    return reply


def queue(stub: Any, *texts: str) -> None:
    """The next chat requests get these replies, in order."""
    stub.script("chat", *(says(stub, t) for t in texts))


def sent(stub: Any) -> list[list[dict[str, str]]]:
    """The messages of every chat request the stub received."""
    return [r.body["messages"] for r in stub.requests_for("chat")]


class ScriptedProvider(Provider):
    """Replies with queued texts (or a function of the request), streamed in two pieces."""

    name = "scripted"
    needs_key = False

    def __init__(self, replies: list[str] | Callable[[ChatRequest], str]):
        super().__init__(ProviderSettings(name="scripted"))
        self.replies = replies
        self.requests: list[ChatRequest] = []

    def chat(self, request: ChatRequest, *, stream: bool = True) -> Iterator[Any]:
        self.requests.append(request)
        text = self.replies(request) if callable(self.replies) else self.replies.pop(0)
        half = len(text) // 2
        yield TextDelta(text[:half])
        yield TextDelta(text[half:])
        yield Usage(input_tokens=sum(len(m.content.split()) for m in request.messages),
                    output_tokens=len(text.split()))
        yield Finish("stop")


def ask_with(provider: ScriptedProvider, raw: bool = False):
    """The `ask` the techniques need, through the real runner."""
    from llmcli.core.options import validate_options

    def ask(messages: list[Message], options: dict[str, Any]) -> Response:
        opts = validate_options(options)
        request = ChatRequest(model="m", messages=messages, options=opts, raw=raw)
        return Run(provider, request, "scripted").consume()

    return ask
