"""One exchange in front of a person (prompt, templates, rag, chat): pieces to a writer as
they arrive, a waiting display until the first one, retries announced, the exchange logged
whatever happens, Ctrl-C mapped to `Interrupted`.

The screen is not this package's: the caller passes a `ReplyWriter` and a `Display` (the
command layer builds them from ui/), so the exchange service imports no rendering code.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol

from llmcli.core.errors import (
    Interrupted,
    LlmcliError,
    OutputClosed,
    OutputFailed,
    StorageError,
    output_failure,
)

if TYPE_CHECKING:
    from llmcli.app_context import AppContext
    from llmcli.core.messages import ChatRequest
    from llmcli.core.registry import ModelRef
    from llmcli.core.response import Response
    from llmcli.core.tools import ToolCall, ToolHooks, ToolResult
    from llmcli.exchange.drive import ExchangeResult
    from llmcli.exchange.tool_loop import ToolSession


class ReplyWriter(Protocol):
    def start(self) -> None: ...
    def write(self, piece: str) -> None: ...
    def finish(self, interrupted: bool = False) -> None: ...


class Display(Protocol):
    """What a person sees around the reply itself."""

    def waiting(self) -> None:
        """Waiting for the first token (a spinner on a terminal)."""

    def done_waiting(self) -> None: ...

    def warn(self, text: str) -> None:
        """A line on stderr (a retry, a log that could not be written)."""

    def quiet_input(self) -> AbstractContextManager[object]:
        """Keep typed keys (and '^C') off the screen while the reply streams."""


class SilentDisplay:
    """No waiting display, warnings dropped: for callers with nobody watching."""

    def waiting(self) -> None: ...

    def done_waiting(self) -> None: ...

    def warn(self, text: str) -> None: ...

    def quiet_input(self) -> AbstractContextManager[object]:
        from contextlib import nullcontext

        return nullcontext()


class _SpinnerPaused:
    """Tool hooks that stop the waiting display while a call is shown (or approved), and start
    it again for the next request while no reply text has been shown."""

    def __init__(self, inner: ToolHooks, shown: Display, started: Callable[[], bool]):
        self.inner, self.shown, self.started = inner, shown, started

    def approve(self, call: ToolCall) -> bool:
        self.shown.done_waiting()
        return self.inner.approve(call)

    def called(self, call: ToolCall) -> None:
        self.shown.done_waiting()
        self.inner.called(call)

    def returned(self, call: ToolCall, result: ToolResult) -> None:
        self.inner.returned(call, result)
        if not self.started():
            self.shown.waiting()


def check_structured(request: ChatRequest, result: ExchangeResult) -> None:
    """Validate a finished reply against the request's schema: the document goes on the
    response, a mismatch becomes the exchange's error (logged with the row)."""
    from llmcli.exchange.schema import check_response

    error = check_response(request, result.response)
    if error is not None:
        result.error = error


