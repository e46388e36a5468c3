"""Provider batch jobs with `--schema`, and fetched results in the log: the real openai, groq and
google-genai SDKs over HTTP to the loopback stubs, a real SQLite file.

Each request line carries the provider's own schema field (OpenAI/Groq `response_format`,
Gemini `response_json_schema`), fetched replies are validated as a synchronous reply is and
carry the parsed document, and every provider result is written to the log once, marked with
the job's id, however many times the job is fetched."""

from __future__ import annotations

import json
import sqlite3

from llmcli.config import Paths
from tests.batch.test_provider_jobs import submit, uploaded_lines
from tests.batch.test_provider_jobs_gemini import GEMINI, inline_requests
from tests.cli.test_batch import prompts_file, records

CAPITAL = {"type": "object", "properties": {"capital": {"type": "string"},
                                            "país": {"type": "string"}},
           "required": ["capital", "país"], "additionalProperties": False}
GOOD = '{"capital": "Lisboa", "país": "Portugal 🇵🇹"}'
WRONG = '{"capital": "Roma", "país": 39}'
SCHEMA = ["--schema", "capital, país"]


def log_rows(batch: str) -> list[dict]:
    conn = sqlite3.connect(Paths.from_env().logs_db)
    conn.row_factory = sqlite3.Row
    out = [dict(r) for r in conn.execute(
        "SELECT * FROM exchanges WHERE batch_id = ? ORDER BY id", (batch,))]
    conn.close()
    return out


def two(tmp_path):
    return prompts_file(tmp_path, [GOOD, WRONG], ids=True)


def test_openai_lines_carry_response_format_and_fetched_records_are_validated(
        cli, openai_server, tmp_path):
    openai_server.echo = True  # each reply is its prompt: one valid, one wrong
    job = submit(cli, two(tmp_path), ["-m", "openai:gpt-4o-mini"], *SCHEMA)
    for line in uploaded_lines(openai_server):
        assert line["body"]["response_format"] == {"type": "json_schema", "json_schema": {
            "name": "reply", "schema": CAPITAL, "strict": True}}
    openai_server.finish("batch_0001")
    out = tmp_path / "out.jsonl"
    res = cli("batch", "fetch", job, "-O", str(out))
    assert res.exit_code == 1
    assert ("input q2 (line 2) failed: the reply does not match the schema at país: type "
            "rule: 39 is not of type 'string'") in res.stderr
    good, wrong = records(out.read_text(encoding="utf-8"))
    assert (good["status"], good["data"]) == ("ok", json.loads(GOOD))
    assert (wrong["status"], wrong["data"], wrong["reply"]) == ("error", None, WRONG)

    # a mismatch is a failed request: resubmitted, and the new answer wins
    assert cli("batch", "fetch", job, "-O", str(out), "--retry-failed").exit_code == 0
    assert [ln["custom_id"] for ln in uploaded_lines(openai_server, 1)] == ['L2:"q2"']
    openai_server.echo, openai_server.reply_text = False, GOOD
    openai_server.finish("batch_0002")
    res = cli("batch", "fetch", job, "-O", str(out))
    assert res.exit_code == 0, res.stderr
    recs = records(out.read_text(encoding="utf-8"))
    assert sorted((r["id"], r["status"]) for r in recs) == [("q1", "ok"), ("q2", "ok")]
    assert all(r["data"] == json.loads(GOOD) for r in recs)


def test_groq_and_gemini_requests_carry_their_native_fields(cli, groq_server, gemini_server,
                                                            tmp_path):
    submit(cli, two(tmp_path), ["-m", "groq:openai/gpt-oss-20b"], *SCHEMA)
    body = uploaded_lines(groq_server)[0]["body"]
    assert body["response_format"]["json_schema"]["schema"] == CAPITAL
    submit(cli, two(tmp_path), GEMINI, *SCHEMA)
    for req in inline_requests(gemini_server):
        config = req["request"]["generationConfig"]
        assert config["responseMimeType"] == "application/json"
        assert config["responseJsonSchema"] == CAPITAL


def test_gemini_results_validated_and_logged(cli, gemini_server, tmp_path):
    gemini_server.echo = True
    job = submit(cli, two(tmp_path), GEMINI, *SCHEMA)
    gemini_server.finish("batches/stub0001")
    res = cli("batch", "fetch", job)
    assert res.exit_code == 1
    good, wrong = records(res.stdout)
    assert good["data"] == json.loads(GOOD) and wrong["status"] == "error"
    rows = log_rows(job)
    assert sorted(r["status"] for r in rows) == ["complete", "error"]
    assert {r["provider"] for r in rows} == {"gemini"}


def test_fetched_results_are_logged_once_with_the_job_id(cli, cli_proc, openai_server,
                                                         tmp_path):
    openai_server.echo = True
    src = prompts_file(tmp_path, ["Olá", "mundo 🌍", "três"], ids=True)
    job = submit(cli, src, ["-m", "openai:gpt-4o-mini"], "-s", "Seja breve.",
                 "-o", "temperature=0.2")
    assert log_rows(job) == []  # nothing ran yet
    openai_server.fail_ids = {'L3:"q3"'}
    openai_server.finish("batch_0001")
    out = tmp_path / "out.jsonl"
    for _ in range(2):  # the second fetch, in another process, adds no row
        res = cli_proc("batch", "fetch", job, "-O", str(out))
        assert res.exit_code == 1, res.stderr
        rows = log_rows(job)
        assert len(rows) == 3
    by_prompt = {r["prompt"]: r for r in rows}
    ola = by_prompt["Olá"]
    assert (ola["provider"], ola["model"], ola["status"], ola["reply"]) == (
        "openai", "gpt-4o-mini", "complete", "Olá")
    assert ola["system"] == "Seja breve." and json.loads(ola["options"]) == {"temperature": 0.2}
    assert ola["input_tokens"] is not None and ola["cost"] > 0
    assert json.loads(ola["messages"])[0] == {"role": "system", "content": "Seja breve."}
    assert by_prompt["três"]["status"] == "error" and "stub refusal" in by_prompt["três"]["error"]
    listed = cli("logs", "list", "--batch", job, "--json")
    assert listed.exit_code == 0 and len([ln for ln in listed.stdout.splitlines() if ln]) >= 1

    # the resubmitted request's new result is one new row; fetching again adds none
    assert cli("batch", "fetch", job, "-O", str(out), "--retry-failed").exit_code == 0
    openai_server.fail_ids = set()
    openai_server.finish("batch_0002")
    for _ in range(2):
        assert cli("batch", "fetch", job, "-O", str(out)).exit_code == 0
    rows = log_rows(job)
    assert sorted((r["prompt"], r["status"]) for r in rows) == [
        ("Olá", "complete"), ("mundo 🌍", "complete"), ("três", "complete"), ("três", "error")]


def test_fetch_no_log_writes_no_row(cli, openai_server, tmp_path):
    openai_server.echo = True
    job = submit(cli, two(tmp_path), ["-m", "openai:gpt-4o-mini"])
    openai_server.finish("batch_0001")
    assert cli("batch", "fetch", job, "--no-log").exit_code == 0
    assert log_rows(job) == []
    assert cli("batch", "fetch", job).exit_code == 0
    assert len(log_rows(job)) == 2
