"""Helpers shared by the benchmarks: interleaved timing of commands and medians."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def time_command(argv: list[str], env: dict[str, str] | None = None, stdin: bytes = b"") -> float:
    """Wall time of one run of a command, in seconds; fails loudly if the command fails."""
    start = time.perf_counter()
    proc = subprocess.run(argv, input=stdin, capture_output=True, env=env)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{argv} exited {proc.returncode}: {proc.stderr.decode()[-500:]}")
    return elapsed


def interleaved(
    commands: dict[str, list[str]], runs: int, env: dict[str, str] | None = None, stdin: bytes = b""
) -> dict[str, dict[str, float]]:
    """Run each command `runs` times, round-robin, so machine noise hits all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for argv in commands.values():  # one warm-up each (page cache, .pyc)
        time_command(argv, env, stdin)
    for _ in range(runs):
        for name, argv in commands.items():
            times[name].append(time_command(argv, env, stdin))
    return {
        name: {
            "median_s": statistics.median(ts),
            "min_s": min(ts),
            "max_s": max(ts),
            "runs": len(ts),
        }
        for name, ts in times.items()
    }


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "GROQ_", "GEMINI_", "GOOGLE_"))
    }
    # This sandbox sets PYTHONDONTWRITEBYTECODE, so an editable install would recompile every
    # module on every run, while pip-installed tools (llm, the SDKs) load precompiled .pyc.
    # Users get .pyc either way (pip compiles at install, or Python writes __pycache__).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["LLMCLI_HOME"] = str(home)
    env.update(extra)
    return env
