"""What runs on a worker thread: one attempt of one request (an exchange), read to its end;
or, for a multi-call template, every call of its technique (exchange.chain)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llmcli.core.errors import LlmcliError

if TYPE_CHECKING:
    from llmcli.batch.config import Target
    from llmcli.batch.inputs import Item
    from llmcli.core.messages import ChatRequest
    from llmcli.core.response import Response
    from llmcli.core.runner import RetryPolicy
    from llmcli.core.scheduler import RateBudget
    from llmcli.exchange.chain import Call


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
    # A multi-call technique: given `ask`, runs every call and returns the template's Outcome.
    chain: Callable[[Callable[..., Any]], Any] | None = None


@dataclass(slots=True)
class UnitResult:
    """What one attempt of a unit came to."""

    response: Response
    error: LlmcliError | None
    cancelled: bool = False
    calls: list[Call] = field(default_factory=list)  # a chain's exchanges, each to be logged
    answer: str | None = None  # a chain's answer (a vote's winner for self-consistency)


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
    if unit.chain is not None:
        return _chain(unit, policy=policy, stream=stream, abort=abort, budget=budget)
    result = drive(t.provider, unit.request, t.provider_name, policy=policy, stream=stream,
                   info=t.info, should_stop=abort.is_set)
    if result.stopped:
        return UnitResult(result.response, result.error, cancelled=True)
    response = result.response
    if budget is not None and budget.tpm:
        budget.settle(unit.tokens, response.usage.total_tokens or unit.tokens)
    return UnitResult(response, result.error)


def _chain(unit: Unit, *, policy: RetryPolicy, stream: bool, abort: threading.Event,
           budget: RateBudget | None) -> UnitResult:
    """Every call of the unit's technique, each with `policy`'s retries (a chain is not
    resubmitted: that would repeat the calls that succeeded)."""
    from llmcli.exchange.chain import Chain

    t = unit.target
    chain = Chain(t.provider, t.ref, policy=policy, stream=stream, info=t.info,
                  should_stop=abort.is_set, budget=budget)
    assert unit.chain is not None
    result = chain.run(unit.chain)
    outcome = result.value
    response = chain.combined(outcome.text if outcome is not None else None, result.error)
    if budget is not None and budget.tpm and chain.calls:  # the first call's reservation
        first = chain.calls[0].response.usage.total_tokens
        budget.settle(unit.tokens, first or unit.tokens)
    return UnitResult(response, result.error, cancelled=result.stopped and abort.is_set(),
                      calls=chain.calls, answer=outcome.answer if outcome is not None else None)
