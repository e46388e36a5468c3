"""Control: --tools-approve answered on a real terminal (a pty), Ctrl-C during a tool keeps
the transcript (logged as interrupted), --tools-debug shows the full call."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pexpect

from tests.conftest import ROOT
from tests.stubs.tool_calls import dumps, openai_calls

M = ["-m", "openai:gpt-4o-mini"]


def test_approval_on_the_terminal(cli, openai_server) -> None:
    openai_server.script("chat", openai_calls(openai_server, [
        ("a", "calculate", dumps({"expression": "6*7"})),
        ("b", "calculate", dumps({"expression": "2**8"})),
    ]))
    child = pexpect.spawn(sys.executable, ["-m", "llmcli", "prompt", "conta", *M, "-T",
                                           "calculate", "--tools-approve", "--plain"],
                          cwd=str(ROOT), env=dict(os.environ), encoding="utf-8", timeout=60,
                          dimensions=(20, 80))
    child.expect_exact('run tool calculate(expression="6*7")? [y/N] ')
    child.sendline("y")
    child.expect_exact('run tool calculate(expression="2**8")? [y/N] ')
    child.sendline("n")
    child.expect_exact("Tool said: 42 | error: the user declined this call")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    sent = openai_server.requests_for("chat")[1].body["messages"]
    assert [m["content"] for m in sent if m["role"] == "tool"] == [
        "42", "error: the user declined this call"]
    row = json.loads(cli("logs", "list", "--json").stdout)[0]
    calls = json.loads(row["tool_calls"])
    assert [c["result"] for c in calls] == ["42", "error: the user declined this call"]


def test_approval_without_a_terminal_is_refused(cli, openai_server) -> None:
    proc = subprocess.run([sys.executable, "-m", "llmcli", "prompt", "oi", *M, "-T", "now",
                           "--tools-approve"], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, timeout=60, start_new_session=True)
    assert proc.returncode == 18
    assert b"--tools-approve needs a terminal" in proc.stderr
    assert openai_server.requests_for("chat") == []


def test_ctrl_c_in_a_tool_keeps_the_transcript(cli, openai_server, tmp_path: Path) -> None:
    funcs = tmp_path / "f.py"
    funcs.write_text("import threading\n\ndef stuck() -> str:\n    \"\"\"Hangs.\"\"\"\n"
                     "    threading.Event().wait()\n    return ''\n", encoding="utf-8")
    openai_server.script("chat", openai_calls(openai_server, [("a", "stuck", "{}")],
                                              text="Vou verificar. "))
    proc = subprocess.Popen([sys.executable, "-m", "llmcli", "prompt", "oi", *M, "--plain",
                             "--functions", str(funcs)], cwd=ROOT, env=dict(os.environ),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stderr is not None
    seen = b""
    while b"stuck()" not in seen:  # the call is shown: the tool is running
        chunk = os.read(proc.stderr.fileno(), 4096)
        assert chunk, seen
        seen += chunk
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 130
    row = json.loads(cli("logs", "list", "--json").stdout)[0]
    assert row["status"] == "interrupted"
    assert row["reply"] == "Vou verificar. "
    assert json.loads(row["tool_calls"]) == [
        {"round": 1, "id": "a", "name": "stuck", "arguments": {}, "result": None,
         "is_error": False}]


def test_tools_debug_shows_the_whole_call(cli, openai_server) -> None:
    expr = "+".join(["1"] * 60)  # 119 characters: shortened without --tools-debug
    call = openai_calls(openai_server, [("a", "calculate", dumps({"expression": expr}))])
    openai_server.script("chat", call)
    short = cli("prompt", "oi", *M, "-T", "calculate")
    assert "→ calculate(expression=\"1+1+1" in short.stderr and "…" in short.stderr
    assert expr not in short.stderr
    assert "← calculate: 60" in short.stderr
    openai_server.script("chat", call)
    full = cli("prompt", "oi", *M, "-T", "calculate", "--tools-debug")
    assert f'"expression": "{expr}"' in full.stderr and "→ calculate [a]" in full.stderr
    assert "← calculate: 60" in full.stderr


def test_calls_on_a_terminal_do_not_collide_with_the_spinner(openai_server) -> None:
    import pyte

    openai_server.script("chat", openai_calls(openai_server, [
        ("a", "now", dumps({"zone": "Europe/Lisbon"})), ("b", "now", dumps({"zone": "UTC"}))]))
    screen = pyte.Screen(80, 20)
    stream = pyte.ByteStream(screen)
    child = pexpect.spawn(sys.executable, ["-m", "llmcli", "prompt", "Que horas são?", *M,
                                           "-T", "now"], cwd=str(ROOT), env=dict(os.environ),
                          timeout=60, dimensions=(20, 80))
    stream.feed(child.read())
    child.close()
    assert child.exitstatus == 0
    lines = [line.rstrip() for line in screen.display if line.strip()]
    assert lines[0] == '→ now(zone="Europe/Lisbon")', lines
    assert lines[1].startswith("← now: ") and lines[2] == '→ now(zone="UTC")'
    assert lines[4].startswith("Tool said: ")
