"""The comparison runner with the test double: concurrency, limits, failures, Ctrl-C.

Timings come from a FakeClock the providers sleep on: exact, whatever the machine's load.
Concurrency is shown with barriers (cells that must meet can only do so running together).
Wall-clock figures of a real comparison are in bench/bench_compare.py.
"""

import threading

import pytest

from llmcli.compare.comparison import Comparison
from llmcli.compare.grid import build_grid
from llmcli.core.errors import AuthError, MissingKey, RateLimited
from llmcli.core.runner import RetryPolicy
from tests.compare.scripted import Scripted, ref, request_for, variant
from tests.doubles import FakeClock

FAST = RetryPolicy(max_retries=2, base_delay=0.01, max_delay=0.02)


def comparison(cells, providers, clock=None, **kw):
    timed = {"clock": clock, "sleep": clock.sleep} if clock is not None else {}
    return Comparison(cells, providers=providers, make_request=request_for, comparison_id="cmp1",
                      policy=kw.pop("policy", FAST), **timed, **kw)


def meet(barrier: threading.Barrier):
    """A delay that returns once `barrier.parties` cells are running at the same time."""
    return lambda _request: barrier.wait(timeout=10) and 0.0


def test_every_cell_starts_at_once():
    together = threading.Barrier(3)  # broken (the cells fail) unless all three run at once
    a, b, c = (Scripted(n, delay=meet(together)) for n in "abc")
    refs = [ref("a", "m1"), ref("b", "m2"), ref("c", "m3")]
    cells = build_grid([variant("hi")], refs)
    logged = []
    providers = {"a": a, "b": b, "c": c}
    result = comparison(cells, providers).run(log=lambda s: logged.append(s) or len(logged))
    assert [s.response.status for s in result.cells] == ["complete"] * 3
    assert [s.text for s in result.cells] == ["reply from m1", "reply from m2", "reply from m3"]
    # Logged on the calling thread as each finished, each with its own id
    assert sorted(s.log_id for s in result.cells) == [1, 2, 3]


def test_wall_time_is_the_comparisons_own():
    clock = FakeClock()
    a = Scripted("a", delay=0.5, sleep=clock.sleep, clock=clock)
    cells = build_grid([variant("hi")], [ref("a", "m1")])
    result = comparison(cells, {"a": a}, clock=clock).run()
    assert result.wall == pytest.approx(0.5)
    assert result.cells[0].response.timings.ttft == pytest.approx(0.5)
    assert result.cells[0].started == 0.0


def test_per_cell_metrics_come_from_what_the_provider_did():
    clock = FakeClock()
    p = Scripted("a", replies={"m": "one two three four five"}, delay=0.2, duration=0.4,
                 prices={"m": (1.0, 2.0)}, sleep=clock.sleep, clock=clock)
    cells = build_grid([variant("a b c")], [ref("a", "m")])
    s = comparison(cells, {"a": p}, clock=clock).run().cells[0]
    r = s.response
    assert r.timings.ttft == pytest.approx(0.2)
    assert r.timings.total == pytest.approx(0.52)  # four gaps of 0.08 between five words
    assert (r.usage.input_tokens, r.usage.output_tokens) == (3, 5)
    assert r.tokens_per_second == pytest.approx(5 / (r.timings.total - r.timings.ttft))
    assert r.cost == pytest.approx((3 * 1.0 + 5 * 2.0) / 1e6)
    assert r.finish_reason == "stop"
    rec = s.record()
    assert rec["ttft"] == r.timings.ttft and rec["output_tokens"] == 5 and rec["waited"] == 0


def test_one_failure_never_stops_the_others():
    good = Scripted("good", delay=0.1)
    bad = Scripted("bad", fail={"x": [AuthError("the provider refused the key", hint="check it")]})
    cells = build_grid([variant("hi")], [ref("good", "g"), ref("bad", "x")])
    result = comparison(cells, {"good": good, "bad": bad}).run()
    ok, failed = result.cells
    assert ok.response.status == "complete" and ok.text == "reply from g"
    assert failed.response.status == "error"
    assert failed.response.error == "the provider refused the key (check it)"
    assert isinstance(failed.error, AuthError)
    assert result.failures == [failed]


def test_a_provider_that_could_not_be_built_fails_only_its_cells():
    good = Scripted("good")
    missing = MissingKey("no API key for groq", hint="set GROQ_API_KEY")
    cells = build_grid([variant("hi")], [ref("good", "g"), ref("groq", "l")])
    logged = []
    providers = {"good": good, "groq": missing}
    result = comparison(cells, providers).run(log=lambda s: logged.append(s.cell.index))
    assert result.cells[0].response.status == "complete"
    assert result.cells[1].response.error == "no API key for groq (set GROQ_API_KEY)"
    assert sorted(logged) == [0, 1]  # every cell is logged, failed or not


def test_per_provider_limit_holds_cells_back():
    clock = FakeClock()
    pairs = threading.Barrier(2)  # two cells run together, and the next two after them

    def two_at_a_time(_request):
        pairs.wait(timeout=10)
        return 0.2  # slept on the fake clock once both are running

    p = Scripted("a", delay=two_at_a_time, sleep=clock.sleep, clock=clock)
    cells = build_grid([variant(f"q{i}") for i in range(4)], [ref("a", "m")])
    result = comparison(cells, {"a": p}, clock=clock, per_provider=2).run()
    assert p.peak == 2
    assert all(s.response.status == "complete" for s in result.cells)
    # Two were sent at once; the other two only once a reply had freed a slot. (How long a
    # cell waited for its slot depends on when its worker thread woke: not asserted here.)
    started = sorted(s.started for s in result.cells)
    assert started[:2] == [0.0, 0.0] and started[2] >= 0.2 - 1e-9 and started[3] >= 0.2 - 1e-9
    assert result.wall == pytest.approx(0.8)  # four sleeps of 0.2 on the one clock


