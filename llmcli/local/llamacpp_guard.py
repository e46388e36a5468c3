"""Keeps llama.cpp from taking the process down on CPUs where its native code crashes.

llama-cpp-python 0.3.36 built with GCC 12 crashes (SIGSEGV) on CPUs with Intel AMX: its AMX
matrix multiply (`ggml/src/ggml-cpu/amx/mmq.cpp`) fills a 64-byte tile configuration that the
compiler partly optimises away, and the CPU rejects it (llama.cpp issue #20824). Every batch of
two or more tokens on Q4_K/Q6_K/Q8_0 weights placed in the AMX buffer hits it. Two defences:

1. `safe_model_params`: on a CPU that reports AMX, the model is opened with
   `use_extra_bufts = False`, so no weight is placed in the AMX buffer (decode 40 vs 61 tok/s
   with a patched AMX path, as measured in the issue; still above the numpy engine).
2. `Verdicts.check`: before `auto` first picks llama.cpp on a machine (and before an explicit
   `engine=llamacpp` first runs), a child process opens the model the same way and evaluates a
   two-token batch. The verdict is cached, keyed by the library build and the CPU, so the child
   runs once per machine and build; a crash there costs a child, never the user's process.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

VERDICT_FILE = "llamacpp-verdicts.json"
PROBE_TIMEOUT = 180.0  # seconds: loading the model and two tokens take ~2 s on an idle 2-core VM
AMX_FLAGS = ("amx_tile", "amx_int8", "amx_bf16")
FIX_HINT = (
    "set engine = \"numpy\" under [providers.local] in the config to silence this, or rebuild "
    "llama-cpp-python for this CPU (README: 'The llama.cpp backend')"
)
_params_lock = threading.Lock()


def cpu_flags(cpuinfo: str | None = None) -> frozenset[str]:
    """The CPU feature flags the kernel reports (Linux); empty where /proc/cpuinfo is absent."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return frozenset()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


def cpu_name(cpuinfo: str | None = None) -> str:
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return platform.processor() or platform.machine()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name":
            return value.strip()
    return platform.processor() or platform.machine()


def has_amx(flags: frozenset[str] | None = None) -> bool:
    """True when the CPU has Intel AMX, the feature llama.cpp's crashing path uses."""
    flags = cpu_flags() if flags is None else flags
    return any(f in flags for f in AMX_FLAGS)


def build_id() -> str:
    """Identifies the installed llama.cpp build: package version and its native libraries."""
    try:
        version = importlib.metadata.version("llama-cpp-python")
    except importlib.metadata.PackageNotFoundError:
        version = "?"
    parts = [version]
    spec = importlib.util.find_spec("llama_cpp")
    if spec is not None and spec.origin:
        lib_dir = Path(spec.origin).parent / "lib"
        for lib in sorted(lib_dir.glob("*.so*")) + sorted(lib_dir.glob("*.dylib")):
            with contextlib.suppress(OSError):
                st = lib.stat()
                parts.append(f"{lib.name}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def machine_id(cpuinfo: str | None = None) -> str:
    """The CPU kind: its name and feature flags (what decides which native paths run)."""
    flags = " ".join(sorted(cpu_flags(cpuinfo)))
    text = f"{cpu_name(cpuinfo)}|{platform.machine()}|{flags}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@contextlib.contextmanager
def safe_model_params(llama_cpp_module: Any, *, amx: bool | None = None) -> Iterator[bool]:
    """While open, models llama-cpp-python creates skip the extra (AMX/repack) buffers if the
    CPU has AMX. `Llama()` takes no parameter for it, so its source of default model parameters
    is wrapped for the duration of the call. Yields whether the workaround is in force."""
    amx = has_amx() if amx is None else amx
    if not amx:
        yield False
        return
    low = llama_cpp_module.llama_cpp
    with _params_lock:
        original = low.llama_model_default_params

        def defaults() -> Any:
            params = original()
            params.use_extra_bufts = False
            return params

        low.llama_model_default_params = defaults
        try:
            yield True
        finally:
            low.llama_model_default_params = original


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""
    cached: bool = False


def probe_command(model_path: Path) -> list[str]:
    """The child that tries llama.cpp: opens the model as the engine does, feeds two tokens."""
    return [sys.executable, "-m", "llmcli.local.llamacpp_probe", str(model_path)]


def describe_failure(returncode: int, stderr: str) -> str:
    """A short reason for a failed probe: the signal that killed it, or its last line."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        why = f"llama.cpp crashed ({name}) in a test run on this CPU"
        if has_amx():
            why += " (Intel AMX: llama.cpp issue #20824)"
        return why
    last = next((ln for ln in reversed(stderr.strip().splitlines()) if ln.strip()), "")
    detail = f": {last}" if last else ""
    return f"llama.cpp failed a test run on this CPU (exit {returncode}{detail})"


class Verdicts:
    """The cached results of probe runs, one per (library build, CPU kind, probe)."""

    def __init__(self, cache_dir: Path, command: Sequence[str] | None = None):
        self.path = Path(cache_dir) / VERDICT_FILE
        self._command = list(command) if command is not None else None
        self._memo: dict[str, Verdict] = {}
        self._lock = threading.Lock()

    def _key(self, argv: Sequence[str]) -> str:
        # The probe's own command is part of the key (beyond the module path, which a test may
        # swap), so a different probe never reads another probe's verdict.
        probe = hashlib.sha256("\0".join(argv[1:-1]).encode()).hexdigest()[:8]
        return f"{build_id()}-{machine_id()}-{probe}"

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, key: str, verdict: Verdict) -> None:
        data = self._read()
        data[key] = {
            "ok": verdict.ok,
            "reason": verdict.reason,
            "checked": datetime.now(UTC).isoformat(timespec="seconds"),
            "cpu": cpu_name(),
        }
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            with contextlib.suppress(OSError):  # an unwritable cache: probe again next time
                tmp.unlink(missing_ok=True)

    def check(self, model_path: Path) -> Verdict:
        """The verdict for this build and CPU, from the cache or from one probe child.
        `command`, if given at construction, replaces the probe's argv (the model path is
        appended): tests use it to run a child that really crashes."""
        if self._command is not None:
            argv = [*self._command, str(model_path)]
        else:
            argv = probe_command(model_path)
        key = self._key(argv)
        with self._lock:
            if key in self._memo:
                return self._memo[key]
            stored = self._read().get(key)
            if isinstance(stored, dict) and "ok" in stored:
                verdict = Verdict(bool(stored["ok"]), str(stored.get("reason", "")), cached=True)
            else:
                verdict = self._probe(argv, key)
            self._memo[key] = verdict
            return verdict

    def _probe(self, argv: Sequence[str], key: str) -> Verdict:
        try:
            done = subprocess.run(
                list(argv), capture_output=True, text=True, timeout=PROBE_TIMEOUT,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            # Not cached: a loaded machine may just be slow; the next run asks again.
            return Verdict(False, f"llama.cpp's test run did not finish in {PROBE_TIMEOUT:.0f} s")
        except OSError as exc:
            return Verdict(False, f"llama.cpp's test run could not start: {exc}")
        if done.returncode == 0 and "ok" in done.stdout.split():
            verdict = Verdict(True)
        else:
            verdict = Verdict(False, describe_failure(done.returncode, done.stderr))
        self._write(key, verdict)
        return verdict
