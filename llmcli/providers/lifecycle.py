"""When a model retires: the warning in its last 30 days (once a day), the refusal before
anything is sent once it is shut down, and the one message both that refusal and a provider's
own "retired" error use.

Dates come from the catalog, or from the cached live list when the provider publishes them
(OpenAI's `shutdown_date`). Today comes from `clock`, which tests replace with a fixed date.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from llmcli.core.errors import RetiredModel
from llmcli.providers import catalog, live_models

WARN_DAYS = 30
NOTICES_FILE = "model-notices.json"


def system_today() -> date:
    """Today in UTC: providers announce shutdown dates without a time zone."""
    return datetime.now(UTC).date()


# What "today" is. Adapters call it at use time, so a test (or a settings hook) can pin it.
clock: Callable[[], date] = system_today


@dataclass(frozen=True)
class Retirement:
    """A model with an announced shutdown date, and what its provider names instead."""

    provider: str
    model: str
    shutdown: date
    replacement: str | None = None

    def days_left(self, today: date) -> int:
        return (self.shutdown - today).days


def lookup(provider: str, model: str, state_dir: Path | None = None) -> Retirement | None:
    """The announced retirement of a model: the live list's date wins over the catalog's."""
    bare = model.removeprefix("models/")
    found = catalog.entry(provider, bare)
    shutdown = live_models.shutdown_of(state_dir, provider, bare) if state_dir else None
    shutdown = shutdown or (found.shutdown if found else None)
    if not shutdown:
        return None
    try:
        when = date.fromisoformat(shutdown)
    except ValueError:
        return None
    return Retirement(provider, bare, when, found.replacement if found else None)


def retired_error(
    provider: str, model: str, found: Retirement | None, debug: dict[str, Any] | None = None
) -> RetiredModel:
    """The one-line error for a retired model, naming its replacement when one is known."""
    bare = model.removeprefix("models/")
    message = f"{provider}:{bare} is retired"
    if found is not None:
        message += f", shutdown date {found.shutdown.isoformat()}"
    if found is not None and found.replacement:
        hint = f"use -m {provider}:{found.replacement} instead"
    else:
        hint = f"see 'llmcli models {provider}' for the models it has"
    return RetiredModel(message, hint=hint, debug=debug)


def warning(found: Retirement, today: date) -> str | None:
    """The warning line for a model within WARN_DAYS of its shutdown; None otherwise."""
    days = found.days_left(today)
    if not 0 < days <= WARN_DAYS:
        return None
    instead = (
        f"use -m {found.provider}:{found.replacement} instead"
        if found.replacement
        else f"see 'llmcli models {found.provider}'"
    )
    plural = "day" if days == 1 else "days"
    return (
        f"{found.provider}:{found.model} retires on {found.shutdown.isoformat()} "
        f"(in {days} {plural}); {instead}"
    )


def check(
    provider: str,
    model: str,
    today: date,
    *,
    state_dir: Path | None = None,
    notice: Callable[[str], None] | None = None,
) -> None:
    """Before a request: raise RetiredModel for a shut-down model; warn (once a day) near it."""
    found = lookup(provider, model, state_dir)
    if found is None:
        return
    if found.days_left(today) <= 0:
        raise retired_error(provider, model, found)
    line = warning(found, today)
    if line and notice is not None and first_today(state_dir, f"{provider}:{found.model}", today):
        notice(line)


_lock = threading.Lock()
_seen: set[tuple[str, str]] = set()  # without a state directory: once per process and day


def first_today(state_dir: Path | None, key: str, today: date) -> bool:
    """True the first time `key` is asked about on `today`; the answer is remembered in a small
    JSON file under the state directory, so a warning shows at most once a day."""
    stamp = today.isoformat()
    with _lock:
        if state_dir is None:
            if (key, stamp) in _seen:
                return False
            _seen.add((key, stamp))
            return True
        path = Path(state_dir) / NOTICES_FILE
        seen = _read(path)
        if seen.get(key) == stamp:
            return False
        seen[key] = stamp
        _write(path, seen)
        return True


def _read(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # missing or damaged: warning again is the safe side
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write(path: Path, data: dict[str, str]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home only means the warning may repeat
