"""The openai adapter against the OpenAI-compatible loopback stub, through the real `openai` SDK."""

from __future__ import annotations

import time

import pytest

from llmcli.core.errors import (
    AuthError,
    ContentBlocked,
    ContextTooLong,
    InvalidInput,
    MissingKey,
    ProviderError,
    RateLimited,
    TimeoutError_,
    UnknownModel,
    Unreachable,
)
from llmcli.core.events import Finish, TextDelta, Usage
from llmcli.core.provider import ProviderSettings
from llmcli.providers.openai_compat import PLACEHOLDER_KEY, OpenAIProvider
from tests.providers.helpers import HISTORY, chat_request, consume_error, run
from tests.stubs.base import SSE, Hang


def make(stub, **kw) -> OpenAIProvider:
    settings = {
        "name": "openai",
        "api_key": stub.expected_key,
        "base_url": stub.url,
        "connect_timeout": 2.0,
        "read_timeout": 5.0,
        **kw,
    }
    return OpenAIProvider(ProviderSettings(**settings))


@pytest.fixture
def provider(openai_server):
    p = make(openai_server)
    yield p
    p.close()


# -- chat ---------------------------------------------------------------------------------------


def test_non_streaming_chat_sends_history_and_options(provider, openai_server):
    req = chat_request(
        "gpt-4o-mini", HISTORY, temperature=0.2, top_p=0.9, max_tokens=50, seed=7, stop=["###"]
    )
    events = list(provider.chat(req, stream=False))
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Hello from the stub."]
    usage = next(e for e in events if isinstance(e, Usage))
    assert (usage.input_tokens, usage.output_tokens) == (8, 2)  # words in the 4 messages; 2 pieces
    assert events[-1] == Finish("stop")

    got = openai_server.last
    assert (got.method, got.path) == ("POST", "/v1/chat/completions")
    assert got.body["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": "second question"},
    ]
    assert got.body["temperature"] == 0.2 and got.body["top_p"] == 0.9
    assert got.body["seed"] == 7 and got.body["stop"] == ["###"]
    # A compatible server (the stub's base URL) gets the name every server understands.
    assert got.body["max_tokens"] == 50 and "max_completion_tokens" not in got.body
    assert "stream" not in got.body and "stream_options" not in got.body


def test_streaming_chat_asks_for_and_reports_usage(provider, openai_server):
    r, _ = run(provider, chat_request("gpt-4o-mini"))
    pieces = list(r)
    assert pieces == ["Hello from", " the stub."]
    resp = r.response
    assert resp.status == "complete" and resp.finish_reason == "stop"
    assert (resp.usage.input_tokens, resp.usage.output_tokens) == (2, 2)
    assert resp.timings.ttft is not None and resp.timings.ttft <= resp.timings.total
    body = openai_server.last.body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


def test_key_goes_only_in_the_authorization_header(provider, openai_server):
    list(provider.chat(chat_request("gpt-4o-mini")))
    got = openai_server.last
    key = openai_server.expected_key
    assert got.headers["Authorization"] == f"Bearer {key}"
    assert key not in got.path and key not in got.raw_body.decode()
    # SDK retries are off: every request is a first attempt.
    assert got.headers["x-stainless-retry-count"] == "0"


def test_length_finish_is_normalised(provider, openai_server):
    openai_server.finish_reason = "length"
    r, _ = run(provider, chat_request("gpt-4o-mini"))
    assert r.consume().finish_reason == "length"


def test_content_filter_finish_is_content_blocked(provider, openai_server):
    openai_server.finish_reason = "content_filter"
    r, _ = run(provider, chat_request("gpt-4o-mini"))
    err = consume_error(r)
    assert isinstance(err, ContentBlocked)
    assert r.response.finish_reason == "content_filter"
    assert r.text == "Hello from the stub." and r.response.status == "interrupted"


