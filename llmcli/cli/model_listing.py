"""Gathering rows for `llmcli models` from every provider and named endpoint."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmcli.core.errors import InvalidInput, LlmcliError, UnknownModel

if TYPE_CHECKING:
    from llmcli.app_context import AppContext


def key_status(app: AppContext, name: str) -> str:
    """'not needed', 'env VAR', 'keys file' or 'missing'; never the key itself."""
    from llmcli.core.registry import provider_class

    endpoint = app.settings.endpoints.get(name)
    if endpoint is not None:
        env_name = endpoint.get("api_key_env")
        if env_name and app.env.environ.get(env_name):
            return f"env {env_name}"
        return "keys file" if app.keys.get(name) else "not needed"
    cls = provider_class(name)
    if not cls.needs_key:
        return "not needed"
    for var in cls.key_env:
        if app.env.environ.get(var):
            return f"env {var}"
    return "keys file" if app.keys.get(name) else "missing"


def collect(
    app: AppContext, *, only: str | None = None, offline: bool = False
) -> list[dict[str, Any]]:
    from llmcli.core.registry import ModelRef, provider_class, provider_names

    names = provider_names() + sorted(app.settings.endpoints)
    if only is not None:
        if only not in names:
            raise UnknownModel(f"unknown provider '{only}'", hint=f"known: {', '.join(names)}")
        names = [only]
    rows: list[dict[str, Any]] = []
    for name in names:
        endpoint = app.settings.endpoints.get(name)
        adapter = endpoint.get("type", "openai") if endpoint else name
        try:
            cls = provider_class(adapter)
        except LlmcliError:
            continue
        status = key_status(app, name)
        usable = status != "missing"
        models = []
        if usable:
            try:
                inst = app.registry.provider(ModelRef(name, cls.default_model or "-", adapter))
                models = inst.known_models() if offline else inst.list_models()
            except (LlmcliError, InvalidInput):
                models = []
        if not models:
            # No key (or the provider could not be built): show the built-in list all the same.
            try:
                from llmcli.core.provider import ProviderSettings

                models = cls(ProviderSettings(name=name)).known_models()
            except Exception:
                models = []
        if not models:
            rows.append(_row(name, "-", None, cls, status))
        for info in models:
            rows.append(_row(name, info.id, info, cls, status))
    return rows


def _row(name: str, model_id: str, info, cls, status: str) -> dict[str, Any]:
    caps = (
        list(info.capabilities)
        if info and info.capabilities
        else sorted(c.value for c in cls.capabilities)
    )
    return {
        "provider": name,
        "id": model_id,
        "description": info.description if info else cls.description,
        "context_window": info.context_window if info else None,
        "price_in": info.price_in if info else None,
        "price_out": info.price_out if info else None,
        "price_date": info.price_date if info else None,
        "capabilities": caps,
        "aliases": info.aliases if info else [],
        "live": info.live if info else False,
        "key": status,
    }
