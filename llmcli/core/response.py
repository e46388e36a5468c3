"""A finished (or interrupted) exchange with what was measured."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from llmcli.core.tools import ToolRun

Status = Literal["complete", "interrupted", "error"]


class UsageInfo(BaseModel):
    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None


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
    # Tools: every call of the exchange with its result, and how many requests it took.
    tool_calls: list[ToolRun] = Field(default_factory=list)
    round_trips: int = 1

    @model_serializer(mode="wrap")
    def _tools_only_when_called(self, handler: SerializerFunctionWrapHandler) -> Any:
        # Without tool calls the --json document is what it was before tools existed.
        data = handler(self)
        if isinstance(data, dict) and not self.tool_calls:
            data.pop("tool_calls", None)
            data.pop("round_trips", None)
        return data

    @property
    def tokens_per_second(self) -> float | None:
        """Output tokens per second of generation (after the first token arrived)."""
        out = self.usage.output_tokens
        if not out or self.timings.ttft is None:
            return None
        gen = self.timings.total - self.timings.ttft
        return out / gen if gen > 0 else None
