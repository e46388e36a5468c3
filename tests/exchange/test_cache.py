"""The response cache's key: canonical (field order does not matter), and every field of the
request, provider-specific options included, is part of it."""

from __future__ import annotations

import pytest

from llmcli.core.messages import ChatRequest, Message
from llmcli.exchange.cache import cache_key
from llmcli.providers.gemini import GeminiOptions
from llmcli.providers.groq import GroqOptions


def request(**kw) -> ChatRequest:
    base = {"model": "m", "messages": [Message(role="user", content="olá 🌍")]}
    return ChatRequest(**{**base, **kw})


def test_identical_requests_share_a_key():
    assert cache_key("groq", request()) == cache_key("groq", request())


def test_key_does_not_depend_on_the_order_options_were_given():
    a = request(options=GroqOptions(temperature=0.1, reasoning_format="raw"))
    b = request(options=GroqOptions.model_validate({"reasoning_format": "raw",
                                                    "temperature": 0.1}))
    assert cache_key("groq", a) == cache_key("groq", b)


@pytest.mark.parametrize("other", [
    request(model="n"),
    request(messages=[Message(role="user", content="olá 🌎")]),
    request(messages=[Message(role="system", content="s"), Message(role="user", content="olá 🌍")]),
    request(options=GroqOptions(reasoning_format="parsed")),
    request(options=GroqOptions(service_tier="flex")),
    request(options=GeminiOptions(thinking_budget=0)),
    request(json_schema={"type": "object"}),
    request(raw=True),
])
def test_any_difference_changes_the_key(other):
    assert cache_key("groq", other) != cache_key("groq", request())


def test_the_provider_is_part_of_the_key():
    assert cache_key("groq", request()) != cache_key("openai", request())
