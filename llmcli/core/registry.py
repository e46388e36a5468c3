"""Resolve `provider:model` and aliases to an adapter instance.

Built-in and third-party adapters register the same way, through the entry-point group
`llmcli.providers`; an entry point names a `Provider` subclass. Loading one imports only the
adapter module, never its SDK.

The registry does no I/O of its own: the settings, the stored keys and the process
environment come in through its constructor (from the Environment and the config), so a
test or an embedding program hands it exactly what it should see.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from typing import Any, Protocol

from llmcli.core.errors import (
    InvalidInput,
    MissingKey,
    ProviderError,
    UnknownModel,
    register_secret,
)
from llmcli.core.provider import Capability, Provider, ProviderSettings

GROUP = "llmcli.providers"

# Short names a user can type instead of provider:model. Most name a provider, so they follow
# its default model (which the catalog and the cached live list keep current).
BUILTIN_ALIASES: dict[str, str] = {
    "flash": "gemini",
    "gpt": "openai",
    "4o-mini": "openai:gpt-4o-mini",
}


@cache
def _entry_points() -> dict[str, object]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def provider_names() -> list[str]:
    return sorted(_entry_points())


@cache
def provider_class(name: str) -> type[Provider]:
    ep = _entry_points().get(name)
    if ep is None:
        raise UnknownModel(
            f"unknown provider '{name}'", hint=f"known providers: {', '.join(provider_names())}"
        )
    try:
        cls = ep.load()  # type: ignore[attr-defined]
    except Exception as exc:  # a broken plugin is the plugin's fault: say which, don't crash
        raise ProviderError(
            f"provider '{name}' could not be loaded ({type(exc).__name__}: {exc})",
            hint=f"reinstall the package that provides it ({ep.value})",  # type: ignore[attr-defined]
        ) from None
    if not (isinstance(cls, type) and issubclass(cls, Provider)):
        raise UnknownModel(f"entry point '{name}' does not name a Provider class")
    return cls


def providers_with(capability: Capability) -> list[str]:
    """Names of the installed providers that declare a capability."""
    out = []
    for name in provider_names():
        try:
            if capability in provider_class(name).capabilities:
                out.append(name)
        except Exception:  # a broken third-party plugin must not break an error message
            continue
    return out


def providers_taking(option: str) -> list[str]:
    """Names of the installed providers whose own API takes an option (e.g. top_k)."""
    out = []
    for name in provider_names():
        try:
            cls = provider_class(name)
        except Exception:  # a broken third-party plugin must not break an error message
            continue
        if option in cls.options_model.model_fields and option not in cls.refused_options:
            out.append(name)
    return out


def option_refused(provider: str, option: str) -> InvalidInput:
    """The one-line error for an option this provider does not take."""
    takers = providers_taking(option)
    if "openai" not in takers and option in provider_class("openai").options_model.model_fields:
        takers.append("OpenAI-compatible endpoints")  # refused by api.openai.com only
    return InvalidInput(f"{provider} does not take the option '{option}'",
                        hint=f"providers that take it: {', '.join(takers)}" if takers else None)


# How long a provider may stay silent (each wait for bytes) before the exchange gives up; with
# one retry of a read timeout (core.runner.RetryPolicy) a silent server is given up after about
# twice this. --timeout and LLMCLI_TIMEOUT set it for one run, [network] read_timeout for good.
DEFAULT_READ_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 10.0
TIMEOUT_ENV = "LLMCLI_TIMEOUT"
MAX_TIMEOUT = 3600.0


def parse_timeout(text: str | float, where: str = "--timeout") -> float:
    """A timeout in seconds: a positive number up to an hour; anything else is InvalidInput."""
    import math

    try:
        value = float(text)
    except (TypeError, ValueError):
        value = math.nan
    if not (0 < value <= MAX_TIMEOUT):
        raise InvalidInput(f"{where} must be a number of seconds between 0 and {MAX_TIMEOUT:g}, "
                           f"not {text!r}", hint="e.g. --timeout 20")
    return value


class RegistrySettings(Protocol):
    """What the registry reads from the configuration (llmcli.config.Settings has it)."""

    @property
    def default_model(self) -> str: ...
    @property
    def aliases(self) -> dict[str, str]: ...
    @property
    def endpoints(self) -> dict[str, dict[str, Any]]: ...
    @property
    def network(self) -> dict[str, Any]: ...
    def provider_config(self, name: str) -> dict[str, Any]: ...


class KeySource(Protocol):
    """Stored API keys by provider name (llmcli.config.KeyStore reads them from the keys file)."""

    def get(self, name: str) -> str | None: ...


def resolve_key(
    provider: str,
    env_vars: tuple[str, ...],
    keys: KeySource,
    environ: Mapping[str, str],
    explicit: str | None = None,
    required: bool = True,
) -> str | None:
    """Find a key: `--key`, then the provider's environment variables, then the keys file."""
    key = explicit or next((environ[v] for v in env_vars if environ.get(v)), None) \
        or keys.get(provider)
    if key:
        register_secret(key)
        return key
    if not required:
        return None
    where = " or ".join(env_vars) if env_vars else "an environment variable"
    raise MissingKey(
        f"no API key for provider '{provider}'",
        hint=f"set {where}, or run 'llmcli keys set {provider}'",
    )


@dataclass(frozen=True)
class ModelRef:
    """A resolved model: which adapter (by name), which model id, and which adapter class."""

    provider: str
    model: str
    adapter: str

    def __str__(self) -> str:
        return f"{self.provider}:{self.model}"


