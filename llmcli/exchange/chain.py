"""Several exchanges for one answer: the calls a multi-call prompting technique makes
(least-to-most, self-consistency, tree-of-thoughts, self-refine) for compare's cell or
batch's record.

`Chain.ask(messages, options) -> Response` is the `ask` the techniques take: it builds the
request (`request.build_request`; the user's options are already in the technique's), drives it
(`drive.drive`, with the caller's retry policy, stop signal and clock) and keeps it, so the
caller logs every call like any exchange, on the thread that owns the log. A failed call
raises its error, which ends the technique; `Chain.run` turns that into the result.
`Chain.combined` is the whole chain as one response: the final text, the tokens, cost, time
and attempts summed, the status of the call that failed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from llmcli.core.errors import Interrupted, LlmcliError

if TYPE_CHECKING:
    from llmcli.core.messages import ChatRequest, Message
    from llmcli.core.provider import ModelInfo, Provider
    from llmcli.core.registry import ModelRef
    from llmcli.core.response import Response
    from llmcli.core.runner import RetryPolicy, Run, WaitCallback
    from llmcli.core.scheduler import RateBudget

T = TypeVar("T")


@dataclass
class Call:
    """One exchange of a chain: what was sent, what came back, why it failed if it did."""

    request: ChatRequest
    response: Response
    error: LlmcliError | None = None


@dataclass
class ChainResult(Generic[T]):
    """What the technique returned (None when a call failed), and the failure."""

    value: T | None
    error: LlmcliError | None = None
    stopped: bool = False


@dataclass
class Chain:
    """The calls of one technique run for one model, one after another."""

    provider: Provider
    ref: ModelRef
    raw: bool = False
    policy: RetryPolicy | None = None
    stream: bool = True
    info: ModelInfo | bool | None = True
    should_stop: Callable[[], bool] | None = None
    on_call: Callable[[int, Run], None] | None = None  # (call number from 1, its Run)
    on_piece: Callable[[str], None] | None = None
    on_wait: WaitCallback | None = None
    clock: Callable[[], float] | None = None
    sleep: Callable[[float], None] | None = None
    # The provider's rpm/tpm budget: the caller's scheduler reserved the first call; each later
    # call reserves its own here, so the budget counts every request the provider receives.
    budget: RateBudget | None = None
    calls: list[Call] = field(default_factory=list)

    def ask(self, messages: list[Message], options: Mapping[str, Any]) -> Response:
        """One call of the technique; raises the call's error when it did not complete."""
        from llmcli.exchange.drive import drive
        from llmcli.exchange.request import build_request

        if self.should_stop is not None and self.should_stop():
            raise Interrupted("stopped before the technique's next call")
        if self.info is True:  # looked up once for every call of the chain
            from llmcli.exchange.drive import model_info

            self.info = model_info(self.provider, self.ref.model)
        request = build_request(self.ref, messages, dict(options), raw=self.raw)
        number = len(self.calls) + 1
        tokens = self._reserve(request) if number > 1 else 0

        def on_start(run: Run) -> None:
            if self.on_call is not None:
                self.on_call(number, run)

        extra: dict[str, Any] = {}
        if self.clock is not None:
            extra["clock"] = self.clock
        if self.sleep is not None:
            extra["sleep"] = self.sleep
        result = drive(self.provider, request, self.ref.provider, policy=self.policy,
                       stream=self.stream, info=self.info, on_start=on_start,
                       on_piece=self.on_piece, on_wait=self.on_wait,
                       should_stop=self.should_stop, **extra)
        self.calls.append(Call(request, result.response, result.error))
        if tokens and self.budget is not None and self.budget.tpm:
            self.budget.settle(tokens, result.response.usage.total_tokens or tokens)
        if result.error is not None:
            raise result.error
        return result.response

    def _reserve(self, request: ChatRequest) -> int:
        """Wait for room in the budget for one more call; its estimated tokens (4 characters
        a token, plus the reply's limit)."""
        if self.budget is None:
            return 0
        from llmcli.core.scheduler import BudgetClosed

        tokens = (sum(len(m.content) for m in request.messages) // 4
                  + (request.options.max_tokens or 0))
        try:
            self.budget.acquire(tokens)
        except BudgetClosed:
            raise Interrupted("stopped before the technique's next call") from None
        return tokens

    def run(self, technique: Callable[[Callable[..., Response]], T]) -> ChainResult[T]:
        """Run `technique(ask)`; a call's failure (or the stop signal) ends it."""
        try:
            return ChainResult(technique(self.ask))
        except Interrupted as exc:
            return ChainResult(None, exc, stopped=True)
        except LlmcliError as exc:
            return ChainResult(None, exc)

    def combined(self, text: str | None = None, error: LlmcliError | None = None) -> Response:
        """The chain as one response: `text` (the technique's final reply; else the last
        call's), usage, cost, time and attempts summed over every call (a count unknown for
        one call is unknown for the chain). Time to first token has no meaning for a chain
        and is left out."""
        from llmcli.core.response import Response, Timings, UsageInfo

        rs = [c.response for c in self.calls]
        last = rs[-1] if rs else None
        status = "complete"
        if error is not None:
            status = "interrupted" if isinstance(error, Interrupted) else "error"
            if last is not None and last.status != "complete":
                status = last.status
        usage = UsageInfo(
            input_tokens=_total([r.usage.input_tokens for r in rs]),
            output_tokens=_total([r.usage.output_tokens for r in rs]),
            total_tokens=_total([r.usage.total_tokens for r in rs]),
        )
        cost = _total([r.cost for r in rs])
        return Response(
            text=text if text is not None else (last.text if last is not None else ""),
            model=self.ref.model, provider=self.ref.provider, usage=usage,
            timings=Timings(ttft=None, total=sum(r.timings.total for r in rs),
                            waited=sum(r.timings.waited for r in rs)),
            finish_reason=last.finish_reason if last is not None else None,
            status=status,  # type: ignore[arg-type]
            error=error.one_line() if error is not None else None,
            attempts=sum(r.attempts for r in rs),
            cost=round(cost, 8) if cost is not None else None,
        )


def _total(values: list[Any]) -> Any:
    return None if not values or any(v is None for v in values) else sum(values)
