"""The providers' live model lists, cached by `llmcli models --refresh` with the day they were
fetched, and what they decide: a provider's default model is the catalog's only if the live
list has it; otherwise the newest listed catalog model of the same tier, with a warning.

One JSON file in the data directory (small per-user state, unlike the shareable cache dir).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from llmcli.core.provider import ModelInfo
from llmcli.providers import catalog

CACHE_FILE = "live-models.json"


class LiveModel(BaseModel):
    id: str
    shutdown: str | None = None  # OpenAI's `shutdown_date` (YYYY-MM-DD)


class LiveList(BaseModel):
    fetched: str  # the day (UTC, ISO) the list was fetched
    models: list[LiveModel] = Field(default_factory=list)


class LiveCache(BaseModel):
    version: int = 1
    providers: dict[str, LiveList] = Field(default_factory=dict)


def path_in(state_dir: Path | str) -> Path:
    return Path(state_dir) / CACHE_FILE


def load(state_dir: Path | str | None) -> LiveCache:
    """The cache, or an empty one when there is none or it cannot be read."""
    if state_dir is None:
        return LiveCache()
    try:
        return LiveCache.model_validate(json.loads(path_in(state_dir).read_text("utf-8")))
    except (OSError, ValueError, ValidationError):
        return LiveCache()


def save(state_dir: Path | str, provider: str, models: list[ModelInfo], today: date) -> Path:
    """Store one provider's live list (ids and shutdown dates) with today's date."""
    cache = load(state_dir)
    cache.providers[provider] = LiveList(
        fetched=today.isoformat(),
        models=[LiveModel(id=m.id, shutdown=m.shutdown) for m in models],
    )
    path = path_in(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(cache.model_dump_json(indent=1), encoding="utf-8")
    os.replace(tmp, path)
    return path


def shutdown_of(state_dir: Path | str | None, provider: str, model: str) -> str | None:
    """The shutdown date the provider's own live list gave for a model, if it gave one."""
    found = load(state_dir).providers.get(provider)
    if found is None:
        return None
    return next((m.shutdown for m in found.models if m.id == model and m.shutdown), None)


def default_for(
    provider: str,
    default: str,
    state_dir: Path | str | None,
    today: date,
    notice: Callable[[str], None] | None = None,
) -> str:
    """The catalog's default unless a cached live list lacks it; then the newest model of the
    same tier that the list has and that is not shut down (catalog order is newest first)."""
    cached = load(state_dir).providers.get(provider)
    if cached is None:
        return default
    listed = {m.id for m in cached.models}
    if default in listed:
        return default
    base = catalog.entry(provider, default)
    tier = base.tier if base is not None else None
    stamp = today.isoformat()
    pick = next(
        (
            e.id
            for e in catalog.entries(provider)
            if e.tier == tier and e.id in listed and (e.shutdown is None or e.shutdown > stamp)
        ),
        None,
    )
    if notice is not None:
        if pick is not None:
            notice(
                f"{provider}'s default model {default} is not in its live list of "
                f"{cached.fetched}; using {pick} (refresh with 'llmcli models {provider} "
                f"--refresh')"
            )
        else:
            notice(
                f"{provider}'s default model {default} is not in its live list of "
                f"{cached.fetched} and no other model of its tier is; trying it anyway"
            )
    return pick or default
