"""`llmcli compare` and `llmcli leaderboard` end to end: the real SDKs over HTTP to the
loopback stubs, with scripted latencies, token counts, failures and 429s."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from llmcli.core.errors import UnknownModel
from llmcli.providers.catalog import known
from tests.compare.stubtools import final_screen, per_model, rows, strip_ansi
from tests.stubs.base import Hang

THREE = ["-m", "openai:gpt-4o-mini", "-m", "groq:openai/gpt-oss-20b",
         "-m", "gemini:gemini-3.5-flash-lite"]


def price(provider: str, model: str) -> tuple[float, float]:
    info = next(i for i in known(provider) if i.id == model)
    return info.price_in, info.price_out


@pytest.fixture
def three(openai_server, groq_server, gemini_server):
    return openai_server, groq_server, gemini_server


@pytest.fixture
def two_models(openai_server):
    """One OpenAI-compatible server with two models that answer differently."""
    openai_server.models += ["model-a", "model-b", "model-c"]
    openai_server.table = per_model(openai_server, {
        "model-a": {"chunks": ["alpha ", "reply"]},
        "model-b": {"chunks": ["beta ", "reply"]},
        "model-c": {"chunks": ["gamma ", "reply"]},
    })
    return openai_server


AB = ["-m", "openai:model-a", "-m", "openai:model-b"]


def test_every_model_is_asked_at_once(cli, three):
    for stub in three:
        per_model(stub, {m: {"delay": 0.6} for m in ("gpt-4o-mini", "openai/gpt-oss-20b",
                                                      "gemini-3.5-flash-lite")})
    res = cli("compare", "hello", *THREE, "--json")
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    cells = doc["cells"]
    assert [c["status"] for c in cells] == ["complete"] * 3
    assert all(c["ttft"] >= 0.6 for c in cells)
    # Every cell was in flight at one moment: the last was sent before the first had its reply.
    # (Only lower bounds are asserted here: the servers' delays guarantee them on any load.
    # The wall time against the ideal is measured in bench/bench_compare.py.)
    assert max(c["started"] for c in cells) < min(c["started"] + c["total"] for c in cells)
    assert doc["wall"] >= 0.6


def test_metrics_per_cell_come_from_what_the_servers_did(cli, three):
    openai_server, groq_server, gemini_server = three
    per_model(openai_server, {"gpt-4o-mini": {
        "delay": 0.3, "chunk_delay": 0.1, "chunks": ["one ", "two ", "three"],
        "prompt_tokens": 7, "completion_tokens": 30}})
    per_model(groq_server, {"openai/gpt-oss-20b": {
        "delay": 0.1, "chunks": ["fast"], "prompt_tokens": 5, "completion_tokens": 11}})
    per_model(gemini_server, {"gemini-3.5-flash-lite": {
        "delay": 0.5, "chunks": ["slow ", "reply"], "prompt_tokens": 9, "completion_tokens": 4}})
    res = cli("compare", "count to three", *THREE, "--json")
    assert res.exit_code == 0, res.stderr
    cells = {c["model"]: c for c in json.loads(res.stdout)["cells"]}
    o = cells["openai:gpt-4o-mini"]
    # role event, then a text event every 0.1 s: first text at delay + 0.1 at the earliest;
    # three text events, finish, usage, [DONE]: the stream ends 0.6 s after the role event.
    # Lower bounds only: a loaded machine can only make them later.
    assert o["ttft"] >= 0.4 - 0.02 and o["total"] >= 0.9 - 0.02 and o["ttft"] < o["total"]
    assert o["text"] == "one two three"
    assert (o["input_tokens"], o["output_tokens"]) == (7, 30)
    # timings are printed to the millisecond; the rate is computed from the exact ones
    assert o["tokens_per_second"] == pytest.approx(30 / (o["total"] - o["ttft"]), rel=0.01)
    pin, pout = price("openai", "gpt-4o-mini")
    assert o["cost"] == pytest.approx((7 * pin + 30 * pout) / 1e6)
    g = cells["groq:openai/gpt-oss-20b"]
    assert g["ttft"] >= 0.1 - 0.02
    assert (g["input_tokens"], g["output_tokens"]) == (5, 11)
    pin, pout = price("groq", "openai/gpt-oss-20b")
    assert g["cost"] == pytest.approx((5 * pin + 11 * pout) / 1e6)
    m = cells["gemini:gemini-3.5-flash-lite"]
    assert m["ttft"] >= 0.5 - 0.02 and m["text"] == "slow reply"
    assert (m["input_tokens"], m["output_tokens"]) == (9, 4)
    assert {c["finish_reason"] for c in cells.values()} == {"stop"}
    assert all(c["backoff"] == 0 and c["attempts"] == 1 for c in cells.values())


def test_one_model_failing_never_stops_the_others(cli, openai_server, groq_server):
    res = cli("compare", "hi", "-m", "openai:no-such-model", "-m", "groq:openai/gpt-oss-20b")
    assert res.exit_code == UnknownModel.exit_code
    assert "1 of 2 cells failed" in res.stderr and "openai:no-such-model" in res.stderr
    assert "=== groq:openai/gpt-oss-20b ===\nHello from the stub." in res.stdout
    table = res.stdout.split("model\tttft_s")[1]
    assert "error: " in table and "no-such-model" in table
    logged = rows()
    assert {r["status"] for r in logged} == {"complete", "error"}
    assert len({r["comparison_id"] for r in logged}) == 1 and logged[0]["comparison_id"]


def test_a_missing_key_fails_only_that_models_cell(cli, openai_server, monkeypatch):
    monkeypatch.delenv("GROQ_API_KEY", raising=False)
    res = cli("compare", "hi", "-m", "openai:gpt-4o-mini", "-m", "groq", "--json")
    doc = json.loads(res.stdout)
    assert res.exit_code == 3
    assert doc["cells"][0]["status"] == "complete"
    assert doc["cells"][1]["status"] == "error" and "GROQ_API_KEY" in doc["cells"][1]["error"]


def test_rate_limited_cell_backs_off_and_the_table_says_it_waited(cli, openai_server, groq_server):
    limited = openai_server.rate_limited(retry_after=0.4)
    per_model(openai_server, {"gpt-4o-mini": {"first": [limited]}})
    res = cli("compare", "hi", "-m", "openai:gpt-4o-mini", "-m", "groq:openai/gpt-oss-20b")
    assert res.exit_code == 0, res.stderr
    assert len(openai_server.requests_for("chat")) == 2  # the 429, then the retry
    lines = res.stdout.split("model\tttft_s")[1].splitlines()
    row = next(ln for ln in lines if ln.startswith("openai:gpt-4o-mini"))
    free = next(ln for ln in lines if ln.startswith("groq:"))
    assert row.endswith("rate limit 0.4 s")
    assert free.endswith("\t-")


def test_per_provider_concurrency_queues_cells_and_says_so(cli, two_models):
    for m in ("model-a", "model-b"):
        two_models.table[m]["delay"] = 0.4
    res = cli("compare", "hi", *AB, "-j", "1", "--json")
    cells = json.loads(res.stdout)["cells"]
    held = sorted(c["held"] for c in cells)
    assert held[1] >= 0.35 and held[0] < held[1]  # the second waited for the first's reply
    starts = sorted(r.at for r in two_models.requests_for("chat"))
    assert starts[1] - starts[0] >= 0.35  # one at a time on this provider


def test_grid_of_prompts_by_models_logged_under_one_comparison(cli, openai_server, groq_server):
    res = cli("compare", "-p", "first question", "-p", "second question",
              "-m", "openai:gpt-4o-mini", "-m", "groq:openai/gpt-oss-20b", "--json")
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["grid"] == {"prompts": 2, "models": 2, "runs": 1, "cells": 4}
    got = {(c["prompt"], c["model"]) for c in doc["cells"]}
    assert got == {(p, m) for p in ("first question", "second question")
                   for m in ("openai:gpt-4o-mini", "groq:openai/gpt-oss-20b")}
    sent = sorted(r.body["messages"][-1]["content"] for s in (openai_server, groq_server)
                  for r in s.requests_for("chat"))
    assert sent == ["first question", "first question", "second question", "second question"]
    logged = rows()
    assert len(logged) == 4 and {r["comparison_id"] for r in logged} == {doc["comparison_id"]}
    assert sorted(c["log_id"] for c in doc["cells"]) == sorted(r["id"] for r in logged)


def test_stdin_goes_before_every_prompt(cli, openai_server):
    res = cli("compare", "-p", "summarise", "-p", "translate", "-m", "openai:gpt-4o-mini",
              "--json", input="some text\n")
    assert res.exit_code == 0, res.stderr
    sent = sorted(r.body["messages"][-1]["content"] for r in openai_server.requests_for("chat"))
    assert sent == ["some text\n\nsummarise", "some text\n\ntranslate"]


def test_templates_as_rows_with_extracted_answers_and_agreement(cli, openai_server):
    openai_server.chunks = ["Six times seven is 42.\n", "Answer: 42"]
    res = cli("compare", "What is 6 x 7?", "-t", "zero-shot", "-t", "chain-of-thought",
              "-m", "openai:gpt-4o-mini", "--runs", "3", "--json")
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["grid"] == {"prompts": 2, "models": 1, "runs": 3, "cells": 6}
    cot = [c for c in doc["cells"] if c["template"] == "chain-of-thought"]
    assert [c["answer"] for c in cot] == ["42"] * 3
    stats = {s["prompt_label"]: s for s in doc["stats"]}
    assert stats["chain-of-thought"]["agreement"] == {
        "answers": [{"answer": "42", "count": 3}], "total": 3, "rate": 1.0, "extracted": True}
    assert stats["zero-shot"]["agreement"]["extracted"] is False
    assert stats["zero-shot"]["total"]["n"] == 3
    # the chain-of-thought template sent its system prompt and worked examples
    cot_req = next(r for r in openai_server.requests_for("chat")
                   if r.body["messages"][0]["role"] == "system")
    assert "step by step" in cot_req.body["messages"][0]["content"]
    assert cot_req.body["temperature"] == 0


def test_runs_report_median_and_spread_in_a_table(cli, openai_server):
    per_model(openai_server, {"gpt-4o-mini": {"delay": 0.1}})
    res = cli("compare", "hi", "-m", "openai:gpt-4o-mini", "--runs", "3")
    assert res.exit_code == 0, res.stderr
    _header, *lines = res.stdout.split("model\truns")[1].splitlines()
    assert lines[0].startswith("openai:gpt-4o-mini\t3/3\t")
    assert "3/3 'Hello from the stub.'" in lines[0]


def test_runs_table_in_a_pipe_has_the_one_run_tables_names_and_bare_numbers(cli,
                                                                           openai_server):
    per_model(openai_server, {"gpt-4o-mini": {"delay": 0.05, "prompt_tokens": 7,
                                              "completion_tokens": 3}})
    one = cli("compare", "hi", "-m", "openai:gpt-4o-mini")
    head, row = [line.split("\t") for line in one.stdout.splitlines()[-2:]]
    single = dict(zip(head, row, strict=True))
    res = cli("compare", "hi", "-m", "openai:gpt-4o-mini", "--runs", "3")
    assert res.exit_code == 0, res.stderr
    head, row = [line.split("\t") for line in res.stdout.splitlines()[-2:]]
    runs = dict(zip(head, row, strict=True))
    for name in ("ttft_s", "total_s", "tok_s", "cost_usd"):  # the one-run table's names
        assert name in single and name in runs
    assert head == ["model", "runs", "ttft_s", "ttft_s_min", "ttft_s_max", "total_s",
                    "total_s_min", "total_s_max", "tok_s", "tok_s_min", "tok_s_max",
                    "cost_usd", "answers_agree", "waited"]
    assert "$" not in res.stdout and " s" not in "".join(row[2:12])
    seconds = [runs[f"{m}{end}"] for m in ("ttft_s", "total_s") for end in ("", "_min", "_max")]
    assert all(re.fullmatch(r"\d+\.\d{3}", v) for v in seconds), seconds  # as ttft_s is
    assert float(runs["ttft_s_min"]) <= float(runs["ttft_s"]) <= float(runs["ttft_s_max"])
    assert float(runs["ttft_s_min"]) >= 0.05
    assert re.fullmatch(r"0\.\d+", single["cost_usd"]) and "e-" not in runs["cost_usd"]
    assert Decimal(runs["cost_usd"]) == 3 * Decimal(single["cost_usd"])  # summed over runs
    assert runs["answers_agree"] == "3/3 'Hello from the stub.'" and runs["runs"] == "3/3"


def test_runs_table_in_a_terminal_names_its_columns_as_the_one_run_table(cli, openai_server):
    res = cli("compare", "hi", "-m", "openai:gpt-4o-mini", "--runs", "2", stdout_tty=True,
              width=160)
    assert res.exit_code == 0, res.stderr
    screen = strip_ansi(res.stdout)
    header = next(line for line in screen.splitlines() if "answers agree" in line)
    assert [c.strip() for c in header.strip("┃ ").split("┃")] == [
        "model", "runs", "ttft", "total", "tok/s", "cost", "answers agree", "waited"]
    row = next(line for line in screen.splitlines() if line.startswith("│ openai:gpt-4o-mini"))
    ttft = row.split("│")[3].strip()
    assert re.fullmatch(r"\d\.\d\d s \(\d\.\d\d–\d\.\d\d\)", ttft), ttft  # as `0.16 s`
    assert re.fullmatch(r"\$0\.0+\d\d?", row.split("│")[6].strip())


def test_runs_table_keeps_one_row_per_model_in_a_narrower_terminal(cli, openai_server,
                                                                   groq_server):
    models = ["-m", "openai:gpt-4o-mini", "-m", "groq:openai/gpt-oss-20b"]
    res = cli("compare", "hi", *models, "--runs", "2", stdout_tty=True, width=100)
    assert res.exit_code == 0, res.stderr
    screen = strip_ansi(res.stdout)
    table = screen[screen.index("over runs"):]
    assert "╭─" not in table  # no cards: a table, as the one-run table at this width
    assert all(len(line) <= 100 for line in table.splitlines())
    assert len([ln for ln in table.splitlines() if ln.startswith("│ ")]) == 2  # a row a model
    assert "│ gpt-4o-mini " in table and "│ openai/gpt-oss-20b " in table
    assert "left out to fit 100 columns: waited, ttft (--json has every figure)" in table


def test_runs_table_at_80_columns_is_still_a_row_per_model(cli, openai_server, groq_server,
                                                         gemini_server):
    models = ["-m", "openai:gpt-4o-mini", "-m", "groq:openai/gpt-oss-20b", "-m", "gemini"]
    res = cli("compare", "hi", *models, "--runs", "2", stdout_tty=True, width=80)
    assert res.exit_code == 0, res.stderr
    screen = strip_ansi(res.stdout)
    table = screen[screen.index("over runs"):]
    assert "╭─" not in table  # a table, not one card per model
    assert all(len(line) <= 80 for line in table.splitlines())
    assert len([ln for ln in table.splitlines() if ln.startswith("│ ")]) == 3
    assert "answers agree" in " ".join(table.split())  # named among the columns left out


def test_jsonl_has_one_record_per_cell_with_every_measurement(cli, two_models):
    res = cli("compare", "hi", *AB, "--jsonl")
    records = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(records) == 2
    assert set(records[0]) >= {
        "comparison_id", "cell", "row", "column", "run", "model", "provider", "prompt", "status",
        "error", "text", "finish_reason", "ttft", "total", "input_tokens", "output_tokens",
        "tokens_per_second", "cost", "waited", "held", "backoff", "attempts", "log_id"}
    assert {r["text"] for r in records} == {"alpha reply", "beta reply"}
    assert len({r["comparison_id"] for r in records}) == 1


def test_markdown_report(cli, two_models):
    res = cli("compare", "hi", *AB, "--markdown")
    lines = res.stdout.splitlines()
    assert lines[0] == "| model | ttft | total | in | out | tok/s | cost | finish | waited |"
    assert lines[1] == "|---|---:|---:|---:|---:|---:|---:|---|---|"
    assert lines[2].startswith("| openai:model-a | ") and lines[2].endswith(" | stop | - |")
    assert "### openai:model-b" in res.stdout and "beta reply" in res.stdout


def test_diff_marks_the_words_that_differ(cli, two_models):
    res = cli("compare", "hi", *AB, "--diff")
    assert "--- diff openai:model-a → openai:model-b (50% of words in common)\n" in res.stdout
    assert "[-alpha-]{+beta+} reply" in res.stdout


def test_exclusive_outputs_and_bad_options_fail_before_any_request(cli, openai_server):
    res = cli("compare", "hi", "-m", "openai:gpt-4o-mini", "--json", "--markdown")
    assert res.exit_code == 2 and "exclusive" in res.stderr
    res = cli("compare", "hi", "-m", "openai:gpt-4o-mini", "-o", "temperature=9")
    assert res.exit_code == 2 and "temperature" in res.stderr
    res = cli("compare", "hi", "-m", "nosuchthing")
    assert res.exit_code == 5
    assert openai_server.requests_for("chat") == []


# -- rendering at several terminal widths ------------------------------------------------------


@pytest.mark.parametrize("width", [40, 80, 160])
def test_rendering_fits_the_terminal(cli, two_models, width):
    res = cli("compare", "hi", *AB, stdout_tty=True, width=width)
    assert res.exit_code == 0, res.stderr
    screen = final_screen(res.stdout)
    lines = screen.splitlines()
    assert all(len(line) <= width for line in lines), max(lines, key=len)
    title_a = next(i for i, ln in enumerate(lines) if "openai:model-a" in ln)
    side_by_side = "openai:model-b" in lines[title_a]
    assert side_by_side == (width >= 2 * 28 + 1)
    assert "alpha reply" in screen and "beta reply" in screen
    full = any(ln.split() == ["┃", "model", "┃", "ttft", "┃", "total", "┃", "in", "┃", "out",
                              "┃", "tok/s", "┃", "cost", "┃", "finish", "┃", "waited", "┃"]
               for ln in lines)
    header = [ln for ln in lines if ln.startswith("┃ model")]
    assert len(header) == 1  # a table at every width, never cards
    assert sum(1 for ln in lines if ln.startswith("│ model-") or ln.startswith("│ openai:")) == 2
    assert full == (width >= 80)  # every column from 80 here; narrower, some are left out
    assert ("left out to fit" in screen) == (not full)


def test_three_columns_stack_at_80_and_sit_side_by_side_at_160(cli, two_models):
    models = [*AB, "-m", "openai:model-c"]
    narrow = final_screen(cli("compare", "hi", *models, stdout_tty=True, width=80).stdout)
    wide = final_screen(cli("compare", "hi", *models, stdout_tty=True, width=160).stdout)
    assert not any("model-a" in ln and "model-c" in ln for ln in narrow.splitlines())
    assert any("model-a" in ln and "model-b" in ln and "model-c" in ln for ln in wide.splitlines())


def test_live_view_streams_then_clears(cli, two_models):
    two_models.table["model-a"].update(chunk_delay=0.15, chunks=["one ", "two ", "three"])
    two_models.table["model-b"].update(delay=0.2)
    res = cli("compare", "hi", *AB, stdout_tty=True, width=120)
    raw = strip_ansi(res.stdout)
    assert "waiting for the first token" in raw or "queued" in raw  # the live frames
    assert "2 words" in raw or "1 words" in raw  # a frame drawn mid-stream
    screen = final_screen(res.stdout)
    assert "one two three" in screen and "queued" not in screen


def test_waited_marker_in_the_terminal_table(cli, openai_server, groq_server):
    limited = openai_server.rate_limited(retry_after=0.2)
    per_model(openai_server, {"gpt-4o-mini": {"first": [limited]}})
    res = cli("compare", "hi", "-m", "openai:gpt-4o-mini", "-m", "groq:openai/gpt-oss-20b",
              stdout_tty=True, width=140)
    screen = final_screen(res.stdout)
    row = next(ln for ln in screen.splitlines() if "openai:gpt-4o-mini" in ln and "│" in ln
               and "stop" in ln)
    assert "⏳ rate limit 0.2 s" in row
    assert "waited: backing off before a retry" in screen
    assert "queued" not in screen  # no concurrency limit held anything back (#15)


# -- blind votes and the leaderboard ---------------------------------------------------------------


def test_blind_vote_is_stored_and_revealed(cli, two_models):
    res = cli("compare", "hi", *AB, "--blind", input="a\n", stdin_tty=True)
    assert res.exit_code == 0, res.stderr
    assert "Which reply is better? [a/b/tie/skip]" in res.stderr
    assert "openai:model" not in res.stdout.split("A = ")[0]  # hidden until the vote
    (vote,) = rows("votes")
    labels = json.loads(vote["labels"])
    assert set(labels) == {"A", "B"}
    assert set(labels.values()) == {"openai:model-a", "openai:model-b"}
    assert vote["winner"] == labels["A"] and vote["outcome"] == "win"
    # the column shown as A really was that model's reply
    expected = "alpha reply" if labels["A"] == "openai:model-a" else "beta reply"
    assert f"=== A ===\n{expected}\n" in res.stdout
    assert f"A = {labels['A']}  ← your pick" in res.stdout
    assert vote["comparison_id"] == rows()[0]["comparison_id"]


def test_blind_tie_skip_and_bad_answers(cli, two_models):
    res = cli("compare", "hi", *AB, "--blind", input="x\ntie\n", stdin_tty=True)
    assert "answer one of A, B, tie or skip" in res.stderr
    assert rows("votes")[0]["outcome"] == "tie" and rows("votes")[0]["winner"] is None
    res = cli("compare", "hi", *AB, "--blind", input="skip\n", stdin_tty=True)
    assert "no vote recorded" in res.stdout and len(rows("votes")) == 1


def test_blind_order_is_shuffled(cli, two_models, monkeypatch):
    import random

    from llmcli.compare import setup

    shown_as_a = set()
    for seed in range(4):  # seeds 0-3 give both orders of two columns
        monkeypatch.setattr(setup.random, "SystemRandom", lambda s=seed: random.Random(s))
        res = cli("compare", "hi", *AB, "--blind", input="skip\n", stdin_tty=True)
        shown_as_a.add(res.stdout.split("A = ")[1].split("\n")[0].strip())
    assert shown_as_a == {"openai:model-a", "openai:model-b"}


def test_blind_refuses_what_it_cannot_do(cli, two_models):
    assert cli("compare", "hi", "-m", "openai:model-a", "--blind", stdin_tty=True).exit_code == 2
    res = cli("compare", "hi", *AB, "--blind", "--runs", "2", stdin_tty=True)
    assert res.exit_code == 2 and "--runs" in res.stderr


def test_leaderboard_elo_from_votes(cli, two_models):
    for vote in ("a", "b", "tie"):
        cli("compare", "hi", *AB, "--blind", input=f"{vote}\n", stdin_tty=True)
    votes = rows("votes")
    res = cli("leaderboard", "--json")
    doc = json.loads(res.stdout)
    assert doc["votes"] == 3
    by_model = {m["model"]: m for m in doc["models"]}
    assert sum(m["votes"] for m in by_model.values()) == 6
    first_winner = votes[0]["winner"]
    second_winner = votes[1]["winner"]
    # replay the arithmetic: 1000/1000, winner +16; then the second vote, then a draw
    from llmcli.compare.elo import expected

    r = {"openai:model-a": 1000.0, "openai:model-b": 1000.0}
    for w in (first_winner, second_winner, None):
        a, b = "openai:model-a", "openai:model-b"
        score = 0.5 if w is None else (1.0 if w == a else 0.0)
        change = 32 * (score - expected(r[a], r[b]))
        r[a] += change
        r[b] -= change
    for m, rating in r.items():
        assert by_model[m]["elo"] == pytest.approx(rating, abs=0.05)
        assert by_model[m]["ties"] == 1
    plain = cli("leaderboard")
    assert plain.stdout.splitlines()[0] == "#\tmodel\telo\tvotes\twins\tties\tlosses"


def test_leaderboard_without_votes(cli):
    res = cli("leaderboard")
    assert res.exit_code == 0 and "no votes yet" in res.stderr and res.stdout == ""


def test_a_hanging_model_is_stopped_by_ctrl_c_and_the_rest_is_logged(openai_server):
    """Ctrl-C stops all cells, keeps what arrived, logs it as interrupted, exits 130 at once,
    even though one model's server never answers."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT

    openai_server.models += ["model-a", "model-b"]
    per_model(openai_server, {
        "model-a": {"chunk_delay": 0.1, "chunks": [f"w{i} " for i in range(60)]},
        "model-b": {"first": [Hang(30)]},
    })
    proc = subprocess.Popen(
        [sys.executable, "-m", "llmcli", "compare", "hi", *AB],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=dict(os.environ),
    )
    deadline = time.monotonic() + 20
    while len(openai_server.requests_for("chat")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.8)
    proc.send_signal(signal.SIGINT)
    # Waiting for the hung stream would take its 30 s: the timeout fails the test then.
    _out, err = proc.communicate(timeout=15)
    assert proc.returncode == 130, err
    logged = {r["model"]: r for r in rows()}
    assert logged["model-a"]["status"] == "interrupted"
    assert 2 <= len(logged["model-a"]["reply"].split()) < 60
    assert logged["model-b"]["status"] == "interrupted" and logged["model-b"]["reply"] == ""
    assert "interrupted" in err.decode()


