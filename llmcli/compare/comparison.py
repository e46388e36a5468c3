"""Run every cell of a comparison at once through core.scheduler.

Each cell is one exchange (exchange.drive) on a worker thread; its text pieces go to the cell's live
buffer, which the face renders while the cells stream. A cell of a multi-call technique
(least-to-most, self-consistency, tree-of-thoughts, self-refine) is the whole chain of calls
(exchange.chain) on one worker: the buffer shows the call in progress, the cell's response is
the final reply with tokens, cost and time summed, and every call is logged.

Everything that touches SQLite or the screen happens on the calling thread (sqlite3
connections belong to one thread), so logging is a callback run there as each cell finishes.
One cell's failure is recorded in that cell and never stops the others; Ctrl-C stops all,
keeps what arrived, and logs it as interrupted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llmcli.core.errors import Interrupted, LlmcliError
from llmcli.core.provider import Provider
from llmcli.core.response import Response

if TYPE_CHECKING:
    from llmcli.compare.grid import Cell
    from llmcli.core.messages import ChatRequest
    from llmcli.core.runner import RetryPolicy, Run
    from llmcli.core.scheduler import RateBudget, TaskResult
    from llmcli.exchange.chain import Call, Chain
    from llmcli.exchange.drive import ExchangeResult
    from llmcli.exchange.tool_loop import ToolSession

# Below this a cell was not held back in any way a person would notice (thread start-up).
WAIT_NOTICE_S = 0.05
# Tokens per second needs a stream that lasted this long after its first token; a reply that
# arrived in one burst has no meaningful rate (it would show as tens of thousands).
MIN_GENERATION_S = 0.05


def tokens_per_second(response: Response | None) -> float | None:
    """Output tokens / (total - time to first token), when that span is long enough to mean it."""
    if response is None or response.timings.ttft is None:
        return None
    if response.timings.total - response.timings.ttft < MIN_GENERATION_S:
        return None
    return response.tokens_per_second


def backoff_cause(err: LlmcliError) -> str:
    """What a retry waited out, in words: only a 429 is a rate limit."""
    from llmcli.core.errors import ProviderError, RateLimited, TimeoutError_, Unreachable

    if isinstance(err, RateLimited):
        return "rate limit"
    if isinstance(err, TimeoutError_):
        return "timeout"
    if isinstance(err, Unreachable):
        return "unreachable"
    if isinstance(err, ProviderError) and err.status:
        return f"server error {err.status}" if err.status >= 500 else f"error {err.status}"
    return "error"


@dataclass
class CellState:
    """A cell's live buffer while it runs, and its outcome once it is over."""

    cell: Cell
    pieces: list[str] = field(default_factory=list)
    status: str = "queued"  # queued, running, retrying, complete, error, interrupted
    note: str | None = None  # 'rate limited; retrying in 1.0 s'
    request: ChatRequest | None = None
    asked: ChatRequest | None = None  # with tools: the request as first sent (the cache key's)
    run: Run | None = None
    started: float | None = None  # seconds after the comparison began that the cell was sent
    ended: float | None = None
    held: float = 0.0  # time held back by the per-provider limit or a rate budget
    backoff_cause: str | None = None  # why it backed off: 'rate limit', 'server error 500'...
    response: Response | None = None
    error: LlmcliError | None = None
    answer: str | None = None  # what the template's extract found in the reply
    log_id: int | None = None
    valid: bool | None = None  # --schema: the reply is a document valid against it
    version: int = 0  # bumped on every change, so a view redraws only when needed
    chain: Chain | None = None  # a multi-call technique's calls, each logged

    def retrying(self, delay: float, attempt: int, err: LlmcliError) -> None:
        """`drive`'s on_wait: the cell backs off before another attempt, saying why."""
        self.status = "retrying"
        self.backoff_cause = backoff_cause(err)
        self.note = f"{err.retry_note()}; retrying in {delay:.1f} s"
        self.touch()

    @property
    def calls(self) -> list[Call]:
        """The exchanges of a multi-call cell, in order (empty for a one-call cell)."""
        return list(self.chain.calls) if self.chain is not None else []

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    @property
    def done(self) -> bool:
        return self.response is not None

    @property
    def backoff(self) -> float:
        """Time spent backing off (429, 5xx) before the first token."""
        if self.response is not None:
            return self.response.timings.waited
        return self.run.waited if self.run is not None else 0.0

    @property
    def waited(self) -> float:
        """Everything that held this cell back: the provider's limit, a budget, retries."""
        return self.held + self.backoff

    @property
    def tokens_per_second(self) -> float | None:
        return tokens_per_second(self.response)

    @property
    def was_held(self) -> bool:
        return self.waited >= WAIT_NOTICE_S

    def touch(self) -> None:
        self.version += 1

    def record(self) -> dict[str, Any]:
        """Every measurement of the cell: one JSON record (--json, --jsonl)."""
        c, r = self.cell, self.response
        rec: dict[str, Any] = {
            "cell": c.index,
            "row": c.row,
            "column": c.column,
            "run": c.run,
            "prompt_label": c.variant.label,
            "template": c.variant.template,
            "prompt": c.variant.prompt,
            "model": c.model,
            "provider": c.ref.provider,
            "status": r.status if r else self.status,
            "error": r.error if r else None,
            "text": r.text if r else self.text,
            "answer": self.answer,
            "finish_reason": r.finish_reason if r else None,
            "ttft": r.timings.ttft if r else None,
            "total": r.timings.total if r else None,
            "input_tokens": r.usage.input_tokens if r else None,
            "output_tokens": r.usage.output_tokens if r else None,
            "reasoning_tokens": r.usage.reasoning_tokens if r else None,
            "tokens_per_second": self.tokens_per_second,
            "cost": r.cost if r else None,
            "attempts": r.attempts if r else 0,
            "waited": round(self.waited, 4),
            "held": round(self.held, 4),
            "backoff": round(self.backoff, 4),
            "backoff_cause": self.backoff_cause,
            "started": round(self.started, 4) if self.started is not None else None,
            "log_id": self.log_id,
        }
        if self.chain is not None:
            rec["calls"] = len(self.chain.calls)
        if r is not None and r.reasoning:
            rec["reasoning"] = r.reasoning
        if r is not None and r.cached:
            rec["cached"] = True
        if r is not None and r.tool_calls:
            rec["tool_calls"] = [t.model_dump() for t in r.tool_calls]
            rec["round_trips"] = r.round_trips
        if self.valid is not None:  # --schema
            rec["valid"] = self.valid
            rec["data"] = r.data if r is not None else None
        return rec