def test_official_api_gets_max_completion_tokens_and_refuses_top_k():
    p = OpenAIProvider(
        ProviderSettings(name="openai", api_key="sk-x", base_url="https://api.openai.com/v1")
    )
    assert p.is_official
    kw = p._chat_kwargs(chat_request("gpt-4o-mini", max_tokens=9), stream=False)
    assert kw["max_completion_tokens"] == 9 and "max_tokens" not in kw
    with pytest.raises(InvalidInput, match="top_k"):
        list(p.chat(chat_request("gpt-4o-mini", top_k=5)))


def test_compatible_server_gets_top_k_in_the_body(openai_server):
    openai_server.expected_key = None
    p = make(openai_server, name="ollama", api_key=None)
    list(p.chat(chat_request("stub-model", top_k=5), stream=False))
    assert openai_server.last.body["top_k"] == 5


def test_named_endpoint_uses_placeholder_key_and_its_own_url(
    openai_server, monkeypatch, closed_port
):
    # OPENAI_API_KEY and OPENAI_BASE_URL are set (by the fixture) but belong to the openai
    # provider: an endpoint must neither leak that key nor follow that URL.
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{closed_port}/v1")
    openai_server.expected_key = None
    p = make(openai_server, name="ollama", api_key=None)
    r, _ = run(p, chat_request("stub-model"))
    assert r.consume().text == "Hello from the stub."
    assert openai_server.last.headers["authorization"] == f"Bearer {PLACEHOLDER_KEY}"


def test_base_url_env_beats_the_config(openai_server, closed_port):
    p = make(openai_server, base_url=f"http://127.0.0.1:{closed_port}/v1")
    assert p.base_url == openai_server.url  # OPENAI_BASE_URL (set by the fixture) wins
    assert list(p.chat(chat_request("gpt-4o-mini")))


def test_missing_key_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    p = OpenAIProvider(ProviderSettings(name="openai"))
    with pytest.raises(MissingKey) as info:
        list(p.chat(chat_request("gpt-4o-mini")))
    assert "OPENAI_API_KEY" in info.value.one_line()


# -- models ---------------------------------------------------------------------------------------


def test_live_models_get_catalog_prices(provider, openai_server):
    models = {m.id: m for m in provider.list_models()}
    assert provider.list_models_error is None
    assert openai_server.last.path == "/v1/models"
    assert set(models) == set(openai_server.models)
    mini = models["gpt-4o-mini"]
    assert mini.live and mini.price_in == 0.15 and mini.price_out == 0.60
    assert mini.price_date and mini.price_date.startswith("2026")
    assert models["text-embedding-3-small"].capabilities == ["embed"]
    assert models["stub-model"].price_in is None  # not in the catalog: no invented price


def test_models_fall_back_to_the_catalog_when_offline(closed_port, monkeypatch):
    p = OpenAIProvider(
        ProviderSettings(
            name="openai", api_key="sk-x", base_url=f"http://127.0.0.1:{closed_port}/v1"
        )
    )
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)  # the SDK reads it itself
    t0 = time.monotonic()
    models = p.list_models()
    assert time.monotonic() - t0 < 5
    assert "gpt-4o-mini" in {m.id for m in models}
    assert not any(m.live for m in models)
    assert isinstance(p.list_models_error, Unreachable)


def test_models_without_key_use_the_catalog_and_send_nothing(openai_server):
    p = make(openai_server, api_key=None)
    assert {m.id for m in p.list_models()} >= {
        "gpt-4o-mini",
        "gpt-4.1-mini",
        "text-embedding-3-small",
    }
    assert openai_server.requests == []
    assert isinstance(p.list_models_error, MissingKey)


# -- embeddings -----------------------------------------------------------------------------------


def test_embeddings_base64_as_the_sdk_asks(provider, openai_server):
    vectors = provider.embed(["a", "b"], "text-embedding-3-small")
    assert openai_server.last.path == "/v1/embeddings"
    assert openai_server.last.body["encoding_format"] == "base64"
    assert vectors == [[0.25, -0.5, 0.75], [0.5, -1.0, 1.5]]


