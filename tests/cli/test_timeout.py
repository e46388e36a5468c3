"""--timeout and LLMCLI_TIMEOUT (#16 item 6): a silent server is given up on quickly, and a
read timeout is retried once at most. The stubs hang for 30 s; the tests set 0.5 s and only
check that the command finished well before the stub would have answered."""

from __future__ import annotations

import time

import pytest

from tests.stubs.base import Hang

M = ["-m", "openai:gpt-4o-mini"]


@pytest.mark.parametrize("how", ["flag", "env"])
def test_a_server_that_never_answers_is_given_up_after_one_retry(cli, openai_server, how):
    openai_server.script("chat", Hang(30), Hang(30), Hang(30))
    args, env = (["--timeout", "0.5"], {}) if how == "flag" else ([], {"LLMCLI_TIMEOUT": "0.5"})
    started = time.monotonic()
    res = cli("prompt", "olá", *M, *args, env=env)
    assert time.monotonic() - started < 25  # generous: the stub alone would hang 30 s a try
    assert res.exit_code == 7, res.stderr
    assert "read timeout" in res.stderr and "--timeout" in res.stderr
    assert len(openai_server.requests_for("chat")) == 2  # the first try and one retry
    assert "(attempt 2 of 2)" in res.stderr


def test_a_stalled_stream_is_given_up(cli, openai_server):
    openai_server.script("chat", openai_server.stream(stall_after=2))
    started = time.monotonic()
    res = cli("prompt", "olá", *M, "--timeout", "0.5")
    assert time.monotonic() - started < 25
    assert res.exit_code == 7, res.stderr
    assert len(openai_server.requests_for("chat")) == 1  # words arrived: never retried


@pytest.mark.parametrize("command", [
    ["prompt"], ["chat"], ["compare"], ["batch"], ["embed"], ["similar"], ["next"], ["models"],
    ["rag", "index"], ["rag", "search"],
])
def test_every_provider_command_takes_the_same_timeout_flag(cli, command):
    from llmcli.cli.context import TIMEOUT_HELP

    res = cli(*command, "--help", width=200)
    assert res.exit_code == 0
    shown = " ".join(res.stdout.split())  # help text is wrapped to the terminal
    assert "--timeout" in shown and TIMEOUT_HELP.split(" (")[0] in shown, command


def test_a_bad_environment_timeout_is_a_one_line_error(cli, openai_server):
    res = cli("prompt", "olá", *M, env={"LLMCLI_TIMEOUT": "abc"})
    assert res.exit_code == 2
    assert "LLMCLI_TIMEOUT must be a number of seconds" in res.stderr
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize(("stub", "model"), [
    ("groq_server", "groq:openai/gpt-oss-20b"),
    ("gemini_server", "gemini:gemini-2.5-flash-lite"),
])
def test_every_provider_honours_the_timeout(cli, request, stub, model):
    server = request.getfixturevalue(stub)
    server.script("chat", Hang(30), Hang(30), Hang(30))
    started = time.monotonic()
    res = cli("prompt", "olá", "-m", model, "--timeout", "0.5")
    assert time.monotonic() - started < 25
    assert res.exit_code == 7, res.stderr
    assert len(server.requests_for("chat")) == 2


@pytest.mark.parametrize("command", [
    ["compare", "olá", "-m", "openai:gpt-4o-mini"],
    ["batch", "-", "-m", "openai:gpt-4o-mini"],
])
def test_compare_and_batch_take_the_timeout_too(cli, openai_server, command):
    openai_server.script("chat", Hang(30), Hang(30), Hang(30), Hang(30))
    started = time.monotonic()
    res = cli(*command, "--timeout", "0.5", input='{"id": 1, "prompt": "olá"}\n')
    assert time.monotonic() - started < 25
    assert res.exit_code != 0, res.stderr
    assert len(openai_server.requests_for("chat")) == 2  # one retry of the read timeout
