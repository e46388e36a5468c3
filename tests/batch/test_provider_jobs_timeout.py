"""`--timeout` on `batch jobs|status|fetch|cancel`: the same flag, with the same meaning, as on
every command that calls a provider (seconds a silent server is given before giving up). The
loopback stub hangs for 30 s; the test allows 0.5 s."""

from __future__ import annotations

import time

import pytest

from tests.batch.test_provider_jobs import submit, three
from tests.stubs.base import Hang


@pytest.mark.parametrize(("sub", "route"), [
    ("status", "batches.retrieve"), ("fetch", "batches.retrieve"),
    ("cancel", "batches.cancel"),
])
def test_a_silent_provider_is_given_up_after_timeout(cli, openai_server, tmp_path, sub, route):
    job = submit(cli, three(tmp_path))
    openai_server.script(route, Hang(30), Hang(30), Hang(30))
    started = time.monotonic()
    res = cli("batch", sub, job, "--timeout", "0.5")
    assert time.monotonic() - started < 25  # the stub alone would hang 30 s a try
    assert res.exit_code == 7, res.stderr
    assert "read timeout" in res.stderr and "--timeout" in res.stderr
    assert "Traceback" not in res.stderr
    # One request: a job command is not an exchange; running it again is its retry.
    assert len(openai_server.requests_for(route)) == 1


def test_every_job_subcommand_takes_the_same_timeout_flag(cli):
    from llmcli.cli.context import TIMEOUT_HELP

    # `batch jobs` reads the log and asks no provider, so it has no --timeout (nor --key)
    res = cli("batch", "jobs", "--help", width=200)
    assert res.exit_code == 0 and "--timeout" not in res.stdout
    for sub in ("status", "fetch", "cancel"):
        res = cli("batch", sub, "--help", width=200)
        assert res.exit_code == 0, res.stderr
        shown = " ".join(res.stdout.split())
        assert "--timeout" in shown and TIMEOUT_HELP.split(" (")[0] in shown, sub


def test_a_bad_timeout_is_refused_like_everywhere(cli, openai_server, tmp_path):
    job = submit(cli, three(tmp_path))
    res = cli("batch", "status", job, "--timeout", "0")
    assert res.exit_code == 2 and "--timeout" in res.stderr
    assert openai_server.requests_for("batches.retrieve") == []
