"""#16 item 8: SIGTERM and SIGHUP mid-reply keep the partial reply, as Ctrl-C does: it is
logged as interrupted (prompt, chat, batch) and the process exits 128 + the signal's number.
Real signals to a real process, against a loopback stub that streams slowly; the signal is sent
once the reply has begun (read from the process's stdout, or the stub's own request log)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT

M = ["-m", "openai:gpt-4o-mini"]
WORDS = [f"word{i} " for i in range(300)]


@pytest.fixture
def slow(openai_server):
    """Every reply streams one word every 50 ms: 15 s in all, far longer than any test."""
    openai_server.chunks = WORDS
    base = openai_server.stream(chunk_delay=0.05)
    openai_server.default = lambda route, req: (
        base(req) if route == "chat" else type(openai_server).default(openai_server, route, req))
    return openai_server


def start(args: list[str], stdin: bytes = b"") -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "llmcli", *args], cwd=ROOT,
                            env=dict(os.environ), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    proc.stdin.write(stdin)
    proc.stdin.close()
    return proc


def read_until(proc: subprocess.Popen, marker: bytes) -> bytes:
    """Read stdout until `marker` shows: the reply is streaming."""
    assert proc.stdout is not None
    seen = b""
    while marker not in seen:
        chunk = os.read(proc.stdout.fileno(), 4096)
        assert chunk, f"stdout closed before {marker!r}: {seen!r}"
        seen += chunk
    return seen


def rows(cli) -> list[dict]:
    res = cli("logs", "list", "--json", "-n", "50")
    assert res.exit_code == 0, res.stderr
    return json.loads(res.stdout)


def check_interrupted(cli, n: int) -> None:
    logged = rows(cli)
    assert len(logged) == n
    for row in logged:
        assert row["status"] == "interrupted", row
        assert row["reply"].startswith("word0 word1 ") and len(row["reply"]) < len("".join(WORDS))


SIGNALS = [(signal.SIGTERM, 143), (signal.SIGHUP, 129)]


@pytest.mark.parametrize("signum, code", SIGNALS)
def test_prompt_keeps_the_partial_reply(cli, slow, signum, code):
    proc = start(["prompt", "hello", *M, "--plain"])
    read_until(proc, b"word2 ")
    proc.send_signal(signum)
    assert proc.wait(timeout=30) == code
    assert "interrupted" in proc.stderr.read().decode()
    check_interrupted(cli, 1)


@pytest.mark.parametrize("signum, code", SIGNALS)
def test_piped_chat_keeps_the_partial_reply_and_stops(cli, slow, signum, code):
    proc = start(["chat", *M], b"hello\nsecond line\n")
    read_until(proc, b"word2 ")
    proc.send_signal(signum)
    assert proc.wait(timeout=30) == code
    check_interrupted(cli, 1)  # the second line was never sent
    assert len(slow.requests_for("chat")) == 1


@pytest.mark.parametrize("signum, code", SIGNALS)
def test_batch_logs_every_reply_in_flight_as_interrupted(cli, slow, signum, code):
    proc = start(["batch", "-", *M, "-j", "2"], b'{"prompt": "a"}\n{"prompt": "b"}\n')
    deadline = time.monotonic() + 30
    while len(slow.requests_for("chat")) < 2:  # both requests are streaming
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.02)
    time.sleep(0.3)  # a few words (50 ms apart) reach the client: only a lower bound matters
    proc.send_signal(signum)
    assert proc.wait(timeout=30) == code
    check_interrupted(cli, 2)
