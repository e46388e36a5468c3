"""What runs on a worker thread: one attempt of one request (an exchange), read to its end."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from llmcli.core.errors import LlmcliError

if TYPE_CHECKING:
    from llmcli.batch.config import Target
    from llmcli.batch.inputs import Item
    from llmcli.core.messages import ChatRequest
    from llmcli.core.response import Response
    from llmcli.core.runner import RetryPolicy
    from llmcli.core.scheduler import RateBudget


@dataclass(slots=True, eq=False)
class Unit:
    """One input for one model, from submission to its record."""

    seq: int
    item_no: int
    item: Item
    target: Target
    request: ChatRequest
    tokens: int  # estimated for the budget
    attempt: int = 0  # resubmissions so far
    requests: int = 0
    waited: float = 0.0


@dataclass(slots=True)
class UnitResult:
    """What one attempt of a unit came to."""

    response: Response
    error: LlmcliError | None
    cancelled: bool = False


class Cancelled(Exception):
    """A request not started because the run is stopping."""



def call(
    unit: Unit,
    *,
    policy: RetryPolicy,
    stream: bool,
    abort: threading.Event,
    budget: RateBudget | None,
) -> UnitResult:
    """One attempt (retries are the runner's): the response whatever happened, its error,
    and whether `abort` cut it short. The budget's token estimate is settled with the usage."""
    from llmcli.exchange.drive import drive

    t = unit.target
    result = drive(t.provider, unit.request, t.provider_name, policy=policy, stream=stream,
                   info=t.info, should_stop=abort.is_set)
    if result.stopped:
        return UnitResult(result.response, result.error, cancelled=True)
    response = result.response
    if budget is not None and budget.tpm:
        budget.settle(unit.tokens, response.usage.total_tokens or unit.tokens)
    return UnitResult(response, result.error)
