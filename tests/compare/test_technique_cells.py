"""`llmcli compare -t least-to-most -t tree-of-thoughts`: a multi-call technique is one cell,
its calls driven through the exchange service and each logged; the cell's tokens and cost are
the calls' sums. The real CLI and openai SDK against the loopback stub."""

from __future__ import annotations

import json
import sqlite3

from llmcli.config import Paths
from llmcli.providers.catalog import known
from tests.compare.stubtools import final_screen, per_model, strip_ansi
from tests.templates.helpers import reasoner

MODELS = ["-m", "openai:gpt-4o-mini", "-m", "openai:gpt-4o"]
PROBLEM = "Elsa tem 5 maçãs. Anna tem 2 a mais que Elsa. Quantas maçãs elas têm juntas?"


def log_rows() -> list[dict]:
    conn = sqlite3.connect(Paths.from_env().logs_db)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("SELECT * FROM exchanges ORDER BY id")]
    conn.close()
    return rows


def price(model: str) -> tuple[float, float]:
    info = next(i for i in known("openai") if i.id == model)
    return info.price_in, info.price_out


def test_least_to_most_and_tree_of_thoughts_cells(cli, openai_server):
    reasoner(openai_server)
    res = cli("compare", PROBLEM, *MODELS, "-t", "least-to-most", "-t", "tree-of-thoughts",
              "-t", "chain-of-thought", "--json")
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    cells = {(c["template"], c["model"]): c for c in doc["cells"]}
    assert len(cells) == 6 and {c["status"] for c in cells.values()} == {"complete"}
    assert {c["answer"] for c in cells.values()} == {"12"}
    # least-to-most: the decomposition, one sub-question, the problem itself.
    # tree-of-thoughts (breadth 3, depth 3): three rounds of one proposal and two scores
    # (two thoughts proposed), then the conclusion. chain-of-thought: one call, no count.
    for model in ("openai:gpt-4o-mini", "openai:gpt-4o"):
        assert cells[("least-to-most", model)]["calls"] == 3
        assert cells[("tree-of-thoughts", model)]["calls"] == 10
        assert "calls" not in cells[("chain-of-thought", model)]
        assert cells[("least-to-most", model)]["text"] == "5 + 7 = 12\nAnswer: 12"
    requests = openai_server.requests_for("chat")
    assert len(requests) == 2 * (3 + 10 + 1)
    rows = log_rows()
    assert len(rows) == len(requests)
    assert {r["comparison_id"] for r in rows} == {doc["comparison_id"]}
    by_template = {t: [r for r in rows if r["template"] == t]
                   for t in ("least-to-most", "tree-of-thoughts", "chain-of-thought")}
    assert [len(v) for v in by_template.values()] == [6, 20, 2]
    # A cell's tokens and cost are its calls' sums; it points at its last call's row.
    for (template, model), cell in cells.items():
        mine = [r for r in rows if r["template"] == template and f"openai:{r['model']}" == model]
        assert cell["input_tokens"] == sum(r["input_tokens"] for r in mine)
        assert cell["output_tokens"] == sum(r["output_tokens"] for r in mine)
        pin, pout = price(model.split(":")[1])
        expected = (cell["input_tokens"] * pin + cell["output_tokens"] * pout) / 1e6
        assert abs(cell["cost"] - expected) < 1e-9
        assert cell["log_id"] == max(r["id"] for r in mine)
        if cell.get("calls"):
            assert cell["ttft"] is None and cell["attempts"] == cell["calls"]


def test_a_failed_call_fails_its_cell_only(cli, openai_server):
    reasoner(openai_server)
    openai_server.script("chat", openai_server.error(400, "bad request", "invalid_request_error"))
    res = cli("compare", PROBLEM, "-m", "openai:gpt-4o-mini", "-t", "least-to-most",
              "-t", "zero-shot", "--json", "--concurrency", "1")
    doc = json.loads(res.stdout)
    statuses = sorted(c["status"] for c in doc["cells"])
    assert statuses == ["complete", "error"], res.stderr
    failed = next(c for c in doc["cells"] if c["status"] == "error")
    assert "bad request" in failed["error"]
    assert res.exit_code != 0 and "1 of 2 cells failed" in res.stderr


def test_self_consistency_cell_votes_with_a_seed_given_by_the_user(cli, openai_server):
    reasoner(openai_server)
    res = cli("compare", PROBLEM, "-m", "openai:gpt-4o-mini", "-t", "self-consistency",
              "-o", "seed=7", "--json")
    assert res.exit_code == 0, res.stderr
    (cell,) = json.loads(res.stdout)["cells"]
    assert cell["answer"] == "12" and cell["calls"] == 5
    bodies = [r.body for r in openai_server.requests_for("chat")]
    assert [b["seed"] for b in bodies] == [7, 8, 9, 10, 11]  # varied, as prompt -t does
    assert {b["temperature"] for b in bodies} == {0.8}


def test_the_terminal_report_shows_the_final_reply(cli, openai_server):
    reasoner(openai_server)
    res = cli("compare", PROBLEM, "-m", "openai:gpt-4o-mini", "-t", "tree-of-thoughts")
    assert res.exit_code == 0, res.stderr
    assert "Answer: 12" in res.stdout and "Score:" not in res.stdout


def test_the_live_view_says_which_call_is_running(cli, openai_server):
    reasoner(openai_server)
    per_model(openai_server, {"gpt-4o-mini": {"delay": 0.25}})
    res = cli("compare", PROBLEM, "-m", "openai:gpt-4o-mini", "-t", "least-to-most",
              "-t", "zero-shot", stdout_tty=True, width=80)
    assert res.exit_code == 0, res.stderr
    frames = strip_ansi(res.stdout)
    assert "call 2 · waiting for the first token" in frames
    assert "call 3 · waiting for the first token" in frames
    assert "Answer: 12" in final_screen(res.stdout)
