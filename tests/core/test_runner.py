"""The runner's retry, measurement and interruption rules, with the test double."""

import random

import pytest

from llmcli.core.errors import AuthError, ProviderError, RateLimited
from llmcli.core.events import Finish, TextDelta, Usage
from llmcli.core.messages import ChatRequest, Message
from llmcli.core.provider import ModelInfo
from llmcli.core.runner import RetryPolicy, Run
from tests.doubles import FakeClock, FakeProvider


def Scripted(script):
    """The test double playing `script`: event iterables and exceptions, one per call."""
    return FakeProvider("scripted", script=script)


def request():
    return ChatRequest(model="m", messages=[Message(role="user", content="hi")])


def test_metrics_and_usage():
    clock = FakeClock()

    def events():
        clock.now = 0.5
        yield TextDelta("Hel")
        clock.now = 1.5
        yield TextDelta("lo")
        yield Usage(input_tokens=3, output_tokens=10)
        yield Finish("stop")

    info = ModelInfo(id="m", provider="scripted", price_in=1.0, price_out=2.0)
    run = Run(Scripted([events()]), request(), "scripted", clock=clock, info=info)
    assert list(run) == ["Hel", "lo"]
    r = run.response
    assert r.text == "Hello" and r.finish_reason == "stop" and r.status == "complete"
    assert r.timings.ttft == 0.5 and r.timings.total == 1.5
    assert r.usage.total_tokens == 13
    assert r.cost == pytest.approx((3 * 1.0 + 10 * 2.0) / 1e6)
    assert r.tokens_per_second == pytest.approx(10 / 1.0)


def test_retries_rate_limit_honouring_retry_after():
    slept = []
    provider = Scripted([RateLimited("429", retry_after=1.25), iter([TextDelta("ok")])])
    run = Run(provider, request(), "s", sleep=slept.append)
    assert run.consume().text == "ok"
    assert slept == [1.25] and len(provider.calls) == 2 and run.response.attempts == 2
    assert run.response.timings.waited == 1.25


def test_backoff_grows_with_jitter_and_stops_after_max_retries():
    slept = []
    err = ProviderError("503", status=503, retryable=True)
    provider = Scripted([err, err, err, iter([TextDelta("never")])])
    run = Run(
        provider,
        request(),
        "s",
        sleep=slept.append,
        rng=random.Random(1),
        policy=RetryPolicy(max_retries=2, base_delay=0.5),
    )
    with pytest.raises(ProviderError):
        run.consume()
    assert len(provider.calls) == 3
    assert 0.375 <= slept[0] <= 0.5 and 0.75 <= slept[1] <= 1.0
    assert run.response.status == "error"


def test_retry_after_beyond_ceiling_is_not_waited():
    provider = Scripted([RateLimited("429", retry_after=500)])
    run = Run(
        provider,
        request(),
        "s",
        sleep=lambda s: pytest.fail("slept"),
        policy=RetryPolicy(max_retry_wait=60),
    )
    with pytest.raises(RateLimited):
        run.consume()
    assert len(provider.calls) == 1


def test_no_retry_on_auth_error():
    provider = Scripted([AuthError("bad key")])
    with pytest.raises(AuthError):
        Run(provider, request(), "s").consume()
    assert len(provider.calls) == 1


def test_no_retry_after_first_token_and_partial_text_kept():
    def broken():
        yield TextDelta("partial ")
        raise ProviderError("connection reset", retryable=True)

    provider = Scripted([broken(), iter([TextDelta("again")])])
    run = Run(provider, request(), "s", sleep=lambda s: None)
    with pytest.raises(ProviderError):
        run.consume()
    assert len(provider.calls) == 1
    assert run.response.text == "partial " and run.response.status == "interrupted"


def test_keyboard_interrupt_marks_interrupted():
    def slow():
        yield TextDelta("abc")
        raise KeyboardInterrupt

    run = Run(Scripted([slow()]), request(), "s")
    with pytest.raises(KeyboardInterrupt):
        run.consume()
    assert run.response.status == "interrupted" and run.response.text == "abc"
