"""The tool loop with the test double and a fake clock: the merged response's time to first
text counts the rounds that only asked for tools; usage sums, or is unknown when one round's
is; the chain limit; the calls' order and results in the transcript."""

from __future__ import annotations

from typing import ClassVar

from llmcli.core.events import Finish, ToolCallRequested, Usage
from llmcli.core.runner import RetryPolicy
from llmcli.core.tools import ToolCall, ToolResult, ToolSpec
from llmcli.exchange.drive import drive
from llmcli.exchange.tool_loop import ToolSession, drive_rounds
from tests.doubles import FakeClock, FakeProvider, request


class Box:
    specs: ClassVar[list[ToolSpec]] = [ToolSpec(name="echo")]

    def __init__(self) -> None:
        self.seen: list[ToolCall] = []

    def run(self, call: ToolCall) -> ToolResult:
        self.seen.append(call)
        return ToolResult(call_id=call.id, name=call.name, content=f"echo {call.arguments}")


def asks(clock: FakeClock, *ids: str, usage: bool = True):
    def step(_req):
        clock.sleep(2.0)  # the model thinks for 2 s before asking
        for i in ids:
            yield ToolCallRequested(ToolCall(id=i, name="echo", arguments={"n": i}))
        if usage:
            yield Usage(input_tokens=10, output_tokens=3)
        yield Finish("tool_calls")
    return step


def run(provider: FakeProvider, clock: FakeClock, limit: int = 5):
    req = request("oi").model_copy(update={"tools": Box.specs})
    box = Box()

    def once(r):
        return drive(provider, r, "fake", info=None, clock=clock, sleep=clock.sleep,
                     policy=RetryPolicy(max_retries=0))
    final, result = drive_rounds(once, req, ToolSession(box, chain_limit=limit))
    return final, result, box


def test_two_rounds_merged() -> None:
    clock = FakeClock()
    provider = FakeProvider(script=[asks(clock, "a", "b"), "the answer"], delay=0.5,
                            sleep=clock.sleep, clock=clock)
    final, result, box = run(provider, clock)
    assert result.ok
    r = result.response
    assert r.text == "the answer" and r.round_trips == 2
    assert [c.id for c in box.seen] == ["a", "b"]
    assert r.timings.ttft == 2.5 + 0.5  # round one (2 s thinking + 0.5 s delay), then 0.5 s
    assert r.usage.input_tokens is not None and r.usage.input_tokens > 10
    assert [m.role for m in final.messages] == ["user", "assistant", "tool", "tool"]
    assert final.messages[2].content == "echo {'n': 'a'}"


def test_unknown_usage_in_one_round_makes_the_sum_unknown() -> None:
    clock = FakeClock()
    provider = FakeProvider(script=[asks(clock, "a", usage=False), "ok"], sleep=clock.sleep,
                            clock=clock)
    _, result, _ = run(provider, clock)
    assert result.response.usage.input_tokens is None


def test_chain_limit() -> None:
    clock = FakeClock()
    provider = FakeProvider(script=[asks(clock, "a"), asks(clock, "b"), asks(clock, "c")],
                            sleep=clock.sleep, clock=clock)
    _, result, box = run(provider, clock, limit=2)
    assert result.error is not None and result.error.exit_code == 18
    assert [c.id for c in box.seen] == ["a", "b"]
    assert [(t.id, t.result) for t in result.response.tool_calls][-1] == ("c", None)
    assert result.response.status == "error"
    assert len(provider.requests) == 3
