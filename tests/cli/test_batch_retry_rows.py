"""#16 (smaller): batch logs one row per item, its final outcome with its attempt count, not a
row per retry."""

from __future__ import annotations

import json

M = ["-m", "openai:gpt-4o-mini"]


def rows(cli) -> list[dict]:
    return json.loads(cli("logs", "list", "--json").stdout)


def test_a_retried_item_is_one_row_with_its_attempts(cli, openai_server):
    openai_server.script("chat", openai_server.server_error(503))
    res = cli("batch", "-", *M, input='{"prompt": "hello"}\n')
    assert res.exit_code == 0, res.stderr
    (row,) = rows(cli)
    assert row["status"] == "complete" and row["attempts"] == 2
    assert len(openai_server.requests_for("chat")) == 2


def test_an_item_that_keeps_failing_is_one_error_row(cli, openai_server):
    openai_server.script("chat", *[openai_server.server_error(503)] * 2)
    res = cli("batch", "-", *M, "--retries", "1", input='{"prompt": "hello"}\n')
    assert res.exit_code == 10, res.stderr
    (row,) = rows(cli)
    assert row["status"] == "error" and row["attempts"] == 2
