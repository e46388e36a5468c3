"""The batch runner with a scripted provider: order, bounded work, retries, limits, stopping."""

import io
import threading

import pytest

from llmcli.batch.build import PromptBuilder
from llmcli.batch.dispatch import BatchConfig, BatchRunner
from llmcli.batch.inputs import BadLine, Item
from llmcli.batch.outputs import JsonlSink, OutputError
from llmcli.batch.plan import skipper
from llmcli.batch.resume import Answered, answer_key
from llmcli.batch.summary import BatchStats
from llmcli.core.errors import AuthError, RateLimited, Unreachable
from llmcli.core.runner import RetryPolicy
from tests.batch.helpers import Recorder, Scripted, jsonl, run_batch, target
from tests.doubles import FakeClock

FAST = RetryPolicy(base_delay=0.01, max_delay=0.05)
LATENCY = {"slow": 0.3, "mid": 0.15, "fast": 0.0}


def test_records_come_as_they_finish_or_in_input_order_with_ordered():
    p = Scripted(latency=lambda prompt: LATENCY[prompt])
    data = jsonl(["slow", "mid", "fast"])
    recs, stats, _, _ = run_batch([target(p)], data, jobs=3)
    assert [r["reply"] for r in recs] == ["echo: fast", "echo: mid", "echo: slow"]
    recs, stats, _, _ = run_batch([target(p)], data, jobs=3, ordered=True)
    assert [r["id"] for r in recs] == [1, 2, 3]
    assert stats.ok == 3 and stats.written == 3 and stats.failed == 0


def test_record_fields_usage_cost_and_timings():
    p = Scripted(latency=0.05, price=(1.0, 2.0))
    (r,), stats, _, _ = run_batch([target(p)], jsonl(["hello there"]))
    assert r["id"] == 1 and r["model"] == "scripted:m1" and r["status"] == "ok"
    assert r["reply"] == "echo: hello there" and r["error"] is None and r["line"] == 1
    assert r["usage"] == {"input_tokens": 2, "output_tokens": 3}
    assert r["cost"] == pytest.approx((2 * 1.0 + 3 * 2.0) / 1e6)
    assert r["timings"]["total"] >= 0.05 and r["timings"]["ttft"] >= 0.05
    assert r["attempts"] == 1 and r["batch"] == "b-test" and "answer" not in r
    assert stats.models["scripted:m1"].as_dict()["cost"] == pytest.approx(r["cost"])


def test_work_in_hand_is_bounded_not_the_whole_input():
    p = Scripted(latency=0.002)
    pulled = []
    open_at_first_write = []

    def records():
        for i in range(1, 601):
            pulled.append(i)
            yield Item(line=i, id=i, prompt=f"p{i}")

    class Watch(JsonlSink):
        def write(self, rec):
            if not open_at_first_write:
                open_at_first_write.append(len(pulled))
            super().write(rec)

    stats = BatchStats(batch_id="b")
    sink = Watch(io.StringIO(), name="m", owns=False)
    runner = BatchRunner([target(p)], PromptBuilder(), sink, BatchConfig(jobs=4), stats)
    runner.run(records())
    assert stats.ok == 600 and sink.written == 600
    # In hand: the window (2 x jobs + models); read ahead by the reader thread: one more window.
    window = 2 * 4 + 1
    assert open_at_first_write[0] <= 2 * window + 1
    assert p.peak <= 4


def test_retryable_failures_are_retried_then_written_with_their_error():
    p = Scripted(fail={
        "flaky": [Unreachable("connection refused")],
        "down": [Unreachable("connection refused")] * 5,
        "bad key": [AuthError("the key was refused")],
    })
    recs, stats, hooks, _ = run_batch([target(p)], jsonl(["flaky", "down", "bad key"]), retries=2,
                                      policy=FAST, ordered=True)
    flaky, down, bad = recs
    assert flaky["status"] == "ok" and flaky["attempts"] == 2
    assert down["status"] == "error" and down["attempts"] == 3
    assert "connection refused" in down["error"]
    assert bad["status"] == "error" and bad["attempts"] == 1  # not worth retrying
    assert p.prompts().count("down") == 3 and p.prompts().count("bad key") == 1
    assert stats.retried == 3 and stats.failed == 2
    assert stats.fail_codes == {8: 1, 4: 1}
    assert sorted(f["id"] for f in hooks.failures) == [2, 3]


