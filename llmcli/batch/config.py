"""What a batch run is given: its models, its limits, and the hooks that tell the face."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llmcli.core.options import Options
from llmcli.core.runner import RetryPolicy

if TYPE_CHECKING:
    from llmcli.batch.inputs import Item
    from llmcli.batch.summary import BatchStats
    from llmcli.core.messages import ChatRequest
    from llmcli.core.provider import ModelInfo, Provider
    from llmcli.core.registry import ModelRef
    from llmcli.core.response import Response


@dataclass(frozen=True)
class Target:
    """One model of the run: how records name it, and what to send through."""

    label: str  # provider:model, as records and the log show it
    provider_name: str  # the scheduling key: limits and budgets are per provider
    model: str
    provider: Provider
    info: ModelInfo | None = None
    options: Options = field(default_factory=Options)
    # --schema: every reply must be a JSON document valid against it (its record carries it)
    schema: dict[str, Any] | None = field(default=None, hash=False, compare=False)

    @property
    def ref(self) -> ModelRef:
        from llmcli.core.registry import ModelRef

        return ModelRef(self.provider_name, self.model, self.provider.name)


@dataclass
class BatchConfig:
    jobs: int = 4
    per_provider: dict[str, int] = field(default_factory=dict)
    rpm: int | None = None
    tpm: int | None = None
    ordered: bool = False
    strict: bool = False
    retries: int = 2  # further attempts for an item whose request failed in a retryable way
    policy: RetryPolicy = field(default_factory=RetryPolicy)  # backoff and the Retry-After ceiling
    stream: bool = True
    window: int | None = None
    # --ordered: finished records held for an earlier one, at most (then reading pauses).
    reorder_limit: int = 1000
    budget_window: float = 60.0  # seconds the rpm/tpm budgets count over
    tick: float = 0.25  # how often the progress hook is called while waiting
    # What the rpm/tpm budgets measure and wait with (a test passes a fake clock).
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def limit(self, provider: str) -> int:
        return max(1, min(self.jobs, self.per_provider.get(provider, self.jobs)))


class Hooks:
    """What the face is told as the run goes. The default tells nobody."""

    def tick(self, stats: BatchStats) -> None: ...

    def bad_line(self, line: int, reason: str) -> None: ...

    def failed(self, rec: dict[str, Any]) -> None: ...

    def notice(self, text: str) -> None: ...


LogFn = Callable[["ChatRequest", "Response"], Any]
SkipFn = Callable[["Item", Target], bool]
