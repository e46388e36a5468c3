"""What the SDK-backed adapters share: a client kept for the adapter's lifetime, SDK errors
mapped onto the core taxonomy, a live model list that falls back to the built-in catalog, and
the retirement check every request passes before anything is sent."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from llmcli.core.errors import LlmcliError, ProviderError, register_secret
from llmcli.core.provider import ModelInfo, Provider, ProviderSettings
from llmcli.providers import _http_errors as errs
from llmcli.providers import catalog, lifecycle, live_models


class SdkProvider(Provider):
    """Base of the cloud adapters. Subclasses make the client, map errors, list live models."""

    default_base_url: ClassVar[str] = ""

    def __init__(self, settings: ProviderSettings):
        super().__init__(settings)
        register_secret(settings.api_key)
        self._client: Any = None
        self._suggestions: list[str] | None = None
        # Why the last `list_models` fell back to the catalog (None when the live list worked).
        self.list_models_error: LlmcliError | None = None

    # -- to implement -----------------------------------------------------------------------
    def _make_client(self) -> Any:
        raise NotImplementedError

    def _map(self, exc: BaseException, model: str | None) -> LlmcliError | None:
        """The core error for an SDK or transport exception; None when it is not one."""
        raise NotImplementedError

    def _live_models(self) -> list[ModelInfo]:
        raise NotImplementedError

    # -- shared -------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """The SDK's own variable beats the config file, which beats the public endpoint."""
        env = os.environ.get(self.base_url_env) if self.base_url_env else None
        return env or self.settings.base_url or self.default_base_url

    @property
    def client(self) -> Any:
        """The SDK client, made on first use and kept (its connection pool with it)."""
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def warm_up(self, model: str) -> None:
        """Import the SDK and build the client before a request's clock starts."""
        _ = self.client

    def _error_key_env(self) -> tuple[str, ...]:
        return self.key_env

    def _context(self, model: str | None = None) -> errs.ErrorContext:
        catalog_name = self._catalog_name()
        return errs.ErrorContext(
            provider=self.settings.name,
            base_url=self.base_url,
            model=model,
            key_env=self._error_key_env(),
            connect_timeout=self.settings.connect_timeout,
            read_timeout=self.settings.read_timeout,
            suggest=self._model_names,
            retirement=(
                lifecycle.lookup(catalog_name, model, self._state_dir())
                if catalog_name and model
                else None
            ),
        )

    # -- lifecycle ------------------------------------------------------------------------------
    def _catalog_name(self) -> str | None:
        """The catalog this instance's models are in; None for a named compatible endpoint."""
        return self.name if self.settings.name == self.name else None

    def _state_dir(self) -> Path | None:
        where = self.settings.extra.get("state_dir")
        return Path(where) if where else None

    def _today(self) -> date:
        return _today(self.settings.extra)

    def check_model(self, model: str) -> None:
        """Refuse a shut-down model before sending (RetiredModel, exit 5, naming the
        replacement); in its last 30 days, warn once a day through the `notice` hook."""
        name = self._catalog_name()
        if name:
            lifecycle.check(
                name,
                model,
                self._today(),
                state_dir=self._state_dir(),
                notice=self.settings.extra.get("notice"),
            )

    @classmethod
    def refuse_retired(cls, provider_name: str, model: str, extra: dict[str, Any]) -> None:
        if provider_name == cls.name:  # a named compatible endpoint has no catalog dates
            lifecycle.check(cls.name, model, _today(extra))

    @classmethod
    def choose_default(cls, extra: dict[str, Any]) -> str:
        """The catalog's default, unless the cached live list says it is gone."""
        return live_models.default_for(
            cls.name, cls.default_model, extra.get("state_dir"), _today(extra), extra.get("notice")
        )

    @classmethod
    def takes_input(cls, provider_name: str, model: str, kind: str) -> bool | None:
        """From the catalog; a named compatible endpoint or an unlisted model: unknown."""
        if provider_name != cls.name:
            return None
        kinds = catalog.inputs(cls.name, model)
        return None if kinds is None else kind in kinds

    @classmethod
    def models_taking(cls, kind: str) -> list[str]:
        return catalog.models_taking(cls.name, kind, lifecycle.clock().isoformat())

    @contextmanager
    def _mapped_errors(self, model: str | None) -> Iterator[None]:
        """Check the model's lifecycle, then turn SDK and transport exceptions raised inside
        into core errors."""
        if model:
            self.check_model(model)
        try:
            yield
        except LlmcliError:
            raise
        except Exception as exc:
            err = self._map(exc, model)
            if err is None:
                raise
            raise err from exc

    def known_models(self) -> list[ModelInfo]:
        return catalog.known(self.name, self._today().isoformat())

    def _merge_live(self, live: list[ModelInfo]) -> list[ModelInfo]:
        return catalog.merge_live(self.name, live)

    def _check_can_list(self) -> None:
        """Raise when a live listing cannot even be tried (no key, say)."""

    def list_models(self) -> list[ModelInfo]:
        """The live list (short timeouts); the built-in list on any failure, never a crash."""
        self.list_models_error = None
        try:
            self._check_can_list()
            live = self._live_models()
        except Exception as exc:
            mapped = exc if isinstance(exc, LlmcliError) else self._map(exc, None)
            self.list_models_error = mapped or ProviderError(f"{type(exc).__name__}: {exc}")
            return self.known_models()
        self._suggestions = [m.id for m in live]
        return self._merge_live(live)

    def _model_names(self) -> list[str]:
        """Names to suggest for an unknown model: the live list if possible, else the catalog."""
        if self._suggestions is None:
            self.list_models()
        return self._suggestions or [m.id for m in self.known_models()]


def _today(extra: dict[str, Any]) -> date:
    """Today from the settings' clock hook if there is one, else lifecycle's clock."""
    clock = extra.get("clock") or lifecycle.clock
    return clock()
