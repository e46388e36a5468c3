"""Log-probabilities on the openai adapter (and their refusal on groq), against the loopback
stubs through the real SDKs."""

from __future__ import annotations

import math

import pytest

from llmcli.core.errors import InvalidInput
from llmcli.core.events import Finish, TextDelta, TokenLogprobs, Usage
from llmcli.core.messages import ChatRequest, Message
from llmcli.core.options import validate_options
from llmcli.core.provider import Capability, ProviderSettings
from llmcli.providers.groq import GroqProvider
from llmcli.providers.openai_compat import OpenAIOptions, OpenAIProvider
from tests.providers.helpers import run
from tests.stubs.base import Reply

PARIS = [
    (" Paris", -0.0123, [(" Paris", -0.0123), (" the", -4.6), (" a", -5.3), (" located", -6.0)]),
    (".", -0.25, [(".", -0.25), (",", -1.6), ("!", -3.9)]),
]


def request(model: str = "gpt-4o-mini", **options) -> ChatRequest:
    return ChatRequest(
        model=model,
        messages=[Message(role="user", content="The capital of France is")],
        options=OpenAIOptions(**options),
    )


def make(stub, cls=OpenAIProvider, **kw):
    settings = {"name": cls.name, "api_key": stub.expected_key, "base_url": stub.url,
                "connect_timeout": 2.0, "read_timeout": 5.0, **kw}
    return cls(ProviderSettings(**settings))


@pytest.fixture
def provider(openai_server):
    openai_server.token_logprobs = PARIS
    p = make(openai_server)
    yield p
    p.close()


def test_capabilities_openai_has_logprobs_groq_does_not():
    assert Capability.LOGPROBS in OpenAIProvider.capabilities
    assert Capability.LOGPROBS not in GroqProvider.capabilities
    assert OpenAIProvider.options_model is OpenAIOptions


def test_top_logprobs_option_is_validated():
    model = OpenAIProvider.options_model
    assert validate_options({"top_logprobs": "5"}, model).top_logprobs == 5
    assert validate_options({"top_logprobs": "0"}, model).top_logprobs == 0
    with pytest.raises(InvalidInput, match="top_logprobs"):
        validate_options({"top_logprobs": "21"}, model)


def test_non_streaming_reply_yields_each_tokens_logprobs(provider, openai_server):
    events = list(provider.chat(request(top_logprobs=3), stream=False))
    got = [e for e in events if isinstance(e, TokenLogprobs)]
    assert got == [
        TokenLogprobs(" Paris", -0.0123, [(" Paris", -0.0123), (" the", -4.6), (" a", -5.3)]),
        TokenLogprobs(".", -0.25, [(".", -0.25), (",", -1.6), ("!", -3.9)]),
    ]
    # Log-probabilities come before the text, the way the local provider sends them.
    kinds = [type(e) for e in events]
    assert kinds == [TokenLogprobs, TokenLogprobs, TextDelta, Usage, Finish]
    assert events[2] == TextDelta(" Paris.")
    body = openai_server.last.body
    assert body["logprobs"] is True and body["top_logprobs"] == 3
    assert "stream" not in body


def test_streamed_reply_yields_logprobs_per_chunk(provider, openai_server):
    r, _ = run(provider, request(top_logprobs=2, temperature=0.5))
    assert list(r) == [" Paris", "."]
    assert [(e.token, e.logprob, [t for t, _ in e.top]) for e in r.logprobs] == [
        (" Paris", -0.0123, [" Paris", " the"]),
        (".", -0.25, [".", ","]),
    ]
    assert math.isclose(math.exp(r.logprobs[0].logprob), 0.98777, abs_tol=1e-5)
    body = openai_server.last.body
    assert body["stream"] is True and body["logprobs"] is True and body["top_logprobs"] == 2
    assert r.response.finish_reason == "stop"


def test_top_logprobs_zero_gives_the_chosen_tokens_only(provider, openai_server):
    events = [e for e in provider.chat(request(top_logprobs=0), stream=False)
              if isinstance(e, TokenLogprobs)]
    assert [(e.token, e.top) for e in events] == [(" Paris", []), (".", [])]
    assert openai_server.last.body["top_logprobs"] == 0


def test_without_the_option_nothing_is_asked_or_yielded(provider, openai_server):
    events = list(provider.chat(request(), stream=False))
    assert not any(isinstance(e, TokenLogprobs) for e in events)
    assert "logprobs" not in openai_server.last.body
    assert "top_logprobs" not in openai_server.last.body


def test_official_api_gets_logprobs_with_max_completion_tokens():
    official = OpenAIProvider(
        ProviderSettings(name="openai", api_key="sk-x", base_url="https://api.openai.com/v1"))
    assert official.is_official
    kw = official._chat_kwargs(request(top_logprobs=5, max_tokens=1), stream=False)
    assert (kw["logprobs"], kw["top_logprobs"], kw["max_completion_tokens"]) == (True, 5, 1)


def test_named_endpoint_sends_logprobs(openai_server):
    openai_server.expected_key = None
    endpoint = make(openai_server, name="llamacpp", api_key=None)  # a [endpoints.llamacpp]
    events = list(endpoint.chat(request("stub-model", top_logprobs=1), stream=False))
    assert [e.token for e in events if isinstance(e, TokenLogprobs)] == ["Hello from", " the stub."]
    assert openai_server.last.body["logprobs"] is True


def test_server_that_ignores_logprobs_or_sends_odd_entries(provider, openai_server):
    body = openai_server.completion_body(None, "gpt-4o-mini")  # logprobs: null
    openai_server.script("chat", Reply(200, body))
    events = list(provider.chat(request(top_logprobs=2), stream=False))
    assert not any(isinstance(e, TokenLogprobs) for e in events)
    assert TextDelta(" Paris.") in events

    # A compatible server with entries missing fields: those are skipped, the rest kept.
    body["choices"][0]["logprobs"] = {"content": [
        {"token": "ok", "logprob": -1.0, "top_logprobs": [{"token": "ok", "logprob": -1.0},
                                                         {"token": "x"}]},
        {"token": "no-logprob"},
        {"token": "null-top", "logprob": -2.0, "top_logprobs": None},
    ]}
    openai_server.script("chat", Reply(200, body))
    events = [e for e in provider.chat(request(top_logprobs=2), stream=False)
              if isinstance(e, TokenLogprobs)]
    assert events == [TokenLogprobs("ok", -1.0, [("ok", -1.0)]),
                      TokenLogprobs("null-top", -2.0, [])]


def test_groq_refuses_top_logprobs_before_sending(groq_server):
    p = make(groq_server, GroqProvider)
    for stream in (False, True):
        with pytest.raises(InvalidInput) as info:
            list(p.chat(request("openai/gpt-oss-20b", top_logprobs=3), stream=stream))
        line = info.value.one_line()
        assert "groq returns no token probabilities" in line and "top_logprobs" in line
        assert "openai" in line and "local" in line  # the providers that have them
    assert groq_server.requests_for("chat") == []
    # Without the option Groq chats as before.
    events = list(p.chat(request("openai/gpt-oss-20b"), stream=False))
    assert TextDelta("Hello from the stub.") in events
    assert "logprobs" not in groq_server.last.body
    p.close()