def test_embeddings_from_a_server_that_sends_floats(provider, openai_server):
    openai_server.embedding_format = "float"  # ignores encoding_format, like some servers
    assert provider.embed(["x"], "text-embedding-3-small") == [[0.25, -0.5, 0.75]]


def test_embedding_unknown_model(provider):
    with pytest.raises(UnknownModel):
        provider.embed(["x"], "nope")


# -- errors ---------------------------------------------------------------------------------------


def test_bad_key_is_auth_error_and_the_key_is_never_shown(openai_server):
    wrong = "sk-wrong-key-abcdef123456"
    p = make(openai_server, api_key=wrong)
    r, sleeps = run(p, chat_request("gpt-4o-mini"))
    err = consume_error(r)
    assert isinstance(err, AuthError) and err.exit_code == 4
    assert "OPENAI_API_KEY" in err.one_line()
    assert r.attempts == 1 and sleeps == []
    everything = err.one_line() + repr(err.debug) + (r.response.error or "")
    assert wrong not in everything  # the stub echoed it in its error body
    assert err.debug["status"] == "401" and err.debug["request_id"] == "req_err_401"


def test_unknown_model_names_the_closest(provider, openai_server):
    err = consume_error(run(provider, chat_request("gpt-4o-mni"))[0])
    assert isinstance(err, UnknownModel) and err.exit_code == 5
    assert "gpt-4o-mini" in err.one_line()


def test_context_too_long(provider, openai_server):
    openai_server.script("chat", openai_server.context_too_long())
    err = consume_error(run(provider, chat_request("gpt-4o-mini"))[0])
    assert isinstance(err, ContextTooLong)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [({"retry_after": 7}, 7.0), ({"retry_after_ms": 250}, 0.25), ({}, None)],
)
def test_rate_limit_carries_when_to_retry(provider, openai_server, kwargs, expected):
    openai_server.script("chat", openai_server.rate_limited(**kwargs))
    with pytest.raises(RateLimited) as info:
        list(provider.chat(chat_request("gpt-4o-mini")))
    err = info.value
    assert err.retry_after == expected
    assert err.debug["x-ratelimit-remaining-requests"] == "0"
    assert len(openai_server.requests) == 1  # the SDK did not retry on its own


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retryable(provider, openai_server, status):
    openai_server.script("chat", openai_server.server_error(status))
    with pytest.raises(ProviderError) as info:
        list(provider.chat(chat_request("gpt-4o-mini")))
    assert info.value.status == status and info.value.retryable


def test_non_json_502(provider, openai_server):
    openai_server.script("chat", openai_server.bad_gateway())
    with pytest.raises(ProviderError) as info:
        list(provider.chat(chat_request("gpt-4o-mini"), stream=False))
    assert info.value.status == 502 and info.value.retryable
    assert "<html>" not in info.value.one_line()
    assert "502 Bad Gateway" in info.value.debug["error_body"]


# -- retries through the runner -------------------------------------------------------------------


def test_429_then_success_through_the_runner(provider, openai_server):
    openai_server.fail_times("chat", 2, openai_server.rate_limited(retry_after_ms=50))
    r, sleeps = run(provider, chat_request("gpt-4o-mini"))
    resp = r.consume()
    assert resp.text == "Hello from the stub." and resp.attempts == 3
    assert sleeps == [0.05, 0.05]  # Retry-After honoured, not the backoff
    assert len(openai_server.requests_for("chat")) == 3


def test_500_is_retried_with_backoff(provider, openai_server):
    openai_server.fail_times("chat", 1, openai_server.server_error(500))
    r, sleeps = run(provider, chat_request("gpt-4o-mini"))
    assert r.consume().attempts == 2
    assert len(sleeps) == 1 and 0.3 <= sleeps[0] <= 0.5


