"""The groq adapter against the Groq loopback stub, through the real `groq` SDK."""

from __future__ import annotations

import time

import pytest

from llmcli.core.errors import (
    AuthError,
    InvalidInput,
    ProviderError,
    RateLimited,
    TimeoutError_,
    UnknownModel,
    Unreachable,
    Unsupported,
)
from llmcli.core.provider import Capability, ProviderSettings
from llmcli.providers.groq import GroqProvider
from tests.providers.helpers import HISTORY, chat_request, consume_error, run
from tests.stubs.base import Hang


def make(stub, **kw) -> GroqProvider:
    settings = {
        "name": "groq",
        "api_key": stub.expected_key,
        "base_url": stub.url,
        "connect_timeout": 2.0,
        "read_timeout": 5.0,
        **kw,
    }
    return GroqProvider(ProviderSettings(**settings))


@pytest.fixture
def provider(groq_server):
    p = make(groq_server)
    yield p
    p.close()


def test_streaming_usage_comes_from_x_groq(provider, groq_server):
    r, _ = run(provider, chat_request("openai/gpt-oss-20b", HISTORY))
    resp = r.consume()
    assert resp.text == "Hello from the stub." and resp.finish_reason == "stop"
    assert (resp.usage.input_tokens, resp.usage.output_tokens) == (8, 2)
    got = groq_server.last
    assert (got.method, got.path) == ("POST", "/openai/v1/chat/completions")
    assert got.body["stream"] is True
    assert "stream_options" not in got.body  # groq 1.7 has none; usage is in x_groq
    assert [m["role"] for m in got.body["messages"]] == ["system", "user", "assistant", "user"]


def test_non_streaming_chat_and_options(provider, groq_server):
    req = chat_request(
        "openai/gpt-oss-120b", temperature=0.5, top_p=0.5, max_tokens=20, seed=3, stop=["END"]
    )
    r, _ = run(provider, req, stream=False)
    resp = r.consume()
    assert resp.text == "Hello from the stub." and resp.usage.total_tokens == 4
    body = groq_server.last.body
    assert body["max_completion_tokens"] == 20 and "max_tokens" not in body
    assert (body["temperature"], body["top_p"], body["seed"], body["stop"]) == (
        0.5,
        0.5,
        3,
        ["END"],
    )
    assert "stream" not in body


def test_key_only_in_the_authorization_header(provider, groq_server):
    list(provider.chat(chat_request("openai/gpt-oss-20b")))
    got = groq_server.last
    assert (
        "Authorization",
        f"Bearer {groq_server.expected_key}",
    ) in got.headers.raw  # httpx: Title-Case
    assert groq_server.expected_key not in got.path
    assert got.headers["x-stainless-retry-count"] == "0"


def test_top_k_is_refused():
    p = GroqProvider(ProviderSettings(name="groq", api_key="gsk_x"))
    with pytest.raises(InvalidInput, match="top_k"):
        list(p.chat(chat_request("openai/gpt-oss-20b", top_k=4)))


def test_embeddings_are_unsupported_and_name_who_can(provider, groq_server):
    assert not provider.has(Capability.EMBED)
    with pytest.raises(Unsupported) as info:
        provider.embed(["x"], "nomic-embed-text-v1_5")
    hint = info.value.one_line()
    assert "openai" in hint and "gemini" in hint and "groq" not in hint.split("have it:")[1]
    assert groq_server.requests == []


def test_base_url_from_groq_base_url(groq_server, closed_port):
    p = make(groq_server, base_url=f"http://127.0.0.1:{closed_port}")
    assert p.base_url == groq_server.url
    assert list(p.chat(chat_request("openai/gpt-oss-20b")))


# -- models ---------------------------------------------------------------------------------------


