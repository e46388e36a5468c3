"""#16 item 7: the logs database on read-only media or a full disk. Real file systems: the CLI
runs in a private mount namespace (`unshare -m`) where its data dir is a read-only bind mount
or a tiny tmpfs filled up. Read-only commands work on a read-only database; the messages say
what is wrong; prompt, chat, compare and batch agree on the exit code (12) when they cannot log.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

M = ["-m", "openai:gpt-4o-mini"]


def _can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(not _can_unshare(), reason="needs unshare -m (mount namespaces)")


def in_namespace(setup: str, args: list[str], *, input: bytes = b"") -> tuple[int, str, str]:
    """Run `python -m llmcli ARGS` after the shell `setup` (mounts) in a private namespace."""
    cmd = " ".join(f"'{a}'" for a in [sys.executable, "-m", "llmcli", *args])
    proc = subprocess.run(["unshare", "-m", "sh", "-c", f"set -e; {setup}; exec {cmd}"],
                          cwd=ROOT, env=dict(os.environ), input=input, capture_output=True,
                          timeout=60)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


@pytest.fixture
def data(home, cli, openai_server):
    """A logs database holding two exchanges; returns the data dir."""
    for q in ("first question", "segunda pergunta"):
        assert cli("prompt", q, *M).exit_code == 0
    d = home / "data"
    assert (d / "logs.db").exists()
    return d


def read_only(d) -> str:
    return f"mount --bind '{d}' '{d}'; mount -o remount,ro,bind '{d}'"


def full(d) -> str:
    """A 512 KiB tmpfs over the data dir holding a copy of it, then filled to the last byte."""
    return (f"cp -a '{d}' /tmp/llmcli-copy-$$; mount -t tmpfs -o size=512k tmpfs '{d}'; "
            f"cp -a /tmp/llmcli-copy-$$/. '{d}'; rm -rf /tmp/llmcli-copy-$$; "
            f"dd if=/dev/zero of='{d}/filler' bs=4k 2>/dev/null || true")


@pytest.mark.parametrize("args", [["logs", "list", "--json"], ["logs", "search", "pergunta"]])
def test_reading_commands_work_on_a_read_only_database(data, args):
    code, out, err = in_namespace(read_only(data), args)
    assert code == 0, err
    assert "segunda pergunta" in out and err == ""


def test_prompt_on_a_read_only_database_says_so_and_exits_12(data, openai_server):
    code, out, err = in_namespace(read_only(data), ["prompt", "hello", *M])
    assert out.startswith("Hello from the stub.")  # the reply is shown
    assert code == 12, err
    assert "is read-only" in err and "unreadable" not in err and "move the file" not in err


def test_a_full_disk_is_called_full_not_unreadable(data, openai_server):
    code, _out, err = in_namespace(full(data), ["prompt", "hello " * 3000, *M])
    assert code == 12, err
    assert "is full" in err and "unreadable" not in err, err


@pytest.mark.parametrize("args, stdin", [
    (["prompt", "hello", *M], b""),
    (["chat", *M], b"hello\nagain\n"),
    (["compare", "hello", *M, "-m", "openai:gpt-4o"], b""),
    (["batch", "-", *M], b'{"prompt": "hello"}\n{"prompt": "again"}\n'),
])
def test_every_command_that_cannot_log_shows_the_reply_and_exits_12(data, args, stdin):
    code, out, err = in_namespace(read_only(data), args, input=stdin)
    assert "Hello from the stub." in out  # nothing the model said is lost
    assert code == 12, err
    assert "is read-only" in err and "internal error" not in err
    if args[0] == "chat":
        assert out.count("Hello from the stub.") == 2  # the chat carried on
