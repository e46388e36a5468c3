"""`llmcli prompt` end to end: the real openai SDK talking HTTP to the loopback stub."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from llmcli.config import Paths
from tests.conftest import ROOT

M = ["-m", "openai:gpt-4o-mini"]


def log_rows() -> list[dict]:
    conn = sqlite3.connect(Paths.from_env().logs_db)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("SELECT * FROM exchanges ORDER BY id")]
    conn.close()
    return rows


def test_piped_reply_is_plain_text_only(cli, openai_server):
    openai_server.chunks = ["Olá, ", "mundo ", "🌍"]
    res = cli("prompt", "diga olá", *M)
    assert res.exit_code == 0
    assert res.stdout == "Olá, mundo 🌍\n"
    req = openai_server.requests_for("chat")[-1]
    assert req.body["stream"] is True
    assert req.body["stream_options"] == {"include_usage": True}
    assert req.body["messages"] == [{"role": "user", "content": "diga olá"}]


def test_stdin_comes_first_then_prompt(cli, openai_server):
    cli("prompt", "summarise", *M, input="line one\nline two\n")
    sent = openai_server.requests_for("chat")[-1].body["messages"][-1]["content"]
    assert sent == "line one\nline two\n\nsummarise"


def test_system_prompt_and_options_reach_the_server(cli, openai_server):
    res = cli(
        "prompt",
        "hi",
        *M,
        "-s",
        "be brief",
        "-o",
        "temperature=0.2",
        "-o",
        "max_tokens=7",
        "-o",
        "seed=3",
        "-o",
        "stop=END",
    )
    assert res.exit_code == 0
    body = openai_server.requests_for("chat")[-1].body
    assert body["messages"][0] == {"role": "system", "content": "be brief"}
    assert body["temperature"] == 0.2 and body["max_tokens"] == 7 and body["seed"] == 3
    assert body["stop"] == ["END"]


def test_json_output_shape_and_log_id(cli, openai_server):
    openai_server.chunks = ["a", "b", "c"]
    res = cli("prompt", "hi there", *M, "--json")
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert data["text"] == "abc" and data["provider"] == "openai"
    assert data["model"] == "openai:gpt-4o-mini"
    assert data["usage"] == {"input_tokens": 2, "output_tokens": 3, "total_tokens": 5}
    assert data["finish_reason"] == "stop" and data["status"] == "complete"
    assert (
        data["timings"]["ttft"] is not None and data["timings"]["total"] >= data["timings"]["ttft"]
    )
    row = log_rows()[-1]
    assert row["id"] == data["log_id"] and row["reply"] == "abc" and row["input_tokens"] == 2
    from llmcli.core.provider import ProviderSettings
    from llmcli.providers.openai_compat import OpenAIProvider

    info = OpenAIProvider(ProviderSettings(name="openai")).model_info("gpt-4o-mini")
    assert data["cost"] == pytest.approx((2 * info.price_in + 3 * info.price_out) / 1e6)


def test_no_stream_sends_a_plain_request(cli, openai_server):
    res = cli("prompt", "hi", *M, "--no-stream")
    assert res.stdout == "Hello from the stub.\n"
    assert "stream" not in openai_server.requests_for("chat")[-1].body


def test_no_log_writes_nothing(cli, openai_server):
    assert cli("prompt", "hi", *M, "--no-log").exit_code == 0
    assert not Paths.from_env().logs_db.exists()


def test_every_exchange_logged(cli, openai_server):
    cli("prompt", "first", *M)
    cli("prompt", "second", *M, "-s", "sys")
    rows = log_rows()
    assert [r["prompt"] for r in rows] == ["first", "second"]
    assert rows[1]["system"] == "sys" and rows[1]["status"] == "complete"
    assert rows[1]["ttft"] is not None and rows[1]["duration"] > 0


def test_missing_key_names_the_variable(cli, openai_server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    res = cli("prompt", "hi", *M)
    assert res.exit_code == 3
    assert "OPENAI_API_KEY" in res.stderr and "llmcli keys set openai" in res.stderr
    assert openai_server.requests == []


def test_key_from_keys_file_and_flag(cli, openai_server, monkeypatch):
    key = openai_server.expected_key
    monkeypatch.delenv("OPENAI_API_KEY")
    cli("keys", "set", "openai", input=key)
    assert cli("prompt", "hi", *M).exit_code == 0
    wrong = {"OPENAI_API_KEY": "sk-wrong-but-overridden-1234"}
    assert cli("prompt", "hi", *M, "--key", key, env=wrong).exit_code == 0
    headers = openai_server.requests_for("chat")[-1].headers
    assert headers["authorization"] == f"Bearer {key}"


def test_bad_key_never_shown(cli, openai_server):
    res = cli("prompt", "hi", *M, "--debug", env={"OPENAI_API_KEY": "sk-bad-secret-abcdef123456"})
    assert res.exit_code == 4
    assert "sk-bad-secret-abcdef123456" not in res.stderr + res.stdout
    rows = log_rows()
    assert rows[-1]["status"] == "error"
    assert all("sk-bad-secret-abcdef123456" not in json.dumps(r) for r in rows)


def test_unknown_model_from_server(cli, openai_server):
    res = cli("prompt", "hi", "-m", "openai:gpt-nope")
    assert res.exit_code == 5 and "gpt-nope" in res.stderr and "Traceback" not in res.stderr


def test_named_endpoint_without_key(cli, openai_server, home, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    openai_server.expected_key = None
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(
        f'[endpoints.ollama]\nbase_url = "{openai_server.url}"\n', encoding="utf-8"
    )
    openai_server.models.append("qwen2.5")
    res = cli("prompt", "hi", "-m", "ollama:qwen2.5", "--json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["provider"] == "ollama" and data["model"] == "ollama:qwen2.5"


def test_aliases_and_default_model_from_config(cli, openai_server, home):
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(
        'default_model = "fast"\n[aliases]\nfast = "openai:gpt-4o"\n', encoding="utf-8"
    )
    data = json.loads(cli("prompt", "hi", "--json").stdout)
    assert data["model"] == "openai:gpt-4o"


def test_rate_limit_then_success_is_retried(cli, openai_server):
    from tests.stubs.base import Reply

    openai_server.fail_times(
        "chat",
        1,
        openai_server.error(
            429,
            "Rate limit reached",
            "requests",
            "rate_limit_exceeded",
            headers={"retry-after-ms": "50"},
        ),
    )
    res = cli("prompt", "hi", *M, "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["attempts"] == 2
    line = next(ln for ln in res.stderr.splitlines() if "retrying" in ln)
    # said once, in one pair of parentheses: not "(retry in 0.05s); retrying in 0.1 s"
    assert line.count("retry") == 1, line
    assert ") (" not in line and "((" not in line and "))" not in line, line
    assert len(openai_server.requests_for("chat")) == 2
    assert isinstance(Reply, type)


def test_terminal_output_renders_markdown(cli, openai_server):
    openai_server.chunks = ["# Title\n\n", "Some **bold** text.\n\n", "- item one\n- item two\n"]
    res = cli("prompt", "hi", *M, stdout_tty=True, width=60)
    assert res.exit_code == 0
    assert (
        "**" not in res.stdout
        and "Title" in res.stdout
        and "bold" in res.stdout
        and "•" in res.stdout
    )


def test_long_reply_in_terminal_is_never_elided(cli, openai_server):
    paragraphs = [f"Paragraph number {i} with some words.\n\n" for i in range(200)]
    openai_server.chunks = paragraphs
    res = cli("prompt", "long", *M, stdout_tty=True, width=80)
    for i in (0, 57, 199):
        assert f"Paragraph number {i} " in res.stdout
    assert "..." not in res.stdout


def test_no_color_is_honoured(cli, openai_server):
    openai_server.chunks = ["Some **bold** text"]
    res = cli("prompt", "hi", *M, stdout_tty=True, env={"NO_COLOR": "1"})
    import re

    assert "bold" in res.stdout
    # no colour codes; bold and italics are not colour (no-color.org) and stay
    assert not re.search(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m",
                         res.stdout)


def test_ctrl_c_while_streaming_keeps_partial_and_exits_130(openai_server, tmp_path):
    openai_server.script("chat", openai_server.stream(chunk_delay=0.3))
    openai_server.chunks = [f"word{i} " for i in range(40)]
    env = dict(os.environ)
    proc = subprocess.Popen(
        [sys.executable, "-m", "llmcli", "prompt", "hi", *M],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=ROOT,
    )
    first = proc.stdout.read(6)  # wait until text is flowing
    assert first.startswith(b"word")
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err.decode()
    assert b"Traceback" not in err
    row = log_rows()[-1]
    assert row["status"] == "interrupted"
    assert row["reply"].startswith("word0 word1") and len(row["reply"]) < len(
        "".join(openai_server.chunks)
    )


def test_32_processes_at_once_all_log(openai_server):
    env = dict(os.environ)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "llmcli", "prompt", f"hello {i}", *M],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=ROOT,
        )
        for i in range(32)
    ]
    results = [(p.wait(timeout=120), p.stderr.read().decode()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    assert all(code == 0 for code, _ in results), [e for c, e in results if c]
    assert not any("locked" in err for _, err in results)
    prompts = sorted(r["prompt"] for r in log_rows())
    assert prompts == sorted(f"hello {i}" for i in range(32))
