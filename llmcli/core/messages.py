"""Chat messages and requests: what goes to a provider."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from llmcli.core.attachments import Attachment
from llmcli.core.fragments import Fragment
from llmcli.core.options import Options
from llmcli.core.tools import ToolCall, ToolSpec

Role = Literal["system", "user", "assistant", "tool"]


class Message(BaseModel):
    """One turn of a conversation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role
    content: str
    # Images, PDFs, audio sent beside the text through the provider's own content parts.
    attachments: tuple[Attachment, ...] = ()
    # An assistant turn that asked for tool calls; a "tool" turn answers one of them by id.
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    tool_name: str | None = None  # the called tool's name (Gemini's functionResponse needs it)

    @model_serializer(mode="wrap")
    def _without_empty_tool_fields(self, handler: SerializerFunctionWrapHandler) -> Any:
        # A message without tools or attachments dumps as before ({role, content}): logs,
        # --dry-run, `templates render --json`, cache keys.
        data = handler(self)
        if isinstance(data, dict):
            for name in ("tool_calls", "tool_call_id", "tool_name", "attachments"):
                if not data.get(name):
                    data.pop(name, None)
        return data


class ChatRequest(BaseModel):
    """Everything a provider needs for one exchange.

    `raw` asks for completion mode: `messages` holds a single user message whose text is sent
    to the model as is, with no chat template or primer.
    """

    model_config = ConfigDict(extra="forbid")

    model: str
    messages: list[Message]
    options: Options = Field(default_factory=Options)
    raw: bool = False
    # Structured output: a JSON Schema the reply must validate against (bounded by
    # exchange/schema.py); providers send it through their native mode or an instruction.
    json_schema: dict[str, Any] | None = None
    # A regular expression the whole reply must match (`--regex`, `--choice`): grammar-
    # constrained decoding, so only engines that have it (local) accept one.
    regex: str | None = None
    # The fragments (-f, --sf) whose labelled blocks are in `messages`: the log keeps each text
    # once and the message refers to it. Providers send the messages and ignore this.
    fragments: list[Fragment] = Field(default_factory=list)
    # Tools the model may call (core/tools.py); the exchange's tool loop runs the calls.
    tools: list[ToolSpec] | None = None

    @property
    def system(self) -> str | None:
        parts = [m.content for m in self.messages if m.role == "system"]
        return "\n\n".join(parts) if parts else None

    @property
    def turns(self) -> list[Message]:
        """The conversation without system messages."""
        return [m for m in self.messages if m.role != "system"]


def build_messages(
    prompt: str, *, system: str | None = None, history: list[Message] | None = None
) -> list[Message]:
    """A system message (if any), earlier turns, then the new user message."""
    out: list[Message] = []
    if system:
        out.append(Message(role="system", content=system))
    out.extend(history or [])
    out.append(Message(role="user", content=prompt))
    return out