def test_retry_after_above_the_ceiling_is_not_waited(provider, openai_server):
    openai_server.script("chat", openai_server.rate_limited(retry_after=300))
    r, sleeps = run(provider, chat_request("gpt-4o-mini"), max_wait=60)
    err = consume_error(r)
    assert isinstance(err, RateLimited) and err.retry_after == 300
    assert sleeps == [] and len(openai_server.requests) == 1
    assert "300" in err.one_line()


def test_in_stream_error_keeps_the_partial_text(provider, openai_server):
    openai_server.script("chat", openai_server.stream(error_after=2))
    r, sleeps = run(provider, chat_request("gpt-4o-mini"))
    err = consume_error(r)
    assert isinstance(err, ProviderError)
    assert r.text == "Hello from" and r.response.status == "interrupted"
    assert sleeps == [] and len(openai_server.requests) == 1  # nothing retried after text


def test_stream_cut_halfway(provider, openai_server):
    openai_server.script("chat", openai_server.stream(drop_after=2))
    r, _ = run(provider, chat_request("gpt-4o-mini"))
    err = consume_error(r)
    assert isinstance(err, ProviderError) and "closed the connection" in err.message
    assert r.text == "Hello from" and r.response.status == "interrupted"


def test_stream_that_ends_early_without_finish_reason(provider, openai_server):
    events = openai_server.stream_events(None, "gpt-4o-mini", False)[:2]  # role + first piece
    openai_server.script("chat", SSE(events))
    r, _ = run(provider, chat_request("gpt-4o-mini"))
    err = consume_error(r)
    assert isinstance(err, ProviderError) and "before the reply was complete" in err.message
    assert r.text == "Hello from" and r.response.status == "interrupted"


def test_server_that_never_answers_hits_the_read_timeout(openai_server):
    p = make(openai_server, read_timeout=0.4)
    openai_server.script("chat", Hang())
    t0 = time.monotonic()
    r, _ = run(p, chat_request("gpt-4o-mini"), retries=0)
    err = consume_error(r)
    assert isinstance(err, TimeoutError_) and "read timeout" in err.message
    assert time.monotonic() - t0 < 3


def test_stalled_stream_is_stopped_by_the_read_timeout(openai_server):
    p = make(openai_server, read_timeout=0.4)
    openai_server.script("chat", openai_server.stream(stall_after=2))
    r, _ = run(p, chat_request("gpt-4o-mini"))
    t0 = time.monotonic()
    err = consume_error(r)
    assert isinstance(err, TimeoutError_)
    assert r.text == "Hello from" and r.response.status == "interrupted"
    assert time.monotonic() - t0 < 3


def test_connection_refused_is_unreachable(closed_port, monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    p = OpenAIProvider(
        ProviderSettings(
            name="openai", api_key="sk-x", base_url=f"http://127.0.0.1:{closed_port}/v1"
        )
    )
    r, sleeps = run(p, chat_request("gpt-4o-mini"), retries=1)
    err = consume_error(r)
    assert isinstance(err, Unreachable) and err.exit_code == 8
    assert r.attempts == 2 and len(sleeps) == 1  # connection errors are retried


# -- proxies --------------------------------------------------------------------------------------


def test_http_proxy_is_honoured(openai_server, monkeypatch):
    # The stub plays the proxy: it receives the absolute URL of a host that does not exist.
    monkeypatch.setenv("HTTP_PROXY", openai_server.host_url)
    monkeypatch.setenv("NO_PROXY", "localhost")
    monkeypatch.delenv("OPENAI_BASE_URL")
    p = make(openai_server, base_url="http://llmcli-proxy-test.invalid/v1")
    list(p.chat(chat_request("gpt-4o-mini")))
    got = openai_server.last
    assert got.proxied and got.target.startswith(
        "http://llmcli-proxy-test.invalid/v1/chat/completions"
    )


def test_no_proxy_bypasses_the_proxy(openai_server, monkeypatch, closed_port):
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    p = make(openai_server)
    assert list(p.chat(chat_request("gpt-4o-mini")))
    assert not openai_server.last.proxied
