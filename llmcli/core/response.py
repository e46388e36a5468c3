"""A finished (or interrupted) exchange with what was measured."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializationInfo, model_serializer

from llmcli.core.tools import ToolRun

Status = Literal["complete", "interrupted", "error"]


class UsageInfo(BaseModel):
    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    reasoning_tokens: int | None = None  # part of output_tokens; shown only when reported

    @model_serializer(mode="wrap")
    def _drop_unreported(self, handler: Any, info: SerializationInfo) -> dict[str, Any]:
        return _without(handler(self), {"reasoning_tokens": None})


class Timings(BaseModel):
    """Seconds. `ttft` is time to first token; `waited` is time spent backing off before it."""

    ttft: float | None = None
    total: float = 0.0
    waited: float = 0.0


class Response(BaseModel):
    """What `llmcli prompt --json` prints, and what the log stores."""

    model_config = ConfigDict(extra="forbid")

    text: str
    model: str
    provider: str
    usage: UsageInfo = UsageInfo()
    timings: Timings = Timings()
    finish_reason: str | None = None
    status: Status = "complete"
    error: str | None = None
    attempts: int = 1
    cost: float | None = None
    log_id: int | None = None
    # Structured output: the reply's JSON document once it validated against the schema
    # (kept out of dumps: `prompt --schema --json` adds it, other --json output is unchanged).
    data: Any = Field(default=None, exclude=True)
    # The model's reasoning or thought summary, kept apart from `text` (the answer).
    reasoning: str | None = None
    # Answered from the log by --cache: no provider call was made.
    cached: bool = False
    # Tools: every call of the exchange with its result, and how many requests it took.
    tool_calls: list[ToolRun] = Field(default_factory=list)
    round_trips: int = 1

    @model_serializer(mode="wrap")
    def _drop_unset(self, handler: Any, info: SerializationInfo) -> dict[str, Any]:
        # --json output gains these keys only when they say something (without tool calls
        # the document is what it was before tools existed).
        dump = _without(handler(self), {"reasoning": None, "cached": False})
        if isinstance(dump, dict) and not self.tool_calls:
            dump.pop("tool_calls", None)
            dump.pop("round_trips", None)
        return dump

    @property
    def tokens_per_second(self) -> float | None:
        """Output tokens per second of generation (after the first token arrived)."""
        out = self.usage.output_tokens
        if not out or self.timings.ttft is None:
            return None
        gen = self.timings.total - self.timings.ttft
        return out / gen if gen > 0 else None


def _without(dump: Any, defaults: dict[str, Any]) -> Any:
    if isinstance(dump, dict):
        for key, value in defaults.items():
            if key in dump and dump[key] == value:
                del dump[key]
    return dump
