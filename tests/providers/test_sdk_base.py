"""The shared part of the SDK adapters: warm-up, error mapping, the catalog fallback."""

import pytest

from llmcli.core.errors import MissingKey, Unreachable
from llmcli.core.provider import ProviderSettings
from llmcli.providers.gemini import GeminiProvider
from llmcli.providers.groq import GroqProvider
from llmcli.providers.openai_compat import OpenAIProvider


@pytest.mark.parametrize("cls", [OpenAIProvider, GroqProvider, GeminiProvider])
def test_warm_up_builds_the_client_once(cls):
    provider = cls(ProviderSettings(name=cls.name, api_key="test-key-0123456789"))
    assert provider._client is None
    provider.warm_up(cls.default_model)
    client = provider._client
    assert client is not None
    provider.warm_up(cls.default_model)
    assert provider._client is client
    provider.close()


def test_warm_up_without_a_key_says_which_variable():
    with pytest.raises(MissingKey) as err:
        OpenAIProvider(ProviderSettings(name="openai")).warm_up("gpt-4o-mini")
    assert "OPENAI_API_KEY" in err.value.one_line()


@pytest.mark.parametrize("cls", [OpenAIProvider, GeminiProvider])
def test_listing_falls_back_to_the_catalog_and_keeps_why(cls, closed_port, monkeypatch):
    monkeypatch.setenv(
        cls.base_url_env,
        f"http://127.0.0.1:{closed_port}" + ("/v1" if cls is OpenAIProvider else ""),
    )
    provider = cls(
        ProviderSettings(
            name=cls.name, api_key="test-key-0123456789", connect_timeout=1, read_timeout=1
        )
    )
    models = provider.list_models()
    assert [m.id for m in models] == [m.id for m in provider.known_models()] and models
    assert isinstance(provider.list_models_error, Unreachable)
    assert provider._model_names() == [m.id for m in provider.known_models()]
