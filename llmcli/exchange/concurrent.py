"""Several exchanges with one model at once (self-consistency's samples): `drive` on the
scheduler's threads within the provider's concurrency limit, each logged on the calling
thread as it finishes, as compare does for its cells."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import TYPE_CHECKING

from llmcli.core.errors import Interrupted, LlmcliError

if TYPE_CHECKING:
    from llmcli.app_context import AppContext
    from llmcli.core.messages import ChatRequest
    from llmcli.core.registry import ModelRef
    from llmcli.core.response import Response
    from llmcli.core.scheduler import TaskResult
    from llmcli.exchange.drive import ExchangeResult

DEFAULT_JOBS = 4


def provider_jobs(app: AppContext, provider: str) -> int:
    """Requests at once for a provider: its [providers.X] concurrency, else 4."""
    cfg = app.settings.provider_config(provider)
    return max(1, int(cfg.get("concurrency", DEFAULT_JOBS)))


def run_concurrently(
    app: AppContext,
    ref: ModelRef,
    requests: Sequence[ChatRequest],
    *,
    jobs: int,
    log: bool = True,
    template: str | None = None,
    on_done: Callable[[int, Response], None] | None = None,
) -> list[Response]:
    """Every request, at most `jobs` at once; responses in the requests' order. `on_done` sees
    each as it finishes (calling thread). A failed exchange is raised once all have ended
    (every one logged first); Ctrl-C stops the running ones and raises Interrupted."""
    from llmcli.core.scheduler import Scheduler
    from llmcli.exchange.drive import drive, internal_error, warm_up
    from llmcli.exchange.record import log_exchange

    provider = app.registry.provider(ref)
    warm_up(provider, ref.model)
    stop = threading.Event()
    scheduler = Scheduler(max_workers=max(1, min(len(requests), jobs)), per_provider=jobs,
                          daemon=True)  # after Ctrl-C a stalled stream must not hold the exit

    def work(request: ChatRequest) -> ExchangeResult:
        return drive(provider, request, ref.provider, policy=app.retry_policy,
                     should_stop=stop.is_set)

    futures: dict[Future[TaskResult], int] = {
        scheduler.submit(ref.provider, lambda r=request: work(r)): i
        for i, request in enumerate(requests)
    }
    responses: list[Response | None] = [None] * len(requests)
    errors: list[LlmcliError] = []
    interrupted = False
    try:
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            for fut in done:
                i = futures[fut]
                task = fut.result()
                if task.error is not None:  # a bug in an adapter, not an exchange's failure
                    errors.append(internal_error(ref.provider, task.error))
                    continue
                result: ExchangeResult = task.value
                if result.error is not None:
                    errors.append(result.error)
                if log:
                    log_exchange(app.logs, requests[i], result.response, template=template)
                responses[i] = result.response
                if on_done is not None and result.error is None:
                    on_done(i, result.response)
    except KeyboardInterrupt:
        interrupted = True
        stop.set()
    finally:
        scheduler.shutdown(cancel=interrupted)
    if interrupted:
        raise Interrupted("interrupted", hint="the samples that had finished were logged")
    if errors:
        raise errors[0]
    return [r for r in responses if r is not None]
