"""`llmcli batch` end to end: the real openai SDK talking HTTP to the loopback stub."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, run_subprocess

M = ["-m", "openai:gpt-4o-mini"]


def prompts_file(tmp_path, prompts, name="in.jsonl", ids=False):
    path = tmp_path / name
    rows = [{"prompt": p, **({"id": f"q{i}"} if ids else {})} for i, p in enumerate(prompts, 1)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def last_user(req) -> str:
    return [m["content"] for m in req.body["messages"] if m["role"] == "user"][-1]


def delay_by_prompt(stub, delays):
    """Script the stub's latency per prompt: `delays` maps prompt -> seconds (or a callable)."""
    default = stub.default

    def slow(route, req):
        reply = default(route, req)
        if route == "chat":
            prompt = last_user(req)
            reply.delay = delays(prompt) if callable(delays) else delays.get(prompt, 0.0)
        return reply

    stub.default = slow


def records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_jsonl_in_one_record_per_input_out_and_every_call_logged(cli, openai_server, tmp_path):
    openai_server.echo = True
    src = prompts_file(tmp_path, ["Olá", "mundo 🌍", "três"], ids=True)
    res = cli("batch", str(src), *M, "--ordered")
    assert res.exit_code == 0 and res.stderr == ""
    recs = records(res.stdout)
    assert [(r["id"], r["reply"], r["status"]) for r in recs] == [
        ("q1", "Olá", "ok"), ("q2", "mundo 🌍", "ok"), ("q3", "três", "ok")
    ]
    assert recs[0]["model"] == "openai:gpt-4o-mini" and recs[0]["usage"]["input_tokens"] == 1
    assert recs[0]["cost"] > 0 and recs[0]["timings"]["total"] > 0
    batch_id = recs[0]["batch"]
    assert {r["batch"] for r in recs} == {batch_id}
    rows = json.loads(cli("logs", "list", "--batch", batch_id, "--json").stdout)
    assert sorted(r["prompt"] for r in rows) == sorted(["Olá", "mundo 🌍", "três"])
    assert {r["batch_id"] for r in rows} == {batch_id}


def test_records_as_they_finish_unless_ordered(cli, openai_server, tmp_path):
    openai_server.echo = True
    delay_by_prompt(openai_server, {"slow": 0.6, "mid": 0.3, "fast": 0.0})
    src = prompts_file(tmp_path, ["slow", "mid", "fast"])
    res = cli("batch", str(src), *M, "-j", "3", "--no-log")
    assert [r["reply"] for r in records(res.stdout)] == ["fast", "mid", "slow"]
    res = cli("batch", str(src), *M, "-j", "3", "--no-log", "--ordered")
    assert [r["reply"] for r in records(res.stdout)] == ["slow", "mid", "fast"]


def test_plain_lines_from_stdin(cli, openai_server):
    openai_server.echo = True
    res = cli("batch", "-", *M, "--lines", "--ordered", "--no-log", input="first\n\nsecond\n")
    assert [(r["id"], r["reply"]) for r in records(res.stdout)] == [(1, "first"), (3, "second")]


def test_csv_in_and_csv_out(cli, openai_server, tmp_path):
    openai_server.echo = True
    src = tmp_path / "in.csv"
    src.write_text('id,prompt\na,"uma, duas"\nb,"linha\nnova"\n', encoding="utf-8")
    out = tmp_path / "out.csv"
    res = cli("batch", str(src), *M, "-O", str(out), "--ordered", "--no-log")
    assert res.exit_code == 0 and res.stdout == ""
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert [(r["id"], r["reply"], r["status"]) for r in rows] == [
        ("a", "uma, duas", "ok"), ("b", "linha\nnova", "ok")
    ]
    assert rows[0]["model"] == "openai:gpt-4o-mini"
    assert rows[0]["line"] == "2" and rows[1]["line"] == "3"
    # a cost of a few millionths of a dollar is a plain decimal, as in JSONL, not 1.3e-05
    cost = rows[0]["cost"]
    assert "e" not in cost.lower() and 0 < float(cost) < 0.001, cost
    assert all(len(r["total"].split(".")[-1]) <= 3 for r in rows)  # to the millisecond
    # --format csv writes CSV to stdout too.
    res = cli("batch", "-", *M, "--format", "csv", "--no-log", input="prompt\nhi\n")
    assert next(csv.DictReader(io.StringIO(res.stdout)))["reply"] == "hi"