# -- a real terminal ---------------------------------------------------------------------------


def _spawn(command: str, *args: str):
    import os

    import pexpect

    from tests.conftest import ROOT

    env = dict(os.environ, COLUMNS="120", LINES="40", TERM="xterm-256color")
    return pexpect.spawn(command, list(args), cwd=str(ROOT), env=env, encoding="utf-8",
                         timeout=30, dimensions=(40, 120))


def test_blind_vote_typed_at_a_real_terminal(two_models):
    import sys

    child = _spawn(sys.executable, "-m", "llmcli", "compare", "hi", *AB, "--blind")
    child.expect(r"Which reply is better\? \[a/b/tie/skip\] ")
    child.sendline("b")
    child.expect(r"B = (openai:model-[ab])  ← your pick")
    picked = child.match.group(1)
    child.expect(pexpect_eof())
    child.close()
    assert child.exitstatus == 0
    (vote,) = rows("votes")
    assert vote["winner"] == picked == json.loads(vote["labels"])["B"]


def test_blind_vote_read_from_the_terminal_when_the_prompt_is_piped(two_models):
    import sys

    child = _spawn("/bin/sh", "-c",
                   f"echo 'piped question' | {sys.executable} -m llmcli compare "
                   "-m openai:model-a -m openai:model-b --blind")
    child.expect(r"Which reply is better\?")
    child.sendline("tie")
    child.expect("recorded a tie")
    child.expect(pexpect_eof())
    child.close()
    assert child.exitstatus == 0
    assert rows("votes")[0]["outcome"] == "tie"
    assert {r.body["messages"][-1]["content"] for r in two_models.requests_for("chat")} == {
        "piped question"}


