"""`llmcli next` on OpenAI-compatible providers: the probabilities come from the server's
log-probabilities (the loopback stub here); Groq, which has none, says so."""

from __future__ import annotations

import json
import math
import re

import pytest

import llmcli.cli.inspect  # noqa: F401  (registers `next`)

PROMPT = "The capital of France is"
PARIS = [
    (" Paris", -0.0123, [(" Paris", -0.0123), (" the", -4.6), (" a", -5.3), (" located", -6.0),
                        (" known", -6.5), (" one", -7.0)]),
    (".", -0.25, [(".", -0.25), (",", -1.6), ("!", -3.9)]),
]


PERCENT = re.compile(r"\d+\.\d+%")


def pct(logprob: float) -> str:
    return f"{100 * math.exp(logprob):.1f}%"


@pytest.fixture
def stub(openai_server):
    openai_server.token_logprobs = PARIS
    return openai_server


def test_next_prints_the_servers_tokens_and_probabilities(cli, stub):
    r = cli("next", PROMPT, "-m", "openai:gpt-4o-mini", "--top", "5")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "openai:gpt-4o-mini · max_tokens=1, top_logprobs=5"
    rows = [line for line in lines if PERCENT.search(line)]
    # The five alternatives, best first, each at exp(logprob); the emitted token is marked.
    assert [row.lstrip("→ ").split()[0] for row in rows] == ["Paris", "the", "a", "located",
                                                             "known"]
    assert [PERCENT.search(row).group() for row in rows] == [
        pct(-0.0123), pct(-4.6), "0.50%", "0.25%", "0.15%"]  # 98.8%, 1.0%: exp of the logprobs
    assert rows[0].startswith("→  Paris") and not rows[1].startswith("→")
    assert " one" not in r.stdout  # --top 5 asked for five
    body = stub.last.body
    assert body["logprobs"] is True and body["top_logprobs"] == 5 and body["max_tokens"] == 1
    assert body["messages"] == [{"role": "user", "content": PROMPT}]
    assert "stream" not in body  # one whole reply: the probabilities, not a live stream


def test_next_json_shape(cli, stub):
    r = cli("next", PROMPT, "-m", "openai:gpt-4o-mini", "--top", "2", "--json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["model"] == "openai:gpt-4o-mini" and data["prompt"] == PROMPT
    assert data["options"] == {"max_tokens": 1, "top_logprobs": 2}
    (step,) = data["steps"]
    assert step["stages"] == ["logprob"] and step["step"] == 0 and step["note"] is None
    assert [(t["id"], t["piece"]) for t in step["top"]] == [(None, " Paris"), (None, " the")]
    assert step["top"][0]["probs"]["logprob"] == pytest.approx(math.exp(-0.0123), abs=1e-6)
    assert step["top"][1]["probs"]["logprob"] == pytest.approx(math.exp(-4.6), abs=1e-6)
    assert step["chosen"] == {"id": None, "piece": " Paris",
                              "prob": pytest.approx(math.exp(-0.0123), abs=1e-6)}
    assert data["text"] == " Paris"


def test_next_steps_shows_each_generated_token(cli, stub):
    r = cli("next", PROMPT, "-m", "openai", "--top", "3", "--steps", "2", "--json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert stub.last.body["max_tokens"] == 2 and stub.last.body["top_logprobs"] == 3
    assert [s["chosen"]["piece"] for s in data["steps"]] == [" Paris", "."]
    assert [t["piece"] for t in data["steps"][1]["top"]] == [".", ",", "!"]
    assert data["steps"][1]["chosen"]["prob"] == pytest.approx(math.exp(-0.25), abs=1e-6)
    assert data["text"] == " Paris."

    plain = cli("next", PROMPT, "-m", "openai", "--top", "3", "--steps", "2")
    assert plain.exit_code == 0, plain.stderr
    assert "step 1" in plain.stdout and "step 2" in plain.stdout
    picked = [line for line in plain.stdout.splitlines() if line.startswith("→ ")]
    assert [PERCENT.search(line).group() for line in picked[:2]] == [pct(-0.0123), pct(-0.25)]
    assert plain.stdout.rstrip().endswith(f"text: {PROMPT} Paris.")


def test_next_options_pass_through_and_top_is_capped_at_20(cli, stub):
    r = cli("next", PROMPT, "-m", "openai", "--top", "30", "-o", "temperature=0.3", "--json")
    assert r.exit_code == 0, r.stderr
    body = stub.last.body
    assert body["top_logprobs"] == 20 and body["temperature"] == 0.3  # the API's maximum


def test_next_on_a_named_openai_compatible_endpoint(cli, stub, home, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    stub.expected_key = None
    stub.models.append("qwen2.5")
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(
        f'[endpoints.llamacpp]\nbase_url = "{stub.url}"\n', encoding="utf-8")
    r = cli("next", PROMPT, "-m", "llamacpp:qwen2.5", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["steps"][0]["chosen"]["piece"] == " Paris"
    assert stub.last.body["model"] == "qwen2.5" and stub.last.body["logprobs"] is True


def test_next_when_the_server_sends_no_logprobs(cli, stub):
    from tests.stubs.base import Reply

    stub.script("chat", Reply(200, stub.completion_body(None, "gpt-4o-mini")))  # logprobs: null
    r = cli("next", PROMPT, "-m", "openai")
    assert r.exit_code == 13
    assert "sent no log-probabilities" in r.stderr and "Traceback" not in r.stderr


def test_next_on_groq_says_it_has_none(cli, groq_server):
    r = cli("next", PROMPT, "-m", "groq")
    assert r.exit_code == 13
    assert "returns no token probabilities" in r.stderr
    assert "openai" in r.stderr and "local" in r.stderr  # where to go instead
    assert groq_server.requests == []  # refused before anything was sent


def test_top_logprobs_option_on_groq_is_refused(cli, groq_server):
    r = cli("prompt", "hi", "-m", "groq", "-o", "top_logprobs=3")
    assert r.exit_code == 2
    assert "groq does not take the option 'top_logprobs'" in r.stderr and "openai" in r.stderr
    assert groq_server.requests_for("chat") == []
