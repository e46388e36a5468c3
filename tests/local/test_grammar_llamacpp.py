"""The grammar stage on the llama.cpp backend: `-o engine=llamacpp` with --schema, --regex and
--choice gives output constrained by construction, as on the numpy engine.

The backend only computes logits (`LlamaCppSession.feed`); sampling is llmcli's own
(`local/sampling.Sampler`), and its grammar stage (llguidance, `local/grammar.py`) masks those
logits at every step whichever engine made them. These tests prove that end to end through the
CLI on the real model: the llama.cpp session is the one that ran (spied, not replaced), the mask
was applied at each step, and the output is one no unconstrained 270M model would write.
Marked `llamacpp`: they run in a child process (tests/native_isolation.py)."""

from __future__ import annotations

import json
import re

import pytest

from llmcli.local import llamacpp_backend

pytest.importorskip(
    "llama_cpp", reason="llama-cpp-python is not installed: pip install 'llmcli[llamacpp]'"
)
pytestmark = pytest.mark.llamacpp

LLAMA = ["-m", "local", "-o", "engine=llamacpp", "--no-log"]


@pytest.fixture
def spied(monkeypatch):
    """Counts llama.cpp evaluations and grammar masks; both run for real."""
    from llmcli.local.grammar import GrammarStage

    calls = {"feed": 0, "mask": 0}
    feed, apply = llamacpp_backend.LlamaCppSession.feed, GrammarStage.apply

    def counting_feed(self, ids):
        calls["feed"] += 1
        return feed(self, ids)

    def counting_apply(self, logits):
        calls["mask"] += 1
        return apply(self, logits)

    monkeypatch.setattr(llamacpp_backend.LlamaCppSession, "feed", counting_feed)
    monkeypatch.setattr(GrammarStage, "apply", counting_apply)
    return calls


def test_schema_on_llamacpp(cli, spied):
    schema = json.dumps({"type": "object", "properties": {
        "nome": {"type": "string", "maxLength": 20},
        "idade": {"type": "integer", "minimum": 0, "maximum": 120},
        "humor": {"enum": ["feliz", "triste", "😐"]}},
        "required": ["nome", "idade", "humor"], "additionalProperties": False},
        ensure_ascii=False)
    res = cli("prompt", "Maria tem 34 anos e ganhou na loteria.", *LLAMA, "--schema", schema,
              "-o", "max_tokens=48")
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert set(doc) == {"nome", "idade", "humor"}
    assert isinstance(doc["idade"], int) and 0 <= doc["idade"] <= 120
    assert doc["humor"] in ("feliz", "triste", "😐") and len(doc["nome"]) <= 20
    assert spied["feed"] > 1  # llama.cpp computed the logits, token after token
    assert spied["mask"] >= spied["feed"] - 1  # and every sampled step was masked


def test_regex_on_llamacpp(cli, spied):
    res = cli("prompt", "Código:", *LLAMA, "--regex", "zq[0-9]{3}-[a-f]{2}",
              "-o", "max_tokens=16")
    assert res.exit_code == 0, res.stderr
    assert re.fullmatch("zq[0-9]{3}-[a-f]{2}", res.stdout.strip())
    assert spied["feed"] > 1 and spied["mask"] > 1


def test_choice_on_llamacpp(cli, spied):
    res = cli("prompt", "O céu é azul? Responda.", *LLAMA, "--choice", "sim,não,🌍",
              "-o", "max_tokens=8")
    assert res.exit_code == 0, res.stderr
    assert res.stdout.strip() in ("sim", "não", "🌍")
    assert spied["feed"] >= 1 and spied["mask"] >= 1


def test_schema_multi_on_llamacpp_seeded_sampling(cli):
    res = cli("prompt", "Duas cidades", *LLAMA, "--schema-multi", "cidade, país",
              "-o", "max_tokens=60", "-o", "temperature=1.0", "-o", "seed=7")
    if res.exit_code == 15:  # only a reply cut by max_tokens may fail, never a wrong shape
        assert "the reply is not JSON" in res.stderr
        return
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert isinstance(doc["items"], list)
    assert all(set(item) == {"cidade", "país"} for item in doc["items"])