def pexpect_eof():
    import pexpect

    return pexpect.EOF


def test_blind_hides_the_figures_and_ignores_keys_typed_while_replies_stream(two_models):
    """Before the vote nothing tells the columns apart (no time, tokens, cost, no table);
    a key pressed while the replies stream is not taken as the vote."""
    import sys
    import time

    slow = {"chunk_delay": 0.05, "prompt_tokens": 79}
    per_model(two_models, {
        "model-a": {**slow, "chunks": [f"alpha{i} " for i in range(30)]},
        "model-b": {**slow, "chunks": [f"beta{i} " for i in range(30)]},
    })
    child = _spawn(sys.executable, "-m", "llmcli", "compare", "hi", *AB, "--blind")
    deadline = time.monotonic() + 20
    while len(two_models.requests_for("chat")) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    child.send("a\r")  # typed while both replies are still streaming (30 x 50 ms each)
    child.expect(r"Which reply is better\? \[a/b/tie/skip\] ")
    before_vote = strip_ansi(child.before)
    for figure in ("$", " tok", "79", "ttft", "cost", "model-a", "model-b"):
        assert figure not in before_vote, figure
    child.sendline("b")
    child.expect(r"B = (openai:model-[ab])  ← your pick")
    picked = child.match.group(1)
    child.expect(pexpect_eof())
    after_vote = strip_ansi(child.before)
    child.close()
    assert child.exitstatus == 0
    assert rows("votes")[0]["winner"] == picked  # "b", typed after the question; not "a"
    table = after_vote[after_vote.index("ttft"):]  # the figures, revealed after the vote
    assert "openai:model-a" in table and "openai:model-b" in table and "stop" in table
    assert "logs list --comparison" in table  # the id comes last, after the vote


