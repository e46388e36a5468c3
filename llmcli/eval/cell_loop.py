"""Run the cells of an eval concurrently (core.scheduler), at most `jobs` at once and at most
a provider's limit per provider; retries and 429 back-off by the one retry rule
(`RetryPolicy.delay`, `Retry-After` honoured) inside each exchange.

Cells are submitted a window at a time, so a 100,000-cell suite holds only the window in
memory. Each finished cell is handed to `on_result` on the calling thread (which stores it:
sqlite3 connections belong to one thread), so a killed run keeps every finished cell, and a
rerun with the finished cells in `skip` does only the rest. Ctrl-C stops new cells, asks the
running ones to stop, and returns what finished (`interrupted`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llmcli.eval.plan import Cell, Model, Row

if TYPE_CHECKING:
    from llmcli.core.options import Options
    from llmcli.core.scheduler import RateBudget, TaskResult
    from llmcli.eval.assertions import Graders
    from llmcli.eval.cache import Exchanges

ResultFn = Callable[[Cell, dict[str, Any]], None]


@dataclass
class RunOutcome:
    records: list[dict[str, Any]] = field(default_factory=list)  # only without `on_result`
    interrupted: bool = False
    wall: float = 0.0


class EvalRunner:
    def __init__(self, rows: list[Row], models: list[Model], cells: list[Cell], *,
                 options: Mapping[tuple[int, int], Options], exchanges: Exchanges,
                 graders: Graders, jobs: int = 8, per_provider: dict[str, int] | None = None,
                 budgets: dict[str, RateBudget] | None = None,
                 clock: Callable[[], float] = time.perf_counter):
        self.rows = rows
        self.models = models
        self.cells = cells
        self.options = options
        self.exchanges = exchanges
        self.graders = graders
        self.jobs = jobs
        self.per_provider = per_provider or {}
        self.budgets = budgets or {}
        self.clock = clock

    def run(self, *, on_result: ResultFn | None = None, on_tick: Callable[[], None] | None = None,
            tick: float = 0.1) -> RunOutcome:
        from llmcli.core.scheduler import Scheduler

        out = RunOutcome()
        limits = {m.ref.provider: max(1, min(self.jobs, self.per_provider.get(m.ref.provider,
                                                                              self.jobs)))
                  for m in self.models}
        scheduler = Scheduler(max_workers=self.jobs, per_provider=limits, budgets=self.budgets,
                              daemon=True, clock=self.clock)
        window = 2 * self.jobs + len(limits)
        todo = iter(self.cells)
        pending: dict[Future[TaskResult], Cell] = {}
        start = self.clock()
        try:
            exhausted = False
            while True:
                while not exhausted and len(pending) < window:
                    cell = next(todo, None)
                    if cell is None:
                        exhausted = True
                        break
                    provider = self.models[cell.column].ref.provider
                    fut = scheduler.submit(provider, lambda c=cell: self._work(c))
                    pending[fut] = cell
                if not pending:
                    break
                done, _ = wait(pending, timeout=tick, return_when=FIRST_COMPLETED)
                for fut in done:
                    self._settle(pending.pop(fut), fut.result(), out, on_result)
                if on_tick is not None:
                    on_tick()
        except KeyboardInterrupt:
            out.interrupted = True
            self.exchanges.stop.set()
            for fut, cell in list(pending.items()):
                # a cell that finished while we were stopping is kept; the rest are not
                if fut.done() and not fut.cancelled():
                    self._settle(cell, fut.result(), out, on_result, keep_errors=False)
        finally:
            scheduler.shutdown(cancel=out.interrupted)
        out.wall = self.clock() - start
        return out

    def _work(self, cell: Cell) -> dict[str, Any]:
        from llmcli.eval.work import run_cell

        return run_cell(cell, self.rows[cell.row], self.models[cell.column],
                        self.options[(cell.row, cell.column)], self.exchanges, self.graders)

    def _settle(self, cell: Cell, result: TaskResult, out: RunOutcome,
                on_result: ResultFn | None, keep_errors: bool = True) -> None:
        from llmcli.exchange.drive import internal_error

        rec = result.value
        if result.error is not None:  # not an LlmcliError: a bug, kept as the cell's failure
            err = internal_error(self.models[cell.column].ref.provider, result.error)
            rec = {"prompt": self.rows[cell.row].label, "model": self.models[cell.column].label,
                   "case_key": cell.case.key, "repeat": cell.repeat,
                   "case_index": cell.case.index, "case_title": cell.case.title,
                   "vars": cell.case.vars, "passed": False, "score": 0.0,
                   "error": err.one_line(), "error_code": err.exit_code,
                   "error_kind": err.kind, "assertions": []}
        if rec.get("error_kind") == "interrupted" or (not keep_errors and rec.get("error")):
            return  # stopped by Ctrl-C: not a result, the resumed run asks it again
        if on_result is not None:
            on_result(cell, rec)  # the caller keeps it (stored); not held here twice
        else:
            out.records.append(rec)
