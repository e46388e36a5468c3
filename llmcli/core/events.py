"""Stream events: what a provider's chat stream yields.

Plain slotted dataclasses, not pydantic: a fast stream yields thousands of them per second.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from llmcli.core.tools import ToolCall


@dataclass(slots=True)
class TextDelta:
    """A piece of reply text."""

    text: str


@dataclass(slots=True)
class Usage:
    """Token counts. A provider may send it more than once; the last one wins."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    # Of the output tokens, those the model spent reasoning (billed as output: they are
    # already counted in output_tokens).
    reasoning_tokens: int | None = None

    @property
    def total_tokens(self) -> int | None:
        if self.input_tokens is None and self.output_tokens is None:
            return None
        return (self.input_tokens or 0) + (self.output_tokens or 0)


@dataclass(slots=True)
class Finish:
    """The reply is over; `reason` is normalised: stop, length, content_filter, tool_calls..."""

    reason: str | None = None


@dataclass(slots=True)
class TokenLogprobs:
    """Log-probabilities at one generated position: the chosen token and the top alternatives."""

    token: str
    logprob: float
    top: list[tuple[str, float]] = field(default_factory=list)


@dataclass(slots=True)
class ReasoningDelta:
    """A piece of the model's reasoning (or thought summary): shown apart, never the answer."""

    text: str


@dataclass(slots=True)
class ToolCallRequested:
    """The model asks for a tool call (arguments parsed; see core/tools.parse_arguments)."""

    call: ToolCall


Event = TextDelta | Usage | Finish | TokenLogprobs | ReasoningDelta | ToolCallRequested
