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
    app: AppContext, *, only: str | None = None, offline: bool = False, refresh: bool = False,
    failures: list[LlmcliError] | None = None,
) -> list[dict[str, Any]]:
    """One row per model. With `refresh`, each live list fetched is also saved (with today's
    date) to the cache that decides default models. A live list that could not be fetched
    (a rejected key, no network) is said in a warning line and added to `failures`; the
    built-in list is shown in its place."""
    from llmcli.core.registry import ModelRef, provider_class, provider_names
    from llmcli.providers import lifecycle

    today = lifecycle.clock()

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
                if refresh and models and models[0].live:
                    _save_live(app, name, models, today)
                elif not offline and getattr(inst, "list_models_error", None) is not None:
                    err = inst.list_models_error  # type: ignore[attr-defined]
                    shown = "nothing saved" if refresh else "showing the built-in list"
                    app.notice(f"{name}: live list not fetched, {shown}: {err.one_line()}")
                    if failures is not None:
                        failures.append(err)
            except (LlmcliError, InvalidInput):
                models = []
        elif refresh:
            app.notice(f"{name}: no key, so no live list to refresh")
        if not models:
            # No key (or the provider could not be built): show the built-in list all the same.
            try:
                from llmcli.core.provider import ProviderSettings

                models = cls(ProviderSettings(name=name)).known_models()  # today's, by clock
            except Exception:
                models = []
        if not models:
            rows.append(_row(name, "-", None, cls, status, today.isoformat()))
        for info in models:
            rows.append(_row(name, info.id, info, cls, status, today.isoformat()))
    return rows


def _save_live(app: AppContext, name: str, models: list, today) -> None:
    from llmcli.providers import live_models

    path = live_models.save(app.paths.data_dir, name, models, today)
    app.notice(f"saved {name}'s live list ({len(models)} models, {today.isoformat()}) to {path}")


def sources_line(app: AppContext, rows: list[dict[str, Any]]) -> str:
    """Where the rows' dates and prices come from: the catalog's date, live lists' dates."""
    from llmcli.providers import catalog, live_models

    cached = live_models.load(app.paths.data_dir).providers
    live = sorted({r["provider"] for r in rows if r["live"]})
    parts = [f"prices and retirement dates: built-in catalog as of {catalog.CATALOG_DATE}"]
    if live:
        parts.append(f"live list now: {', '.join(live)}")
    shown = {r["provider"] for r in rows}
    saved = [f"{n} {v.fetched}" for n, v in sorted(cached.items()) if n in shown]
    if saved:
        parts.append(f"cached live lists: {', '.join(saved)}")
    return "; ".join(parts)


def retires(shutdown: str | None, today: str) -> str:
    """The table's 'retires' cell: the shutdown date, marked when it is near or past."""
    if not shutdown:
        return "-"
    if shutdown <= today:
        return f"retired {shutdown}"
    from datetime import date

    days = (date.fromisoformat(shutdown) - date.fromisoformat(today)).days
    return f"{shutdown} ({days}d)" if days <= 30 else shutdown


def _row(name: str, model_id: str, info, cls, status: str, today: str) -> dict[str, Any]:
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
        "deprecated": info.deprecated if info else None,
        "shutdown": info.shutdown if info else None,
        "replacement": info.replacement if info else None,
        "retires": retires(info.shutdown if info else None, today),
        "key": status,
    }
