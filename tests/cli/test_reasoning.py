"""Reasoning end to end: request fields per provider, the streamed reply forms (a `reasoning`
or `reasoning_content` delta, a `<think>` block, Gemini thought parts), the reasoning on stderr
apart from the answer on stdout, its tokens in --json, the log and the cost; service tiers."""

from __future__ import annotations

import json
import sqlite3

import pytest

from llmcli.config import Paths


def last_row() -> dict:
    conn = sqlite3.connect(Paths.from_env().logs_db)
    conn.row_factory = sqlite3.Row
    row = dict(conn.execute("SELECT * FROM exchanges ORDER BY id DESC LIMIT 1").fetchone())
    conn.close()
    return row


# -- request fields ---------------------------------------------------------------------------
def test_openai_reasoning_effort_and_service_tier_reach_the_server(cli, openai_server):
    res = cli("prompt", "hi", "-m", "openai:gpt-4o-mini", "-o", "reasoning_effort=low",
              "-o", "service_tier=flex")
    assert res.exit_code == 0, res.stderr
    body = openai_server.requests_for("chat")[-1].body
    assert body["reasoning_effort"] == "low" and body["service_tier"] == "flex"


def test_groq_reasoning_format_effort_and_tier_reach_the_server(cli, groq_server):
    res = cli("prompt", "hi", "-m", "groq:openai/gpt-oss-20b", "-o", "reasoning_format=parsed",
              "-o", "reasoning_effort=high", "-o", "service_tier=on_demand")
    assert res.exit_code == 0, res.stderr
    body = groq_server.requests_for("chat")[-1].body
    assert body["reasoning_format"] == "parsed" and body["reasoning_effort"] == "high"
    assert body["service_tier"] == "on_demand"


@pytest.mark.parametrize(("option", "expected"), [
    ("thinking_budget=512", {"thinking_budget": 512, "include_thoughts": True}),
    ("thinking_level=low", {"thinking_level": "LOW", "include_thoughts": True}),
    ("thinking_budget=0", {"thinking_budget": 0, "include_thoughts": False}),
])
def test_gemini_thinking_config_reaches_the_server(cli, gemini_server, option, expected):
    res = cli("prompt", "hi", "-m", "gemini:gemini-2.5-flash-lite", "-o", option)
    assert res.exit_code == 0, res.stderr
    body = gemini_server.requests[-1].body
    # google-genai 3.4 sends this nested object with its field names (the API's JSON parser
    # takes both spellings)
    assert body["generationConfig"]["thinkingConfig"] == expected


@pytest.mark.parametrize(("model", "option", "takers"), [
    ("openai:gpt-4o-mini", "reasoning_format=raw", "groq"),
    ("openai:gpt-4o-mini", "thinking_budget=100", "gemini"),
    ("gemini:gemini-2.5-flash-lite", "reasoning_effort=low", "groq, openai"),
    ("local", "service_tier=flex", "gemini, groq, openai"),
])
def test_an_option_of_other_providers_is_refused_with_their_names(cli, openai_server,
                                                                   gemini_server, model,
                                                                   option, takers):
    res = cli("prompt", "hi", "-m", model, "-o", option)
    assert res.exit_code == 2
    name = option.split("=")[0]
    assert f"does not take the option '{name}'" in res.stderr
    assert f"providers that take it: {takers}" in res.stderr
    assert not openai_server.requests_for("chat") and not gemini_server.requests


@pytest.mark.parametrize("bad", ["reasoning_effort=extreme", "service_tier=fast"])
def test_a_value_the_provider_lacks_is_refused(cli, openai_server, bad):
    res = cli("prompt", "hi", "-m", "openai:gpt-4o-mini", "-o", bad)
    assert res.exit_code == 2 and "invalid value for option" in res.stderr
    assert not openai_server.requests_for("chat")


# -- streamed forms ---------------------------------------------------------------------------
@pytest.mark.parametrize("field", ["reasoning", "reasoning_content"])
@pytest.mark.parametrize("stream", [True, False])
def test_openai_reasoning_field_goes_to_stderr_not_stdout(cli, openai_server, field, stream):
    openai_server.reasoning = ["Pensando: ", "2+2 é 4 🤔"]
    openai_server.reasoning_field = field
    openai_server.chunks = ["A resposta ", "é 4."]
    openai_server.reasoning_tokens = 7
    openai_server.completion_tokens = 9
    args = ["prompt", "quanto é 2+2?", "-m", "openai:gpt-4o-mini", "--json"]
    res = cli(*args, *([] if stream else ["--no-stream"]))
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["text"] == "A resposta é 4."
    assert data["reasoning"] == "Pensando: 2+2 é 4 🤔"
    assert data["usage"]["reasoning_tokens"] == 7 and data["usage"]["output_tokens"] == 9
    assert "Pensando: 2+2 é 4 🤔" in res.stderr
    row = last_row()
    assert row["reasoning"] == "Pensando: 2+2 é 4 🤔" and row["reasoning_tokens"] == 7
    assert row["reply"] == "A resposta é 4."


