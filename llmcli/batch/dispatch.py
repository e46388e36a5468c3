"""Feed many requests through core.scheduler with bounded work in hand.

The calling thread reads inputs, submits, writes records and logs (sqlite3 connections belong
to one thread); workers only run requests. At most `window` units (one input for one model) are
open at a time, wherever they are: queued per provider, running, waiting to be retried, or held
by the reorder buffer. So 100,000 inputs cost what `window` inputs cost, and a killed run loses
only what was in hand.

A unit is submitted only when its provider has a free slot and a worker is free, so a slow
provider never ties up the pool. Each request makes one attempt (the runner's own retries are
off): a failed one is put back after a backoff, `Retry-After` honoured, and a 429 also pauses
new requests to that provider for that long. Every attempt passes through the provider's
`RateBudget`, so `--rpm`/`--tpm` count what the provider actually receives; tokens are estimated
before a request and settled with the real count after it.
"""

from __future__ import annotations

import heapq
import queue
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, wait
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from llmcli.batch.config import BatchConfig, Hooks, LogFn, SkipFn, Target
from llmcli.batch.feeder import END, Feeder
from llmcli.batch.inputs import BadLine, Item
from llmcli.batch.outputs import OutputError, Reorder, make_record
from llmcli.batch.summary import ModelStats
from llmcli.batch.worker import Cancelled, Unit, UnitResult, call
from llmcli.core.errors import (
    InvalidInput,
    LlmcliError,
    RateLimited,
    StorageError,
    Terminated,
    is_retryable,
)
from llmcli.core.runner import RetryPolicy
from llmcli.core.scheduler import BudgetClosed, RateBudget, Scheduler, TaskResult

if TYPE_CHECKING:
    from llmcli.batch.build import Builder
    from llmcli.batch.outputs import Sink
    from llmcli.batch.summary import BatchStats
    from llmcli.core.messages import ChatRequest
    from llmcli.core.response import Response

__all__ = ["BatchConfig", "BatchRunner", "Hooks", "Target"]

DEFAULT_OUTPUT_GUESS = 256  # output tokens assumed for the budget before any reply is seen


