"""HTTPS_PROXY / NO_PROXY reach every SDK's HTTP client (trust_env is kept on)."""

from __future__ import annotations

import pytest

from llmcli.core.errors import Unreachable
from llmcli.core.provider import ProviderSettings
from llmcli.providers.gemini import GeminiProvider
from llmcli.providers.groq import GroqProvider
from llmcli.providers.openai_compat import OpenAIProvider
from tests.providers.helpers import chat_request, consume_error, run

CASES = [
    (OpenAIProvider, "openai_server", "https://llmcli-proxy-test.invalid/v1", "gpt-4o-mini"),
    (GroqProvider, "groq_server", "https://llmcli-proxy-test.invalid", "openai/gpt-oss-20b"),
    (GeminiProvider, "gemini_server", "https://llmcli-proxy-test.invalid", "gemini-3.5-flash-lite"),
]


@pytest.mark.parametrize(("cls", "fixture", "base_url", "model"), CASES)
def test_https_goes_through_https_proxy(request, monkeypatch, cls, fixture, base_url, model):
    # The stub plays a proxy that refuses the tunnel: the SDK must have asked it for one.
    stub = request.getfixturevalue(fixture)
    for name in ("OPENAI_BASE_URL", "GROQ_BASE_URL", "GOOGLE_GEMINI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", stub.host_url)
    monkeypatch.setenv("NO_PROXY", "localhost")
    p = cls(ProviderSettings(name=cls.name, api_key=stub.expected_key, base_url=base_url))
    err = consume_error(run(p, chat_request(model), retries=0)[0])
    assert isinstance(err, Unreachable) and "PROXY" in err.one_line()
    connect = stub.last
    assert connect.method == "CONNECT" and connect.path == "llmcli-proxy-test.invalid:443"
    # Only the tunnel request reached the proxy: no key in clear text.
    assert stub.expected_key not in str(connect.headers) + connect.raw_body.decode()


@pytest.mark.parametrize(("cls", "fixture", "base_url", "model"), CASES)
def test_no_proxy_goes_direct(request, monkeypatch, closed_port, cls, fixture, base_url, model):
    stub = request.getfixturevalue(fixture)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{closed_port}")
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    p = cls(ProviderSettings(name=cls.name, api_key=stub.expected_key, base_url=stub.url))
    assert run(p, chat_request(model))[0].consume().text == "Hello from the stub."
    assert not stub.last.proxied
