"""Scheduler(daemon=True): the same limits on daemon threads that never delay the exit."""

import subprocess
import sys
import threading

from llmcli.core.scheduler import Scheduler
from tests.doubles import FakeClock


def test_daemon_pool_keeps_the_per_provider_limit_and_reports_errors_and_waits():
    clock = FakeClock()
    sched = Scheduler(max_workers=6, per_provider={"a": 2}, daemon=True, clock=clock)
    lock = threading.Lock()
    running = peak = 0

    def job(i):
        def run():
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            # Six submissions, six tasks picked up, two slots taken: then time may pass.
            assert clock.wait_reads(14)
            clock.sleep(0.1)
            with lock:
                running -= 1
            if i == 3:
                raise ValueError("boom")
            return i

        return run

    futures = [sched.submit("a", job(i)) for i in range(6)]
    results = [f.result(timeout=10) for f in futures]
    sched.shutdown()
    assert peak == 2
    assert [r.value for r in results] == [0, 1, 2, None, 4, 5]
    assert isinstance(results[3].error, ValueError)
    held = sorted(r.held for r in results)
    assert held[:2] == [0.0, 0.0] and all(h >= 0.1 for h in held[2:])  # the limit's wait
    assert all(r.waited >= r.held for r in results)
    assert all(not t.is_alive() for t in sched._pool._threads)


def test_cancel_drops_queued_tasks():
    sched = Scheduler(max_workers=1, per_provider=1, daemon=True)
    started, release = threading.Event(), threading.Event()
    first = sched.submit("a", lambda: started.set() or (release.wait(10) and "done"))
    queued = sched.submit("a", lambda: "never")
    assert started.wait(10)
    sched.shutdown(cancel=True)
    release.set()
    assert queued.cancelled()
    assert first.result(timeout=2).value == "done"


def test_a_stuck_daemon_task_does_not_delay_the_exit():
    code = (
        "import time\n"
        "from llmcli.core.scheduler import Scheduler\n"
        "s = Scheduler(max_workers=2, daemon=True)\n"
        "s.submit('a', lambda: time.sleep(30))\n"
        "time.sleep(0.1)\n"
        "s.shutdown(cancel=True)\n"
    )
    # A process that waited for its stuck thread would take the task's 30 s: the timeout fails it.
    subprocess.run([sys.executable, "-c", code], check=True, timeout=25)


def test_held_counts_the_providers_limit_not_the_pools_queue():
    clock = FakeClock()
    go = threading.Event()

    def first():
        go.wait(timeout=10)
        clock.sleep(0.2)

    pool_bound = Scheduler(max_workers=1, per_provider=4, daemon=True, clock=clock)
    pool_bound.submit("a", first)
    waiting = pool_bound.submit("a", lambda: 1)
    go.set()
    second = waiting.result(timeout=10)
    assert second.waited == 0.2 and second.held == 0.0  # it waited for a worker, not a slot
    pool_bound.shutdown()

    clock = FakeClock()

    def first_once_second_waits():
        # Two submissions, both tasks picked up, the first's slot taken: the second now waits
        # for the slot, from fake time 0.
        assert clock.wait_reads(5)
        clock.sleep(0.2)

    slot_bound = Scheduler(max_workers=4, per_provider=1, daemon=True, clock=clock)
    slot_bound.submit("a", first_once_second_waits)
    second = slot_bound.submit("a", lambda: 1).result(timeout=10)
    assert second.held == 0.2 and second.waited >= second.held
    slot_bound.shutdown()
