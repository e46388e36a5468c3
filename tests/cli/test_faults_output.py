"""#16 items 3 and 5: standard output that goes away (a closed pipe: 141, quietly, the exchange
logged with what was generated) or fills up (a full device: exit 12, one line)."""

from __future__ import annotations

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
    line = (f"'{sys.executable}' -m llmcli {cmd} 2>/tmp/llmcli-stderr-$$ | head -c 20; "
            'echo "rc=${PIPESTATUS[0]}"; cat /tmp/llmcli-stderr-$$ >&2; rm -f /tmp/llmcli-stderr-$$')
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
    rc, out, err = piped("chat -m openai:gpt-4o-mini", input="hello\nsecond line\n".encode())
    assert rc == 141 and err == "", err
    assert "BrokenPipeError" not in err
    rows = logged(cli)
    assert rows and rows[-1]["status"] == "interrupted" and rows[-1]["reply"].startswith("word0")


def test_compare_into_a_closed_pipe_exits_141_and_every_cell_is_logged(cli, openai_server):
    openai_server.chunks = LONG * 100  # more than a pipe's buffer: the reader leaves first
    rc, out, err = piped("compare hello -m openai:gpt-4o-mini -m openai:gpt-4o")
    assert rc == 141 and err == "", err
    assert sorted(r["status"] for r in logged(cli)) == ["complete", "complete"]


def test_logs_export_into_a_closed_pipe_exits_141(cli, openai_server):
    openai_server.reply_text = "long reply " * 2000  # more than a pipe's buffer in a few rows
    for i in range(8):
        assert cli("prompt", f"question {i}", *M, "--no-stream").exit_code == 0
    rc, out, err = piped("logs export")
    assert rc == 141 and err == "", err
