"""Gemini's file route: when a job's requests would pass the inline limit, llmcli writes them in
Gemini's file shape, uploads them through the Files API (the SDK's resumable upload), creates
the job on the uploaded file, and downloads its results file. The real google-genai SDK over
HTTP to the loopback stub (tests/stubs/gemini_batch.py); the inline limit is lowered in the
config so a few requests pass it."""

from __future__ import annotations

import json

from tests.batch.test_provider_jobs_gemini import GEMINI, inline_requests
from tests.cli.test_batch import prompts_file, records

PROMPTS = ["Olá", "mundo 🌍", "três"]


def small_inline_limit(home, limit: int) -> None:
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(
        f"[providers.gemini]\nbatch_inline_max_bytes = {limit}\n")


def file_lines(stub, name):
    return [json.loads(x) for x in stub.gemini_files[name].splitlines() if x.strip()]


def test_past_the_inline_limit_the_requests_go_as_an_uploaded_file(cli, home, gemini_server,
                                                                   tmp_path):
    src = prompts_file(tmp_path, PROMPTS, ids=True)
    args = ["-o", "temperature=0.2", "-s", "Seja breve.", "--schema", "resposta"]
    res = cli("batch", str(src), *GEMINI, *args, "--provider-batch")  # inline: the reference
    assert res.exit_code == 0, res.stderr
    inline = {r["metadata"]["key"]: r["request"] for r in inline_requests(gemini_server)}

    small_inline_limit(home, 100)
    res = cli("batch", str(src), *GEMINI, *args, "--provider-batch")
    assert res.exit_code == 0, res.stderr
    start = gemini_server.requests_for("files.upload_start")
    assert len(start) == 1
    assert start[0].headers.get("x-goog-upload-header-content-type") == "jsonl"
    create = gemini_server.requests_for("batches.create")[-1].body["batch"]
    name = create["inputConfig"]["fileName"]
    assert "requests" not in create["inputConfig"]
    uploaded = file_lines(gemini_server, name)
    assert [ln["key"] for ln in uploaded] == ['L1:"q1"', 'L2:"q2"', 'L3:"q3"']
    # each file line is exactly what the inline route sends for that request
    assert {ln["key"]: ln["request"] for ln in uploaded} == inline
    config = uploaded[0]["request"]["generationConfig"]
    assert config["temperature"] == 0.2 and config["responseJsonSchema"]["required"] == [
        "resposta"]


def test_results_file_is_downloaded_and_joined_back_to_the_inputs(cli, home, gemini_server,
                                                                  tmp_path):
    small_inline_limit(home, 100)
    gemini_server.echo = True
    gemini_server.fail_keys = {'L2:"q2"'}
    job = cli("batch", str(prompts_file(tmp_path, PROMPTS, ids=True)), *GEMINI,
              "--provider-batch").stdout.strip()
    gemini_server.finish("batches/stub0001", "succeeded")
    out = tmp_path / "out.jsonl"
    res = cli("batch", "fetch", job, "-O", str(out))
    assert res.exit_code == 1
    assert "input q2 (line 2) failed: Request contains an invalid argument. (3)" in res.stderr
    recs = records(out.read_text(encoding="utf-8"))
    assert [(r["id"], r["status"], r["reply"]) for r in recs] == [
        ("q1", "ok", "Olá"), ("q2", "error", ""), ("q3", "ok", "três")]
    assert recs[0]["usage"] == {"input_tokens": 1, "output_tokens": 2}
    assert len(gemini_server.requests_for("files.download")) == 1
    # kept on disk: a second fetch downloads nothing and duplicates nothing
    assert cli("batch", "fetch", job, "-O", str(out)).exit_code == 1
    assert len(gemini_server.requests_for("files.download")) == 1
    assert len(records(out.read_text(encoding="utf-8"))) == 3

    # the failed request goes again (inline now: one request is under the limit)
    res = cli("batch", "fetch", job, "-O", str(out), "--retry-failed")
    assert res.exit_code == 0, res.stderr
    assert [r["metadata"]["key"] for r in inline_requests(gemini_server)] == ['L2:"q2"']
    gemini_server.fail_keys = set()
    gemini_server.finish("batches/stub0002")
    assert cli("batch", "fetch", job, "-O", str(out)).exit_code == 0
    assert sorted(r["status"] for r in records(out.read_text(encoding="utf-8"))) == ["ok"] * 3


def test_under_the_limit_nothing_is_uploaded(cli, gemini_server, tmp_path):
    src = prompts_file(tmp_path, PROMPTS, ids=True)
    assert cli("batch", str(src), *GEMINI, "--provider-batch").exit_code == 0
    assert gemini_server.requests_for("files.upload_start") == []
    assert len(inline_requests(gemini_server)) == 3
