"""What every command needs, built lazily from the Environment: settings, keys, registry, log."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer

    from llmcli.config import KeyStore, Settings
    from llmcli.core.registry import Registry
    from llmcli.core.runner import RetryPolicy
    from llmcli.environment import Environment
    from llmcli.store.logs import LogStore


class AppContext:
    def __init__(self, env: Environment, explicit_key: str | None = None):
        self.env = env
        self.explicit_key = explicit_key

    @cached_property
    def paths(self):
        return self.env.paths

    @cached_property
    def settings(self) -> Settings:
        from llmcli.config import Settings

        return Settings.load(self.paths)

    @cached_property
    def keys(self) -> KeyStore:
        from llmcli.config import KeyStore

        return KeyStore(self.paths.keys_file)

    @cached_property
    def registry(self) -> Registry:
        from llmcli.core.registry import Registry
        from llmcli.ui.console import warn_line
        from llmcli.ui.progress import ConversionProgress

        def notice(line: str) -> None:
            warn_line(self.env, line)

        hooks = {"local": {"progress": ConversionProgress(self.env), "notice": notice}}
        return Registry(self.settings, self.keys, self.explicit_key, hooks=hooks)

    @cached_property
    def logs(self) -> LogStore:
        from llmcli.store.logs import LogStore

        return LogStore(self.paths.logs_db)

    @cached_property
    def retry_policy(self) -> RetryPolicy:
        from llmcli.core.runner import RetryPolicy

        net = self.settings.network
        return RetryPolicy(
            max_retries=int(net.get("max_retries", 2)),
            max_retry_wait=float(net.get("max_retry_wait", 60.0)),
        )

    def close(self) -> None:
        if "registry" in self.__dict__:
            self.registry.close()
        if "logs" in self.__dict__:
            self.logs.close()


def app_context(ctx: typer.Context, key: str | None = None) -> AppContext:
    """The AppContext for this invocation; `key` is the command's --key, if it has one."""
    env = ctx.find_root().obj
    app = AppContext(env, explicit_key=key)
    ctx.call_on_close(app.close)
    return app
