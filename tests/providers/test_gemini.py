"""The gemini adapter against the Gemini loopback stub, through the real `google-genai` SDK."""

from __future__ import annotations

import gc
import logging
import os
import time

import pytest

from llmcli.config import KeyStore
from llmcli.core.errors import (
    AuthError,
    ContentBlocked,
    ContextTooLong,
    MissingKey,
    ProviderError,
    RateLimited,
    TimeoutError_,
    UnknownModel,
    Unreachable,
)
from llmcli.core.provider import ProviderSettings
from llmcli.core.registry import resolve_key
from llmcli.providers.gemini import GeminiProvider
from tests.providers.helpers import HISTORY, chat_request, consume_error, run
from tests.stubs.base import SSE, Hang

MODEL = "gemini-3.5-flash-lite"


def make(stub, **kw) -> GeminiProvider:
    settings = {
        "name": "gemini",
        "api_key": stub.expected_key,
        "base_url": stub.url,
        "connect_timeout": 2.0,
        "read_timeout": 5.0,
        **kw,
    }
    return GeminiProvider(ProviderSettings(**settings))


@pytest.fixture
def provider(gemini_server):
    p = make(gemini_server)
    yield p
    p.close()


# -- chat ---------------------------------------------------------------------------------------


def test_non_streaming_chat_maps_history_system_and_options(provider, gemini_server):
    req = chat_request(
        MODEL, HISTORY, temperature=0.2, top_p=0.8, top_k=40, max_tokens=50, seed=11, stop=["###"]
    )
    r, _ = run(provider, req, stream=False)
    resp = r.consume()
    assert resp.text == "Hello from the stub." and resp.finish_reason == "stop"
    assert (resp.usage.input_tokens, resp.usage.output_tokens) == (8, 2)
    got = gemini_server.last
    assert (got.method, got.path) == ("POST", f"/v1/models/{MODEL}:generateContent")
    assert got.body["contents"] == [
        {"role": "user", "parts": [{"text": "first question"}]},
        {"role": "model", "parts": [{"text": "first answer"}]},
        {"role": "user", "parts": [{"text": "second question"}]},
    ]
    assert got.body["systemInstruction"]["parts"] == [{"text": "be brief"}]
    assert got.body["generationConfig"] == {
        "temperature": 0.2,
        "topP": 0.8,
        "topK": 40,
        "maxOutputTokens": 50,
        "seed": 11,
        "stopSequences": ["###"],
    }


def test_streaming_takes_usage_from_the_last_chunk_and_hides_thoughts(provider, gemini_server):
    gemini_server.thought = "let me think"
    gemini_server.thoughts_tokens = 5
    r, _ = run(provider, chat_request(MODEL))
    assert list(r) == ["Hello from", " the stub."]
    resp = r.response
    assert resp.usage.input_tokens == 2
    assert resp.usage.output_tokens == 2 + 5  # thinking tokens are billed as output
    assert gemini_server.last.path == f"/v1/models/{MODEL}:streamGenerateContent?alt=sse"


def test_key_only_in_the_goog_header(provider, gemini_server):
    list(provider.chat(chat_request(MODEL)))
    got = gemini_server.last
    key = gemini_server.expected_key
    assert got.headers["x-goog-api-key"] == key
    assert "key=" not in got.path and key not in got.path and key not in got.raw_body.decode()
    assert "authorization" not in got.headers
    assert "x-server-timeout" not in got.headers  # a server deadline would cut long streams


def test_client_stays_alive_between_calls(provider, gemini_server):
    list(provider.chat(chat_request(MODEL)))
    gc.collect()
    list(provider.chat(chat_request(MODEL), stream=False))
    assert provider.count_tokens("a b c", MODEL) == 3
    assert len(gemini_server.requests) == 3


def test_api_version_from_settings(gemini_server):
    p = make(gemini_server, extra={"api_version": "v1beta"})
    list(p.chat(chat_request(MODEL)))
    assert gemini_server.last.path.startswith(f"/v1beta/models/{MODEL}:")


