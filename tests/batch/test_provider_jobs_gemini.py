"""Gemini batch mode end to end: inline requests through the real google-genai SDK to the
loopback stub (tests/stubs/gemini_batch.py), results joined back to the input ids."""

from __future__ import annotations

from tests.batch.test_provider_jobs import sleeps, three  # noqa: F401 - fixtures
from tests.cli.test_batch import records

GEMINI = ["-m", "gemini:gemini-3.5-flash-lite"]


def inline_requests(stub):
    create = stub.requests_for("batches.create")[-1]
    return create.body["batch"]["inputConfig"]["requests"]["requests"]


def test_inline_requests_carry_what_a_synchronous_call_sends(cli, gemini_server, tmp_path):
    src = three(tmp_path)
    args = ["-o", "temperature=0.2", "-s", "Seja breve."]
    assert cli("batch", str(src), *GEMINI, *args, "--ordered").exit_code == 0
    sync = sorted((r.body for r in gemini_server.requests_for("chat")),
                  key=lambda b: b["contents"][-1]["parts"][0]["text"])
    res = cli("batch", str(src), *GEMINI, *args, "--provider-batch")
    assert res.exit_code == 0, res.stderr
    sent = inline_requests(gemini_server)
    assert [r["metadata"]["key"] for r in sent] == ['L1:"q1"', 'L2:"q2"', 'L3:"q3"']
    inline = sorted((r["request"] for r in sent),
                    key=lambda b: b["contents"][-1]["parts"][0]["text"])
    assert inline == sync  # contents, systemInstruction, generationConfig: the same


def test_wait_then_records_joined_back_to_the_inputs(cli, gemini_server, tmp_path, sleeps):  # noqa: F811
    gemini_server.echo = True
    gemini_server.batch_steps = ["running", "succeeded"]
    res = cli("batch", str(three(tmp_path)), *GEMINI, "--provider-batch", "--wait", "--poll", "3")
    assert res.exit_code == 0, res.stderr
    assert sleeps == [3.0]
    assert "in_progress" in res.stderr and "completed, 3/3 done, 0 failed" in res.stderr
    recs = records(res.stdout)
    assert [(r["id"], r["reply"], r["status"]) for r in recs] == [
        ("q1", "Olá", "ok"), ("q2", "mundo 🌍", "ok"), ("q3", "três", "ok")]
    assert recs[0]["model"] == "gemini:gemini-3.5-flash-lite"
    assert recs[0]["usage"] == {"input_tokens": 1, "output_tokens": 2}


def test_expired_with_part_of_its_results_and_a_failed_request(cli, gemini_server, tmp_path):
    gemini_server.echo = True
    job = cli("batch", str(three(tmp_path)), *GEMINI, "--provider-batch").stdout.strip()
    gemini_server.fail_keys = {'L1:"q1"'}
    gemini_server.finish("batches/stub0001", "expired", done=2)
    out = tmp_path / "out.jsonl"
    res = cli("batch", "fetch", job, "-O", str(out))
    assert res.exit_code == 1 and "2 of 3 requests failed" in res.stderr
    assert "input q1 (line 1) failed: Request contains an invalid argument. (3)" in res.stderr
    assert "input q3 (line 3) failed: no result: the job ended expired" in res.stderr
    assert [(r["id"], r["status"]) for r in records(out.read_text())] == [
        ("q1", "error"), ("q2", "ok"), ("q3", "error")]
    res = cli("batch", "fetch", job, "-O", str(out), "--retry-failed")
    assert res.exit_code == 0, res.stderr
    assert [r["metadata"]["key"] for r in inline_requests(gemini_server)] == [
        'L1:"q1"', 'L3:"q3"']


def test_cancel(cli, gemini_server, tmp_path):
    job = cli("batch", str(three(tmp_path)), *GEMINI, "--provider-batch").stdout.strip()
    res = cli("batch", "cancel", job)
    assert res.exit_code == 0 and "cancelled" in res.stdout
    assert gemini_server.batches["batches/stub0001"].state == "cancelled"
