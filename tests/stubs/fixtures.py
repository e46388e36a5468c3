"""pytest fixtures that start a provider stub and point the SDK environment variables at it.

Each fixture yields a started stub (`.url`, `.expected_key`, `.requests`, `.script(...)`) and
sets the variables the SDKs and llmcli read, so a CLI test needs nothing else:

    openai_server: OPENAI_BASE_URL=<stub>/v1, OPENAI_API_KEY=<stub key>
    groq_server:   GROQ_BASE_URL=<stub>,      GROQ_API_KEY=<stub key>
    gemini_server: GOOGLE_GEMINI_BASE_URL=<stub>, GEMINI_API_KEY=<stub key>
                   (GOOGLE_API_KEY and the Vertex switches are removed)

Loopback traffic must bypass any proxy, so NO_PROXY covers 127.0.0.1 too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.stubs.gemini_stub import GeminiStub
from tests.stubs.groq_stub import GroqStub
from tests.stubs.openai_stub import OpenAIStub
from tests.stubs.web_stub import WebStub

_GOOGLE_SWITCHES = (
    "GOOGLE_API_KEY",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_GENAI_USE_ENTERPRISE",
    "GOOGLE_GENAI_API_VERSION",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
    "GOOGLE_GENAI_HTTP_CLIENT",
)


def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    current = os.environ.get("NO_PROXY", "")
    if "127.0.0.1" not in current:
        monkeypatch.setenv(
            "NO_PROXY", ",".join(p for p in (current, "127.0.0.1", "localhost") if p)
        )


@pytest.fixture
def openai_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIStub]:
    with OpenAIStub() as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", stub.url)
        monkeypatch.setenv("OPENAI_API_KEY", stub.expected_key or "")
        _no_proxy(monkeypatch)
        yield stub


@pytest.fixture
def groq_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[GroqStub]:
    with GroqStub() as stub:
        monkeypatch.setenv("GROQ_BASE_URL", stub.url)
        monkeypatch.setenv("GROQ_API_KEY", stub.expected_key or "")
        _no_proxy(monkeypatch)
        yield stub


@pytest.fixture
def gemini_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[GeminiStub]:
    with GeminiStub() as stub:
        for name in _GOOGLE_SWITCHES:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", stub.url)
        monkeypatch.setenv("GEMINI_API_KEY", stub.expected_key or "")
        _no_proxy(monkeypatch)
        yield stub


@pytest.fixture
def closed_port() -> int:
    """A loopback port with nothing listening (connections are refused)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def web_server() -> Iterator[WebStub]:
    """A loopback web server for -f URL (tests/stubs/web_stub.py)."""
    with WebStub() as stub:
        yield stub