def test_vertex_switch_in_the_environment_is_ignored(gemini_server, monkeypatch):
    monkeypatch.setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "some-project")
    p = make(gemini_server)
    assert list(p.chat(chat_request(MODEL)))
    assert gemini_server.last.path.startswith("/v1/models/")


def test_base_url_env_beats_config(gemini_server, closed_port):
    p = make(gemini_server, base_url=f"http://127.0.0.1:{closed_port}")
    assert p.base_url == gemini_server.url
    assert list(p.chat(chat_request(MODEL)))


def test_google_api_key_wins_like_in_the_sdk(tmp_path, monkeypatch, gemini_server, caplog):
    # Both set in the real environment: the SDK reads it too, and must not warn about them.
    monkeypatch.setenv("GOOGLE_API_KEY", gemini_server.expected_key)
    monkeypatch.setenv("GEMINI_API_KEY", "AIzaTheOtherKeyWhichIsWrong000000000")
    key = resolve_key("gemini", GeminiProvider.key_env, KeyStore(tmp_path / "keys.json"),
                      os.environ)
    assert key == gemini_server.expected_key
    with caplog.at_level(logging.WARNING):
        p = make(gemini_server, api_key=key)
        list(p.chat(chat_request(MODEL)))
    assert "Both GOOGLE_API_KEY" not in caplog.text  # llmcli chose; no SDK warning on stderr
    assert gemini_server.last.headers["x-goog-api-key"] == gemini_server.expected_key


def test_missing_key():
    p = GeminiProvider(ProviderSettings(name="gemini"))
    with pytest.raises(MissingKey) as info:
        list(p.chat(chat_request(MODEL)))
    assert "GEMINI_API_KEY" in info.value.one_line()


# -- models, embeddings, tokens -------------------------------------------------------------------


def test_live_models_follow_pages_and_filter(provider, gemini_server):
    models = {m.id: m for m in provider.list_models()}
    paths = [r.path for r in gemini_server.requests_for("models")]
    assert paths[0].startswith("/v1/models?") and "pageSize=100" in paths[0]
    assert any("pageToken=3" in p for p in paths)  # the second page was fetched
    assert set(models) == {
        "gemini-3.5-flash-lite",
        "gemini-2.5-flash-lite",
        "gemini-3.8-flash",
        "gemini-embedding-001",
    }  # imagen (predict only) dropped
    flash = models["gemini-3.5-flash-lite"]
    assert flash.live and flash.context_window == 1048576 and flash.price_in == 0.30
    assert set(flash.capabilities) == {"chat", "stream", "count_tokens"}
    assert models["gemini-embedding-001"].capabilities == ["embed"]


def test_models_offline_fall_back_quickly(closed_port, monkeypatch):
    monkeypatch.delenv("GOOGLE_GEMINI_BASE_URL", raising=False)
    p = GeminiProvider(
        ProviderSettings(
            name="gemini",
            api_key="AIzaX0000000000000000000",
            base_url=f"http://127.0.0.1:{closed_port}",
        )
    )
    t0 = time.monotonic()
    models = p.list_models()
    assert time.monotonic() - t0 < 5
    assert {"gemini-3.5-flash-lite", "gemini-3.8-flash"} <= {m.id for m in models}
    assert isinstance(p.list_models_error, Unreachable)


def test_embeddings_use_batch_embed_contents(provider, gemini_server):
    vectors = provider.embed(["a", "b"], "gemini-embedding-001")
    assert vectors == [[0.5, -1.0, 1.5], [1.0, -2.0, 3.0]]
    got = gemini_server.last
    assert got.path == "/v1/models/gemini-embedding-001:batchEmbedContents"
    assert [r["content"]["parts"][0]["text"] for r in got.body["requests"]] == ["a", "b"]
    assert got.body["requests"][0]["model"] == "models/gemini-embedding-001"