def test_rate_limit_pauses_the_provider_for_retry_after():
    p = Scripted(latency=0.0, fail={"a": [RateLimited("slow down", retry_after=0.4)]})
    recs, _stats, _, _ = run_batch([target(p)], jsonl(["a", "b", "c", "d"]), jobs=1, policy=FAST)
    assert {r["status"] for r in recs} == {"ok"}
    calls = p.calls
    t429 = calls[0][1]
    assert calls[0][0] == "a"
    # Nothing was sent to the provider while it asked us to wait.
    assert all(t - t429 >= 0.38 for _, t in calls[1:])
    a = next(r for r in recs if r["reply"] == "echo: a")
    assert a["attempts"] == 2 and a["timings"]["waited"] >= 0.4


def test_a_retry_after_longer_than_the_ceiling_is_not_waited_for():
    p = Scripted(fail={"a": [RateLimited("slow down", retry_after=600)]})
    (r,), _, _, _ = run_batch([target(p)], jsonl(["a"]), policy=RetryPolicy(max_retry_wait=5))
    assert r["status"] == "error" and r["attempts"] == 1


def test_per_provider_limit_and_pool_size():
    quick_done = threading.Event()
    slow_saw = []

    def slow_latency(_prompt):  # the first slow reply waits for half the quick ones
        if not slow_saw:
            slow_saw.append(quick_done.wait(timeout=10))
        return 0.0

    def quick_reply(prompt):
        if prompt == "p5":
            quick_done.set()
        return f"echo: {prompt}"

    slow = Scripted("slow", latency=slow_latency)
    quick = Scripted("quick", reply=quick_reply)
    data = jsonl([f"p{i}" for i in range(12)])
    recs, stats, _, _ = run_batch([target(slow), target(quick)], data, jobs=4,
                                  per_provider={"slow": 1})
    assert slow.peak == 1 and quick.peak <= 3
    assert stats.ok == 24 and len(recs) == 24
    # The slow provider's queue does not hold the quick one back: quick inputs were answered
    # while the slow provider's first request was still open (as far as the bounded work in
    # hand allows: 2 x jobs + models units).
    assert slow_saw == [True]


def test_rpm_budget_is_honoured_per_window():
    clock = FakeClock()
    p = Scripted(latency=0.0, clock=clock)
    data = jsonl([f"p{i}" for i in range(9)])
    # One worker: each request's start is read right after its budget let it go (with several,
    # one worker's wait on the fake clock would move the time another then reads).
    _recs, stats, _, _ = run_batch([target(p)], data, jobs=1, rpm=3, budget_window=60.0,
                                   clock=clock, sleep=clock.sleep)
    starts = sorted(t for _, t in p.calls)
    assert stats.ok == 9
    window = 60.0 + 0.6  # the runner's margin: 1% of the window
    for i, t in enumerate(starts):  # never more than 3 requests in any window
        assert sum(1 for u in starts[i:] if u - t < window) <= 3
    assert starts[-1] - starts[0] >= 2 * window - 1e-6  # three windows, on the fake clock


def test_tpm_estimate_is_settled_with_real_usage():
    from llmcli.core.scheduler import RateBudget

    seen = []
    original_settle = RateBudget.settle

    def spy(self, estimated, actual):
        seen.append((estimated, actual))
        original_settle(self, estimated, actual)

    RateBudget.settle = spy
    try:
        p = Scripted()
        run_batch([target(p)], jsonl(["one two three four"]), tpm=100_000)
    finally:
        RateBudget.settle = original_settle
    (estimated, actual), = seen
    assert actual == 4 + 5  # input words + output words ("echo: one two three four")
    assert estimated > actual  # chars/4 + messages + a 256-token guess for the reply


