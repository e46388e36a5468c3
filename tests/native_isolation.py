"""A pytest plugin: tests marked `llamacpp` run in a forked child process.

llama.cpp is native code; on some CPUs it crashes the process that calls it (its AMX path
segfaults, llama.cpp issue #20824). Run in the pytest process, such a crash kills the whole run
and hides every result after it. Forked, it fails that one test with the signal named, and the
run goes on. (pytest-forked does this job but fails every test under pytest 9.)

The child inherits everything the parent set up (a module's loaded model included), runs the
test's own setup, call and teardown, and sends its reports back as JSON through a file.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import tempfile
from typing import Any

import pytest
from _pytest.reports import TestReport
from _pytest.runner import runtestprotocol

MARKER = "llamacpp"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    if item.get_closest_marker(MARKER) is None or not hasattr(os, "fork"):
        return None
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    for report in _run_forked(item):
        item.ihook.pytest_runtest_logreport(report=report)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


def _run_forked(item: pytest.Item) -> list[Any]:
    config = item.config
    fd, path = tempfile.mkstemp(prefix="llmcli-forked-", suffix=".json")
    os.close(fd)
    try:
        pid = os.fork()
        if pid == 0:  # the child: run the test, write its reports, leave without cleanup
            code = 0
            try:
                # nextitem=item: tear down only what this test alone used; fixtures of wider
                # scope die with the child, never touching the parent's copies.
                reports = runtestprotocol(item, nextitem=item, log=False)
                data = [config.hook.pytest_report_to_serializable(config=config, report=r)
                        for r in reports]
                with open(path, "w", encoding="utf-8") as out:
                    json.dump(data, out)
            except BaseException:  # any escape is reported by the parent as a failure
                code = 3
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            with open(path, encoding="utf-8") as data:
                reports = [config.hook.pytest_report_from_serializable(config=config, data=d)
                           for d in json.load(data)]
            for report in reports:
                # JSON turns a skip's (path, line, reason) tuple into a list; the summary
                # (`-ra`) needs the tuple back.
                if report.skipped and isinstance(report.longrepr, list):
                    report.longrepr = tuple(report.longrepr)
            return reports
        return [_crash_report(item, status)]
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _crash_report(item: pytest.Item, status: int) -> TestReport:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = "?"
        what = f"CRASHED with signal {number} ({name})"
    else:
        what = f"EXITED with status {os.WEXITSTATUS(status)}"
    path, line, _ = item.location
    message = (f"{path}:{(line or 0) + 1}: the forked process running this test {what}; "
               "native code (llama.cpp) took it down. The rest of the run goes on.")
    return TestReport(item.nodeid, item.location, {k: 1 for k in item.keywords}, "failed",
                      message, "call")
