"""Helpers for template tests: scripted replies from the OpenAI stub, a scripted provider."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llmcli.core.messages import ChatRequest, Message
from llmcli.core.response import Response
from tests.doubles import FakeProvider


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


def ScriptedProvider(replies: list[str] | Callable[[ChatRequest], str]) -> FakeProvider:
    """The test double replying with queued texts (or a function of the request), streamed in
    two pieces."""
    if callable(replies):
        return FakeProvider("scripted", reply=replies, pieces="halves")
    return FakeProvider("scripted", script=replies, pieces="halves")


def ask_with(provider: FakeProvider, raw: bool = False):
    """The `ask` the techniques need, through the exchange service's driver."""
    from llmcli.core.options import validate_options
    from llmcli.exchange.drive import drive

    def ask(messages: list[Message], options: dict[str, Any]) -> Response:
        opts = validate_options(options)
        request = ChatRequest(model="m", messages=messages, options=opts, raw=raw)
        result = drive(provider, request, "scripted", info=None)
        if result.error is not None:
            raise result.error
        return result.response

    return ask