def test_malformed_lines_are_reported_with_their_numbers_and_skipped(cli, openai_server, tmp_path):
    src = tmp_path / "in.jsonl"
    text = '{"prompt": "a"}\n{"prompt": \n{"text": "b"}\n{"prompt": "c"}\n'
    src.write_text(text, encoding="utf-8")
    res = cli("batch", str(src), *M, "--no-log")
    assert res.exit_code == 2
    assert len(records(res.stdout)) == 2
    err = res.stderr.splitlines()
    assert err[0].startswith("llmcli: error: line 2: not valid JSON") and err[0].endswith("skipped")
    assert err[1].startswith("llmcli: error: line 3: no 'prompt' field")
    assert err[2] == "llmcli: error: 2 malformed lines skipped (line 2, 3)"


def test_strict_stops_at_the_first_malformed_line(cli, openai_server, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"prompt": "a"}\nnope\n' + '{"prompt": "more"}\n' * 20, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    res = cli("batch", str(src), *M, "--strict", "-O", str(out), "--no-log")
    assert res.exit_code == 2
    assert "line 2: not valid JSON" in res.stderr and "stopping (--strict)" in res.stderr
    assert "stopped at malformed line 2 (--strict)" in res.stderr and "--resume" in res.stderr
    assert [last_user(r) for r in openai_server.requests_for("chat")] == ["a"]
    assert [r["id"] for r in records(out.read_text(encoding="utf-8"))] == [1]


def test_an_existing_output_file_needs_resume(cli, openai_server, tmp_path):
    src = prompts_file(tmp_path, ["a"])
    out = tmp_path / "out.jsonl"
    out.write_text("precious\n", encoding="utf-8")
    res = cli("batch", str(src), *M, "-O", str(out))
    assert res.exit_code == 2
    assert res.stderr.count("\n") == 1 and f"output file {out} exists" in res.stderr
    assert "--resume" in res.stderr
    assert out.read_text(encoding="utf-8") == "precious\n"
    assert openai_server.requests_for("chat") == []


def test_429_backs_off_as_told_and_then_answers(cli, openai_server, tmp_path):
    openai_server.echo = True
    openai_server.script("chat", openai_server.rate_limited(retry_after_ms=400))
    src = prompts_file(tmp_path, ["a", "b", "c"])
    res = cli("batch", str(src), *M, "-j", "1", "--ordered", "--no-log")
    assert res.exit_code == 0
    recs = records(res.stdout)
    assert [r["status"] for r in recs] == ["ok"] * 3
    assert recs[0]["attempts"] == 2 and recs[0]["timings"]["waited"] >= 0.4
    reqs = openai_server.requests_for("chat")
    assert len(reqs) == 4
    assert reqs[1].at - reqs[0].at >= 0.39  # nothing sent while the server asked us to wait


def test_failures_are_written_then_retry_failed_reruns_only_them(cli, openai_server, tmp_path):
    openai_server.echo = True
    openai_server.fail_times("chat", 2, openai_server.server_error(500))
    src = prompts_file(tmp_path, ["a", "b", "c"])
    out = tmp_path / "out.jsonl"
    res = cli("batch", str(src), *M, "-j", "1", "--retries", "0", "--ordered", "-O", str(out))
    assert res.exit_code == 10  # the failures' class: provider error
    assert "2 of 3 requests failed" in res.stderr and f"--retry-failed -O {out}" in res.stderr
    first = records(out.read_text(encoding="utf-8"))
    assert [r["status"] for r in first] == ["error", "error", "ok"]
    assert all("500" in r["error"] or "server" in r["error"] for r in first[:2])
    openai_server.reset()
    res = cli("batch", str(src), *M, "--retry-failed", "-O", str(out))
    assert res.exit_code == 0
    assert sorted(last_user(r) for r in openai_server.requests_for("chat")) == ["a", "b"]
    final = records(out.read_text(encoding="utf-8"))  # compacted: one record per input
    assert sorted((r["id"], r["status"]) for r in final) == [(1, "ok"), (2, "ok"), (3, "ok")]
    assert {r["batch"] for r in final} == {first[0]["batch"]}  # the same batch id across runs


