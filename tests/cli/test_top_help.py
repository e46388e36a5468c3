"""The top-level help and version, answered before Typer and Click load, say what Click would."""

import io
import json
import subprocess
import sys

import pytest

from llmcli.cli.top_help import answer
from llmcli.cli.top_help_text import TEXT, WIDTH
from llmcli.environment import Environment

RENDER = "from llmcli.cli.top_help import render_with_click; print(render_with_click(), end='')"

ANSWER_PROBE = """
import io, json, sys
from llmcli.cli.top_help import answer
from llmcli.environment import Environment
env = Environment(stdin=io.BytesIO(), stdout=io.StringIO(), stderr=io.StringIO(),
                  stdin_isatty=True, stdout_isatty=False, stderr_isatty=False)
code = answer(sys.argv[1:], env)
print(json.dumps({"code": code, "out": env.stdout.getvalue(), "modules": sorted(sys.modules)}))
"""


def _python(*args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": str(columns), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, check=False
    )


def _env(*, tty: bool = False, **environ: str) -> Environment:
    return Environment(
        stdin=io.BytesIO(),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        stdin_isatty=True,
        stdout_isatty=tty,
        stderr_isatty=tty,
        environ=environ,
    )


def test_the_snapshot_is_what_click_prints():
    rendered = _python("-c", RENDER, columns=WIDTH + 2).stdout
    assert rendered == TEXT, "run `COLUMNS=80 python -m llmcli.cli.top_help` to regenerate"


@pytest.mark.parametrize("args", [[], ["--help"], ["-h"]])
def test_the_entry_point_prints_the_help_without_typer_or_click(args):
    probe = _python("-c", ANSWER_PROBE, *args)
    data = json.loads(probe.stdout.splitlines()[-1])
    assert (data["code"], data["out"]) == (0, TEXT)
    assert not {"typer", "click", "rich"} & set(data["modules"])
    real = _python("-m", "llmcli", *args)
    assert (real.returncode, real.stdout, real.stderr) == (0, TEXT, "")


def test_version_without_typer():
    from llmcli import __version__

    probe = json.loads(_python("-c", ANSWER_PROBE, "-V").stdout.splitlines()[-1])
    assert (probe["code"], probe["out"]) == (0, f"llmcli {__version__}\n")
    assert "typer" not in probe["modules"]
    assert _python("-m", "llmcli", "--version").stdout == f"llmcli {__version__}\n"


def test_another_width_is_left_to_click():
    narrow = _python("-m", "llmcli", "--help", columns=60)
    assert narrow.returncode == 0
    assert narrow.stdout != TEXT
    assert narrow.stdout == _python("-c", RENDER, columns=60).stdout
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 58


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--help"], _env(tty=True)),  # Rich panels for a person
        (["prompt", "--help"], _env()),
        (["--debug", "--help"], _env()),
        (["--help"], _env(_LLMCLI_COMPLETE="bash_complete")),
    ],
)
def test_typer_answers_everything_else(args, env):
    assert answer(args, env) is None
    assert env.stdout.getvalue() == ""


def _in_a_terminal(**environ: str) -> str:
    import pexpect

    env = {"PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8", "TERM": "xterm", **environ}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "llmcli", "--help"],
        env=env,
        dimensions=(40, 120),
        encoding="utf-8",
        timeout=60,
    )
    out = child.read()
    child.close()
    assert child.exitstatus == 0
    return out.replace("\r\n", "\n")


def test_a_terminal_gets_rich_panels_and_no_color_the_plain_help():
    assert "╭" in _in_a_terminal()
    assert _in_a_terminal(NO_COLOR="1") == TEXT


@pytest.mark.parametrize("args", [["--help"], ["--version"]])
def test_a_full_device_is_one_line_and_exit_12(args):
    with open("/dev/full", "w") as full:
        res = subprocess.run([sys.executable, "-m", "llmcli", *args], stdout=full,
                             stderr=subprocess.PIPE, text=True, check=False)
    assert res.returncode == 12
    assert res.stderr == ("llmcli: error: could not write to standard output: the disk is full "
                          "(free some space or write somewhere else)\n")


def test_a_closed_pipe_exits_141_quietly():
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the child starts: every write fails
    try:
        res = subprocess.run([sys.executable, "-m", "llmcli", "--help"], stdout=write_end,
                             stderr=subprocess.PIPE, check=False, timeout=60)
    finally:
        os.close(write_end)
    assert (res.returncode, res.stderr) == (141, b"")
