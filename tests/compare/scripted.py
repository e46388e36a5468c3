"""The comparison tests' configuration of the test double (tests/doubles.py)."""

from __future__ import annotations

from llmcli.core.messages import ChatRequest, Message
from tests.doubles import FakeProvider, ref

__all__ = ["Scripted", "ref", "request_for", "variant"]


def Scripted(name="scripted", *, replies=None, delay=0.0, duration=0.0, fail=None,
             prices=None, sleep=None, clock=None) -> FakeProvider:
    """Each model answers with `replies[model]` (else 'reply from MODEL') after `delay` s, in
    word pieces spread over `duration` s; exceptions in `fail[model]` come first, one a call."""
    words = {m: len(t.split(" ")) for m, t in (replies or {}).items()}
    gap = 0.0 if not duration else duration / max(1, max(words.values(), default=4))
    extra = {k: v for k, v in (("sleep", sleep), ("clock", clock)) if v is not None}
    return FakeProvider(name, reply=dict(replies or {}), fail=fail, delay=delay, gap=gap,
                        prices=prices, input_from="last", **extra)


def request_for(cell) -> ChatRequest:
    return ChatRequest(model=cell.ref.model, messages=list(cell.variant.messages))


def variant(text: str, label: str = "prompt", extract=None, template=None):
    from llmcli.compare.grid import PromptVariant

    return PromptVariant(label=label, text=text, messages=(Message(role="user", content=text),),
                         template=template, extract=extract)
