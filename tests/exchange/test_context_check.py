"""One context pre-check for every command (#16 item 9): a request longer than the model's
window is refused before anything is sent (exit 9), by prompt as by chat, and the local model
has one window everywhere."""

from __future__ import annotations

import json

M = ["-m", "openai:gpt-4o-mini"]  # a 128,000-token window in the catalog
HUGE = "palavra " * 650_000  # 5.2 MB: about 1.3 M tokens by chars/4


def test_prompt_refuses_a_5mb_stdin_before_sending(cli, openai_server):
    res = cli("prompt", "resuma", *M, input=HUGE)
    assert res.exit_code == 9, res.stderr
    assert "not sent" in res.stderr and "context window of 128,000" in res.stderr
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert openai_server.requests_for("chat") == []


def test_compare_cells_are_refused_the_same_way(cli, openai_server):
    res = cli("compare", "resuma", "-m", "openai:gpt-4o-mini", "-m", "openai:gpt-4o-mini",
              "--json", input=HUGE)
    assert openai_server.requests_for("chat") == []
    assert res.exit_code != 0
    assert "context window of 128,000" in res.stdout + res.stderr


def test_a_request_that_fits_is_sent(cli, openai_server):
    res = cli("prompt", "resuma", *M, input="palavra " * 1000)
    assert res.exit_code == 0, res.stderr
    assert len(openai_server.requests_for("chat")) == 1


def test_the_local_model_has_one_window(cli):
    from llmcli.providers.local import DEFAULT_CONTEXT

    res = cli("models", "local", "--offline", "--json")
    assert res.exit_code == 0, res.stderr
    rows = json.loads(res.stdout)
    gemma = next(r for r in rows if r["id"].endswith("gemma-3-270m") or
                 r.get("model", "").endswith("gemma-3-270m"))
    assert gemma["context_window"] == DEFAULT_CONTEXT == 8192