def test_compare_says_its_comparison_id_on_stderr(cli, two_models):
    res = cli("compare", "hi", *AB, stderr_tty=True)
    assert res.exit_code == 0, res.stderr
    cid = rows()[0]["comparison_id"]
    assert f"comparison {cid} logged: llmcli logs list --comparison {cid}" in res.stderr
    listed = json.loads(cli("logs", "list", "--comparison", cid, "--json").stdout)
    assert len(listed) == 2


def test_three_providers_at_80_columns_keep_one_row_per_model(cli, three):
    res = cli("compare", "hello", *THREE, stdout_tty=True, width=80)
    assert res.exit_code == 0, res.stderr
    lines = final_screen(res.stdout).splitlines()
    assert all(len(ln) <= 80 for ln in lines)
    start = next(i for i, ln in enumerate(lines) if ln.startswith("┃ model"))
    end = next(i for i, ln in enumerate(lines) if i > start and ln.startswith("└"))
    body = lines[start + 2 : end]
    assert len(body) == 3  # one line per model: nothing folded, no cards
    assert [ln.split("│")[1].strip() for ln in body] == [
        "gpt-4o-mini", "openai/gpt-oss-20b", "gemini-3.5-flash-lite"]  # provider dropped
    note = next(ln for ln in lines if ln.startswith("left out to fit 80 columns"))
    assert note.split(": ")[1].startswith("waited")  # the stated order: waited goes first


