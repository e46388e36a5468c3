"""`llmcli compare --schema`: every cell's request carries the provider's schema field (real
SDKs over HTTP to the loopback stubs), the measurement table gets a "valid" column, and with
`--runs N` each model's adherence rate (valid / N)."""

from __future__ import annotations

import itertools
import json

GOOD = '{"capital": "Lisboa", "país": "Portugal 🇵🇹"}'
WRONG = '{"capital": "Roma", "país": 39}'
SCHEMA = ["--schema", "capital, país"]
MODELS = ["-m", "openai:gpt-4o-mini", "-m", "groq:openai/gpt-oss-20b"]


def replies(stub, *texts):
    """The stub answers with `texts` in turn, over and over."""
    cycle = itertools.cycle(texts)
    stub.text_for = lambda req: next(cycle)


def tsv(text: str) -> list[list[str]]:
    return [ln.split("\t") for ln in text.splitlines() if "\t" in ln]


def test_valid_column_in_the_measurement_table(cli, openai_server, groq_server):
    openai_server.reply_text, groq_server.reply_text = GOOD, WRONG
    res = cli("compare", "Uma capital", *MODELS, *SCHEMA)
    assert res.exit_code == 15, res.stderr  # a reply that does not validate fails its cell
    assert "1 of 2 cells failed" in res.stderr and "does not match the schema" in res.stderr
    table = tsv(res.stdout)
    assert table[0][-1] == "valid"
    valid = {row[0]: row[-1] for row in table[1:]}
    assert valid == {"openai:gpt-4o-mini": "yes", "groq:openai/gpt-oss-20b": "no"}
    for stub in (openai_server, groq_server):
        body = stub.requests_for("chat")[-1].body
        assert body["response_format"]["json_schema"]["schema"]["required"] == [
            "capital", "país"]
        assert not body.get("stream")


def test_adherence_rate_over_runs(cli, openai_server, groq_server):
    replies(openai_server, GOOD, WRONG, GOOD)
    groq_server.reply_text = GOOD
    res = cli("compare", "Uma capital", *MODELS, *SCHEMA, "--runs", "3")
    assert res.exit_code == 15, res.stderr
    table = tsv(res.stdout)
    assert table[0][-1] == "valid"
    rates = {row[0]: row[-1] for row in table[1:]}
    assert rates == {"openai:gpt-4o-mini": "2/3 (67%)", "groq:openai/gpt-oss-20b": "3/3 (100%)"}


def test_json_document_carries_validity_data_and_adherence(cli, openai_server, groq_server):
    replies(openai_server, GOOD, WRONG)
    groq_server.reply_text = GOOD
    res = cli("compare", "Uma capital", *MODELS, *SCHEMA, "--runs", "2", "--json")
    doc = json.loads(res.stdout)
    runs = sorted(((c["valid"], c["data"]) for c in doc["cells"]
                   if c["model"] == "openai:gpt-4o-mini"), key=lambda vd: vd[0])
    assert runs == [(False, None), (True, json.loads(GOOD))]  # the runs may finish in any order
    stats = {p["model"]: p for p in doc["stats"]}
    assert stats["openai:gpt-4o-mini"]["valid"] == 1
    assert stats["openai:gpt-4o-mini"]["adherence"] == 0.5
    assert stats["groq:openai/gpt-oss-20b"]["adherence"] == 1.0


def test_without_schema_nothing_changes(cli, openai_server, groq_server):
    res = cli("compare", "Olá", *MODELS)
    assert res.exit_code == 0, res.stderr
    assert "valid" not in tsv(res.stdout)[0]
    assert "response_format" not in openai_server.requests_for("chat")[-1].body
