"""exchange.chain: the calls of one technique driven in turn, kept for the log, and the whole
chain as one response (final text, sums of tokens, cost, time and attempts)."""

from __future__ import annotations

import pytest

from llmcli.core.errors import AuthError, Interrupted, RateLimited
from llmcli.core.messages import Message
from llmcli.core.registry import ModelRef
from llmcli.core.runner import RetryPolicy
from llmcli.exchange.chain import Chain
from tests.doubles import FakeProvider

# The test double answers; requests are built and options checked as for an OpenAI model.
REF = ModelRef("fake", "m", "openai")


def two_calls(ask):
    first = ask([Message(role="user", content="um dois")], {"temperature": 0})
    second = ask([Message(role="user", content=f"depois de {first.text}")], {"seed": 3})
    return second.text.upper()


def test_each_call_is_driven_and_kept_and_the_chain_sums_them(clock):
    p = FakeProvider(script=["alpha beta", "gamma"], gap=0.5, sleep=clock.sleep,
                     prices={"m": (1.0, 2.0)})
    numbers = []
    chain = Chain(p, REF, clock=clock, on_call=lambda n, run: numbers.append(n))
    result = chain.run(two_calls)
    assert result.value == "GAMMA" and result.error is None and numbers == [1, 2]
    assert [c.request.messages[-1].content for c in chain.calls] == ["um dois",
                                                                     "depois de alpha beta"]
    assert chain.calls[0].request.options.temperature == 0
    assert chain.calls[1].request.options.seed == 3
    r = chain.combined(result.value)
    assert (r.text, r.status, r.error, r.attempts) == ("GAMMA", "complete", None, 2)
    assert (r.usage.input_tokens, r.usage.output_tokens) == (2 + 4, 2 + 1)
    assert r.usage.total_tokens == 9
    assert r.cost == pytest.approx((6 * 1.0 + 3 * 2.0) / 1e6)
    assert r.timings.ttft is None and r.timings.total == pytest.approx(0.5)


def test_a_failed_call_ends_the_chain_with_its_error():
    p = FakeProvider(script=["ok", AuthError("the key was revoked"), "never"])
    chain = Chain(p, REF, info=None)
    result = chain.run(two_calls)
    assert result.value is None and isinstance(result.error, AuthError) and not result.stopped
    assert len(p.requests) == 2 and len(chain.calls) == 2
    assert chain.calls[1].response.status == "error"
    r = chain.combined(error=result.error)
    assert (r.status, r.error, r.text) == ("error", "the key was revoked", "")
    assert r.usage.input_tokens is None  # the failed call counted nothing


def test_a_call_is_retried_by_the_policy_within_the_chain(clock):
    p = FakeProvider(script=["ok", RateLimited("slow down", retry_after=2.0), "fine"],
                     sleep=clock.sleep)
    chain = Chain(p, REF, info=None, policy=RetryPolicy(max_retries=1), clock=clock,
                  sleep=clock.sleep)
    result = chain.run(two_calls)
    assert result.value == "FINE" and [c.response.attempts for c in chain.calls] == [1, 2]
    assert chain.combined(result.value).attempts == 3 and 2.0 in clock.sleeps


def test_the_stop_signal_ends_the_chain_before_its_next_call():
    p = FakeProvider(script=["ok", "never"])
    stop = []
    chain = Chain(p, REF, info=None, should_stop=lambda: bool(stop),
                  on_call=lambda n, run: stop.append(n))
    result = chain.run(two_calls)
    assert result.stopped and isinstance(result.error, Interrupted)
    assert len(p.requests) == 1 and chain.combined(error=result.error).status == "interrupted"


def three_calls(ask):
    for word in ("um", "dois", "três"):
        reply = ask([Message(role="user", content=word)], {})
    return reply.text


def test_every_later_call_waits_for_the_rate_budget(clock):
    from llmcli.core.scheduler import RateBudget

    budget = RateBudget(rpm=2, clock=clock, sleep=clock.sleep)
    budget.acquire()  # the first call's, as the scheduler reserves it
    p = FakeProvider(script=["a", "b", "c"], clock=clock)
    chain = Chain(p, REF, info=None, budget=budget, clock=clock, sleep=clock.sleep)
    assert chain.run(three_calls).value == "c"
    # The second call fits (2 a minute); the third waits until the first leaves the window.
    starts = [t for _, t in p.calls]
    assert starts[0] == starts[1] == 0.0 and starts[2] >= 60.0
    assert sum(clock.sleeps) >= 60.0  # waited on the fake clock: no real time passed


def test_a_closed_budget_stops_the_chain(clock):
    from llmcli.core.scheduler import RateBudget

    budget = RateBudget(rpm=5, clock=clock, sleep=clock.sleep)
    budget.close()
    p = FakeProvider(script=["a", "b"])
    result = Chain(p, REF, info=None, budget=budget).run(three_calls)
    assert result.stopped and len(p.requests) == 1  # the first was the scheduler's to reserve
