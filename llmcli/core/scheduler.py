"""Fan-out on threads with limits: a bounded pool, per-provider concurrency, and request/token
budgets per minute. Used by comparison and batch runs (the SDKs are synchronous-first).

Each task reports how long it waited for a slot or a budget, so a table can say when a cell
was held back by a rate limit rather than by the provider.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


class BudgetClosed(Exception):
    """Raised by `RateBudget.acquire` once the budget was closed (the run is stopping)."""


class RateBudget:
    """A sliding 60-second window of requests and tokens: `acquire` blocks until both fit.

    In real time (the default `sleep`) a waiter also wakes when `settle` gives tokens back or
    `close` ends the run, rather than sleeping until the oldest reservation expires.
    """

    def __init__(
        self,
        rpm: int | None = None,
        tpm: int | None = None,
        *,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.rpm = rpm
        self.tpm = tpm
        self.window = window
        self.clock = clock
        self.sleep = sleep
        self._events: deque[tuple[float, int]] = deque()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # settle() and close() wake waiters
        self._closed = False

    def acquire(self, tokens: int = 0) -> float:
        """Reserve one request of `tokens` estimated tokens; returns seconds spent waiting.

        Raises BudgetClosed once `close` has been called.
        """
        if self.rpm is None and self.tpm is None:
            return 0.0
        start = self.clock()
        tokens = min(tokens, self.tpm) if self.tpm else tokens  # a huge item still gets through
        while True:
            with self._lock:
                if self._closed:
                    raise BudgetClosed("the rate budget was closed")
                now = self.clock()
                while self._events and now - self._events[0][0] >= self.window:
                    self._events.popleft()
                used_tokens = sum(t for _, t in self._events)
                fits_r = self.rpm is None or len(self._events) < self.rpm
                fits_t = self.tpm is None or used_tokens + tokens <= self.tpm
                if fits_r and fits_t:
                    self._events.append((now, tokens))
                    return now - start
                delay = self._next_release(now, tokens, fits_r)
                if self.sleep is time.sleep:
                    self._changed.wait(delay)  # releases the lock while it waits
                    continue
            self.sleep(delay)

    def _next_release(self, now: float, tokens: int, fits_r: bool) -> float:
        if not fits_r:
            return max(0.001, self._events[0][0] + self.window - now)
        # Drop the oldest entries until the tokens fit; wait until the last of those expires.
        budget = self.tpm or 0
        used = sum(t for _, t in self._events)
        for start, t in self._events:
            used -= t
            if used + tokens <= budget:
                return max(0.001, start + self.window - now)
        return self.window

    def settle(self, estimated: int, actual: int) -> None:
        """Replace a reservation's estimate with the real token count once it is known."""
        if self.tpm is None or estimated == actual:
            return
        with self._lock:
            for i in range(len(self._events) - 1, -1, -1):
                start, t = self._events[i]
                if t == estimated:
                    self._events[i] = (start, actual)
                    self._changed.notify_all()
                    return

    def close(self) -> None:
        """Stop: every waiting and later `acquire` raises BudgetClosed."""
        with self._lock:
            self._closed = True
            self._changed.notify_all()


@dataclass
class TaskResult:
    value: Any = None
    error: BaseException | None = None
    waited: float = 0.0  # time held back by per-provider slots or budgets
    # The part of `waited` spent on the provider's slot or budget once a worker had the task:
    # without the pool's queue and thread start-up, so it is ~0 unless a limit really held it.
    held: float = 0.0


_Item = tuple[Future[Any], Callable[[], Any]]


class _DaemonPool:
    """A bounded pool of daemon threads: a worker stuck in a network read never holds up the
    process's exit (ThreadPoolExecutor joins its workers at exit, which after Ctrl-C on a
    stalled stream means waiting for the read timeout)."""

    def __init__(self, max_workers: int):
        self._max = max(1, max_workers)
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = threading.Semaphore(0)
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        fut: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot submit after shutdown")
            self._queue.put((fut, fn))
            if not self._idle.acquire(blocking=False) and len(self._threads) < self._max:
                t = threading.Thread(
                    target=self._work, daemon=True, name=f"llmcli-daemon-{len(self._threads)}"
                )
                self._threads.append(t)
                t.start()
        return fut

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            fut, fn = item
            if fut.set_running_or_notify_cancel():
                try:
                    fut.set_result(fn())
                except BaseException as exc:
                    fut.set_exception(exc)
            del item, fut, fn
            self._idle.release()

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            if cancel_futures:
                pending = []
                while True:
                    try:
                        pending.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                for item in pending:
                    if item is not None:
                        item[0].cancel()
            for _ in self._threads:
                self._queue.put(None)
        if wait:
            for t in self._threads:
                t.join()


@dataclass
class Scheduler:
    """Runs callables on a bounded pool, at most `per_provider` at once for each provider.

    `daemon=True` runs them on daemon threads, for callers that may abandon running tasks
    (Ctrl-C during a comparison) and must not wait for a stalled read before exiting.
    """

    max_workers: int = 8
    per_provider: int | dict[str, int] = 4
    budgets: dict[str, RateBudget] = field(default_factory=dict)
    daemon: bool = False
    clock: Callable[[], float] = time.monotonic  # what `waited` and `held` are measured with

    def __post_init__(self) -> None:
        if self.daemon:
            self._pool: Any = _DaemonPool(self.max_workers)
        else:
            self._pool = ThreadPoolExecutor(
                max_workers=self.max_workers, thread_name_prefix="llmcli"
            )
        self._slots: dict[str, threading.Semaphore] = {}
        self._lock = threading.Lock()

    def _slot(self, provider: str) -> threading.Semaphore:
        with self._lock:
            sem = self._slots.get(provider)
            if sem is None:
                n = (
                    self.per_provider
                    if isinstance(self.per_provider, int)
                    else self.per_provider.get(provider, 4)
                )
                sem = self._slots[provider] = threading.Semaphore(max(1, n))
            return sem

    def submit(self, provider: str, fn: Callable[[], T], *, tokens: int = 0) -> Future[TaskResult]:
        """Queue `fn`; the future's TaskResult carries its value or error and the time it waited."""

        start = self.clock()  # queue time in the pool counts as waiting too

        def task() -> TaskResult:
            slot = self._slot(provider)
            picked = self.clock()
            with slot:
                now = self.clock()
                waited, held = now - start, now - picked
                budget = self.budgets.get(provider)
                if budget is not None:
                    spent = budget.acquire(tokens)
                    waited += spent
                    held += spent
                try:
                    return TaskResult(value=fn(), waited=waited, held=held)
                except BaseException as exc:  # reported per task; one failure never stops others
                    return TaskResult(error=exc, waited=waited, held=held)

        return self._pool.submit(task)

    def shutdown(self, cancel: bool = False) -> None:
        self._pool.shutdown(wait=not cancel, cancel_futures=cancel)
