"""Drive one exchange: retry before the first token, measure, and build the Response.

The same retry rules apply to every provider (adapters disable their SDK's own retries):
408/429/5xx and connection errors are retried with exponential backoff and jitter, a
`Retry-After` is honoured up to a ceiling, and nothing is retried once text has been shown.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from llmcli.core.errors import (
    Interrupted,
    LlmcliError,
    RateLimited,
    TimeoutError_,
    is_retryable,
)
from llmcli.core.events import (
    Finish,
    ReasoningDelta,
    TextDelta,
    TokenLogprobs,
    ToolCallRequested,
    Usage,
)
from llmcli.core.response import Response, Timings, UsageInfo

if TYPE_CHECKING:
    from llmcli.core.messages import ChatRequest
    from llmcli.core.provider import ModelInfo, Provider
    from llmcli.core.tools import ToolCall


@dataclass(frozen=True)
class RetryPolicy:
    """`max_retries` extra attempts; waits grow base*2^n up to `max_delay`, minus jitter."""

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_wait: float = 60.0  # the longest Retry-After we will sit through
    # A silent server rarely wakes up: each timed-out attempt costs a whole read timeout, so
    # one more try at most (with 2 retries of 120 s, a silent server took 363 s to give up).
    max_timeout_retries: int = 1

    def backoff(self, attempt: int, rng: random.Random) -> float:
        delay = min(self.max_delay, self.base_delay * (2**attempt))
        return delay * (1 - 0.25 * rng.random())

    def delay(self, exc: LlmcliError, retry_no: int, rng: random.Random) -> float | None:
        """The wait before retry number `retry_no` (0-based) after `exc`, or None when it is
        not worth waiting: a `Retry-After` longer than `max_retry_wait` is reported instead.
        The one retry-delay rule: `Run` and the batch runner's resubmissions both use it."""
        if isinstance(exc, TimeoutError_) and retry_no >= self.max_timeout_retries:
            return None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            if exc.retry_after > self.max_retry_wait:
                return None  # too long to sit through: report it with the time to retry
            return max(0.0, exc.retry_after)
        return self.backoff(retry_no, rng)


WaitCallback = Callable[[float, int, LlmcliError], None]


@dataclass
class Run:
    """One exchange. Iterate it for text pieces; read `response` afterwards (also on failure)."""

    provider: Provider
    request: ChatRequest
    provider_name: str
    stream: bool = True
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    info: ModelInfo | None = None
    on_wait: WaitCallback | None = None
    # Reasoning pieces as they stream (shown apart from the answer; not yielded as text).
    on_reasoning: Callable[[str], None] | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.perf_counter
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.parts: list[str] = []
        self.reasoning_parts: list[str] = []
        self.logprobs: list[TokenLogprobs] = []
        self.tool_calls: list[ToolCall] = []
        self.usage = Usage()
        self.finish_reason: str | None = None
        self.status = "complete"
        self.error: LlmcliError | None = None
        self.attempts = 0
        self.ttft: float | None = None
        self.waited = 0.0
        self._start: float | None = None
        self._end: float | None = None

    def __iter__(self) -> Iterator[str]:
        self._start = self.clock()
        try:
            yield from self._attempts()
        except KeyboardInterrupt:
            self.status = "interrupted"
            self.error = Interrupted("interrupted")
            raise
        except LlmcliError as exc:
            # A stream broken after text was shown keeps that text: it is logged as interrupted.
            self.status = "interrupted" if self.parts else "error"
            self.error = exc
            raise
        finally:
            self._end = self.clock()

    def _attempts(self) -> Iterator[str]:
        while True:
            self.attempts += 1
            try:
                yield from self._one_attempt()
                return
            except LlmcliError as exc:
                retry_no = self.attempts - 1
                # nothing is retried once something was shown, reasoning included
                shown = self.parts or self.reasoning_parts
                if shown or not is_retryable(exc) or retry_no >= self.policy.max_retries:
                    raise
                delay = self.policy.delay(exc, retry_no, self.rng)
                if delay is None:
                    raise
                if self.on_wait:
                    self.on_wait(delay, self.attempts, exc)
                self.sleep(delay)
                self.waited += delay

    def _one_attempt(self) -> Iterator[str]:
        for event in self.provider.chat(self.request, stream=self.stream):
            if isinstance(event, TextDelta):
                if not event.text:
                    continue
                if self.ttft is None:
                    self.ttft = self.clock() - (self._start or 0.0)
                self.parts.append(event.text)
                yield event.text
            elif isinstance(event, Usage):
                if event.input_tokens is not None:
                    self.usage.input_tokens = event.input_tokens
                if event.output_tokens is not None:
                    self.usage.output_tokens = event.output_tokens
                if event.reasoning_tokens is not None:
                    self.usage.reasoning_tokens = event.reasoning_tokens
            elif isinstance(event, ReasoningDelta):
                if event.text:
                    self.reasoning_parts.append(event.text)
                    if self.on_reasoning is not None:
                        self.on_reasoning(event.text)
            elif isinstance(event, Finish):
                self.finish_reason = event.reason
            elif isinstance(event, TokenLogprobs):
                self.logprobs.append(event)
            elif isinstance(event, ToolCallRequested):
                self.tool_calls.append(event.call)

    def consume(self) -> Response:
        """Run to the end without showing anything; return the response."""
        for _ in self:
            pass
        return self.response

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def response(self) -> Response:
        end = self._end if self._end is not None else self.clock()
        total = end - self._start if self._start is not None else 0.0
        u = self.usage
        tier = getattr(self.request.options, "service_tier", None)
        cost = self.info.cost(u.input_tokens, u.output_tokens, tier=tier) if self.info else None
        return Response(
            text=self.text,
            model=self.request.model,
            provider=self.provider_name,
            usage=UsageInfo(
                input_tokens=u.input_tokens,
                output_tokens=u.output_tokens,
                total_tokens=u.total_tokens,
                reasoning_tokens=u.reasoning_tokens,
            ),
            timings=Timings(ttft=self.ttft, total=total, waited=self.waited),
            finish_reason=self.finish_reason,
            status=self.status,  # type: ignore[arg-type]
            error=self.error.one_line() if self.error else None,
            attempts=max(1, self.attempts),
            cost=cost,
            reasoning="".join(self.reasoning_parts) or None,
        )