def test_rate_limited_then_success_backs_off_and_counts_as_waiting():
    clock = FakeClock()
    p = Scripted("a", fail={"m": [RateLimited("rate limited", retry_after=0.3)]}, clock=clock)
    other = Scripted("b", clock=clock)
    cells = build_grid([variant("hi")], [ref("a", "m"), ref("b", "n")])
    result = comparison(cells, {"a": p, "b": other}, clock=clock).run()
    limited, free = result.cells
    assert limited.response.status == "complete" and limited.response.attempts == 2
    assert limited.backoff == pytest.approx(0.3) and limited.was_held
    assert clock.sleeps == [0.3]  # the runner waited the Retry-After, on the injected clock
    assert len(p.starts) == 2 and p.starts[1][1] - p.starts[0][1] == pytest.approx(0.3)
    assert not free.was_held
    assert limited.backoff_cause == "rate limit"


def test_a_500_back_off_is_labelled_by_its_cause_not_as_a_rate_limit():
    from llmcli.core.errors import ProviderError
    from llmcli.ui.compare_table import waited_text

    clock = FakeClock()
    err = ProviderError("server error", status=500, retryable=True)
    p = Scripted("a", fail={"m": [err]}, clock=clock)
    result = comparison(build_grid([variant("hi")], [ref("a", "m")]), {"a": p}, clock=clock,
                        policy=RetryPolicy(max_retries=2, base_delay=0.5)).run()
    cell = result.cells[0]
    assert cell.response.status == "complete" and cell.response.attempts == 2
    assert cell.backoff_cause == "server error 500"
    assert waited_text(cell).startswith("server error 500 ")
    assert "rate limit" not in waited_text(cell)
    assert cell.record()["backoff_cause"] == "server error 500"


def test_ctrl_c_stops_all_keeps_what_arrived_and_logs_it():
    pressed = threading.Event()
    gaps = []

    def paced(_seconds):  # the third gap waits until Ctrl-C has been pressed
        gaps.append(1)
        if len(gaps) >= 3:
            pressed.wait(timeout=10)

    slow = Scripted("a", replies={"m": " ".join(["w"] * 50)}, duration=5.0, sleep=paced)
    # Never answers while the comparison runs: had `run` waited for it, the cells would end
    # complete after the 10 s timeout instead of interrupted.
    queued_behind = Scripted("b", delay=lambda _r: pressed.wait(timeout=10) and 0.0)
    cells = build_grid([variant("hi")], [ref("a", "m"), ref("b", "n"), ref("b", "n2")])
    cmp = comparison(cells, {"a": slow, "b": queued_behind}, per_provider=1)
    logged = {}

    def tick():
        if len(cmp.states[0].pieces) >= 2:
            pressed.set()
            raise KeyboardInterrupt

    result = cmp.run(log=lambda s: logged.setdefault(s.cell.index, s.response.status), on_tick=tick)
    assert result.interrupted
    first = result.cells[0]
    assert first.response.status == "interrupted"
    assert 2 <= len(first.response.text.split()) < 50  # what arrived was kept
    assert logged == {0: "interrupted", 1: "interrupted", 2: "interrupted"}
    stopped = threading.Event()
    for _ in range(1000):  # the running stream stops at its next piece (no time is asserted)
        if slow.active == 0:
            stopped.set()
            break
        stopped.wait(0.01)
    assert stopped.is_set() and len(gaps) < 49


def test_runs_repeat_every_cell_and_extract_is_applied():
    p = Scripted("a", replies={"m": "The answer is 42."})
    extract = lambda text: text.rsplit(" ", 1)[-1].rstrip(".")  # noqa: E731
    cells = build_grid([variant("q", extract=extract)], [ref("a", "m")], runs=3)
    result = comparison(cells, {"a": p}).run()
    assert [s.cell.run for s in result.cells] == [0, 1, 2]
    assert [s.answer for s in result.cells] == ["42", "42", "42"]


def test_providers_are_warmed_up_per_model_before_the_clock_starts():
    clock = FakeClock()
    p = Scripted("a", delay=0.1, sleep=clock.sleep, clock=clock)
    warmed = []

    def warm_up(model):
        clock.sleep(0.3)  # an SDK import, or the local model's weights
        warmed.append(model)

    p.warm_up = warm_up
    cells = build_grid([variant("hi")], [ref("a", "m1"), ref("a", "m2"), ref("a", "m1")])
    result = comparison(cells, {"a": p}, clock=clock).run()
    assert warmed == ["m1", "m2"]
    # The 0.6 s of warm-up is not in the comparison's time: only the three replies' 0.1 s.
    assert result.wall == pytest.approx(0.3)
    assert all(s.response.timings.ttft <= 0.3 + 1e-9 for s in result.cells)


def test_a_warm_up_that_fails_fails_that_providers_cells():
    def no_key(model):
        raise MissingKey("no API key for a", hint="set A_KEY")

    no_key_provider = Scripted("a")
    no_key_provider.warm_up = no_key
    cells = build_grid([variant("hi")], [ref("a", "m"), ref("b", "n")])
    result = comparison(cells, {"a": no_key_provider, "b": Scripted("b")}).run()
    assert result.cells[0].response.error == "no API key for a (set A_KEY)"
    assert result.cells[1].response.status == "complete"
