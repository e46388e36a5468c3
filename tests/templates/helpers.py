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


def reasoner(stub: Any) -> None:
    """Make the OpenAI stub answer every technique's calls by what each prompt asks (so the
    replies do not depend on the order concurrent cells or records arrive in): least-to-most's
    decomposition and steps, tree-of-thoughts' proposals, scores and conclusion, or a plain
    marked answer. The problems are 'Elsa tem N maçãs...' with the answer N + 7."""
    import re

    def text_for(req: Any) -> str:
        content = req.body["messages"][-1]["content"]
        n = int(re.search(r"Elsa tem (\d+)", content).group(1))  # type: ignore[union-attr]
        total = f"{n + 7}"
        if "Break the problem below" in content:
            return "1. Quantas maçãs Anna tem?"
        if "briefly: Quantas maçãs Anna tem?" in content:
            return "Anna tem 2 a mais.\nAnswer: " + str(n + 2)
        if content.startswith("Problem:") and "Propose " in content:
            return f"1. Anna tem {n} + 2 = {n + 2}\n2. Anna tem {n} - 2"
        if "Proposed next step:" in content:
            return "Score: 9" if "+ 2" in content.split("Proposed next step:")[1] else "Score: 2"
        if "Reasoning steps:" in content or "briefly:" in content:
            return f"{n} + {n + 2} = {total}\nAnswer: {total}"
        return f"Answer: {total}"

    stub.text_for = text_for