def test_count_tokens(provider, gemini_server):
    gemini_server.total_tokens_reply = 42
    assert provider.count_tokens("some text", MODEL) == 42
    got = gemini_server.last
    assert got.path == f"/v1/models/{MODEL}:countTokens"
    assert got.body["contents"][0]["parts"] == [{"text": "some text"}]


# -- errors ---------------------------------------------------------------------------------------


def test_bad_key_is_400_api_key_invalid(gemini_server):
    p = make(gemini_server, api_key="AIzaWrongKey00000000000000000000000")
    err = consume_error(run(p, chat_request(MODEL))[0])
    assert isinstance(err, AuthError) and "GEMINI_API_KEY" in err.one_line()
    assert err.debug["error_reason"] == "API_KEY_INVALID" and err.debug["status"] == "400"


def test_key_echoed_by_the_server_is_redacted(provider, gemini_server):
    key = gemini_server.expected_key
    gemini_server.script(
        "chat", gemini_server.error(400, "INVALID_ARGUMENT", f"bad request for {key}")
    )
    err = consume_error(run(provider, chat_request(MODEL))[0])
    assert key not in err.one_line() and key not in repr(err.debug)


def test_permission_denied_is_auth(provider, gemini_server):
    gemini_server.script("chat", gemini_server.error(403, "PERMISSION_DENIED", "no access"))
    assert isinstance(consume_error(run(provider, chat_request(MODEL))[0]), AuthError)


def test_unknown_model_suggests_from_the_live_list(provider, gemini_server):
    err = consume_error(run(provider, chat_request("gemini-2.5-flsh"))[0])
    assert isinstance(err, UnknownModel)
    assert "gemini-3.5-flash-lite" in err.one_line()


def test_rate_limit_reads_retry_info(provider, gemini_server):
    gemini_server.script("chat", gemini_server.rate_limited(retry_delay="23s"))
    with pytest.raises(RateLimited) as info:
        list(provider.chat(chat_request(MODEL)))
    assert info.value.retry_after == 23.0
    assert "RESOURCE_EXHAUSTED" in info.value.one_line()


def test_rate_limit_header_when_no_retry_info(provider, gemini_server):
    gemini_server.script("chat", gemini_server.rate_limited(retry_delay=None, retry_after=4))
    with pytest.raises(RateLimited) as info:
        list(provider.chat(chat_request(MODEL)))
    assert info.value.retry_after == 4.0


def test_429_then_success_waits_the_retry_delay(provider, gemini_server):
    gemini_server.script("chat", gemini_server.rate_limited(retry_delay="0.05s"))
    r, sleeps = run(provider, chat_request(MODEL))
    assert r.consume().text == "Hello from the stub."
    assert sleeps == [0.05] and r.attempts == 2
    assert len(gemini_server.requests_for("chat")) == 2


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retryable(provider, gemini_server, status):
    gemini_server.script("chat", gemini_server.server_error(status))
    with pytest.raises(ProviderError) as info:
        list(provider.chat(chat_request(MODEL)))
    assert info.value.status == status and info.value.retryable


def test_non_json_502(provider, gemini_server):
    gemini_server.script("chat", gemini_server.bad_gateway())
    with pytest.raises(ProviderError) as info:
        list(provider.chat(chat_request(MODEL), stream=False))
    assert info.value.status == 502 and info.value.retryable


def test_context_too_long(provider, gemini_server):
    gemini_server.script("chat", gemini_server.context_too_long())
    assert isinstance(consume_error(run(provider, chat_request(MODEL))[0]), ContextTooLong)


def test_in_stream_error_keeps_partial_text(provider, gemini_server):
    gemini_server.chunks = ["one ", "two ", "three"]
    gemini_server.script("chat", gemini_server.stream(error_after=1))
    r, sleeps = run(provider, chat_request(MODEL))
    err = consume_error(r)
    assert isinstance(err, ProviderError) and err.status == 503
    assert r.text == "one " and r.response.status == "interrupted" and sleeps == []


