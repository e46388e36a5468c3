"""Driving one exchange: the only module that runs `core.runner.Run`.

`drive` sends the request (with the retry policy's retries, unless the caller schedules its
own), hands each piece of text to the caller, and always returns what became of it: the
response (partial text kept), and the error if any. Failures follow one rule:

- an `LlmcliError` from the provider is the exchange's error, as the provider reported it;
- anything else is a bug in an adapter or SDK: `internal_error` turns it into one line, the
  same wording for every command, with the original kept as its cause for --debug;
- Ctrl-C (`KeyboardInterrupt` on this thread) and the caller's stop signal end the exchange
  as interrupted, with what arrived so far.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from llmcli.core.errors import Interrupted, LlmcliError, output_failure, redact

if TYPE_CHECKING:
    from llmcli.core.messages import ChatRequest
    from llmcli.core.provider import ModelInfo, Provider
    from llmcli.core.response import Response
    from llmcli.core.runner import RetryPolicy, Run, WaitCallback
    from llmcli.core.tools import ToolCall


@dataclass
class ExchangeResult:
    """What became of one exchange. `response` is always there (its status says how it
    ended); `error` is why it did not complete; `stopped` says the caller's stop signal cut
    it short, `keyboard` that Ctrl-C did."""

    response: Response
    error: LlmcliError | None = None
    stopped: bool = False
    keyboard: bool = False
    raised: BaseException | None = None  # the caller's own callback failed (a closed pipe)
    tool_calls: list[ToolCall] = field(default_factory=list)  # what the model asked to call

    @property
    def ok(self) -> bool:
        return self.error is None


def internal_error(provider_name: str, exc: BaseException) -> LlmcliError:
    """The one wording of an unexpected failure inside an exchange (a bug, not the user's)."""
    err = LlmcliError(
        redact(f"internal error in {provider_name}: {type(exc).__name__}: {exc}"),
        hint="run with --debug for the traceback",
    )
    err.__cause__ = exc
    return err


def warm_up(provider: Provider, model: str) -> None:
    """Load what the first request would load (an SDK client, the local model's weights), so
    time to first token measures the provider, not llmcli's start-up. An `LlmcliError` (no
    key, a corrupt model file) is raised; any other failure is left for the request to meet."""
    try:
        provider.warm_up(model)
    except LlmcliError:
        raise
    except Exception:
        pass


def model_info(provider: Provider, model: str) -> ModelInfo | None:
    """The model's catalog entry (prices, window); a broken one must not fail the exchange."""
    try:
        return provider.model_info(model)
    except Exception:
        return None


def _context_error(provider: Provider, request: ChatRequest,
                   info: ModelInfo | None) -> LlmcliError | None:
    from llmcli.exchange.tokens import context_error

    window = info.context_window if info is not None else None
    try:
        return context_error(provider, request, window)
    except LlmcliError:
        return None  # a counter that fails must not fail the exchange: the provider decides


def drive(
    provider: Provider,
    request: ChatRequest,
    provider_name: str,
    *,
    policy: RetryPolicy | None = None,
    stream: bool = True,
    info: ModelInfo | bool | None = True,
    on_start: Callable[[Run], None] | None = None,
    on_piece: Callable[[str], None] | None = None,
    on_reasoning: Callable[[str], None] | None = None,
    on_wait: WaitCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> ExchangeResult:
    """Run the request to its end and report what became of it; never raises for a failed
    exchange. `info=True` looks the model up for its prices; pass a ModelInfo or None to skip
    that. `on_start` gets the Run before the first attempt (a live view reads its progress);
    `should_stop` is asked after each piece; `on_reasoning` gets the model's reasoning as it
    streams (kept on the response, never among the pieces); `clock`/`sleep` are for tests."""
    from llmcli.core.runner import RetryPolicy, Run

    if info is True:
        info = model_info(provider, request.model)
    extra = {}
    if clock is not None:
        extra["clock"] = clock
    if sleep is not None:
        extra["sleep"] = sleep
    run = Run(provider, request, provider_name, stream=stream, policy=policy or RetryPolicy(),
              info=info or None, on_wait=on_wait, on_reasoning=on_reasoning, **extra)
    too_long = _context_error(provider, request, info or None)
    if too_long is not None:  # refused before anything is sent, by every command alike
        response = run.response.model_copy(update={"status": "error",
                                                   "error": too_long.one_line()})
        return ExchangeResult(response, too_long)
    if on_start is not None:
        on_start(run)
    pieces = iter(run)
    error: LlmcliError | None = None
    raised: BaseException | None = None
    stopped = keyboard = output_cut = False
    try:
        for piece in pieces:
            if on_piece is not None:
                try:
                    on_piece(piece)
                except Exception as exc:  # not the provider's: the caller's output failed
                    error = output_failure(exc)
                    output_cut = error is not None
                    if error is None:  # a bug in the caller: raised again as it was
                        raised = exc
                        error = internal_error(provider_name, exc)
                    break
            if should_stop is not None and should_stop():
                stopped = True
                break
    except KeyboardInterrupt:
        keyboard = True
    except LlmcliError as exc:
        error = exc
    except Exception as exc:
        error = internal_error(provider_name, exc)
    finally:
        pieces.close()  # closes the provider's HTTP stream when we stopped early
    response = run.response
    if keyboard:
        error = Interrupted("interrupted")
        if response.status != "interrupted":  # the signal landed outside the provider's read
            response = response.model_copy(update={"status": "interrupted",
                                                   "error": error.message})
    elif stopped:
        error = Interrupted("stopped before the reply was complete")
        response = response.model_copy(update={"status": "interrupted", "error": error.message})
    elif output_cut:
        # The reply was cut by our own output (a closed pipe, a full disk): what was
        # generated is kept, marked interrupted, like Ctrl-C.
        response = response.model_copy(update={"status": "interrupted",
                                               "error": error.one_line()})
    elif error is not None and response.status == "complete":
        response = response.model_copy(update={"status": "error", "error": error.one_line()})
    return ExchangeResult(response, error, stopped=stopped, keyboard=keyboard, raised=raised,
                          tool_calls=list(run.tool_calls))

