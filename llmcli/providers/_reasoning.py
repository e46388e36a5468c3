"""Reasoning as OpenAI-style servers send it, turned into `ReasoningDelta` events.

Three forms reach the chat-completions adapters:
- a `reasoning` field on the message or stream delta (Groq's `reasoning_format=parsed`, its
  gpt-oss models, Ollama and newer vLLM);
- `reasoning_content` (DeepSeek, llama.cpp server, older vLLM);
- a `<think>...</think>` block at the start of the content (Groq's `reasoning_format=raw`,
  reasoning models served without a parser). `ThinkSplitter` cuts it out of the streamed text,
  a tag split across chunks included, so the answer on stdout never holds it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from llmcli.core.events import Event, ReasoningDelta, TextDelta

OPEN, CLOSE = "<think>", "</think>"


def reasoning_text(obj: Any) -> str | None:
    """The reasoning carried by a message or a delta (attribute or dict key), if any."""
    if obj is None:
        return None
    for name in ("reasoning", "reasoning_content"):
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if isinstance(value, str) and value:
            return value
    return None


def reasoning_tokens(usage: Any) -> int | None:
    """`usage.completion_tokens_details.reasoning_tokens` (OpenAI and Groq), if reported."""
    details = getattr(usage, "completion_tokens_details", None)
    value = getattr(details, "reasoning_tokens", None) if details is not None else None
    return value if isinstance(value, int) else None


class ThinkSplitter:
    """Feed content pieces; get answer text and reasoning apart. Only a block that opens the
    reply counts: a `<think>` later in an answer is the answer's own text."""

    def __init__(self) -> None:
        self._state = "start"  # start -> (think -> after ->) answer
        self._held = ""  # a prefix that may still become a tag

    def feed(self, piece: str) -> Iterator[Event]:
        text = self._held + piece
        self._held = ""
        if self._state == "start":
            stripped = text.lstrip()
            if not stripped or (OPEN.startswith(stripped) and len(stripped) < len(OPEN)):
                self._held = text  # whitespace or a partial '<think'
                return
            if stripped.startswith(OPEN):
                self._state = "think"
                text = stripped[len(OPEN):]
            else:
                self._state = "answer"
        if self._state == "think":
            end = text.find(CLOSE)
            if end < 0:
                keep = _partial_suffix(text, CLOSE)
                if text[: len(text) - keep]:
                    yield ReasoningDelta(text[: len(text) - keep])
                self._held = text[len(text) - keep:]
                return
            if text[:end]:
                yield ReasoningDelta(text[:end])
            self._state = "after"
            text = text[end + len(CLOSE):]
        if self._state == "after":  # the blank lines between the block and the answer
            text = text.lstrip("\n")
            if not text:
                return
            self._state = "answer"
        yield TextDelta(text)

    def flush(self) -> Iterator[Event]:
        """What was held back when the reply ends."""
        held, self._held = self._held, ""
        if held:
            yield ReasoningDelta(held) if self._state == "think" else TextDelta(held)


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of `text` that begins `tag` (a tag split across chunks)."""
    for n in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-n:]):
            return n
    return 0