class Registry:
    """Turns what the user typed into provider instances, with config and keys applied."""

    def __init__(
        self,
        settings: RegistrySettings,
        keys: KeySource,
        explicit_key: str | None = None,
        hooks: dict[str, dict] | None = None,
        environ: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ):
        """`timeout` is the command's --timeout (beats LLMCLI_TIMEOUT, then the config)."""
        self.settings = settings
        self.timeout = timeout
        self.keys = keys
        self.explicit_key = explicit_key
        # Key and base-URL variables are looked up here, never in os.environ: none given,
        # none seen.
        self.environ: Mapping[str, str] = environ if environ is not None else {}
        # Per-adapter callables from the face (e.g. the local model's conversion progress bar),
        # handed to adapters through ProviderSettings.extra; those under "*" go to every adapter.
        self.hooks = hooks or {}
        self._instances: dict[str, Provider] = {}

    def aliases(self) -> dict[str, str]:
        return {**BUILTIN_ALIASES, **self.settings.aliases}

    def resolve(self, spec: str | None) -> ModelRef:
        """`provider:model`, `provider`, an alias, or a named endpoint; None means the default."""
        spec = (spec or self.settings.default_model).strip()
        if not spec:
            raise UnknownModel("empty model name", hint="use -m provider:model")
        seen: set[str] = set()
        aliases = self.aliases()
        while spec in aliases and spec not in seen:
            seen.add(spec)
            spec = aliases[spec]
        name, sep, model = spec.partition(":")
        endpoints = self.settings.endpoints
        if name in endpoints:
            adapter = endpoints[name].get("type", "openai")
            model = model or endpoints[name].get("default_model", "")
            if not model:
                raise UnknownModel(
                    f"endpoint '{name}' needs a model name", hint=f"use -m {name}:MODEL"
                )
            return ModelRef(name, model, adapter)
        if name in _entry_points():
            cls = provider_class(name)
            model = model or cls.choose_default(self.hooks.get("*", {}))
            if not model:
                raise UnknownModel(
                    f"provider '{name}' needs a model name", hint=f"use -m {name}:MODEL"
                )
            return ModelRef(name, model, name)
        raise UnknownModel(
            f"unknown model or provider '{spec}'", hint=self._suggest(spec if not sep else name)
        )

    def _suggest(self, word: str) -> str:
        names = provider_names() + list(self.aliases()) + list(self.settings.endpoints)
        close = difflib.get_close_matches(word, names, n=3, cutoff=0.5)
        if close:
            return f"did you mean {', '.join(close)}? See 'llmcli models'"
        return "see 'llmcli models' for providers and models"

    def settings_for(self, ref: ModelRef) -> ProviderSettings:
        cls = provider_class(ref.adapter)
        cfg = self.settings.provider_config(ref.provider)
        endpoint = self.settings.endpoints.get(ref.provider)
        net = self.settings.network
        base_url = None
        key = None
        if endpoint is not None:
            cfg = {**cfg, **endpoint}
            base_url = endpoint.get("base_url")
            key = self.explicit_key or self._endpoint_key(ref.provider, endpoint)
        else:
            # The SDK's own variable (OPENAI_BASE_URL...) beats the config file.
            env_url = self.environ.get(cls.base_url_env) if cls.base_url_env else None
            base_url = env_url or cfg.get("base_url")
            key = resolve_key(
                ref.provider,
                cls.key_env,
                self.keys,
                self.environ,
                explicit=self.explicit_key,
                required=cls.needs_key,
            )
        read, connect = self._timeouts(cfg, net)
        return ProviderSettings(
            name=ref.provider,
            api_key=key,
            base_url=base_url,
            connect_timeout=connect,
            read_timeout=read,
            extra={
                **{k: v for k, v in cfg.items() if k not in {"base_url", "api_key", "type"}},
                **self.hooks.get("*", {}),
                **self.hooks.get(ref.adapter, {}),
            },
        )

    def _timeouts(self, cfg: Mapping[str, Any], net: Mapping[str, Any]) -> tuple[float, float]:
        """(read, connect): --timeout, else LLMCLI_TIMEOUT, else the config, else 30 s / 10 s.
        A timeout given for this run also caps the connect timeout."""
        given = self.timeout
        if given is None and self.environ.get(TIMEOUT_ENV, "").strip():
            given = parse_timeout(self.environ[TIMEOUT_ENV], TIMEOUT_ENV)
        connect = float(cfg.get("connect_timeout", net.get("connect_timeout",
                                                           DEFAULT_CONNECT_TIMEOUT)))
        if given is not None:
            return given, min(connect, given)
        read = float(cfg.get("read_timeout", net.get("read_timeout", DEFAULT_READ_TIMEOUT)))
        return read, connect

    def _endpoint_key(self, name: str, endpoint: dict) -> str | None:
        env_name = endpoint.get("api_key_env")
        key = (self.environ.get(env_name) if env_name else None) or self.keys.get(name)
        register_secret(key)
        return key

    def provider(self, ref: ModelRef) -> Provider:
        """One instance per provider name per process (SDK clients are kept alive)."""
        inst = self._instances.get(ref.provider)
        if inst is None:
            cls = provider_class(ref.adapter)
            try:
                settings = self.settings_for(ref)
            except MissingKey:
                # A shut-down model is known offline: say that rather than ask for a key.
                if ref.model:
                    cls.refuse_retired(ref.provider, ref.model, dict(self.hooks.get("*", {})))
                raise
            inst = cls(settings)
            self._instances[ref.provider] = inst
        return inst

    def close(self) -> None:
        for inst in self._instances.values():
            inst.close()
        self._instances.clear()
