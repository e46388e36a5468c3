"""`prompt -T`: the real CLI against the loopback stubs, each provider's tool-calling wire
(whole and streamed, several calls in one turn, bad JSON arguments), the loop, --json, the log."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.stubs.tool_calls import dumps, gemini_calls, openai_calls


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    from llmcli.tools import builtins

    monkeypatch.setattr(builtins, "CLOCK", lambda: datetime(2026, 12, 6, 7, 30, tzinfo=UTC))


LISBON = "2026-12-06T07:30:00+00:00 (Sunday, WET)"
SAO_PAULO = "2026-12-06T04:30:00-03:00 (Sunday, -03)"


def first_usage_of_answer(stub) -> int:
    """The stub's prompt-token count for the second request (words in its messages)."""
    from tests.stubs.base import words

    msgs = stub.requests_for("chat")[1].body["messages"]
    return words(str(m.get("content", "")) for m in msgs)


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("server", ["openai_server", "groq_server"])
def test_two_calls_in_one_turn_then_the_answer(cli, request, server: str, stream: bool) -> None:
    stub = request.getfixturevalue(server)
    model = "openai:gpt-4o-mini" if server == "openai_server" else "groq"
    stub.script("chat", openai_calls(stub, [
        ("call_a", "now", dumps({"zone": "Europe/Lisbon"})),
        ("call_b", "now", dumps({"zone": "America/Sao_Paulo"})),
    ]))
    args = ["prompt", "Que horas são em Lisboa e São Paulo?", "-m", model, "-T", "now", "--json"]
    r = cli(*args, *([] if stream else ["--no-stream"]))
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["text"] == f"Tool said: {LISBON} | {SAO_PAULO}"
    assert out["round_trips"] == 2
    assert out["attempts"] == 1
    assert out["usage"]["input_tokens"] == 10 + first_usage_of_answer(stub)
    assert [(c["name"], c["arguments"], c["result"]) for c in out["tool_calls"]] == [
        ("now", {"zone": "Europe/Lisbon"}, LISBON),
        ("now", {"zone": "America/Sao_Paulo"}, SAO_PAULO),
    ]
    first, second = stub.requests_for("chat")
    assert first.body["tools"][0]["function"]["name"] == "now"
    assert first.body["tools"][0]["function"]["parameters"]["properties"]["zone"]["type"] \
        == "string"
    msgs = second.body["messages"]
    assert [m["role"] for m in msgs] == ["user", "assistant", "tool", "tool"]
    assert [m["tool_call_id"] for m in msgs[2:]] == ["call_a", "call_b"]
    assert "→ now(zone=\"Europe/Lisbon\")" in r.stderr


