"""Settings and paths: where config, data and cache live, the config file, and API keys.

`LLMCLI_HOME` moves all three directories under one folder (config/, data/, cache/), so tests
and users can isolate state; without it the platform's usual directories are used.
`LLMCLI_CACHE_DIR` moves only the cache (converted model weights), so it can be shared.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from llmcli.core.errors import InvalidInput, StorageError, register_secret

APP = "llmcli"
KEYS_FILE = "keys.json"
CONFIG_FILE = "config.toml"


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    data_dir: Path
    cache_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / CONFIG_FILE

    @property
    def keys_file(self) -> Path:
        return self.config_dir / KEYS_FILE

    @property
    def logs_db(self) -> Path:
        return self.data_dir / "logs.db"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Paths:
        env = os.environ if environ is None else environ
        home = env.get("LLMCLI_HOME")
        if home:
            root = Path(home).expanduser()
            paths = cls(root / "config", root / "data", root / "cache")
        else:
            import platformdirs

            paths = cls(
                Path(platformdirs.user_config_dir(APP)),
                Path(platformdirs.user_data_dir(APP)),
                Path(platformdirs.user_cache_dir(APP)),
            )
        # The model cache is large and rebuildable: it may live apart from config and logs.
        cache = env.get("LLMCLI_CACHE_DIR")
        if cache:
            paths = cls(paths.config_dir, paths.data_dir, Path(cache).expanduser())
        return paths


@dataclass
class Settings:
    """The parsed config file, with defaults for everything it leaves out; `environ` holds the
    variables that override it (LLMCLI_DEFAULT_MODEL), from the Environment."""

    paths: Paths
    raw: dict[str, Any] = field(default_factory=dict)
    environ: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, paths: Paths, environ: Mapping[str, str] | None = None) -> Settings:
        import tomllib

        raw: dict[str, Any] = {}
        if paths.config_file.exists():
            try:
                with paths.config_file.open("rb") as fh:
                    raw = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                raise InvalidInput(
                    f"config file {paths.config_file} is not valid TOML: {exc}",
                    hint="fix or remove it",
                ) from None
        _check_values(raw, paths.config_file)
        return cls(paths=paths, raw=raw, environ=dict(environ or {}))

    @property
    def default_model(self) -> str:
        return self.environ.get("LLMCLI_DEFAULT_MODEL") or self.raw.get("default_model") or "local"

    @property
    def aliases(self) -> dict[str, str]:
        return dict(self.raw.get("aliases", {}))

    @property
    def endpoints(self) -> dict[str, dict[str, Any]]:
        """Named OpenAI-compatible servers: [endpoints.ollama] base_url = '...'."""
        return {k: dict(v) for k, v in self.raw.get("endpoints", {}).items()}

    def provider_config(self, name: str) -> dict[str, Any]:
        return dict(self.raw.get("providers", {}).get(name, {}))

    @property
    def network(self) -> dict[str, Any]:
        return dict(self.raw.get("network", {}))


class KeyStore:
    """API keys in a JSON file created with mode 0600 in the config dir."""

    def __init__(self, path: Path):
        self.path = path

    @cached_property
    def _keys(self) -> dict[str, str]:
        import json

        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise InvalidInput(
                f"keys file {self.path} cannot be read", hint="fix it or run 'llmcli keys remove'"
            ) from None
        keys = {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        for value in keys.values():
            register_secret(value)
        return keys

    def get(self, name: str) -> str | None:
        return self._keys.get(name)

    def names(self) -> list[str]:
        return sorted(self._keys)

    def all(self) -> dict[str, str]:
        return dict(self._keys)

    def set(self, name: str, value: str) -> None:
        keys = dict(self._keys)
        keys[name] = value
        self._write(keys)

    def remove(self, name: str) -> bool:
        keys = dict(self._keys)
        found = keys.pop(name, None) is not None
        if found:
            self._write(keys)
        return found

    def _write(self, keys: dict[str, str]) -> None:
        import json

        tmp = self.path.with_suffix(".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Created 0600 from the start: the key never sits in a world-readable file.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(keys, fh, indent=2)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise StorageError(
                f"cannot write the keys file {self.path}: {_why(exc)}",
                hint="make the config dir writable (or set LLMCLI_HOME), or put the key in "
                     "an environment variable such as GROQ_API_KEY",
            ) from None
        self.__dict__.pop("_keys", None)


def _why(exc: OSError) -> str:
    """What an OSError means for a file we write, in a few words."""
    return {
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENOSPC: "the disk is full",
    }.get(exc.errno or 0, exc.strerror or str(exc))


# Config values that must be a positive number of seconds: [network] and [providers.X]. (The
# retry settings, max_retries and max_retry_wait, have ranges: AppContext.retry_policy.)
_SECONDS = ("read_timeout", "connect_timeout")


def _check_values(raw: dict[str, Any], path: Path) -> None:
    """Refuse a bad number in the config with one line (exit 2), not a traceback later."""
    sections = [("network", raw.get("network"))]
    sections += [(f"providers.{k}", v) for k, v in (raw.get("providers") or {}).items()]
    for where, table in sections:
        if not isinstance(table, dict):
            continue
        for key in _SECONDS:
            if key not in table:
                continue
            value = table[key]
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok or not math.isfinite(value) or value <= 0:
                raise InvalidInput(
                    f"config file {path}: [{where}] {key} = {value!r} is not a number of "
                    "seconds above 0",
                    hint=f"write e.g. {key} = 30, or remove the line",
                )