def test_malformed_lines_are_reported_and_strict_stops_reading():
    p = Scripted()
    data = b'{"prompt": "a"}\nnope\n{"prompt": "b"}\n'
    recs, stats, hooks, _ = run_batch([target(p)], data)
    assert [r["id"] for r in sorted(recs, key=lambda r: r["id"])] == [1, 3]
    assert hooks.bad[0][0] == 2 and stats.bad_lines == 1 and stats.bad_line_numbers == [2]
    recs, stats, hooks, _ = run_batch([target(p)], data, strict=True)
    assert [r["id"] for r in recs] == [1] and stats.stopped == "malformed line 2 (--strict)"


def test_skip_answered_inputs_with_resume_and_failed_ones_with_retry_failed():
    p = Scripted()
    t = target(p)
    answered = Answered(ok={answer_key(t.label, 1)}, failed={answer_key(t.label, 2)})
    data = jsonl(["a", "b", "c"])
    skip = skipper(answered, resume=True, retry_failed=False)
    recs, stats, _, _ = run_batch([t], data, skip=skip)
    assert [r["id"] for r in recs] == [3] and stats.skipped == 2
    recs, _, _, _ = run_batch([t], data, skip=skipper(answered, resume=False, retry_failed=True))
    assert [r["id"] for r in recs] == [2]
    recs, _, _, _ = run_batch([t], data, skip=skipper(answered, resume=True, retry_failed=True),
                              ordered=True)
    assert [r["id"] for r in recs] == [2, 3]


def test_agreement_across_models():
    a = Scripted("a", reply=lambda p: "Paris")
    b = Scripted("b", reply=lambda p: "paris." if p != "q3" else "Lyon")
    recs, stats, _, _ = run_batch([target(a), target(b)], jsonl(["q1", "q2", "q3"]), ordered=True)
    assert [(r["id"], r["model"]) for r in recs] == [
        (1, "a:m1"), (1, "b:m1"), (2, "a:m1"), (2, "b:m1"), (3, "a:m1"), (3, "b:m1")
    ]
    assert stats.agreement.compared == 3 and stats.agreement.agreed == 2
    assert stats.as_dict()["agreement"]["of"] == "reply"


def test_a_broken_output_stops_the_run_and_accounts_for_what_was_done():
    p = Scripted(latency=0.02)

    class Closing(JsonlSink):
        def write(self, rec):
            if self.written == 3:
                raise OutputError("standard output was closed by the reader", closed_pipe=True)
            super().write(rec)

    stats = BatchStats(batch_id="b")
    sink = Closing(io.StringIO(), name="m", owns=False)
    runner = BatchRunner([target(p)], PromptBuilder(), sink, BatchConfig(jobs=2), stats)
    runner.run(Item(line=i, id=i, prompt=f"p{i}") for i in range(1, 1000))
    assert runner.output_error is not None and runner.output_error.closed_pipe
    assert stats.written == 3 and stats.unwritten >= 1
    assert len(p.calls) < 20  # it stopped sending once nothing could be written
    assert stats.stopped == "output closed"


def test_ctrl_c_drains_what_is_in_flight_and_writes_it():
    p = Scripted(latency=0.2)
    stats = BatchStats(batch_id="b")
    out = io.StringIO()
    runner = BatchRunner([target(p)], PromptBuilder(), JsonlSink(out, name="m", owns=False),
                         BatchConfig(jobs=2), stats, hooks=Recorder())

    def records():
        for i in range(1, 100):
            if i == 6:
                # Simulate Ctrl-C arriving on the calling thread while it reads.
                raise KeyboardInterrupt
            yield Item(line=i, id=i, prompt=f"p{i}")

    runner.run(records())
    assert runner.interrupted and stats.stopped == "interrupted"
    # The two requests in flight finished and were written; queued ones were dropped.
    assert stats.written == len(out.getvalue().splitlines()) == len(p.calls) == 2


