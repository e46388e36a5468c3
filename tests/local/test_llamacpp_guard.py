"""The llama.cpp guard on any machine: CPU detection, the AMX workaround's parameters, and
probe children that really crash (SIGSEGV), pass or fail, with their verdicts cached.

None of this needs llama-cpp-python: the probe's command is swapped for tiny Python children,
and the workaround is applied to an object shaped like llama_cpp's low-level module. The real
library is exercised in test_llamacpp.py (forked, see tests/conftest.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from llmcli.local import llamacpp_guard as guard

XEON_AMX = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8488C
flags\t\t: fpu vme sse sse2 avx avx2 avx512f avx512_bf16 amx_bf16 avx512_fp16 amx_tile amx_int8
"""
EPYC = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC
flags\t\t: fpu vme sse sse2 avx avx2 avx512f avx512_bf16 avx512_vnni
"""
CRASH = [sys.executable, "-c", "import ctypes; ctypes.string_at(0)"]  # a real SIGSEGV
PASS = [sys.executable, "-c", "print('ok')"]
FAIL = [sys.executable, "-c", "import sys; sys.exit('cannot open the model: bad magic')"]


def test_cpu_flags_and_amx_detection() -> None:
    assert guard.has_amx(guard.cpu_flags(XEON_AMX))
    assert not guard.has_amx(guard.cpu_flags(EPYC))
    assert guard.cpu_name(XEON_AMX) == "Intel(R) Xeon(R) Platinum 8488C"
    assert guard.machine_id(XEON_AMX) != guard.machine_id(EPYC)
    assert guard.cpu_flags("no flags line here") == frozenset()


class _Params:
    use_extra_bufts = True


def _low_level() -> SimpleNamespace:
    return SimpleNamespace(llama_cpp=SimpleNamespace(llama_model_default_params=_Params))


def test_workaround_turns_off_extra_buffers_only_with_amx_and_only_while_open() -> None:
    module = _low_level()
    original = module.llama_cpp.llama_model_default_params
    with guard.safe_model_params(module, amx=True) as applied:
        assert applied is True
        assert module.llama_cpp.llama_model_default_params().use_extra_bufts is False
    assert module.llama_cpp.llama_model_default_params is original
    assert original().use_extra_bufts is True
    with guard.safe_model_params(module, amx=False) as applied:
        assert applied is False
        assert module.llama_cpp.llama_model_default_params().use_extra_bufts is True


def test_a_crashing_probe_gives_a_failed_verdict_naming_the_signal(tmp_path: Path) -> None:
    verdict = guard.Verdicts(tmp_path, CRASH).check(tmp_path / "model.gguf")
    assert verdict.ok is False and verdict.cached is False
    assert "crashed (SIGSEGV)" in verdict.reason
    stored = json.loads((tmp_path / guard.VERDICT_FILE).read_text())
    assert [v["ok"] for v in stored.values()] == [False]


def test_verdicts_are_cached_per_build_cpu_and_probe(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "model.gguf"
    assert guard.Verdicts(tmp_path, PASS).check(model).ok
    again = guard.Verdicts(tmp_path, PASS).check(model)  # a later process: no child run
    assert again.ok and again.cached
    assert not guard.Verdicts(tmp_path, CRASH).check(model).ok  # another probe, its own key
    monkeypatch.setattr(guard, "machine_id", lambda cpuinfo=None: "another-cpu")
    fresh = guard.Verdicts(tmp_path, PASS).check(model)  # a new CPU kind: probed again
    assert fresh.ok and not fresh.cached
    assert len(json.loads((tmp_path / guard.VERDICT_FILE).read_text())) == 3


def test_a_failing_probe_reports_its_last_line(tmp_path: Path) -> None:
    verdict = guard.Verdicts(tmp_path, FAIL).check(tmp_path / "m.gguf")
    assert not verdict.ok
    assert verdict.reason == (
        "llama.cpp failed a test run on this CPU (exit 1: cannot open the model: bad magic)"
    )


def test_an_unwritable_cache_still_gives_a_verdict(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert guard.Verdicts(blocker / "cache", PASS).check(tmp_path / "m.gguf").ok