def test_bad_json_arguments_go_back_to_the_model_as_an_error(cli, openai_server) -> None:
    openai_server.script("chat", openai_calls(openai_server, [
        ("call_1", "calculate", '{"expression": "2+'),
    ]))
    r = cli("prompt", "quanto é 2+2?", "-m", "openai:gpt-4o-mini", "-T", "calculate", "--json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["text"].startswith("Tool said: error: arguments are not valid JSON")
    sent = openai_server.requests_for("chat")[1].body["messages"]
    assert sent[1]["tool_calls"][0]["function"]["arguments"] == '{"expression": "2+'
    assert out["tool_calls"][0]["is_error"] is True


@pytest.mark.parametrize("stream", [True, False])
def test_gemini_function_calls(cli, gemini_server, stream: bool) -> None:
    gemini_server.script("chat", gemini_calls(gemini_server, [
        ("calculate", {"expression": "17*23"}), ("now", {"zone": "Europe/Lisbon"}),
    ]))
    r = cli("prompt", "17 x 23, e que horas são em Lisboa?", "-m", "gemini", "-T", "calculate",
            "-T", "now", "--json", *([] if stream else ["--no-stream"]))
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["text"] == f"Tool said: 391 | {LISBON}"
    first, second = gemini_server.requests_for("chat")
    names = [d["name"] for d in first.body["tools"][0]["functionDeclarations"]]
    assert names == ["calculate", "now"]
    last = second.body["contents"][-1]
    assert [p["functionResponse"]["name"] for p in last["parts"]] == ["calculate", "now"]


def test_the_chain_limit_stops_a_loop(cli, openai_server) -> None:
    loop = openai_calls(openai_server, [("c", "calculate", dumps({"expression": "1+1"}))])
    openai_server.script("chat", *([loop] * 5))
    r = cli("prompt", "loop", "-m", "openai:gpt-4o-mini", "-T", "calculate", "--chain-limit", "2")
    assert r.exit_code == 18
    assert "--chain-limit 2" in r.stderr
    assert len(openai_server.requests_for("chat")) == 3
    shown = cli("logs", "show", "1")
    assert "## Tool calls (3, 3 requests)" in shown.stdout
    assert "(not run)" in shown.stdout


def test_local_declares_no_tools(cli) -> None:
    r = cli("prompt", "hi", "-m", "local", "-T", "now")
    assert r.exit_code == 13
    assert "local cannot call tools" in r.stderr
    assert "gemini" in r.stderr and "groq" in r.stderr and "openai" in r.stderr


def test_unknown_tool_is_exit_18(cli, openai_server) -> None:
    r = cli("prompt", "hi", "-m", "openai:gpt-4o-mini", "-T", "rm_rf")
    assert r.exit_code == 18
    assert "unknown tool 'rm_rf'" in r.stderr and "calculate" in r.stderr
    assert openai_server.requests_for("chat") == []


@pytest.mark.parametrize("ids", [False, True])
def test_gemini_signature_and_ids_go_back(cli, gemini_server, ids: bool) -> None:
    sig = "c2lnbmF0dXJlLWJ5dGVz"  # base64 of b"signature-bytes"
    gemini_server.script("chat", gemini_calls(gemini_server, [
        ("now", {"zone": "UTC"}), ("now", {"zone": "Europe/Lisbon"})], signature=sig, ids=ids))
    r = cli("prompt", "horas?", "-m", "gemini", "-T", "now")
    assert r.exit_code == 0, r.stderr
    model_turn, answers = gemini_server.requests_for("chat")[1].body["contents"][-2:]
    calls = [p for p in model_turn["parts"] if "functionCall" in p]
    assert calls[0]["thoughtSignature"] == sig and "thoughtSignature" not in calls[1]
    sent_ids = [p["functionCall"].get("id") for p in calls]
    answered = [p["functionResponse"].get("id") for p in answers["parts"]]
    assert sent_ids == answered == (["fc-0", "fc-1"] if ids else [None, None])


@pytest.mark.parametrize("extra", [["--schema", "name, age int"], ["--rag", "notas"],
                                   ["-t", "chain-of-thought"]])
def test_tools_refused_with_features_they_do_not_combine_with(cli, openai_server, extra) -> None:
    r = cli("prompt", "oi", "-m", "openai:gpt-4o-mini", "-T", "now", *extra)
    assert r.exit_code == 2
    assert "-T and --functions do not combine with" in r.stderr
    assert openai_server.requests_for("chat") == []


def test_cache_answers_a_tool_exchange_asked_again(cli, openai_server) -> None:
    openai_server.script("chat", openai_calls(openai_server, [
        ("call_1", "calculate", dumps({"expression": "17*23"}))]))
    args = ["prompt", "quanto é 17 x 23?", "-m", "openai:gpt-4o-mini", "-T", "calculate",
            "--cache", "--json"]
    first = cli(*args)
    assert first.exit_code == 0, first.stderr
    assert len(openai_server.requests_for("chat")) == 2
    second = cli(*args)
    assert second.exit_code == 0, second.stderr
    assert len(openai_server.requests_for("chat")) == 2  # the log answered: no request sent
    out = json.loads(second.stdout)
    assert (out["text"], out["cached"]) == ("Tool said: 391", True)
    changed = cli("prompt", "quanto é 17 x 24?", *args[2:])
    assert changed.exit_code == 0, changed.stderr
    assert len(openai_server.requests_for("chat")) == 3  # another question is asked
