"""`llmcli batch -t least-to-most | tree-of-thoughts`: one record per input and model, its
technique's calls each driven and logged, the record's tokens the calls' sums. The real CLI
and openai SDK against the loopback stub."""

from __future__ import annotations

import json
import sqlite3

import pytest

from llmcli.config import Paths
from tests.templates.helpers import reasoner, says

M = ["-m", "openai:gpt-4o-mini"]


def log_rows() -> list[dict]:
    conn = sqlite3.connect(Paths.from_env().logs_db)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("SELECT * FROM exchanges ORDER BY id")]
    conn.close()
    return rows


def inputs(*counts: int) -> str:
    return "".join(json.dumps({"id": f"q{n}", "input": f"Elsa tem {n} maçãs. Anna tem 2 a mais "
                                                        "que Elsa. Quantas elas têm juntas?"})
                   + "\n" for n in counts)


@pytest.mark.parametrize(("template", "calls"), [("least-to-most", 3), ("tree-of-thoughts", 10)])
def test_each_record_is_a_whole_technique(cli, openai_server, template, calls):
    reasoner(openai_server)
    res = cli("batch", "-", *M, "-t", template, "-j", "2", "--ordered", input=inputs(5, 10, 31))
    assert res.exit_code == 0, res.stderr
    records = [json.loads(line) for line in res.stdout.splitlines()]
    assert [(r["id"], r["status"], r["answer"]) for r in records] == [
        ("q5", "ok", "12"), ("q10", "ok", "17"), ("q31", "ok", "38")]
    assert all(r["attempts"] == calls for r in records)
    rows = log_rows()
    assert len(rows) == 3 * calls == len(openai_server.requests_for("chat"))
    assert {r["template"] for r in rows} == {template}
    assert len({r["batch_id"] for r in rows}) == 1 and rows[0]["batch_id"] == records[0]["batch"]
    for rec in records:  # the record's tokens are its calls' sums
        n = rec["id"][1:]
        mine = [r for r in rows if f"Elsa tem {n} maçãs" in r["prompt"]]
        assert len(mine) == calls
        assert rec["usage"]["input_tokens"] == sum(r["input_tokens"] for r in mine)
        assert rec["usage"]["output_tokens"] == sum(r["output_tokens"] for r in mine)


def test_a_failed_call_is_retried_in_place_not_the_whole_chain(cli, openai_server):
    reasoner(openai_server)
    # The second call (the sub-question) meets a 503 once: that call is retried, the
    # decomposition is not asked again.
    openai_server.script("chat", says(openai_server, "1. Quantas maçãs Anna tem?"),
                         openai_server.server_error(503))
    res = cli("batch", "-", *M, "-t", "least-to-most", input=inputs(5))
    assert res.exit_code == 0, res.stderr
    (rec,) = [json.loads(line) for line in res.stdout.splitlines()]
    assert rec["status"] == "ok" and rec["answer"] == "12" and rec["attempts"] == 4
    prompts = [r.body["messages"][-1]["content"] for r in openai_server.requests_for("chat")]
    assert len(prompts) == 4 and sum("Break the problem below" in p for p in prompts) == 1
    assert [r["attempts"] for r in log_rows()] == [1, 2, 1]


def test_a_call_that_keeps_failing_fails_the_record(cli, openai_server):
    reasoner(openai_server)
    openai_server.script("chat", says(openai_server, "1. Quantas maçãs Anna tem?"),
                         *[openai_server.server_error(503)] * 2)
    res = cli("batch", "-", *M, "-t", "least-to-most", "--retries", "1", input=inputs(5))
    assert res.exit_code == 10, res.stderr
    (rec,) = [json.loads(line) for line in res.stdout.splitlines()]
    assert rec["status"] == "error" and rec["answer"] is None and "503" in rec["error"]
    assert len(openai_server.requests_for("chat")) == 3  # the final call was never asked
    assert [r["status"] for r in log_rows()] == ["complete", "error"]


def test_provider_batch_refuses_a_multi_call_template(cli, openai_server, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(inputs(5), encoding="utf-8")
    res = cli("batch", str(src), *M, "-t", "self-refine", "--provider-batch")
    assert res.exit_code == 2
    assert "makes several calls per input" in res.stderr and res.stderr.count("\n") <= 2


def test_dry_run_says_a_chain_is_several_calls(cli, openai_server):
    res = cli("batch", "-", *M, "-t", "tree-of-thoughts", "--dry-run", input=inputs(5, 6))
    assert res.exit_code == 0, res.stderr
    assert "2 requests to 1 model(s)" in res.stderr
    assert "each request runs tree-of-thoughts, several calls" in res.stderr
    assert openai_server.requests_for("chat") == []
