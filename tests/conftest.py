"""Shared fixtures: isolated state, the CLI in-process and as a subprocess."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

_STUBS = (Path(__file__).parent / "stubs" / "fixtures.py").exists()
pytest_plugins = [
    "tests.native_isolation",  # llama.cpp tests run forked: a native crash fails one test
    *(["tests.stubs.fixtures"] if _STUBS else []),
]

ROOT = Path(__file__).resolve().parent.parent

# A suite started as a background job of a shell without job control inherits SIGINT ignored,
# and so would every CLI process the tests start: their Ctrl-C tests would then see Ctrl-C do
# nothing. Catching it here resets it: a caught signal is default again after exec.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# Variables that would point an SDK at the real services or change its behaviour.
_CLEARED_PREFIXES = ("OPENAI_", "GROQ_", "GEMINI_", "GOOGLE_", "LLMCLI_")
_CLEARED = {
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "NO_COLOR",
}


def shared_cache_dir() -> Path:
    """Converted model weights, shared by every test (and across runs when persisted)."""
    path = Path(os.environ.get("LLMCLI_TEST_CACHE") or ROOT / ".pytest_cache" / "llmcli-cache")
    path.mkdir(parents=True, exist_ok=True)
    return path


_TEST_CACHE = str(shared_cache_dir())


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Every test gets its own LLMCLI_HOME and no provider credentials from the machine."""
    for name in list(os.environ):
        if name.startswith(_CLEARED_PREFIXES) or name in _CLEARED:
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "llmcli-home"
    monkeypatch.setenv("LLMCLI_HOME", str(home))
    monkeypatch.setenv("LLMCLI_CACHE_DIR", _TEST_CACHE)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return home


@pytest.fixture
def home(isolated: Path) -> Path:
    return isolated


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


class _Stream(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"


def run_in_process(
    args: list[str],
    *,
    input: str | bytes | None = None,
    stdin_tty: bool | None = None,
    stdout_tty: bool = False,
    stderr_tty: bool = False,
    width: int | None = 100,
    env: dict[str, str] | None = None,
) -> Result:
    """Run the real CLI in this process with captured streams."""
    from llmcli.cli.app import run
    from llmcli.environment import Environment

    data = input.encode("utf-8") if isinstance(input, str) else (input or b"")
    out, err = _Stream(stdout_tty), _Stream(stderr_tty)
    # The CLI reads its environment from here, never from os.environ: `env` overrides reach it
    # without touching the process's real environment.
    environ = dict(os.environ)
    environ.update(env or {})
    environment = Environment(
        stdin=io.BytesIO(data),
        stdout=out,
        stderr=err,
        stdin_isatty=(input is None) if stdin_tty is None else stdin_tty,
        stdout_isatty=stdout_tty,
        stderr_isatty=stderr_tty,
        environ=environ,
        width=width,
    )
    code = run(list(args), environment)
    return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli():
    """`cli('prompt', 'hi', input='text')` runs the CLI in-process."""

    def _cli(*args: str, **kw) -> Result:
        return run_in_process(list(args), **kw)

    return _cli


def run_subprocess(
    args: list[str],
    *,
    input: str | bytes | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> Result:
    data = input.encode("utf-8") if isinstance(input, str) else input
    environ = dict(os.environ)
    environ.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "llmcli", *args],
        input=data if data is not None else b"",
        capture_output=True,
        env=environ,
        timeout=timeout,
        cwd=ROOT,
    )
    return Result(proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"))


@pytest.fixture
def cli_proc():
    """`cli_proc('prompt', 'hi')` runs `python -m llmcli` as a subprocess."""

    def _run(*args: str, **kw) -> Result:
        return run_subprocess(list(args), **kw)

    return _run


# The day the model catalog was checked. Model retirement (warnings, refusals) depends on the
# date, so every test runs on this one unless it pins another; see tests/providers/test_lifecycle.
CATALOG_TODAY = "2026-12-06"


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch: pytest.MonkeyPatch):
    """Pin llmcli's idea of today (providers.lifecycle.clock); returns a setter for other days."""
    from datetime import date

    from llmcli.providers import lifecycle

    def pin(day: str) -> None:
        monkeypatch.setattr(lifecycle, "clock", lambda: date.fromisoformat(day))

    pin(CATALOG_TODAY)
    return pin
