"""The tool-call loop of one exchange: request -> the model's tool calls -> their results ->
the request again, until the model answers without calls or the chain limit is reached.

Every command gets it through `run_exchange` (and compare through `drive_rounds` directly).
A tool's own failure (it raised, it timed out, its arguments were bad JSON, the person said no)
is the call's result, which the model reads; it never ends the exchange. Ctrl-C ends it with the
transcript so far, which is logged like any interrupted exchange.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from llmcli.core.tools import SilentHooks, ToolCall, ToolHooks, ToolResult, ToolRun

if TYPE_CHECKING:
    from llmcli.core.messages import ChatRequest
    from llmcli.core.response import Response
    from llmcli.core.tools import Toolbox
    from llmcli.exchange.drive import ExchangeResult

DEFAULT_CHAIN_LIMIT = 5
DECLINED = "error: the user declined this call"


@dataclass
class ToolSession:
    """The tools of an exchange and who watches them. `chain_limit` is the most round trips
    that carry tool results back (`--chain-limit`)."""

    toolbox: Toolbox
    hooks: ToolHooks = field(default_factory=SilentHooks)
    chain_limit: int = DEFAULT_CHAIN_LIMIT


def run_call(session: ToolSession, call: ToolCall) -> ToolResult:
    """One call: bad arguments and a refusal answered without running; the tool's failure kept
    as its result. Only Ctrl-C escapes."""
    if call.error is not None:
        return ToolResult(call_id=call.id, name=call.name, content=f"error: {call.error}",
                          is_error=True)
    if not session.hooks.approve(call):
        return ToolResult(call_id=call.id, name=call.name, content=DECLINED, is_error=True)
    session.hooks.called(call)
    try:
        result = session.toolbox.run(call)
    except Exception as exc:  # a toolbox must not raise; if one does, the model is told
        result = ToolResult(call_id=call.id, name=call.name, is_error=True,
                            content=f"error: {type(exc).__name__}: {exc}")
    session.hooks.returned(call, result)
    return result


def drive_rounds(
    drive_once: Callable[[ChatRequest], ExchangeResult],
    request: ChatRequest,
    session: ToolSession,
) -> tuple[ChatRequest, ExchangeResult]:
    """Drive `request`, run the calls the model asks for, send their results, again; returns
    the last request (the whole transcript) and one result whose response sums the rounds."""
    from llmcli.core.errors import Interrupted, ToolError
    from llmcli.core.messages import Message

    results: list[ExchangeResult] = []
    runs: list[ToolRun] = []
    trips = 0
    while True:
        result = drive_once(request)
        results.append(result)
        if not result.ok or not result.tool_calls:
            break
        calls = result.tool_calls
        if trips >= session.chain_limit:
            runs += [_run(trips + 1, c, None) for c in calls]
            limit = session.chain_limit
            result.error = ToolError(
                f"the model still asked for tools after {limit} round trip"
                f"{'s' if limit != 1 else ''} (--chain-limit {limit})",
                hint=f"raise it with --chain-limit {limit * 2}, or rephrase the prompt")
            break
        trips += 1
        answers: list[Message] = []
        try:
            for call in calls:
                res = run_call(session, call)
                runs.append(_run(trips, call, res))
                answers.append(Message(role="tool", content=res.content, tool_call_id=call.id,
                                       tool_name=call.name))
        except KeyboardInterrupt:
            done = {r.id for r in runs if r.round == trips}
            runs += [_run(trips, c, None) for c in calls if c.id not in done]
            result.keyboard = True
            result.error = Interrupted("interrupted while a tool ran")
            break
        turn = Message(role="assistant", content=result.response.text, tool_calls=tuple(calls))
        request = request.model_copy(update={"messages": [*request.messages, turn, *answers]})
    final = results[-1]
    final.response = merged(results, runs)
    if final.keyboard and final.response.status == "complete":
        final.response.status = "interrupted"
    if final.error is not None and final.response.status == "complete":
        final.response.status = "error"
    if final.error is not None and final.response.error is None:
        final.response.error = final.error.one_line()
    return request, final


def _run(trip: int, call: ToolCall, result: ToolResult | None) -> ToolRun:
    return ToolRun(round=trip, id=call.id, name=call.name, arguments=call.arguments,
                   result=result.content if result else None,
                   is_error=bool(result and result.is_error))


def merged(results: list[ExchangeResult], runs: list[ToolRun]) -> Response:
    """The last round's response, with the usage, time, attempts and cost of all rounds."""
    from llmcli.core.response import Timings, UsageInfo

    last = results[-1].response
    if len(results) == 1 and not runs:
        return last
    responses = [r.response for r in results]

    def total(values: list[int | None]) -> int | None:
        # one round without a count makes the sum unknown, not smaller
        return None if any(v is None for v in values) else sum(v or 0 for v in values)

    usage = UsageInfo(
        input_tokens=total([r.usage.input_tokens for r in responses]),
        output_tokens=total([r.usage.output_tokens for r in responses]),
        total_tokens=total([r.usage.total_tokens for r in responses]),
    )
    costs = [r.cost for r in responses]
    # Time to the first text of the whole exchange: rounds that only asked for tools count.
    ttft, before = None, 0.0
    for r in responses:
        if r.timings.ttft is not None:
            ttft = before + r.timings.ttft
            break
        before += r.timings.total
    timings = Timings(ttft=ttft, total=sum(r.timings.total for r in responses),
                      waited=sum(r.timings.waited for r in responses))
    return last.model_copy(update={
        "usage": usage, "timings": timings,
        "attempts": 1 + sum(r.attempts - 1 for r in responses),  # retries, not requests
        "cost": None if any(c is None for c in costs) else sum(c or 0.0 for c in costs),
        "tool_calls": runs, "round_trips": len(results),
    })
