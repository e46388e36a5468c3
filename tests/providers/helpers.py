"""Small builders shared by the provider tests."""

from __future__ import annotations

from typing import Any

from llmcli.core.messages import ChatRequest, Message
from llmcli.core.options import Options
from llmcli.core.runner import RetryPolicy, Run

HISTORY = [
    Message(role="system", content="be brief"),
    Message(role="user", content="first question"),
    Message(role="assistant", content="first answer"),
    Message(role="user", content="second question"),
]


def chat_request(model: str, messages: list[Message] | None = None, **options: Any) -> ChatRequest:
    return ChatRequest(
        model=model,
        messages=messages or [Message(role="user", content="hello there")],
        options=Options(**options),
    )


class Sleeps(list):
    """Records the runner's waits instead of sleeping, so retry tests stay fast."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def run(
    provider: Any,
    request: ChatRequest,
    *,
    stream: bool = True,
    retries: int = 2,
    max_wait: float = 60.0,
) -> tuple[Run, Sleeps]:
    """A Run with recorded sleeps; iterate it or call `.consume()`."""
    sleeps = Sleeps()
    r = Run(
        provider,
        request,
        provider.settings.name,
        stream=stream,
        policy=RetryPolicy(max_retries=retries, max_retry_wait=max_wait),
        sleep=sleeps,
    )
    return r, sleeps


def consume_error(r: Run) -> Exception:
    """Drive a run that must fail; return the error it raised."""
    try:
        r.consume()
    except Exception as exc:
        return exc
    raise AssertionError(f"the run succeeded: {r.text!r}")