def test_several_models_one_record_each_and_agreement_in_the_summary(cli, openai_server, tmp_path):
    openai_server.echo = True
    src = prompts_file(tmp_path, ["x", "y"])
    res = cli("batch", str(src), *M, "-m", "openai:gpt-4o", "--ordered", "--summary", "--no-log")
    assert res.exit_code == 0
    assert [(r["id"], r["model"]) for r in records(res.stdout)] == [
        (1, "openai:gpt-4o-mini"), (1, "openai:gpt-4o"),
        (2, "openai:gpt-4o-mini"), (2, "openai:gpt-4o"),
    ]
    assert "agreement of replies across models: 100%" in res.stderr
    assert "(2 of 2 inputs)" in res.stderr
    assert "openai:gpt-4o: 2 ok, 0 failed, mean latency" in res.stderr


def test_three_providers_side_by_side(cli, openai_server, groq_server, gemini_server, tmp_path):
    openai_server.echo = gemini_server.echo = True
    src = prompts_file(tmp_path, ["um", "dois"])
    res = cli("batch", str(src), *M, "-m", "groq", "-m", "gemini", "--ordered", "--no-log")
    assert res.exit_code == 0, res.stderr
    recs = records(res.stdout)
    assert [(r["id"], r["model"]) for r in recs] == [
        (i, m) for i in (1, 2)
        for m in ("openai:gpt-4o-mini", "groq:openai/gpt-oss-20b", "gemini:gemini-3.5-flash-lite")
    ]
    assert all(r["status"] == "ok" and r["usage"]["output_tokens"] for r in recs)
    echoed = [r["reply"] for r in recs if not r["model"].startswith("groq")]
    assert echoed == ["um", "um", "dois", "dois"]
    assert len(groq_server.requests_for("chat")) == 2 and len(gemini_server.requests) >= 2


def test_template_fills_from_fields_and_extracts_the_answer(cli, openai_server, tmp_path):
    openai_server.reply_text = "Let me think. 6 times 7.\nAnswer: 42"
    tpl = tmp_path / "math.yaml"
    yaml = "name: math\nprompt: 'Solve: {{ problem }}'\nextract:\n  marker: 'Answer:'\n"
    tpl.write_text(yaml, encoding="utf-8")
    src = tmp_path / "in.jsonl"
    src.write_text('{"problem": "6*7", "id": "p1"}\n', encoding="utf-8")
    res = cli("batch", str(src), *M, "-t", str(tpl))
    assert res.exit_code == 0
    (rec,) = records(res.stdout)
    assert rec["answer"] == "42" and rec["reply"].startswith("Let me think")
    assert last_user(openai_server.requests_for("chat")[0]) == "Solve: 6*7"


def test_progress_and_summary_only_when_stderr_is_a_terminal(cli, openai_server, tmp_path):
    src = prompts_file(tmp_path, ["a", "b"])
    quiet = cli("batch", str(src), *M, "--no-log")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    shown = cli("batch", str(src), *M, "--no-log", stderr_tty=True)
    assert shown.exit_code == 0
    assert "2 answered, 0 failed" in shown.stderr and "openai:gpt-4o-mini" in shown.stderr


def test_bad_flags_are_refused_before_any_request(cli, openai_server, tmp_path):
    src = prompts_file(tmp_path, ["a"])
    res = cli("batch", str(src), *M, "--resume")
    assert res.exit_code == 2 and "add -O FILE" in res.stderr
    res = cli("batch", str(tmp_path / "missing.jsonl"), *M)
    assert res.exit_code == 2 and "not found" in res.stderr
    res = cli("batch", str(src), "-m", "openai:gpt-4o-mini", "-o", "temperature=9")
    assert res.exit_code == 2 and "temperature" in res.stderr
    assert openai_server.requests_for("chat") == []


def test_dry_run_checks_and_counts_without_sending(cli, openai_server, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"prompt": "aaaa aaaa"}\nbad\n{"prompt": "b"}\n', encoding="utf-8")
    res = cli("batch", str(src), *M, "-m", "openai:gpt-4o", "--dry-run")
    assert res.exit_code == 2
    shown = [json.loads(ln) for ln in res.stdout.splitlines()]  # what would be sent
    assert [(r["model"], r["messages"][-1]["content"]) for r in shown] == [
        ("openai:gpt-4o-mini", "aaaa aaaa"), ("openai:gpt-4o", "aaaa aaaa"),
        ("openai:gpt-4o-mini", "b"), ("openai:gpt-4o", "b")]
    assert "line 2: not valid JSON" in res.stderr
    assert "dry run: 2 inputs read, 1 malformed; 4 requests to 2 model(s)" in res.stderr
    assert openai_server.requests == []


