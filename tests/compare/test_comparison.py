"""The comparison runner with scripted providers: concurrency, limits, failures, Ctrl-C."""

import time

import pytest

from llmcli.compare.comparison import Comparison
from llmcli.compare.grid import build_grid
from llmcli.core.errors import AuthError, MissingKey, RateLimited
from llmcli.core.runner import RetryPolicy
from tests.compare.scripted import Scripted, ref, request_for, variant

FAST = RetryPolicy(max_retries=2, base_delay=0.01, max_delay=0.02)


def comparison(cells, providers, **kw):
    return Comparison(cells, providers=providers, make_request=request_for, comparison_id="cmp1",
                      policy=kw.pop("policy", FAST), **kw)


def test_every_cell_starts_at_once_and_wall_time_is_the_slowest_cell():
    a = Scripted("a", delay=0.3)
    b = Scripted("b", delay=0.3)
    c = Scripted("c", delay=0.5)
    refs = [ref("a", "m1"), ref("b", "m2"), ref("c", "m3")]
    cells = build_grid([variant("hi")], refs)
    logged = []
    providers = {"a": a, "b": b, "c": c}
    result = comparison(cells, providers).run(log=lambda s: logged.append(s) or len(logged))
    starts = [t for p in (a, b, c) for _, t in p.starts]
    assert max(starts) - min(starts) < 0.15
    assert 0.5 <= result.wall < 0.5 * 1.8  # in sequence it would be 1.1 s
    assert [s.response.status for s in result.cells] == ["complete"] * 3
    assert [s.text for s in result.cells] == ["reply from m1", "reply from m2", "reply from m3"]
    # Logged on the calling thread as each finished, each with its own id
    assert sorted(s.log_id for s in result.cells) == [1, 2, 3]
    assert result.cells[2].response.timings.ttft >= 0.5


def test_per_cell_metrics_come_from_what_the_provider_did():
    p = Scripted("a", replies={"m": "one two three four five"}, delay=0.2, duration=0.4,
                 prices={"m": (1.0, 2.0)})
    cells = build_grid([variant("a b c")], [ref("a", "m")])
    s = comparison(cells, {"a": p}).run().cells[0]
    r = s.response
    assert r.timings.ttft == pytest.approx(0.2, abs=0.08)
    assert r.timings.total == pytest.approx(0.6, abs=0.1)
    assert (r.usage.input_tokens, r.usage.output_tokens) == (3, 5)
    assert r.tokens_per_second == pytest.approx(5 / (r.timings.total - r.timings.ttft))
    assert r.cost == pytest.approx((3 * 1.0 + 5 * 2.0) / 1e6)
    assert r.finish_reason == "stop"
    rec = s.record()
    assert rec["ttft"] == r.timings.ttft and rec["output_tokens"] == 5 and rec["waited"] < 0.05


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


def test_per_provider_limit_holds_cells_back_and_says_so():
    p = Scripted("a", delay=0.2)
    cells = build_grid([variant(f"q{i}") for i in range(4)], [ref("a", "m")])
    result = comparison(cells, {"a": p}, per_provider=2).run()
    assert p.peak == 2
    held = sorted(s.held for s in result.cells)
    assert held[1] < 0.05 and 0.15 <= held[2] <= held[3] < 0.45
    assert [s.was_held for s in result.cells].count(True) == 2
    assert 0.4 <= result.wall < 0.8


def test_rate_limited_then_success_backs_off_and_counts_as_waiting():
    p = Scripted("a", fail={"m": [RateLimited("rate limited", retry_after=0.3)]})
    other = Scripted("b")
    cells = build_grid([variant("hi")], [ref("a", "m"), ref("b", "n")])
    result = comparison(cells, {"a": p, "b": other}).run()
    limited, free = result.cells
    assert limited.response.status == "complete" and limited.response.attempts == 2
    assert limited.backoff == pytest.approx(0.3) and limited.was_held
    assert len(p.starts) == 2 and p.starts[1][1] - p.starts[0][1] >= 0.3
    assert not free.was_held


def test_ctrl_c_stops_all_keeps_what_arrived_and_logs_it():
    slow = Scripted("a", replies={"m": " ".join(["w"] * 50)}, duration=5.0)
    queued_behind = Scripted("b", delay=5.0)
    cells = build_grid([variant("hi")], [ref("a", "m"), ref("b", "n"), ref("b", "n2")])
    cmp = comparison(cells, {"a": slow, "b": queued_behind}, per_provider=1)
    logged = {}
    t0 = time.perf_counter()

    def tick():
        if time.perf_counter() - t0 > 0.5:
            raise KeyboardInterrupt

    result = cmp.run(log=lambda s: logged.setdefault(s.cell.index, s.response.status), on_tick=tick)
    assert time.perf_counter() - t0 < 1.0
    assert result.interrupted
    first = result.cells[0]
    assert first.response.status == "interrupted"
    assert 2 <= len(first.response.text.split()) < 50  # what arrived was kept
    assert logged == {0: "interrupted", 1: "interrupted", 2: "interrupted"}
    time.sleep(0.3)
    assert slow.active == 0  # the running stream stopped at its next piece


def test_runs_repeat_every_cell_and_extract_is_applied():
    p = Scripted("a", replies={"m": "The answer is 42."})
    extract = lambda text: text.rsplit(" ", 1)[-1].rstrip(".")  # noqa: E731
    cells = build_grid([variant("q", extract=extract)], [ref("a", "m")], runs=3)
    result = comparison(cells, {"a": p}).run()
    assert [s.cell.run for s in result.cells] == [0, 1, 2]
    assert [s.answer for s in result.cells] == ["42", "42", "42"]


def test_providers_are_warmed_up_per_model_before_the_clock_starts():
    class Slow(Scripted):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            self.warmed = []

        def warm_up(self, model):
            time.sleep(0.3)  # an SDK import, or the local model's weights
            self.warmed.append(model)

    p = Slow("a", delay=0.1)
    cells = build_grid([variant("hi")], [ref("a", "m1"), ref("a", "m2"), ref("a", "m1")])
    result = comparison(cells, {"a": p}).run()
    assert p.warmed == ["m1", "m2"]
    assert result.wall < 0.4  # the 0.6 s of warm-up is not in the comparison's time
    assert all(s.response.timings.ttft < 0.3 for s in result.cells)


def test_a_warm_up_that_fails_fails_that_providers_cells():
    class NoKey(Scripted):
        def warm_up(self, model):
            raise MissingKey("no API key for a", hint="set A_KEY")

    cells = build_grid([variant("hi")], [ref("a", "m"), ref("b", "n")])
    result = comparison(cells, {"a": NoKey("a"), "b": Scripted("b")}).run()
    assert result.cells[0].response.error == "no API key for a (set A_KEY)"
    assert result.cells[1].response.status == "complete"
