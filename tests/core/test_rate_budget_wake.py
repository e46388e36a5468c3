"""RateBudget in real time: a settle that frees tokens, or a close, ends a wait early."""

import threading
import time

import pytest

from llmcli.core.scheduler import BudgetClosed, RateBudget


def waiter(budget: RateBudget, tokens: int, out: dict) -> threading.Thread:
    def run():
        try:
            out["waited"] = budget.acquire(tokens)
        except BudgetClosed as exc:
            out["error"] = exc
        out["at"] = time.monotonic()

    t = threading.Thread(target=run)
    t.start()
    return t


def test_settle_wakes_a_waiter_instead_of_the_window_expiring():
    budget = RateBudget(tpm=100, window=30.0)
    budget.acquire(90)  # an estimate
    out: dict = {}
    t = waiter(budget, 50, out)
    time.sleep(0.15)
    assert "at" not in out  # held: 90 + 50 > 100
    budget.settle(90, 10)  # the reply used only 10
    t.join(timeout=10)
    # Woken by the settle, not by the 30 s window expiring (the join would have timed out).
    assert not t.is_alive() and 0 < out["waited"] < 30


def test_close_ends_waits_and_refuses_later_acquires():
    budget = RateBudget(rpm=1, window=30.0)
    budget.acquire()
    out: dict = {}
    t = waiter(budget, 0, out)
    time.sleep(0.1)
    budget.close()
    t.join(timeout=10)
    assert not t.is_alive() and isinstance(out["error"], BudgetClosed)  # not after 30 s
    with pytest.raises(BudgetClosed):
        budget.acquire()


def test_waited_is_measured_on_the_budget_clock():
    class Fake:
        now = 0.0

        def clock(self):
            return self.now

        def sleep(self, s):
            self.now += s

    f = Fake()
    budget = RateBudget(rpm=1, window=10.0, clock=f.clock, sleep=f.sleep)
    assert budget.acquire() == 0.0
    f.now = 4.0
    assert budget.acquire() == 6.0 and f.now == 10.0