class BatchRunner:
    def __init__(
        self,
        targets: list[Target],
        builder: Builder,
        sink: Sink,
        config: BatchConfig,
        stats: BatchStats,
        *,
        log: LogFn | None = None,
        hooks: Hooks | None = None,
        skip: SkipFn | None = None,
    ):
        self.targets = targets
        self.builder = builder
        self.sink = sink
        self.config = config
        self.stats = stats
        self.log = log
        self.hooks = hooks or Hooks()
        self.skip = skip
        stats.answer_label = "answer" if builder.extracts else "reply"
        for t in targets:  # the summary lists models in the order they were given
            stats.models.setdefault(t.label, ModelStats())
        names = list(dict.fromkeys(t.provider_name for t in targets))
        self._cancel = threading.Event()  # start no more requests
        self._abort = threading.Event()  # also stop reading replies mid-stream
        self._budgets: dict[str, RateBudget] = {}
        if config.rpm or config.tpm:
            # A slightly longer window (1%, at least 0.25 s): the server counts a request when
            # it arrives, a moment after the budget reserved it, and that moment varies (a new
            # connection, a loaded machine) by up to ~0.1 s here.
            window = config.budget_window + max(0.01 * config.budget_window, 0.25)
            self._budgets = {
                n: RateBudget(config.rpm, config.tpm, window=window, clock=config.clock,
                              sleep=config.sleep)
                for n in names
            }
        self._limits = {n: config.limit(n) for n in names}
        # Daemon workers: a request left running after Ctrl-C twice never delays the exit.
        self._sched = Scheduler(
            max_workers=config.jobs, per_provider=dict(self._limits), budgets=self._budgets,
            daemon=True,
        )
        self._once = RetryPolicy(max_retries=0, max_retry_wait=config.policy.max_retry_wait)
        self._chain_policy = replace(config.policy, max_retries=config.retries)
        self._ready: dict[str, deque[Unit]] = {n: deque() for n in names}
        self._inflight = dict.fromkeys(names, 0)
        self._paused_until = dict.fromkeys(names, 0.0)
        self._pending: dict[Future[TaskResult], Unit] = {}
        self._delayed: list[tuple[float, int, Unit]] = []
        self._reorder = Reorder(config.ordered)
        self._window = config.window or 2 * config.jobs + len(targets)
        # --ordered: finished records wait here for an earlier one. They do not count against
        # the window of requests in flight, so one slow request does not stall the others;
        # the buffer has its own bound (memory), reached only behind a very slow request.
        self._reorder_limit = config.reorder_limit
        self._out_tokens: dict[str, tuple[int, int]] = {}
        self._rng = random.Random()
        self._feeder: Feeder | None = None
        self._seq = 0
        self._exhausted = False
        self._stop_reading = False
        self._stopping = False
        self._abandon = False
        self._interrupts = 0
        self.log_error: StorageError | None = None  # the log could not be written
        self.output_error: OutputError | None = None

    @property
    def interrupted(self) -> bool:
        return self._interrupts > 0

    # -- the loop ---------------------------------------------------------------------------------
    def run(self, records: Iterable[Item | BadLine]) -> BatchStats:
        """Run everything; returns the stats. Ctrl-C once drains what is in flight, twice leaves."""
        self._feeder = Feeder(records, self._window)
        try:
            while True:
                try:
                    if not self._step():
                        break
                except KeyboardInterrupt as exc:
                    self._interrupted(terminated=isinstance(exc, Terminated))
        finally:
            self._finish()
        return self.stats

    def dry_run(self, records: Iterable[Item | BadLine],
                show: Callable[[str, str, ChatRequest], None] | None = None) -> BatchStats:
        """Read and check every input, build its requests, send nothing: how many requests
        there would be (`stats.submitted`) and their estimated input tokens; `show` gets each
        request that would be sent (item id, model label, request)."""
        try:
            for rec in records:
                if isinstance(rec, BadLine):
                    self._bad(rec.line, rec.reason)
                    if self._stop_reading:
                        break
                    continue
                self._add(rec)
                for ready in self._ready.values():
                    while ready:
                        unit = ready.popleft()
                        self.stats.agreement.drop(unit.item_no)
                        self.stats.submitted += 1
                        self.stats.estimated_tokens += self._estimate_input(unit.request)
                        if show is not None:
                            show(unit.item.id, unit.target.label, unit.request)
        finally:
            self._sched.shutdown(cancel=True)
            self.stats.ended = time.monotonic()
        return self.stats

    def _step(self) -> bool:
        if self._abandon:
            return False
        if not self._stopping:
            self._fill()
        now = time.monotonic()
        self._release_delayed(now)
        self._dispatch(now)
        if not self._pending:
            if self._delayed or any(self._ready.values()):
                time.sleep(self._timeout(now))  # everything left waits for a backoff or a pause
                return True
            if self._reading:
                self._take(self.config.tick)  # nothing in hand: wait for the next input
                return True
            return False
        done, _ = wait(list(self._pending), timeout=self._timeout(now), return_when=FIRST_COMPLETED)
        for fut in done:
            self._complete(fut)
        self.hooks.tick(self.stats)
        return True

    def _open(self) -> int:
        queued = sum(len(q) for q in self._ready.values())
        return queued + len(self._pending) + len(self._delayed)

    @property
    def _reading(self) -> bool:
        return not self._exhausted and not self._stop_reading and not self._stopping

    def _fill(self) -> None:
        while (self._reading and self._open() < self._window
               and self._reorder.held < self._reorder_limit):
            if not self._take(None):
                return

    def _take(self, timeout: float | None) -> bool:
        """Handle the next input if one is ready (waiting up to `timeout`); False if none."""
        assert self._feeder is not None
        try:
            rec = self._feeder.get(timeout)
        except queue.Empty:
            return False
        if rec is END:
            self._exhausted = True
            return False
        if isinstance(rec, BadLine):
            self._bad(rec.line, rec.reason)
        else:
            self._add(rec)
        return True

    def _bad(self, line: int, reason: str) -> None:
        self.stats.bad(line)
        self.hooks.bad_line(line, reason)
        if self.config.strict:
            self._stop_reading = True
            self.stats.stopped = f"malformed line {line} (--strict)"

    def _add(self, item: Item) -> None:
        from llmcli.exchange.request import build_request

        self.stats.read += 1
        targets = [t for t in self.targets if not (self.skip and self.skip(item, t))]
        self.stats.skipped += len(self.targets) - len(targets)
        if not targets:
            return
        try:
            messages = self.builder.build(item)
        except InvalidInput as exc:
            self._bad(item.line, exc.one_line())
            return
        item_no = self.stats.read
        self.stats.agreement.expect(item_no, len(targets))
        for t in targets:
            request = build_request(t.ref, messages, t.options, schema=t.schema)
            unit = Unit(self._seq, item_no, item, t, request, self._estimate(request, t))
            if self.builder.chained:  # a multi-call template: the unit runs its technique
                unit.chain = self.builder.chain(item, t.options.set_values())  # type: ignore[union-attr]
            self._seq += 1
            self._ready[t.provider_name].append(unit)

    @staticmethod
    def _estimate_input(request: ChatRequest) -> int:
        """About 4 characters a token, plus a few for each message's framing."""
        return sum(len(m.content) for m in request.messages) // 4 + 4 * len(request.messages)

    def _estimate(self, request: ChatRequest, t: Target) -> int:
        """Tokens for the budget: the input estimate, and the usual reply out."""
        out = request.options.max_tokens
        if out is None:
            total, n = self._out_tokens.get(t.label, (0, 0))
            out = total // n if n else DEFAULT_OUTPUT_GUESS
        tokens = self._estimate_input(request) + out
        return min(tokens, self.config.tpm) if self.config.tpm else tokens

    def _release_delayed(self, now: float) -> None:
        while self._delayed and self._delayed[0][0] <= now:
            _, _, unit = heapq.heappop(self._delayed)
            self._ready[unit.target.provider_name].appendleft(unit)  # retries go first

    def _dispatch(self, now: float) -> None:
        moved = True
        while moved and len(self._pending) < self.config.jobs:
            moved = False
            for name, ready in self._ready.items():  # round robin across providers
                if len(self._pending) >= self.config.jobs:
                    break
                free = self._inflight[name] < self._limits[name]
                if ready and free and self._paused_until[name] <= now:
                    self._submit(ready.popleft())
                    moved = True

    def _submit(self, unit: Unit) -> None:
        name = unit.target.provider_name
        fut = self._sched.submit(name, partial(self._call, unit), tokens=unit.tokens)
        self._pending[fut] = unit
        self._inflight[name] += 1
        self.stats.submitted += 1
        self.stats.in_flight = len(self._pending)

    def _timeout(self, now: float) -> float:
        times = [self.config.tick]
        if self._delayed:
            times.append(self._delayed[0][0] - now)
        for name, until in self._paused_until.items():
            if self._ready[name] and until > now:
                times.append(until - now)
        return max(0.005, min(times))

    # -- on a worker ------------------------------------------------------------------------------
    def _call(self, unit: Unit) -> UnitResult:
        if self._cancel.is_set():
            raise Cancelled
        # A chain's calls retry in place (resubmitting it would repeat the calls that worked).
        policy = self._once if unit.chain is None else self._chain_policy
        return call(unit, policy=policy, stream=self.config.stream, abort=self._abort,
                    budget=self._budgets.get(unit.target.provider_name))

    # -- back on the calling thread ---------------------------------------------------------------
    def _complete(self, fut: Future[TaskResult]) -> None:
        unit = self._pending.pop(fut)
        name = unit.target.provider_name
        self._inflight[name] -= 1
        self.stats.in_flight = len(self._pending)
        try:
            result = fut.result()
        except (Cancelled, BudgetClosed, CancelledError):  # the run is stopping
            self._drop(unit)
            return
        unit.waited += result.waited
        if result.error is not None:  # outside the provider call: a bug; the item fails
            if isinstance(result.error, Cancelled):
                self._drop(unit)
                return
            raise result.error
        out: UnitResult = result.value
        unit.requests += out.response.attempts
        # One row per item, its final outcome, with every request it took (not a row a retry).
        response = out.response.model_copy(update={"attempts": max(1, unit.requests)})
        if response.status == "complete" and unit.target.schema is not None:
            from llmcli.exchange.schema import check_response

            out.error = check_response(unit.request, response) or out.error  # logged as such
        if out.cancelled:
            self._log(unit, response, out)
            self._drop(unit)
            return
        final = response.status == "complete" or unit.chain is not None
        delay = None if final else self._retry_delay(unit, out.error)
        if delay is None:
            self._log(unit, response, out)
        if response.status == "complete":
            if response.usage.output_tokens is not None:
                total, n = self._out_tokens.get(unit.target.label, (0, 0))
                self._out_tokens[unit.target.label] = (total + response.usage.output_tokens, n + 1)
            self._emit(unit, self._record(unit, response, ok=True, answer=out.answer))
            return
        if delay is not None:
            now = time.monotonic()
            unit.attempt += 1
            unit.waited += delay
            self.stats.retried += 1
            if isinstance(out.error, RateLimited):  # the provider said slow down: pause it
                self._paused_until[name] = max(self._paused_until[name], now + delay)
            heapq.heappush(self._delayed, (now + delay, unit.seq, unit))
            return
        code = out.error.exit_code if out.error is not None else 1
        self.stats.fail_codes[code] = self.stats.fail_codes.get(code, 0) + 1
        kind = out.error.kind if out.error is not None else "error"
        self.stats.fail_kinds[kind] = self.stats.fail_kinds.get(kind, 0) + 1
        self._emit(unit, self._record(unit, response, ok=False))

    def _retry_delay(self, unit: Unit, err: LlmcliError | None) -> float | None:
        if self._stopping or err is None or not is_retryable(err):
            return None
        if unit.attempt >= self.config.retries:
            return None
        # The same rule as an exchange's own retries (a Retry-After too long is written out).
        return self.config.policy.delay(err, unit.attempt, self._rng)

    def _record(self, unit: Unit, r: Response, *, ok: bool,
                answer: str | None = None) -> dict[str, Any]:
        if unit.chain is None:
            answer = self.builder.extract(r.text) if ok and self.builder.extracts else None
        elif not ok:
            answer = None
        return make_record(
            id=unit.item.id,
            model=unit.target.label,
            status="ok" if ok else "error",
            reply=r.text,
            answer=answer,
            data=r.data if ok else None,
            with_data=unit.target.schema is not None,
            with_answer=self.builder.extracts,
            input_tokens=r.usage.input_tokens,
            output_tokens=r.usage.output_tokens,
            cost=r.cost,
            ttft=r.timings.ttft,
            total=r.timings.total,
            waited=unit.waited + r.timings.waited,
            attempts=max(1, unit.requests),
            error=None if ok else (r.error or "failed"),
            line=unit.item.line,
            batch=self.stats.batch_id,
        )

    def _emit(self, unit: Unit, rec: dict[str, Any]) -> None:
        self.stats.finished(rec)
        ok = rec["status"] == "ok"
        compared = (rec.get("answer") if self.builder.extracts else rec["reply"]) if ok else None
        self.stats.agreement.add(unit.item_no, unit.target.label, compared)
        if not ok:
            self.hooks.failed(rec)
        for r in self._reorder.push(unit.seq, rec):
            self._write(r)

    def _drop(self, unit: Unit) -> None:
        """The unit ends with no record (the run is stopping); later ones may go out."""
        self.stats.agreement.drop(unit.item_no)
        for r in self._reorder.push(unit.seq, None):
            self._write(r)

    def _write(self, rec: dict[str, Any]) -> None:
        if self.output_error is not None:
            self.stats.unwritten += 1
            return
        try:
            self.sink.write(rec)
            self.stats.written += 1
        except OutputError as exc:
            self.output_error = exc
            self.stats.unwritten += 1
            self._cancel.set()
            self._abort.set()  # nothing more can be written: stop paying for replies
            self._stop("output closed" if exc.closed_pipe else exc.one_line())

    def _log(self, unit: Unit, response: Response, out: UnitResult) -> None:
        """One row per request; a chain's calls one row each (the record counts them all)."""
        if self.log is None or self.log_error is not None:
            return
        calls = [(c.request, c.response) for c in out.calls] or [(unit.request, response)]
        try:
            for request, reply in calls:
                self.log(request, reply)
        except StorageError as exc:
            self.log_error = exc
            self.hooks.notice(f"calls are no longer logged: {exc.one_line()}")

    # -- stopping ---------------------------------------------------------------------------------
    def _stop(self, reason: str) -> None:
        if self._stopping:
            return
        self._stopping = True
        self.stats.stopped = self.stats.stopped or reason
        for budget in self._budgets.values():  # requests waiting for a budget give up
            budget.close()
        for ready in self._ready.values():
            while ready:
                self._drop(ready.popleft())
        delayed, self._delayed = self._delayed, []
        for _, _, unit in sorted(delayed, key=lambda d: d[2].seq):
            self._drop(unit)

    def _interrupted(self, *, terminated: bool = False) -> None:
        """Ctrl-C once: no new requests, those in flight finish. SIGTERM/SIGHUP: those in
        flight also stop at their next piece and are logged as interrupted, partial text kept
        (a process manager will not wait for whole replies). Ctrl-C twice: leave them."""
        self._interrupts += 1
        if terminated:
            self._cancel.set()
            self._abort.set()
            self._stop("terminated")
        elif self._interrupts == 1:
            self._cancel.set()
            self._stop("interrupted")
            if self._pending:
                self.hooks.notice(
                    f"stopping: waiting for {len(self._pending)} requests in flight "
                    "(Ctrl-C again to leave them)"
                )
        else:
            self._abort.set()
            self._abandon = True

    def _finish(self) -> None:
        if self._feeder is not None:
            self._feeder.close()
        self.stats.abandoned = len(self._pending)
        for rec in self._reorder.drain():
            self._write(rec)
        self._sched.shutdown(cancel=True)
        self.stats.in_flight = 0
        self.stats.ended = time.monotonic()
        self.hooks.tick(self.stats)