def test_plain_output_keeps_reasoning_apart_and_hide_reasoning_hides_it(cli, groq_server):
    groq_server.reasoning = ["step one; ", "step two"]
    groq_server.chunks = ["final ", "answer"]
    res = cli("prompt", "q", "-m", "groq:openai/gpt-oss-20b")
    assert res.exit_code == 0, res.stderr
    assert res.stdout == "final answer\n"
    assert res.stderr == "step one; step two\n"  # not a terminal: no dim escape codes
    hidden = cli("prompt", "q", "-m", "groq:openai/gpt-oss-20b", "--hide-reasoning")
    assert hidden.stdout == "final answer\n" and hidden.stderr == ""
    assert last_row()["reasoning"] == "step one; step two"  # hidden, still logged


def test_groq_raw_think_block_split_across_chunks(cli, groq_server):
    groq_server.chunks = ["<thi", "nk>compare 9.11 ", "and 9.9</th", "ink>\n\n9.9 is ", "larger"]
    res = cli("prompt", "q", "-m", "groq:openai/gpt-oss-20b", "-o", "reasoning_format=raw",
              "--json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["text"] == "9.9 is larger"
    assert data["reasoning"] == "compare 9.11 and 9.9"


def test_a_think_tag_inside_the_answer_is_the_answer(cli, openai_server):
    openai_server.chunks = ["use <think>", " tags"]
    res = cli("prompt", "q", "-m", "openai:gpt-4o-mini")
    assert res.stdout == "use <think> tags\n" and res.stderr == ""


@pytest.mark.parametrize("stream", [True, False])
def test_gemini_thought_parts_and_thoughts_token_count(cli, gemini_server, stream):
    gemini_server.thought = "Primeiro, somo os números."
    gemini_server.thoughts_tokens = 5
    gemini_server.reply_text = "São 4."
    gemini_server.completion_tokens = 3
    args = ["prompt", "2+2", "-m", "gemini:gemini-2.5-flash-lite", "-o", "thinking_budget=256",
            "--json"]
    res = cli(*args, *([] if stream else ["--no-stream"]))
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["text"] == "São 4."
    assert data["reasoning"] == "Primeiro, somo os números."
    assert data["usage"]["reasoning_tokens"] == 5
    # Gemini reports thoughts apart from candidates: output = candidates + thoughts
    assert data["usage"]["output_tokens"] == 3 + 5
    assert "Primeiro, somo os números." in res.stderr


# -- cost --------------------------------------------------------------------------------------
def test_reasoning_tokens_are_billed_as_output(cli, openai_server):
    # gpt-4o-mini: $0.15 in / $0.60 out per million
    openai_server.prompt_tokens = 1000
    openai_server.completion_tokens = 3000  # of which reasoning:
    openai_server.reasoning_tokens = 2500
    openai_server.reasoning = ["hmm"]
    data = json.loads(cli("prompt", "q", "-m", "openai:gpt-4o-mini", "--json").stdout)
    assert data["cost"] == pytest.approx((1000 * 0.15 + 3000 * 0.60) / 1e6)
    assert data["usage"]["reasoning_tokens"] == 2500


@pytest.mark.parametrize(("model", "tier", "factor"), [
    ("openai:gpt-4o-mini", "flex", 0.5),
    ("openai:gpt-4o-mini", "default", 1.0),
    ("openai:gpt-4o-mini", "auto", 1.0),
    ("groq:openai/gpt-oss-20b", "flex", 1.0),  # Groq: flex costs the on-demand price
    ("gemini:gemini-2.5-flash-lite", "flex", 0.5),
    ("gemini:gemini-2.5-flash-lite", "standard", 1.0),
])
def test_flex_price_in_the_cost(cli, openai_server, groq_server, gemini_server, model, tier,
                                factor):
    for stub in (openai_server, groq_server, gemini_server):
        stub.prompt_tokens, stub.completion_tokens = 2000, 1000
    prices = {"openai:gpt-4o-mini": (0.15, 0.60), "groq:openai/gpt-oss-20b": (0.075, 0.30),
              "gemini:gemini-2.5-flash-lite": (0.10, 0.40)}
    p_in, p_out = prices[model]
    data = json.loads(cli("prompt", "q", "-m", model, "-o", f"service_tier={tier}",
                          "--json").stdout)
    assert data["cost"] == pytest.approx((2000 * p_in + 1000 * p_out) / 1e6 * factor)
    assert last_row()["cost"] == pytest.approx(data["cost"])


def test_gemini_service_tier_reaches_the_server(cli, gemini_server):
    res = cli("prompt", "hi", "-m", "gemini:gemini-2.5-flash-lite", "-o", "service_tier=flex")
    assert res.exit_code == 0, res.stderr
    assert gemini_server.requests[-1].body["serviceTier"] == "flex"