@dataclass
class ComparisonResult:
    comparison_id: str
    cells: list[CellState]
    wall: float
    interrupted: bool = False

    @property
    def failures(self) -> list[CellState]:
        """Cells that did not complete: an error, or a stream broken mid-reply (kept as
        'interrupted' with its partial text, but failed all the same)."""
        return [s for s in self.cells if s.response is not None and s.error is not None]


LogFn = Callable[[CellState], "int | None"]
TickFn = Callable[[], None]


class Comparison:
    """All cells of one comparison, run concurrently with per-provider limits."""

    def __init__(
        self,
        cells: Sequence[Cell],
        *,
        providers: Mapping[str, Provider | LlmcliError],
        make_request: Callable[[Cell], ChatRequest],
        comparison_id: str,
        per_provider: int | dict[str, int] = 4,
        budgets: dict[str, RateBudget] | None = None,
        policy: RetryPolicy | None = None,
        stream: bool = True,
        max_workers: int | None = None,
        options: Mapping[str, Any] | None = None,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], None] = time.sleep,
        cached: Callable[[Cell, ChatRequest], Response | None] | None = None,
        tools: ToolSession | None = None,
    ):
        """`providers` maps a provider name to its instance, or to the error that stopped it
        being built (a missing key): that provider's cells fail, the others run. `clock` and
        `sleep` measure and wait everything (the cells' timings, retries, the scheduler's
        holds): a test passes a fake clock and no real time is asserted. `options` are the
        user's, handed to a multi-call technique (a one-call cell has them in its request).
        `cached` (--cache) answers a cell from the log, on the calling thread, before
        anything is scheduled."""
        self.states = [CellState(c) for c in cells]
        self.providers = providers
        self.make_request = make_request
        self.comparison_id = comparison_id
        self.per_provider = per_provider
        self.budgets = budgets or {}
        self.policy = policy
        self.stream = stream
        # A thread blocked on its provider's slot still holds a worker; one worker per cell
        # keeps a free provider from waiting behind a busy one.
        self.max_workers = max_workers or max(1, min(len(cells), 64))
        self.options = dict(options or {})
        self.clock = clock
        self.sleep = sleep
        self.cached = cached
        self.tools = tools  # each cell runs its model's tool calls (exchange/tool_loop.py)
        self._stop = threading.Event()
        self._t0 = 0.0

    # -- running ---------------------------------------------------------------------------
    def run(
        self, *, log: LogFn | None = None, on_tick: TickFn | None = None, tick: float = 0.1
    ) -> ComparisonResult:
        """Run every cell; returns when all are over or after Ctrl-C (then `interrupted`)."""
        from llmcli.core.scheduler import Scheduler

        self._prepare()
        self._t0 = self.clock()
        scheduler = Scheduler(
            max_workers=self.max_workers, per_provider=self.per_provider, budgets=self.budgets,
            daemon=True,  # after Ctrl-C a stalled stream must not hold up the exit
            clock=self.clock,
        )
        futures: dict[Future[TaskResult], tuple[CellState, int]] = {}
        interrupted = False
        try:
            unavailable = []
            hits = []
            for state in self.states:
                if self.cached is not None:
                    request = self.make_request(state.cell)
                    hit = self.cached(state.cell, request)
                    if hit is not None:
                        state.request = request
                        hits.append((state, hit))
                        continue
                name = state.cell.ref.provider
                target = self.providers.get(name)
                if not isinstance(target, Provider):
                    err = target or LlmcliError(f"provider '{name}' is unavailable")
                    unavailable.append((state, err))
                    continue
                tokens = _estimate_tokens(state, self.make_request)
                fut = scheduler.submit(
                    name, lambda s=state, p=target: self._work(s, p), tokens=tokens
                )
                futures[fut] = (state, tokens)
            # Only once every runnable cell is on its way: logging takes the main thread.
            for state, hit in hits:
                self._finish(state, hit, None, log)
            for state, err in unavailable:
                self._finish(state, _empty(state, "error", err.one_line()), err, log)
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=tick, return_when=FIRST_COMPLETED)
                for fut in done:
                    self._settle(*futures[fut], fut.result(), log)
                if on_tick is not None:
                    on_tick()
        except KeyboardInterrupt:
            interrupted = True
            self._stop.set()
            for fut, (state, tokens) in futures.items():
                if state.done:
                    continue
                if fut.done():  # finished while we were stopping: keep the whole reply
                    self._settle(state, tokens, fut.result(), log)
                else:
                    self._finish(state, self._snapshot(state), Interrupted("interrupted"), log)
        finally:
            # After Ctrl-C, don't wait: queued cells are cancelled, running ones stop at their
            # next piece of text.
            scheduler.shutdown(cancel=interrupted)
        wall = self.clock() - self._t0
        return ComparisonResult(self.comparison_id, self.states, wall, interrupted)

    def _prepare(self) -> None:
        """Build every provider's client (importing its SDK) before the clock starts, so a
        cell's time to first token measures the provider, not llmcli's start-up. A provider
        that fails here (no key) fails its cells; the others run."""
        from llmcli.exchange.drive import warm_up

        prepared = dict(self.providers)
        pairs = dict.fromkeys((s.cell.ref.provider, s.cell.ref.model) for s in self.states)
        for name, model in pairs:
            target = prepared.get(name)
            if not isinstance(target, Provider):
                continue
            try:
                warm_up(target, model)
            except LlmcliError as exc:
                prepared[name] = exc
        self.providers = prepared

    def stop(self) -> None:
        """Ask every running cell to stop at its next piece of text."""
        self._stop.set()

    def _work(self, state: CellState, provider: Provider) -> Response | None:
        """On a worker thread: drive one cell's exchange, feeding its live buffer."""
        from llmcli.exchange.drive import drive

        if self._stop.is_set():
            return None
        cell = state.cell
        if cell.variant.chain is not None:
            return self._work_chain(state, provider)
        request = self.make_request(cell)

        def on_start(run: Run) -> None:
            state.request, state.run = request, run
            if state.started is None:  # a tool loop's later rounds keep the first start
                state.started = self.clock() - self._t0
            state.status = "running"
            state.touch()

        def on_piece(piece: str) -> None:
            if state.status != "running":
                state.status, state.note = "running", None
            state.pieces.append(piece)
            state.touch()

        def once(req: ChatRequest) -> ExchangeResult:
            return drive(provider, req, cell.ref.provider, policy=self.policy,
                         stream=self.stream, on_start=on_start, on_piece=on_piece,
                         on_wait=state.retrying, should_stop=self._stop.is_set, clock=self.clock,
                         sleep=self.sleep)

        if self.tools is not None and request.tools:
            from llmcli.exchange.tool_loop import drive_rounds

            final, result = drive_rounds(once, request, self.tools)
            state.request, state.asked = final, request  # the whole transcript is logged
        else:
            result = once(request)
        state.error = result.error
        return result.response

    def _work_chain(self, state: CellState, provider: Provider) -> Response:
        """On a worker thread: every call of a multi-call technique, one after another."""
        from llmcli.exchange.chain import Chain

        cell = state.cell
        state.request = self.make_request(cell)  # the first call: what the log shows

        def on_call(number: int, run: Run) -> None:
            state.run = run
            if state.started is None:
                state.started = self.clock() - self._t0
            state.status, state.note = "running", f"call {number}"
            state.pieces = []  # the buffer shows the call in progress
            state.touch()

        def on_piece(piece: str) -> None:
            state.pieces.append(piece)
            state.touch()

        chain = Chain(provider, cell.ref, policy=self.policy, stream=self.stream,
                      should_stop=self._stop.is_set, on_call=on_call, on_piece=on_piece,
                      on_wait=state.retrying, clock=self.clock, sleep=self.sleep,
                      budget=self.budgets.get(cell.ref.provider))
        state.chain = chain
        technique = cell.variant.chain
        assert technique is not None
        result = chain.run(lambda ask: technique(ask, self.options))
        outcome = result.value
        state.error = result.error
        if outcome is not None:
            state.answer = outcome.answer
        return chain.combined(outcome.text if outcome is not None else None, result.error)

    # -- finishing (calling thread only) ---------------------------------------------------------
    def _settle(self, state: CellState, tokens: int, result: TaskResult, log: LogFn | None) -> None:
        from llmcli.exchange.drive import internal_error

        # Only what the provider's limit or budget cost, not the thread's start-up.
        state.held = result.held
        response = result.value
        error = state.error
        if result.error is not None:  # not an LlmcliError: a bug in an adapter
            exc = result.error
            error = exc if isinstance(exc, LlmcliError) else internal_error(
                state.cell.ref.provider, exc)
            if state.run is not None:
                update = {"status": "error", "error": error.one_line()}
                response = state.run.response.model_copy(update=update)
            else:
                response = _empty(state, "error", error.one_line())
        if response is None:  # stopped before it began
            response = _empty(state, "interrupted", "interrupted")
        budget = self.budgets.get(state.cell.ref.provider)
        # A chain's later calls settled their own reservations; this one was its first call's.
        usage = state.calls[0].response.usage if state.calls else response.usage
        if budget is not None and usage.total_tokens is not None:
            budget.settle(tokens, usage.total_tokens)
        self._finish(state, response, error, log)

    def _snapshot(self, state: CellState) -> Response:
        """What arrived so far from a cell still running, marked interrupted."""
        if state.chain is not None:
            return state.chain.combined(error=Interrupted("interrupted"))
        if state.run is None:
            return _empty(state, "interrupted", "interrupted")
        r = state.run.response
        return r.model_copy(update={"status": "interrupted", "error": "interrupted"})

    def _finish(self, state: CellState, response: Response, error: LlmcliError | None,
                log: LogFn | None) -> None:
        if state.request is None:
            state.request = self.make_request(state.cell)
        if state.request.json_schema is not None:  # --schema: checked as prompt checks it
            if response.status == "complete":
                from llmcli.exchange.schema import check_response

                error = check_response(state.request, response) or error
            state.valid = response.status == "complete"
        state.response = response
        state.error = error if response.status != "complete" else None
        state.status = response.status
        state.note = None
        state.ended = self.clock() - self._t0
        extract = state.cell.variant.extract
        if extract is not None and response.text:
            try:
                state.answer = extract(response.text)
            except Exception:  # an answer that cannot be extracted is just missing
                state.answer = None
        state.touch()
        if log is not None:
            state.log_id = log(state)
            response.log_id = state.log_id


def _empty(state: CellState, status: str, error: str) -> Response:
    ref = state.cell.ref
    return Response(text="", model=ref.model, provider=ref.provider, status=status, error=error,  # type: ignore[arg-type]
                    attempts=0)


def _estimate_tokens(state: CellState, make_request: Callable[[Cell], ChatRequest]) -> int:
    """A rough token count for a rate budget: 4 characters a token, plus the reply's limit."""
    request = make_request(state.cell)
    chars = sum(len(m.content) for m in request.messages)
    return chars // 4 + (request.options.max_tokens or 0)
