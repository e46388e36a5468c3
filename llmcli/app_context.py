"""What every command needs, built lazily from the Environment: settings, keys, registry, log.

The service locator of the capabilities (chat, rag, templates, the exchange service): it lives
below the command layer so they can take it without importing `cli/`. The command layer makes
one per invocation (`cli.context.app_context`) and passes in the hooks that need a screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmcli.config import KeyStore, Settings
    from llmcli.core.registry import Registry
    from llmcli.core.runner import RetryPolicy
    from llmcli.environment import Environment
    from llmcli.store.logs import LogStore


MAX_RETRIES = 10  # each retry can wait a minute: more is a typo, not a policy


def _bounded(section: Mapping[str, Any], name: str, default: float, low: float, high: float,
             *, whole: bool = False, where: Any = "the config file") -> float:
    """A [network] number from the config, refused with a one-line error when out of range."""
    from llmcli.core.errors import InvalidInput

    value = section.get(name, default)
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok and whole:
        ok = float(value).is_integer()
    if not ok or not (low <= value <= high):
        kind = "a whole number" if whole else "a number"
        raise InvalidInput(
            f"config [network] {name} must be {kind} from {low:g} to {high:g}, not {value!r}",
            hint=f"fix it in {where}",
        )
    return float(value)


class AppContext:
    def __init__(
        self,
        env: Environment,
        explicit_key: str | None = None,
        *,
        hooks: Mapping[str, dict[str, Any]] | None = None,
        timeout: float | None = None,
    ):
        """`hooks` go to the registry, per adapter (the local model's conversion progress);
        `timeout` is the command's --timeout."""
        self.env = env
        self.explicit_key = explicit_key
        self.timeout = timeout
        self.hooks = dict(hooks or {})

    def notice(self, line: str) -> None:
        """A one-line warning through the face's hook (stderr when there is none)."""
        hook = self.hooks.get("*", {}).get("notice")
        if hook is not None:
            hook(line)
        else:
            self.env.stderr.write(f"llmcli: {line}\n")

    @cached_property
    def paths(self):
        return self.env.paths

    @cached_property
    def settings(self) -> Settings:
        from llmcli.config import Settings

        return Settings.load(self.paths, self.env.environ)

    @cached_property
    def keys(self) -> KeyStore:
        from llmcli.config import KeyStore

        return KeyStore(self.paths.keys_file)

    @cached_property
    def registry(self) -> Registry:
        from llmcli.core.registry import Registry

        return Registry(self.settings, self.keys, self.explicit_key, hooks=self.hooks,
                        environ=self.env.environ, timeout=self.timeout)

    @cached_property
    def logs(self) -> LogStore:
        from llmcli.store.logs import LogStore

        return LogStore(self.paths.logs_db)

    @cached_property
    def retry_policy(self) -> RetryPolicy:
        from llmcli.core.runner import RetryPolicy

        net = self.settings.network
        return RetryPolicy(
            max_retries=int(_bounded(net, "max_retries", 2, 0, MAX_RETRIES, whole=True,
                                     where=self.paths.config_file)),
            max_retry_wait=_bounded(net, "max_retry_wait", 60.0, 0, 3600,
                                    where=self.paths.config_file),
        )

    def close(self) -> None:
        if "registry" in self.__dict__:
            self.registry.close()
        if "logs" in self.__dict__:
            self.logs.close()
