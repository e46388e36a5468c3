"""What runs on a worker thread: one attempt of one request, read to its end."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from llmcli.core.errors import Interrupted, LlmcliError, ProviderError
from llmcli.core.runner import RetryPolicy, Run

if TYPE_CHECKING:
    from llmcli.batch.config import Target
    from llmcli.batch.inputs import Item
    from llmcli.core.messages import ChatRequest
    from llmcli.core.response import Response
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
class Outcome:
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
) -> Outcome:
    """One attempt (retries are the runner's): the response whatever happened, its error,
    and whether `abort` cut it short. The budget's token estimate is settled with the usage."""
    t = unit.target
    run = Run(t.provider, unit.request, t.provider_name, stream=stream, policy=policy, info=t.info)
    pieces = iter(run)
    error: LlmcliError | None = None
    try:
        for _ in pieces:
            if abort.is_set():
                stopped = Interrupted("stopped before the reply was complete")
                response = run.response.model_copy(
                    update={"status": "interrupted", "error": stopped.one_line()}
                )
                return Outcome(response, stopped, cancelled=True)
    except LlmcliError:
        error = run.error
    except Exception as exc:  # an SDK surprise: this item fails, the run goes on
        error = ProviderError(f"internal error: {type(exc).__name__}: {exc}")
    finally:
        pieces.close()
    response = run.response
    if error is not None and response.status == "complete":
        response = response.model_copy(update={"status": "error", "error": error.one_line()})
    if budget is not None and budget.tpm:
        budget.settle(unit.tokens, response.usage.total_tokens or unit.tokens)
    return Outcome(response, error)
