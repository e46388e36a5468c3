"""The suite's isolation of native code: a test marked `llamacpp` that segfaults fails alone,
with the signal named, and the tests after it still run, in a new child
(tests/native_isolation.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITE = '''
import ctypes
import os

import pytest

import sys


def in_child():
    return any(arg.startswith("test_native.py::") for arg in sys.argv)  # a child: node ids


@pytest.fixture(autouse=True)
def scrubbed_environment(monkeypatch):
    # like the project's own conftest, which clears LLMCLI_* for every test
    for name in list(os.environ):
        if name.startswith("NATIVE_ISOLATION"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="module")
def loaded():
    return {"pid": os.getpid()}


@pytest.mark.llamacpp
def test_crashes(loaded):
    ctypes.string_at(0)


@pytest.mark.llamacpp
def test_isolated_and_passes(loaded, tmp_path):
    assert in_child()
    (tmp_path / "x").write_text("ok")


@pytest.mark.llamacpp
@pytest.mark.skipif(True, reason="a skip travels back from the child too")
def test_skipped_in_the_child():
    pass


def test_in_process_after_the_crash():
    assert not in_child()  # unmarked: in the parent


@pytest.mark.llamacpp
def test_fails_normally():
    assert 1 == 2, "an ordinary failure is reported as such"

'''


LATER = '''
import pytest


@pytest.fixture(scope="module")
def later_module():
    return 1


def test_a_later_module_sets_up_cleanly(later_module):
    assert later_module == 1
'''


def test_a_native_crash_fails_one_test_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "test_native.py").write_text(SUITE, encoding="utf-8")
    (tmp_path / "test_zz_later.py").write_text(LATER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-ra", "-p", "no:cacheprovider", "-p",
         "tests.native_isolation", "-W", "ignore::pytest.PytestUnknownMarkWarning",
         "test_native.py", "test_zz_later.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert "2 failed, 3 passed, 1 skipped" in out  # the later module set up cleanly
    assert "a skip travels back from the child too" in out
    assert "CRASHED with signal 11 (SIGSEGV)" in out
    assert "FAILED test_native.py::test_crashes" in out
    assert "an ordinary failure is reported as such" in out
