"""#16 items 3 and 5: standard output that goes away (a closed pipe: 141, quietly, the exchange
logged with what was generated) or fills up (a full device: exit 12, one line)."""

from __future__ import annotations

import errno
import io
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

M = ["-m", "openai:gpt-4o-mini"]
LONG = [f"word{i} " for i in range(200)]


def piped(cmd: str, *, input: bytes = b"") -> tuple[int, str, str]:
    """Run `python -m llmcli CMD | head -c 20` in bash; the llmcli side's status and stderr."""
    err = "/tmp/llmcli-stderr-$$"
    line = (f"'{sys.executable}' -m llmcli {cmd} 2>{err} | head -c 20; "
            f'echo "rc=${{PIPESTATUS[0]}}"; cat {err} >&2; rm -f {err}')
    proc = subprocess.run(["bash", "-c", line], cwd=ROOT, env=dict(os.environ), input=input,
                          capture_output=True, timeout=60)
    out = proc.stdout.decode()
    head, _, rc = out.rpartition("rc=")
    return int(rc.strip()), head, proc.stderr.decode()


def logged(cli) -> list[dict]:
    res = cli("logs", "list", "--json")
    assert res.exit_code == 0, res.stderr
    return json.loads(res.stdout)


@pytest.fixture
def long_reply(openai_server):
    # Slow enough that `head` has left long before the reply ends.
    openai_server.chunks = LONG
    openai_server.script("chat", openai_server.stream(chunk_delay=0.01))
    return openai_server


def test_prompt_into_a_closed_pipe_exits_141_quietly_and_logs_the_partial_reply(cli, long_reply):
    rc, out, err = piped("prompt hello -m openai:gpt-4o-mini --plain")
    assert out == "word0 word1 word2 wo"
    assert rc == 141 and err == ""
    rows = logged(cli)
    assert len(rows) == 1
    row = rows[0]
    assert row["status"] == "interrupted" and row["reply"].startswith("word0 word1 word2 ")
    assert len(row["reply"]) < len("".join(LONG))


def test_prompt_with_markdown_into_a_closed_pipe_is_quiet_too(cli, long_reply):
    rc, out, err = piped("prompt hello -m openai:gpt-4o-mini")
    assert rc == 141 and err == "" and out.startswith("word0")
    assert logged(cli)[0]["status"] == "interrupted"


def test_chat_into_a_closed_pipe_exits_141_and_logs_the_partial_reply(cli, long_reply):
    rc, _out, err = piped("chat -m openai:gpt-4o-mini", input=b"hello\nsecond line\n")
    assert rc == 141 and err == "", err
    assert "BrokenPipeError" not in err
    rows = logged(cli)
    assert rows and rows[-1]["status"] == "interrupted" and rows[-1]["reply"].startswith("word0")


def test_compare_into_a_closed_pipe_exits_141_and_every_cell_is_logged(cli, openai_server):
    openai_server.chunks = LONG * 100  # more than a pipe's buffer: the reader leaves first
    rc, _out, err = piped("compare hello -m openai:gpt-4o-mini -m openai:gpt-4o")
    assert rc == 141 and err == "", err
    assert sorted(r["status"] for r in logged(cli)) == ["complete", "complete"]


def test_logs_export_into_a_closed_pipe_exits_141(cli, openai_server):
    openai_server.reply_text = "long reply " * 2000  # more than a pipe's buffer in a few rows
    for i in range(8):
        assert cli("prompt", f"question {i}", *M, "--no-stream").exit_code == 0
    rc, _out, err = piped("logs export")
    assert rc == 141 and err == "", err


class FullDevice(io.StringIO):
    """Standard output on a full disk: every write fails with ENOSPC (like /dev/full)."""

    def write(self, s: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def isatty(self) -> bool:
        return False


def on_a_full_device(*args: str, input: bytes = b"") -> tuple[int, str]:
    from llmcli.cli.app import run
    from llmcli.environment import Environment

    err = io.StringIO()
    env = Environment(stdin=io.BytesIO(input), stdout=FullDevice(), stderr=err,
                      stdin_isatty=not input, stdout_isatty=False, stderr_isatty=False,
                      environ=dict(os.environ), width=100)
    return run(list(args), env), err.getvalue()


@pytest.mark.parametrize("args", [
    ["prompt", "hello", *M],
    ["prompt", "hello", *M, "--plain"],
    ["compare", "hello", *M, "-m", "openai:gpt-4o"],
    ["logs", "list"],
])
def test_stdout_on_a_full_device_is_one_line_and_exit_12(cli, openai_server, args):
    assert cli("prompt", "earlier", *M).exit_code == 0  # something for `logs list` to show
    code, err = on_a_full_device(*args)
    assert code == 12, err
    assert err == "llmcli: error: could not write to standard output: the disk is full " \
        "(free some space or write somewhere else)\n"


def test_chat_on_a_full_device_is_one_line_and_exit_12_with_the_reply_logged(cli, openai_server):
    code, err = on_a_full_device("chat", *M, input=b"hello\nagain\n")
    assert code == 12, err
    assert err.count("\n") == 1 and "the disk is full" in err and "internal error" not in err
    rows = json.loads(cli("logs", "list", "--json").stdout)
    assert [r["status"] for r in rows] == ["interrupted"]  # the second line was never sent