def test_markdown_names_each_prompt(cli, two_models):
    res = cli("compare", "-p", "Qual é a capital?", "-p", "E a do Peru?", *AB, "--markdown")
    assert res.exit_code == 0, res.stderr
    assert "- **p1**: Qual é a capital?\n- **p2**: E a do Peru?" in res.stdout


def test_ctrl_c_leaves_no_stray_border_row(two_models):
    """Ctrl-C mid-stream: the live region is cleared and only whole panels stay."""
    from tests.chat.term import CTRL_C, Term

    two_models.table["model-a"].update(chunk_delay=0.1, chunks=[f"alpha{i} " for i in range(200)])
    two_models.table["model-b"].update(chunk_delay=0.1, chunks=[f"beta{i} " for i in range(200)])
    t = Term("hi", *AB, rows=20, cols=80, command="compare")
    try:
        t.wait(lambda: "alpha3" in t.text(), "the replies to stream")
        t.send(CTRL_C)
        assert t.exit_code() == 130
        lines = t.lines()
        tops = sum(ln.count("╭") for ln in lines)
        bottoms = sum(ln.count("╰") for ln in lines)
        assert tops == bottoms == 2, t.text()  # the two reply panels, closed; no stray border
        assert sum("openai:model-a" in ln for ln in lines if "╭" in ln) == 1
        assert "^C" not in t.text()
    finally:
        t.close()