def test_safety_finish_reason_blocks_after_partial_text(provider, gemini_server):
    gemini_server.finish_reason = "SAFETY"
    r, _ = run(provider, chat_request(MODEL))
    err = consume_error(r)
    assert isinstance(err, ContentBlocked) and "SAFETY" in err.message
    assert r.text == "Hello from the stub." and r.response.finish_reason == "content_filter"


@pytest.mark.parametrize("stream", [False, True])
def test_blocked_prompt(provider, gemini_server, stream):
    gemini_server.script("chat", gemini_server.blocked_prompt())
    r, sleeps = run(provider, chat_request(MODEL), stream=stream)
    err = consume_error(r)
    assert isinstance(err, ContentBlocked) and err.exit_code == 11
    assert "blocked the prompt (SAFETY)" in err.message and sleeps == []


def test_max_tokens_finish_is_length(provider, gemini_server):
    gemini_server.finish_reason = "MAX_TOKENS"
    r, _ = run(provider, chat_request(MODEL))
    assert r.consume().finish_reason == "length"


def test_stream_cut_halfway(provider, gemini_server):
    gemini_server.chunks = ["one ", "two ", "three"]
    gemini_server.script("chat", gemini_server.stream(drop_after=1))
    r, _ = run(provider, chat_request(MODEL))
    assert isinstance(consume_error(r), ProviderError)
    assert r.text == "one " and r.response.status == "interrupted"


def test_stream_ending_without_finish_reason(provider, gemini_server):
    gemini_server.chunks = ["one ", "two "]
    events = gemini_server.stream_events(None, MODEL)[:1]
    gemini_server.script("chat", SSE(events))
    r, _ = run(provider, chat_request(MODEL))
    err = consume_error(r)
    assert isinstance(err, ProviderError) and "no finish reason" in err.message
    assert r.text == "one "


def test_never_answering_server_hits_the_read_timeout(gemini_server):
    p = make(gemini_server, read_timeout=0.4)
    gemini_server.script("chat", Hang())
    t0 = time.monotonic()
    err = consume_error(run(p, chat_request(MODEL), retries=0)[0])
    assert isinstance(err, TimeoutError_) and "read timeout" in err.message
    assert time.monotonic() - t0 < 3


def test_stalled_stream_is_stopped(gemini_server):
    p = make(gemini_server, read_timeout=0.4)
    gemini_server.chunks = ["one ", "two "]
    gemini_server.script("chat", gemini_server.stream(stall_after=1))
    t0 = time.monotonic()
    r, _ = run(p, chat_request(MODEL))
    assert isinstance(consume_error(r), TimeoutError_)
    assert r.text == "one " and r.response.status == "interrupted"
    assert time.monotonic() - t0 < 3


def test_connection_refused(closed_port, monkeypatch):
    monkeypatch.delenv("GOOGLE_GEMINI_BASE_URL", raising=False)
    p = GeminiProvider(
        ProviderSettings(
            name="gemini",
            api_key="AIzaX0000000000000000000",
            base_url=f"http://127.0.0.1:{closed_port}",
        )
    )
    r, _ = run(p, chat_request(MODEL), retries=1)
    assert isinstance(consume_error(r), Unreachable)
    assert r.attempts == 2


def test_http_proxy_is_honoured(gemini_server, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", gemini_server.host_url)
    monkeypatch.setenv("NO_PROXY", "localhost")
    monkeypatch.delenv("GOOGLE_GEMINI_BASE_URL")
    p = make(gemini_server, base_url="http://llmcli-proxy-test.invalid")
    list(p.chat(chat_request(MODEL)))
    assert gemini_server.last.proxied
    assert gemini_server.last.target.startswith("http://llmcli-proxy-test.invalid/v1/models/")
