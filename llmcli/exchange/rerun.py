"""A logged exchange asked again (`llmcli logs rerun`): its messages, options and schema read
back from the log row and built into a request for the same model or another one."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmcli.core.messages import ChatRequest, Message
    from llmcli.core.registry import ModelRef
    from llmcli.store.logs import LogStore


@dataclass(frozen=True)
class Logged:
    """What a request was made of, as the log kept it."""

    exchange_id: int
    model: str  # provider:model
    messages: list[Message]
    options: dict[str, Any] = field(default_factory=dict)
    schema: dict[str, Any] | None = None
    prompt: str = ""


def read_logged(logs: LogStore, exchange_id: int) -> Logged:
    """The logged request with this id; an unknown id or an unreadable row is a one-line
    error."""
    from pydantic import ValidationError

    from llmcli.core.errors import InvalidInput
    from llmcli.core.messages import Message

    row = logs.get(exchange_id)
    if row is None:
        raise InvalidInput(f"no exchange with id {exchange_id}", hint="see 'llmcli logs list'")
    try:
        messages = [Message.model_validate(m) for m in json.loads(row["messages"] or "[]")]
        options = json.loads(row["options"] or "{}")
        schema = json.loads(row["schema"]) if row.get("schema") else None
    except (ValueError, ValidationError) as exc:
        raise InvalidInput(f"exchange {exchange_id} cannot be asked again: its logged request "
                           f"is unreadable ({type(exc).__name__})") from None
    if not messages:
        raise InvalidInput(f"exchange {exchange_id} has no logged messages to ask again")
    if schema is not None:
        messages = _without_schema_instruction(messages, schema)
    return Logged(exchange_id, f"{row['provider']}:{row['model']}", messages, options, schema,
                  row.get("prompt") or "")


def _without_schema_instruction(messages: list[Message], schema: dict[str, Any]
                                ) -> list[Message]:
    """The messages as the user gave them: a model without native structured output had the
    schema's instruction added to the system prompt, which build_request adds again if the
    new model needs it."""
    from llmcli.core.messages import Message
    from llmcli.exchange.schema import instruction

    text = instruction(schema)
    first = messages[0]
    if first.role != "system":
        return messages
    if first.content == text:
        return messages[1:]
    suffix = f"\n\n{text}"
    if first.content.endswith(suffix):
        return [Message(role="system", content=first.content[: -len(suffix)]), *messages[1:]]
    return messages


def rerun_request(ref: ModelRef, logged: Logged,
                  warn: Callable[[str], None] | None = None) -> ChatRequest:
    """The logged request for `ref`: options this model's provider does not take are left
    out, with one line to `warn` naming them."""
    from llmcli.exchange.request import accepted_options, build_request

    kept, refused = accepted_options(ref, logged.options)
    if refused and warn is not None:
        warn(f"{ref} does not take the option(s) {', '.join(refused)}: asked without them")
    return build_request(ref, logged.messages, kept, schema=logged.schema, warn=warn)
