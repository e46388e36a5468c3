"""Scheduler(daemon=True): the same limits on daemon threads that never delay the exit."""

import subprocess
import sys
import threading
import time

from llmcli.core.scheduler import Scheduler


def test_daemon_pool_keeps_the_per_provider_limit_and_reports_errors_and_waits():
    sched = Scheduler(max_workers=6, per_provider={"a": 2}, daemon=True)
    lock = threading.Lock()
    running = peak = 0

    def job(i):
        def run():
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            time.sleep(0.1)
            with lock:
                running -= 1
            if i == 3:
                raise ValueError("boom")
            return i

        return run

    futures = [sched.submit("a", job(i)) for i in range(6)]
    results = [f.result(timeout=5) for f in futures]
    sched.shutdown()
    assert peak == 2
    assert [r.value for r in results] == [0, 1, 2, None, 4, 5]
    assert isinstance(results[3].error, ValueError)
    held = sorted(r.held for r in results)
    assert held[1] < 0.05 and 0.08 < held[2] <= held[3] < held[4] <= held[5] < 0.4
    assert all(r.waited >= r.held for r in results)
    assert all(not t.is_alive() for t in sched._pool._threads)


def test_cancel_drops_queued_tasks():
    sched = Scheduler(max_workers=1, per_provider=1, daemon=True)
    first = sched.submit("a", lambda: time.sleep(0.2) or "done")
    queued = sched.submit("a", lambda: "never")
    time.sleep(0.05)
    sched.shutdown(cancel=True)
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
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, timeout=20)
    assert time.perf_counter() - t0 < 5


def test_held_counts_the_providers_limit_not_the_pools_queue():
    pool_bound = Scheduler(max_workers=1, per_provider=4, daemon=True)
    pool_bound.submit("a", lambda: time.sleep(0.2))
    second = pool_bound.submit("a", lambda: 1).result(timeout=5)
    assert second.waited >= 0.15 and second.held < 0.05  # it waited for a worker, not a slot
    pool_bound.shutdown()
    slot_bound = Scheduler(max_workers=4, per_provider=1, daemon=True)
    slot_bound.submit("a", lambda: time.sleep(0.2))
    second = slot_bound.submit("a", lambda: 1).result(timeout=5)
    assert second.held >= 0.15 and second.waited >= second.held
    slot_bound.shutdown()
