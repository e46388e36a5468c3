"""Resolving what the user typed, and plugins registered through entry points."""

from importlib.metadata import EntryPoint

import pytest

from llmcli.config import KeyStore, Paths, Settings
from llmcli.core import registry
from llmcli.core.errors import MissingKey, ProviderError, UnknownModel
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


class Config:
    """Settings as the registry sees them, without a config file."""

    def __init__(self, raw: dict | None = None, default: str = "local"):
        self.raw = raw or {}
        self.default_model = default
        self.aliases = dict(self.raw.get("aliases", {}))
        self.endpoints = {k: dict(v) for k, v in self.raw.get("endpoints", {}).items()}
        self.network = dict(self.raw.get("network", {}))

    def provider_config(self, name: str) -> dict:
        return dict(self.raw.get("providers", {}).get(name, {}))


def make(environ=None, keys=None, raw=None, explicit=None) -> registry.Registry:
    return registry.Registry(Config(raw), dict(keys or {}), explicit, environ=environ)


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


# -- keys, settings and environment come in; the registry reads nothing itself -----------------
def test_keys_come_from_the_given_environment_then_the_keys_source():
    ref = registry.ModelRef("openai", "gpt-4o-mini", "openai")
    from_env = make({"OPENAI_API_KEY": "sk-from-env-0001"}, keys={"openai": "sk-stored-0002"})
    assert from_env.settings_for(ref).api_key == "sk-from-env-0001"
    assert make({}, keys={"openai": "sk-stored-0002"}).settings_for(ref).api_key == "sk-stored-0002"
    flag = make({"OPENAI_API_KEY": "sk-from-env-0001"}, explicit="sk-flag-0003")
    assert flag.settings_for(ref).api_key == "sk-flag-0003"
    with pytest.raises(MissingKey) as err:
        make({}).settings_for(ref)
    assert "OPENAI_API_KEY" in err.value.one_line() and "llmcli keys set openai" in err.value.hint


def test_the_process_environment_is_not_read(monkeypatch):
    # The one place a test sets a real variable: to show the registry does not look at it.
    monkeypatch.setenv("GROQ_API_KEY", "gsk_in_os_environ_only")
    with pytest.raises(MissingKey):
        make().settings_for(registry.ModelRef("groq", "llama-3.1-8b-instant", "groq"))


def test_base_url_variable_beats_the_config_and_endpoint_keys_use_their_variable():
    raw = {"providers": {"openai": {"base_url": "http://config.invalid/v1"}},
           "endpoints": {"casa": {"base_url": "http://127.0.0.1:9/v1", "api_key_env": "CASA_KEY",
                                  "default_model": "qwen"}}}
    reg = make({"OPENAI_BASE_URL": "http://env.invalid/v1", "OPENAI_API_KEY": "sk-x-0004",
                "CASA_KEY": "casa-secret-0005"}, raw=raw)
    assert reg.settings_for(reg.resolve("openai")).base_url == "http://env.invalid/v1"
    no_env = make({"OPENAI_API_KEY": "sk-x-0004"}, raw=raw)
    assert no_env.settings_for(no_env.resolve("openai")).base_url == "http://config.invalid/v1"
    casa = reg.settings_for(reg.resolve("casa"))
    assert (casa.api_key, casa.base_url) == ("casa-secret-0005", "http://127.0.0.1:9/v1")
    assert make({}, keys={"casa": "stored-0006"}, raw=raw).settings_for(
        registry.ModelRef("casa", "qwen", "openai")).api_key == "stored-0006"


def test_default_model_variable_comes_through_settings(home):
    paths = Paths.from_env()
    reg = registry.Registry(Settings.load(paths, {"LLMCLI_DEFAULT_MODEL": "groq"}),
                            KeyStore(paths.keys_file))
    assert str(reg.resolve(None)) == "groq:openai/gpt-oss-20b"
    assert str(registry.Registry(Settings.load(paths), KeyStore(paths.keys_file))
               .resolve(None)).startswith("local:")
