"""The runner and reasoning: pieces go to `on_reasoning`, never among the answer's pieces;
reasoning tokens and the flex tier reach the response and its cost; nothing is retried once
reasoning was shown."""

from __future__ import annotations

import pytest

from llmcli.core.errors import ProviderError
from llmcli.core.events import Finish, ReasoningDelta, TextDelta, Usage
from llmcli.core.messages import ChatRequest, Message
from llmcli.core.provider import ModelInfo
from llmcli.core.runner import Run
from llmcli.providers.openai_compat import OpenAIOptions
from tests.doubles import FakeClock, FakeProvider


def request(**options) -> ChatRequest:
    return ChatRequest(model="m", messages=[Message(role="user", content="hi")],
                       options=OpenAIOptions(**options))


def thinking():
    yield ReasoningDelta("let me ")
    yield ReasoningDelta("think")
    yield TextDelta("42")
    yield Usage(input_tokens=10, output_tokens=100, reasoning_tokens=90)
    yield Finish("stop")


def test_reasoning_goes_to_its_callback_and_the_response():
    seen: list[str] = []
    clock = FakeClock()
    run = Run(FakeProvider("s", script=[thinking()]), request(), "s", on_reasoning=seen.append,
              clock=clock)
    assert list(run) == ["42"]
    assert seen == ["let me ", "think"]
    r = run.response
    assert r.text == "42" and r.reasoning == "let me think"
    assert r.usage.reasoning_tokens == 90 and r.usage.output_tokens == 100


@pytest.mark.parametrize(("tier", "factor"), [(None, 1.0), ("default", 1.0), ("flex", 0.5)])
def test_cost_bills_reasoning_as_output_and_applies_the_flex_factor(tier, factor):
    info = ModelInfo(id="m", provider="s", price_in=1.0, price_out=4.0, flex_factor=0.5)
    options = {"service_tier": tier} if tier else {}
    run = Run(FakeProvider("s", script=[thinking()]), request(**options), "s", info=info)
    r = run.consume()
    assert r.cost == pytest.approx((10 * 1.0 + 100 * 4.0) / 1e6 * factor)


def test_priority_tier_cost_is_unknown_not_the_standard_price():
    info = ModelInfo(id="m", provider="s", price_in=1.0, price_out=4.0, flex_factor=0.5)
    run = Run(FakeProvider("s", script=[thinking()]), request(service_tier="priority"), "s",
              info=info)
    assert run.consume().cost is None


def test_no_retry_once_reasoning_was_shown():
    def broken():
        yield ReasoningDelta("half a thought")
        raise ProviderError("connection reset", retryable=True)

    provider = FakeProvider("s", script=[broken(), iter([TextDelta("again")])])
    run = Run(provider, request(), "s", sleep=lambda s: None)
    with pytest.raises(ProviderError):
        run.consume()
    assert len(provider.calls) == 1 and run.response.reasoning == "half a thought"
