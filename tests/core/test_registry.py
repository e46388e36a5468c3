"""Resolving what the user typed, and plugins registered through entry points."""

from importlib.metadata import EntryPoint

import pytest

from llmcli.config import KeyStore, Paths, Settings
from llmcli.core import registry
from llmcli.core.errors import ProviderError, UnknownModel
from llmcli.core.provider import Capability, Provider


class PluginProvider(Provider):
    name = "plugin"
    default_model = "tiny"
    needs_key = False
    capabilities = frozenset({Capability.CHAT, Capability.EMBED})


@pytest.fixture
def reg(home):
    paths = Paths.from_env()
    return registry.Registry(Settings.load(paths), KeyStore(paths.keys_file))


@pytest.fixture
def with_plugins(monkeypatch):
    eps = dict(registry._entry_points())
    eps["plugin"] = EntryPoint("plugin", f"{__name__}:PluginProvider", registry.GROUP)
    eps["broken"] = EntryPoint("broken", "no_such_module_xyz:Nope", registry.GROUP)
    monkeypatch.setattr(registry, "_entry_points", lambda: eps)
    registry.provider_class.cache_clear()
    yield
    registry.provider_class.cache_clear()


def test_builtins_are_registered_through_entry_points():
    assert {"openai", "groq", "gemini", "local"} <= set(registry.provider_names())


def test_resolve_forms(reg):
    assert str(reg.resolve("openai:gpt-4o")) == "openai:gpt-4o"
    assert str(reg.resolve("openai")) == "openai:gpt-6-luna"
    assert str(reg.resolve("gpt")) == "openai:gpt-6-luna"  # alias of the provider: its default
    assert str(reg.resolve("gemini")) == "gemini:gemini-3.5-flash-lite"
    with pytest.raises(UnknownModel):
        reg.resolve("nosuch:model")


def test_third_party_plugin_resolves_and_declares_capabilities(reg, with_plugins):
    ref = reg.resolve("plugin")
    assert (ref.provider, ref.model) == ("plugin", "tiny")
    assert isinstance(reg.provider(ref), PluginProvider)
    assert "plugin" in registry.providers_with(Capability.EMBED)


def test_broken_plugin_is_a_clear_error(with_plugins):
    with pytest.raises(ProviderError) as err:
        registry.provider_class("broken")
    assert (
        "could not be loaded" in err.value.one_line()
        and "no_such_module_xyz" in err.value.one_line()
    )


def test_unsupported_capability_names_providers_that_have_it(with_plugins):
    err = PluginProvider(registry.ProviderSettings(name="plugin")).unsupported(
        Capability.COUNT_TOKENS
    )
    assert err.exit_code == 13
    assert "no count tokens support" in err.one_line() and "gemini" in err.one_line()
    assert "plugin" not in err.one_line().split("have it:")[1]
