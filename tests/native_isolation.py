"""A pytest plugin: tests marked `llamacpp` run in a child pytest process, one per module.

llama.cpp is native code; on some CPUs it crashes the process that calls it (its AMX path
segfaults, llama.cpp issue #20824). Run in the pytest process, such a crash kills the whole run
and hides every result after it. Run in a child, it fails that one test with the signal named,
and the run goes on. The child is a fresh interpreter, not a fork: llama.cpp's OpenMP thread
pool, once started in the parent (any in-process CLI test on the llamacpp engine starts it),
deadlocks a forked child at its first matrix product. (pytest-forked forks, and also fails every
test under pytest 9.)

The parent runs a module's marked tests together in one child (the model loads once), reads
each test's reports back as JSON lines, and reports them as its own. If the child dies, the
test it was running fails with the signal, and the module's remaining tests go on in a new child.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from _pytest.reports import TestReport

MARKER = "llamacpp"
# Set in a child: where it writes its reports. Read once at start-up (tests clear LLMCLI_*).
CHILD_ENV = "NATIVE_ISOLATION_REPORTS"
CHILD_TIMEOUT = 3600.0

_results: dict[str, list[Any]] = {}


def _in_child() -> bool:
    return bool(_REPORTS)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    if _in_child() or item.get_closest_marker(MARKER) is None:
        return None
    if item.nodeid not in _results:
        _run_module(item)
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    for report in _results.pop(item.nodeid):
        item.ihook.pytest_runtest_logreport(report=report)
    # What earlier in-process tests set up (their module, package) and the next test does not
    # need is torn down here, as pytest's own protocol does after each test.
    item.session._setupstate.teardown_exact(nextitem)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


def pytest_runtest_logreport(report: Any) -> None:
    """In a child: append each report to the parent's file as soon as it exists."""
    if not _REPORTS:
        return
    config = _CONFIG[0]
    data = config.hook.pytest_report_to_serializable(config=config, report=report)
    with open(_REPORTS[0], "a", encoding="utf-8") as out:
        out.write(json.dumps(data) + "\n")


_CONFIG: list[Any] = []
_REPORTS: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    _CONFIG[:] = [config]
    _REPORTS[:] = [os.environ[CHILD_ENV]] if os.environ.get(CHILD_ENV) else []


def _run_module(item: pytest.Item) -> None:
    """Run every not-yet-run marked test of `item`'s module in children until each has a
    result; a child that dies costs the test it was running, never the rest."""
    module = item.nodeid.split("::", 1)[0]
    pending = [i for i in item.session.items
               if i.nodeid.split("::", 1)[0] == module and i.get_closest_marker(MARKER)
               and i.nodeid not in _results]
    while pending:
        got, status, stderr = _child(item.config, [i.nodeid for i in pending])
        done = [i for i in pending if _complete(got.get(i.nodeid, []))]
        for i in done:
            _results[i.nodeid] = got[i.nodeid]
        rest = [i for i in pending if i not in done]
        if not rest:
            return
        # The first unfinished test is the one the child died in (or never reached, if the
        # child could not even start: then every remaining test gets the same failure).
        crashed = rest[0]
        _results[crashed.nodeid] = [*got.get(crashed.nodeid, []),
                                    _crash_report(crashed, status, stderr)]
        if not got:  # nothing ran at all: do not loop over a child that cannot start
            for i in rest[1:]:
                _results[i.nodeid] = [_crash_report(i, status, stderr)]
            return
        pending = rest[1:]


def _complete(reports: list[Any]) -> bool:
    return any(r.when == "teardown" for r in reports)


def _child(config: pytest.Config, nodeids: list[str]) -> tuple[dict[str, list[Any]], int, str]:
    fd, path = tempfile.mkstemp(prefix="llmcli-isolated-", suffix=".jsonl")
    os.close(fd)
    try:
        env = {**os.environ, CHILD_ENV: path}
        args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", __name__,
                "-o", "addopts=", *nodeids]
        with tempfile.TemporaryFile() as err:
            try:
                proc = subprocess.run(args, cwd=config.rootpath, env=env,
                                      stdout=subprocess.DEVNULL, stderr=err,
                                      stdin=subprocess.DEVNULL, timeout=CHILD_TIMEOUT)
                status = proc.returncode
            except subprocess.TimeoutExpired:
                status = -signal.SIGKILL
            err.seek(0)
            stderr = err.read().decode("utf-8", "replace")[-2000:]
        got: dict[str, list[Any]] = {}
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            report = config.hook.pytest_report_from_serializable(config=config,
                                                                 data=json.loads(line))
            if report.skipped and isinstance(report.longrepr, list):
                # JSON turns a skip's (path, line, reason) tuple into a list; the summary
                # (`-ra`) needs the tuple back.
                report.longrepr = tuple(report.longrepr)
            got.setdefault(report.nodeid, []).append(report)
        return got, status, stderr
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _crash_report(item: pytest.Item, status: int, stderr: str) -> TestReport:
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = "?"
        what = f"CRASHED with signal {-status} ({name})"
    else:
        what = f"EXITED with status {status}"
    path, line, _ = item.location
    message = (f"{path}:{(line or 0) + 1}: the child process running this test {what}; "
               "native code (llama.cpp) took it down. The rest of the run goes on.")
    if stderr.strip():
        message += "\n--- the child's stderr (end) ---\n" + stderr.strip()
    return TestReport(item.nodeid, item.location, {k: 1 for k in item.keywords}, "failed",
                      message, "call")