def test_resume_refuses_a_file_of_another_format(cli, openai_server, tmp_path):
    src = prompts_file(tmp_path, ["a"])
    out = tmp_path / "out.csv"
    assert cli("batch", str(src), *M, "-O", str(tmp_path / "out.jsonl"), "--no-log").exit_code == 0
    (tmp_path / "out.jsonl").rename(out)  # JSONL records under a .csv name
    res = cli("batch", str(src), *M, "-O", str(out), "--resume", "--no-log")
    assert res.exit_code == 2 and "holds no CSV batch records" in res.stderr


# -- as a process: kill, closed pipe, full disk ---------------------------------------------------

def test_resume_after_sigkill_answers_every_input_exactly_once(openai_server, tmp_path):
    openai_server.echo = True
    delay_by_prompt(openai_server, lambda _prompt: 0.15)
    n, jobs = 40, 4
    src = prompts_file(tmp_path, [f"p{i}" for i in range(1, n + 1)])
    out = tmp_path / "out.jsonl"
    args = [sys.executable, "-m", "llmcli", "batch", str(src), *M, "-j", str(jobs), "-O", str(out)]
    proc = subprocess.Popen(args, cwd=ROOT, env=dict(os.environ), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if out.exists() and out.read_bytes().count(b"\n") >= 10:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    written = records(out.read_text(encoding="utf-8"))
    assert 10 <= len(written) < n, "the kill should land mid-run"
    res = run_subprocess(["batch", str(src), *M, "-j", str(jobs), "-O", str(out), "--resume"])
    assert res.exit_code == 0, res.stderr
    final = records(out.read_text(encoding="utf-8"))
    assert sorted(r["id"] for r in final) == list(range(1, n + 1))  # each exactly once
    assert all(r["status"] == "ok" and r["reply"] == f"p{r['id']}" for r in final)
    # What the kill lost is at most what was in flight.
    sent = len(openai_server.requests_for("chat"))
    assert n <= sent <= n + jobs


def test_a_closed_pipe_ends_cleanly(openai_server, tmp_path):
    delay_by_prompt(openai_server, lambda _prompt: 0.05)
    n = 60
    src = prompts_file(tmp_path, [f"p{i}" for i in range(n)])
    cmd = (f"'{sys.executable}' -m llmcli batch '{src}' -m openai:gpt-4o-mini -j 2 | head -1; "
           'echo "rc=${PIPESTATUS[0]}" >&2')
    proc = subprocess.run(["bash", "-c", cmd], cwd=ROOT, env=dict(os.environ), capture_output=True,
                          timeout=60)
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert len(out.splitlines()) == 1 and json.loads(out)["status"] == "ok"
    assert "rc=141" in err and "Traceback" not in err and "Exception ignored" not in err
    assert "output closed after" in err and "llmcli logs list --batch" in err
    assert len(openai_server.requests_for("chat")) < n


def test_a_full_disk_is_reported_with_what_was_done(openai_server, tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    src = prompts_file(tmp_path, ["a", "b", "c"])
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "llmcli", "batch", str(src), *M, "-j", "1"],
                              cwd=ROOT, env=dict(os.environ), stdout=full, stderr=subprocess.PIPE,
                              timeout=60)
    err = proc.stderr.decode()
    assert proc.returncode == 12
    assert "the disk is full" in err and "0 records written" in err
    assert "Traceback" not in err and "Exception ignored" not in err


def test_dry_run_shows_the_provider_s_own_options(cli, openai_server, tmp_path):
    src = prompts_file(tmp_path, ["pensa"])
    res = cli("batch", str(src), "-m", "openai:gpt-5.6-terra", "-o", "reasoning_effort=low",
              "-o", "max_tokens=50", "--dry-run")
    assert res.exit_code == 0, res.stderr
    shown = json.loads(res.stdout.splitlines()[0])
    assert shown["options"] == {"max_tokens": 50, "reasoning_effort": "low"}
    assert openai_server.requests == []