def run_exchange(
    app: AppContext,
    ref: ModelRef,
    request: ChatRequest,
    writer: ReplyWriter,
    display: Display | None = None,
    *,
    stream: bool = True,
    log: bool = True,
    conversation_id: str | None = None,
    batch_id: str | None = None,
    comparison_id: str | None = None,
    template: str | None = None,
    on_reasoning: Callable[[str], None] | None = None,
    cache: bool = False,
    tools: ToolSession | None = None,
    prompt: str | None = None,
) -> Response:
    """Drive the request; the response is logged whatever happens (complete, error, Ctrl-C).
    A failure is raised afterwards, carrying the response (its partial text and log id).
    `on_reasoning` gets the model's reasoning as it streams (the screen shows it apart);
    `cache` answers an identical earlier request from the log without calling the provider.
    With `tools` (and tools in the request) the model's calls are run and the request sent
    again (exchange/tool_loop.py); one row logs the whole transcript. `prompt` is what the
    log shows as the question (default: the last user message)."""
    from llmcli.exchange.drive import drive
    from llmcli.exchange.record import log_exchange

    if cache:
        from llmcli.exchange.cache import lookup

        hit = lookup(app.logs, ref.provider, request)
        if hit is not None:
            return _replay(app, request, hit, writer, on_reasoning, log=log,
                           conversation_id=conversation_id, batch_id=batch_id,
                           comparison_id=comparison_id, template=template)
    shown = display or SilentDisplay()
    provider = app.registry.provider(ref)
    total = app.retry_policy.max_retries + 1
    started = False

    def on_wait(delay: float, attempt: int, err: LlmcliError) -> None:
        from llmcli.core.errors import TimeoutError_

        shown.done_waiting()  # the warning gets its own line, not the spinner's
        # a read timeout is retried fewer times (RetryPolicy.max_timeout_retries)
        most = app.retry_policy.max_timeout_retries + 1 if isinstance(err, TimeoutError_) else total
        retry = f"retrying in {delay:.1f} s (attempt {attempt + 1} of {min(total, most)})"
        shown.warn(f"{err.retry_note()}; {retry}")
        shown.waiting()

    def on_piece(piece: str) -> None:
        nonlocal started
        if not started:
            shown.done_waiting()
            writer.start()
            started = True
        writer.write(piece)

    def on_thought(piece: str) -> None:
        shown.done_waiting()  # the reasoning replaces the spinner
        if on_reasoning is not None:
            on_reasoning(piece)

    def once(req: ChatRequest) -> ExchangeResult:
        return drive(provider, req, ref.provider, stream=stream, policy=app.retry_policy,
                     on_piece=on_piece, on_wait=on_wait, on_reasoning=on_thought)

    asked = request  # a tool loop replaces it with the transcript; the cache key is this one's
    shown.waiting()
    try:
        with shown.quiet_input():
            if tools is not None and request.tools:
                from dataclasses import replace

                from llmcli.exchange.tool_loop import drive_rounds

                hooks = _SpinnerPaused(tools.hooks, shown, lambda: started)
                request, result = drive_rounds(once, request, replace(tools, hooks=hooks))
            else:
                result = once(request)
    finally:
        shown.done_waiting()
    response = result.response
    finish_error: LlmcliError | None = None
    if started and not isinstance(result.error, OutputClosed | OutputFailed):
        try:
            writer.finish(interrupted=result.error is not None)
        except Exception as exc:  # the output went away at the last write: log first
            finish_error = output_failure(exc)
            if finish_error is None:
                raise
    constrained = request.json_schema is not None or request.regex is not None
    if constrained and result.error is None and not result.keyboard:
        check_structured(request, result)
    if log:
        try:
            log_exchange(app.logs, request, response, conversation_id=conversation_id,
                         batch_id=batch_id, comparison_id=comparison_id, template=template,
                         prompt=prompt, asked=asked)
        except StorageError as exc:
            if result.error is None:
                raise
            shown.warn(f"the exchange was not logged: {exc.one_line()}")
    if result.keyboard:
        interrupted = Interrupted(
            "interrupted", hint="the partial reply was kept in the log" if log else None
        )
        interrupted.response = response
        raise interrupted
    if finish_error is not None and result.error is None:
        raise finish_error
    if result.raised is not None:
        raise result.raised  # the writer's own failure (a closed pipe), as it was
    if result.error is not None:
        result.error.response = response  # callers (chat) keep the partial reply and its log id
        raise result.error
    return response



def _replay(
    app: AppContext,
    request: ChatRequest,
    response: Response,
    writer: ReplyWriter,
    on_reasoning: Callable[[str], None] | None,
    *,
    log: bool,
    **ids: str | None,
) -> Response:
    """A cached answer shown as a streamed one would be, and logged as a cached row."""
    from llmcli.exchange.drive import ExchangeResult
    from llmcli.exchange.record import log_exchange

    if response.reasoning and on_reasoning is not None:
        on_reasoning(response.reasoning)
    writer.start()
    writer.write(response.text)
    writer.finish()
    if request.json_schema is not None or request.regex is not None:
        result = ExchangeResult(response)
        check_structured(request, result)
        if result.error is not None:
            raise result.error
    if log:
        log_exchange(app.logs, request, response, **ids)
    return response