def test_live_models_keep_context_window_and_drop_speech_models(provider, groq_server):
    models = {m.id: m for m in provider.list_models()}
    assert groq_server.last.path == "/openai/v1/models"
    assert "whisper-large-v3" not in models
    oss = models["openai/gpt-oss-20b"]
    assert oss.live and oss.context_window == 131072
    assert (oss.price_in, oss.price_out) == (0.075, 0.30)


def test_models_offline_fall_back(closed_port, monkeypatch):
    monkeypatch.delenv("GROQ_BASE_URL", raising=False)
    p = GroqProvider(
        ProviderSettings(name="groq", api_key="gsk_x", base_url=f"http://127.0.0.1:{closed_port}")
    )
    models = p.list_models()
    assert {"openai/gpt-oss-20b", "openai/gpt-oss-120b"} <= {m.id for m in models}
    assert isinstance(p.list_models_error, Unreachable)


# -- errors ---------------------------------------------------------------------------------------


def test_bad_key(groq_server):
    p = make(groq_server, api_key="gsk_wrong_0123456789")
    err = consume_error(run(p, chat_request("openai/gpt-oss-20b"))[0])
    assert isinstance(err, AuthError) and "GROQ_API_KEY" in err.one_line()
    assert "gsk_wrong_0123456789" not in err.one_line() + repr(err.debug)


def test_unknown_model_suggests(provider):
    err = consume_error(run(provider, chat_request("gpt-oss-120"))[0])
    assert isinstance(err, UnknownModel)
    assert "openai/gpt-oss-120b" in err.one_line()


def test_rate_limit_with_retry_after_and_headers(provider, groq_server):
    groq_server.script("chat", groq_server.rate_limited(retry_after=3))
    with pytest.raises(RateLimited) as info:
        list(provider.chat(chat_request("openai/gpt-oss-20b")))
    assert info.value.retry_after == 3.0
    assert info.value.debug["x-ratelimit-limit-tokens"] == "200000"
    assert "tokens per minute" in info.value.debug["error_body"]


def test_503_twice_then_success_through_the_runner(provider, groq_server):
    groq_server.fail_times("chat", 2, groq_server.server_error(503))
    r, sleeps = run(provider, chat_request("openai/gpt-oss-20b"))
    assert r.consume().attempts == 3
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0] * 1.2  # exponential backoff
    assert len(groq_server.requests_for("chat")) == 3


def test_in_stream_error_frame(provider, groq_server):
    groq_server.script(
        "chat",
        groq_server.stream(
            error_after=2, error={"message": "Service Unavailable", "type": "internal_server_error"}
        ),
    )
    r, _ = run(provider, chat_request("openai/gpt-oss-20b"))
    err = consume_error(r)
    assert isinstance(err, ProviderError) and "Service Unavailable" in err.message
    assert r.text == "Hello from" and r.response.status == "interrupted"


def test_stream_cut_halfway(provider, groq_server):
    groq_server.script("chat", groq_server.stream(drop_after=2))
    r, _ = run(provider, chat_request("openai/gpt-oss-20b"))
    assert isinstance(consume_error(r), ProviderError)
    assert r.text == "Hello from" and r.response.status == "interrupted" and r.attempts == 1


def test_never_answering_server_times_out(groq_server):
    p = make(groq_server, read_timeout=0.4)
    groq_server.script("chat", Hang())
    t0 = time.monotonic()
    err = consume_error(run(p, chat_request("openai/gpt-oss-20b"), retries=0)[0])
    assert isinstance(err, TimeoutError_)
    assert time.monotonic() - t0 < 3


def test_http_proxy_is_honoured(groq_server, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", groq_server.host_url)
    monkeypatch.setenv("NO_PROXY", "localhost")
    monkeypatch.delenv("GROQ_BASE_URL")
    p = make(groq_server, base_url="http://llmcli-proxy-test.invalid")
    list(p.chat(chat_request("openai/gpt-oss-20b")))
    assert groq_server.last.proxied
    assert groq_server.last.target == "http://llmcli-proxy-test.invalid/openai/v1/chat/completions"
