import threading
import time

from llmcli.core.scheduler import RateBudget, Scheduler
from tests.doubles import FakeClock


def test_rpm_budget_holds_the_extra_request_until_the_window_frees():
    t = FakeClock()
    budget = RateBudget(rpm=2, clock=t, sleep=t.sleep)
    assert budget.acquire() == 0 and budget.acquire() == 0
    t.now = 10.0
    waited = budget.acquire()
    assert waited == 50.0 and t.now == 60.0


def test_tpm_budget_counts_tokens():
    t = FakeClock()
    budget = RateBudget(tpm=100, clock=t, sleep=t.sleep)
    budget.acquire(60)
    t.now = 5
    budget.acquire(30)
    t.now = 20
    assert budget.acquire(40) == 40.0  # waits for the 60-token request (t=0) to expire at t=60


def test_settle_replaces_the_estimate():
    t = FakeClock()
    budget = RateBudget(tpm=100, clock=t, sleep=t.sleep)
    budget.acquire(90)
    budget.settle(90, 10)
    assert budget.acquire(80) == 0


def test_per_provider_concurrency_is_bounded_and_failures_are_isolated():
    sched = Scheduler(max_workers=8, per_provider={"a": 2, "b": 1})
    running = {"a": 0, "b": 0}
    peak = {"a": 0, "b": 0}
    lock = threading.Lock()

    def job(p, fail=False):
        def run():
            with lock:
                running[p] += 1
                peak[p] = max(peak[p], running[p])
            time.sleep(0.05)
            with lock:
                running[p] -= 1
            if fail:
                raise RuntimeError("boom")
            return p

        return run

    futures = [sched.submit("a", job("a")) for _ in range(6)]
    futures += [sched.submit("b", job("b", fail=i == 0)) for i in range(3)]
    results = [f.result() for f in futures]
    sched.shutdown()
    assert peak == {"a": 2, "b": 1}
    assert sum(1 for r in results if r.error is not None) == 1
    assert [r.value for r in results[:6]] == ["a"] * 6
    assert max(r.waited for r in results[6:]) >= 0.09  # the third 'b' waited for two before it