def test_bad_template_records_are_reported_like_malformed_lines():
    from llmcli.batch.build import TemplateBuilder
    from llmcli.templates.model import Template

    tpl = Template(name="t", prompt="Q: {{ problem }}", extract={"marker": "Answer:"})
    p = Scripted(reply=lambda prompt: "thinking...\nAnswer: 4")
    data = b'{"problem": "2+2?"}\n{"nope": 1}\n'
    recs, _stats, hooks, _ = run_batch([target(p)], io_items(data), builder=TemplateBuilder(tpl))
    assert [r["answer"] for r in recs] == ["4"]
    assert hooks.bad[0][0] == 2 and "no variable 'nope'" in hooks.bad[0][1]
    assert p.prompts() == ["Q: 2+2?"]


def io_items(data: bytes):
    from llmcli.batch.inputs import read_items

    return read_items(io.BytesIO(data), "jsonl", needs_prompt=False)


def test_bad_lines_only_from_a_generator_of_records():
    p = Scripted()
    recs, stats, _hooks, _ = run_batch([target(p)], [BadLine(1, "x"), Item(2, 2, "y")])
    assert len(recs) == 1 and stats.bad_lines == 1


def test_unexpected_exceptions_in_a_provider_fail_the_item_not_the_run():
    p = Scripted(fail={"boom": [ZeroDivisionError("oops")]})
    recs, _stats, _, _ = run_batch([target(p)], jsonl(["boom", "fine"]), ordered=True)
    assert recs[0]["status"] == "error" and "ZeroDivisionError" in recs[0]["error"]
    assert recs[1]["status"] == "ok"


def test_log_is_called_on_the_calling_thread_once_per_item_with_its_attempts():
    p = Scripted(fail={"a": [Unreachable("refused")]})
    threads = []

    def log(request, response):
        threads.append((threading.get_ident(), response.status, response.attempts))

    run_batch([target(p)], jsonl(["a", "b"]), log=log, policy=FAST)
    assert {t for t, _, _ in threads} == {threading.get_ident()}
    assert sorted((s, n) for _, s, n in threads) == [("complete", 1), ("complete", 2)]


def test_a_parallel_batch_runs_jobs_requests_at_once():
    # (How close its elapsed time comes to the ideal is measured in bench/bench_batch.py.)
    eight = threading.Barrier(8)  # broken, and the requests failed, unless 8 run together
    p = Scripted(latency=lambda _p: eight.wait(timeout=10) and 0.0)
    _recs, stats, _, _ = run_batch([target(p)], jsonl([f"p{i}" for i in range(40)]), jobs=8)
    assert stats.ok == 40 and p.peak == 8


def test_a_slow_producer_never_holds_back_finished_records():
    p = Scripted(latency=0.0)
    written_at = []
    produced_second = []

    first_written = threading.Event()

    class Timed(JsonlSink):
        def write(self, rec):
            written_at.append(rec["id"])
            first_written.set()
            super().write(rec)

    def records():
        yield Item(line=1, id=1, prompt="first")
        # Like `slow_generator | llmcli batch -`: the next line comes only once the first
        # record is out (or after 10 s, when the assertion below fails).
        produced_second.append(first_written.wait(timeout=10))
        yield Item(line=2, id=2, prompt="second")

    stats = BatchStats(batch_id="b")
    runner = BatchRunner([target(p)], PromptBuilder(), Timed(io.StringIO(), name="m", owns=False),
                         BatchConfig(jobs=2), stats)
    runner.run(records())
    assert stats.ok == 2
    assert produced_second == [True] and written_at == [1, 2]  # the first went out at once


def test_an_error_while_reading_reaches_the_caller():
    from llmcli.core.errors import InvalidInput

    p = Scripted()

    def records():
        yield Item(line=1, id=1, prompt="a")
        raise InvalidInput("the CSV header has no 'prompt' column")

    with pytest.raises(InvalidInput, match="no 'prompt' column"):
        run_batch([target(p)], records())
