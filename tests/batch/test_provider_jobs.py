"""`llmcli batch --provider-batch` and `batch jobs|status|fetch|cancel` end to end: the real
openai and groq SDKs over HTTP to the loopback stubs' files + batches endpoints, a real SQLite
file, the job's lifecycle moved by the test (tests/stubs/batch_jobs.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmcli.core.numbers import usd, usd_bare
from tests.cli.test_batch import prompts_file, records

OPENAI = ["-m", "openai:gpt-4o-mini"]
GROQ = ["-m", "groq:openai/gpt-oss-20b"]
SYNC_KEYS = ["id", "model", "status", "reply", "usage", "cost", "timings", "attempts", "error",
             "line", "batch"]


@pytest.fixture
def sleeps(monkeypatch):
    """The poll's sleep, replaced: the intervals asked for are recorded, nothing waits."""
    import llmcli.cli.batch_jobs as mod

    asked: list[float] = []
    monkeypatch.setattr(mod, "sleep", asked.append)
    return asked


def three(tmp_path):
    return prompts_file(tmp_path, ["Olá", "mundo 🌍", "três"], ids=True)


def uploaded_lines(stub, n=0):
    data = [v for v in stub.files.values() if v[1] == "batch"][n][2]
    return [json.loads(x) for x in data.splitlines()]


def submit(cli, src, model=OPENAI, *extra):
    res = cli("batch", str(src), *model, "--provider-batch", *extra)
    assert res.exit_code == 0, res.stderr
    return res.stdout.strip()


def test_request_file_has_the_body_a_synchronous_call_sends(cli, openai_server, tmp_path):
    src = three(tmp_path)
    cli("batch", str(src), *OPENAI, "-o", "temperature=0.2", "-s", "Seja breve.", "--ordered")
    sync_bodies = [r.body for r in openai_server.requests_for("chat")]
    job = submit(cli, src, OPENAI, "-o", "temperature=0.2", "-s", "Seja breve.")
    lines = uploaded_lines(openai_server)
    assert [ln["custom_id"] for ln in lines] == ['L1:"q1"', 'L2:"q2"', 'L3:"q3"']
    assert {(ln["method"], ln["url"]) for ln in lines} == {("POST", "/v1/chat/completions")}
    sent = [{k: v for k, v in b.items() if k not in ("stream", "stream_options")}
            for b in sync_bodies]  # the requests a synchronous batch sent, in any order
    key = lambda b: b["messages"][-1]["content"]  # noqa: E731
    assert sorted(sent, key=key) == sorted((ln["body"] for ln in lines), key=key)
    create = openai_server.requests_for("batches.create")[0].body
    assert create["completion_window"] == "24h" and create["metadata"]["llmcli_job"] == job


def test_returns_at_once_with_the_job_id_and_any_later_process_sees_it(
    cli, cli_proc, openai_server, tmp_path
):
    job = submit(cli, three(tmp_path))
    assert len(job) == 12 and openai_server.requests_for("batches.retrieve") == []
    listing = cli("batch", "jobs")
    row = [ln.split("\t") for ln in listing.stdout.splitlines()][1]
    assert row[:8] == [job, "openai", "gpt-4o-mini", "validating", "0", "0", "3", "1"]
    assert float(row[10]) > 0 and row[11] == "input-estimate"  # until results are fetched
    openai_server.advance("batch_0001", "in_progress", done=1)
    status = cli_proc("batch", "status", job)  # another process, the same SQLite file
    assert status.exit_code == 0, status.stderr
    assert f"job {job}  openai:gpt-4o-mini  in_progress" in status.stdout
    assert "1/3 done, 0 failed" in status.stdout and "batch_0001" in status.stdout


def test_wait_reports_the_providers_counts_then_writes_the_records(
    cli, groq_server, tmp_path, sleeps
):
    groq_server.echo = True
    groq_server.batch_steps = ["in_progress", "finalizing", "completed"]
    out = tmp_path / "out.jsonl"
    res = cli("batch", str(three(tmp_path)), *GROQ, "--provider-batch", "--wait", "--poll", "7",
              "-O", str(out))
    assert res.exit_code == 0, res.stderr
    assert sleeps == [7.0, 7.0]  # two polls found it running, the third ended it
    progress = [ln for ln in res.stderr.splitlines() if "batch job" in ln and "done" in ln]
    assert [p.split(": ", 2)[2] for p in progress] == [
        "in_progress, 0/3 done, 0 failed", "finalizing, 0/3 done, 0 failed",
        "completed, 3/3 done, 0 failed"]
    recs = records(out.read_text(encoding="utf-8"))
    assert [(r["id"], r["reply"], r["status"], r["line"]) for r in recs] == [
        ("q1", "Olá", "ok", 1), ("q2", "mundo 🌍", "ok", 2), ("q3", "três", "ok", 3)]
    assert list(recs[0]) == SYNC_KEYS and recs[0]["model"] == "groq:openai/gpt-oss-20b"
    assert recs[0]["cost"] == pytest.approx((1 * 0.075 + 2 * 0.30) / 1e6 * 0.5)


def test_fetch_twice_never_duplicates_and_works_from_another_process(
    cli, cli_proc, openai_server, tmp_path
):
    openai_server.echo = True
    job = submit(cli, three(tmp_path))
    openai_server.finish("batch_0001")
    out = tmp_path / "out.jsonl"
    for _ in range(2):
        res = cli_proc("batch", "fetch", job, "-O", str(out))
        assert res.exit_code == 0, res.stderr
        assert [r["id"] for r in records(out.read_text(encoding="utf-8"))] == ["q1", "q2", "q3"]
    assert len(openai_server.requests_for("files.content")) == 1  # kept after the first fetch
    cost = sum(r["cost"] for r in records(out.read_text(encoding="utf-8")))
    assert cost > 0  # the listing's cost is now that of the results, at the batch price
    assert cli("batch", "jobs").stdout.splitlines()[1].endswith(f"\t{usd_bare(cost)}\tresults")


def test_failed_lines_are_reported_by_input_id_and_resubmitted(cli, openai_server, tmp_path):
    openai_server.echo = True
    job = submit(cli, three(tmp_path))
    openai_server.fail_ids = {'L2:"q2"'}
    openai_server.finish("batch_0001")
    out = tmp_path / "out.jsonl"
    res = cli("batch", "fetch", job, "-O", str(out))
    assert res.exit_code == 1
    assert "input q2 (line 2) failed: Invalid 'messages': stub refusal. (400)" in res.stderr
    assert f"llmcli batch fetch {job} -O {out} --retry-failed" in res.stderr
    assert [(r["id"], r["status"]) for r in records(out.read_text())] == [
        ("q1", "ok"), ("q3", "ok"), ("q2", "error")]

    res = cli("batch", "fetch", job, "-O", str(out), "--retry-failed")
    assert res.exit_code == 0, res.stderr
    assert [ln["custom_id"] for ln in uploaded_lines(openai_server, 1)] == ['L2:"q2"']
    openai_server.fail_ids = set()
    openai_server.finish("batch_0002")
    res = cli("batch", "fetch", job, "-O", str(out))
    assert res.exit_code == 0, res.stderr
    recs = records(out.read_text())
    assert sorted((r["id"], r["status"], r["reply"]) for r in recs) == [
        ("q1", "ok", "Olá"), ("q2", "ok", "mundo 🌍"), ("q3", "ok", "três")]
    row = cli("batch", "jobs").stdout.splitlines()[1].split("\t")
    assert row[3:8] == ["completed", "3", "0", "3", "2"]  # the resubmitted failure answered


def test_input_over_the_limit_is_split_into_jobs_tracked_as_one(cli, home, openai_server,
                                                                 tmp_path):
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text("[providers.openai]\nbatch_max_requests = 3\n")
    openai_server.echo = True
    src = prompts_file(tmp_path, [f"p{i}" for i in range(1, 8)])
    job = submit(cli, src)
    assert [len(uploaded_lines(openai_server, n)) for n in range(3)] == [3, 3, 1]
    rows = cli("batch", "jobs").stdout.splitlines()[1:]
    assert len(rows) == 1 and rows[0].split("\t")[6:8] == ["7", "3"]
    for bid in ("batch_0001", "batch_0002", "batch_0003"):
        openai_server.finish(bid)
    out = tmp_path / "out.jsonl"
    assert cli("batch", "fetch", job, "-O", str(out)).exit_code == 0
    assert [r["reply"] for r in records(out.read_text())] == [f"p{i}" for i in range(1, 8)]


def test_an_expired_job_yields_its_partial_results_and_reports_the_rest(
    cli, openai_server, tmp_path
):
    openai_server.echo = True
    job = submit(cli, three(tmp_path))
    openai_server.finish("batch_0001", "expired", done=2)
    out = tmp_path / "out.jsonl"
    res = cli("batch", "fetch", job, "-O", str(out))
    assert res.exit_code == 1 and "1 of 3 requests failed" in res.stderr
    assert "input q3 (line 3) failed" in res.stderr and "batch_expired" in res.stderr
    assert [(r["id"], r["status"]) for r in records(out.read_text())] == [
        ("q1", "ok"), ("q2", "ok"), ("q3", "error")]
    assert "\texpired\t" in cli("batch", "jobs").stdout


def test_cancel(cli, openai_server, tmp_path):
    job = submit(cli, three(tmp_path))
    res = cli("batch", "cancel", job)
    assert res.exit_code == 0 and "cancelling" in res.stdout
    assert openai_server.batch("batch_0001").status == "cancelling"
    openai_server.finish("batch_0001", "cancelled", done=1)
    assert "cancelled" in cli("batch", "status", job).stdout


def test_dry_run_writes_the_request_files_and_uploads_nothing(cli, openai_server, tmp_path):
    res = cli("batch", str(three(tmp_path)), *OPENAI, "--provider-batch", "--dry-run")
    assert res.exit_code == 0, res.stderr
    path, count, _ = res.stdout.strip().split("\t")
    assert count == "3 requests" and len(Path(path).read_text(encoding="utf-8").splitlines()) == 3
    assert openai_server.requests == [] and "nothing uploaded" in res.stderr
    assert cli("batch", "jobs").stdout.count("\n") == 1  # the header only


def test_the_local_model_is_refused_naming_the_providers_with_batch_jobs(cli, tmp_path):
    res = cli("batch", str(three(tmp_path)), "-m", "local", "--provider-batch")
    assert res.exit_code == 13
    assert "provider 'local' has no batch jobs" in res.stderr
    assert "providers that have them: gemini, groq, openai" in res.stderr


def test_an_input_file_named_like_a_subcommand_is_still_an_input(
    cli, openai_server, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "jobs").write_text("olá\n", encoding="utf-8")
    openai_server.echo = True
    res = cli("batch", "jobs", *OPENAI, "--lines")
    assert res.exit_code == 0, res.stderr
    assert records(res.stdout)[0]["reply"] == "olá"


def test_unknown_job_is_a_one_line_error(cli, openai_server):
    res = cli("batch", "status", "nope")
    assert res.exit_code == 2 and "no batch job 'nope'" in res.stderr
    assert "Traceback" not in res.stderr


def test_a_job_the_provider_failed_whole_says_why(cli, openai_server, tmp_path):
    job = submit(cli, three(tmp_path))
    openai_server.finish("batch_0001", "failed")
    res = cli("batch", "fetch", job)
    assert res.exit_code == 10 and res.stdout == ""
    assert "provider job batch_0001 failed: the input file is invalid" in res.stderr
    assert f"batch job {job} failed at the provider" in res.stderr


def test_fetch_prints_to_stdout_and_never_clobbers_another_file(cli, openai_server, tmp_path):
    openai_server.echo = True
    job = submit(cli, three(tmp_path))
    openai_server.finish("batch_0001")
    res = cli("batch", "fetch", job)
    assert res.exit_code == 0 and [r["id"] for r in records(res.stdout)] == ["q1", "q2", "q3"]
    other = tmp_path / "mine.jsonl"
    other.write_text('{"note": "precious"}\n')
    res = cli("batch", "fetch", job, "-O", str(other))
    assert res.exit_code == 2 and "exists and holds other records" in res.stderr
    assert other.read_text() == '{"note": "precious"}\n'


def test_fetch_before_the_job_ends_says_it_is_still_running(cli, openai_server, tmp_path):
    job = submit(cli, three(tmp_path))
    openai_server.advance("batch_0001", "in_progress", done=1)
    res = cli("batch", "fetch", job, "-O", str(tmp_path / "o.jsonl"))
    assert res.exit_code == 0 and "1 provider job of" in res.stderr
    assert "still running (in_progress); fetch again later" in res.stderr


def test_a_template_fills_the_requests_and_its_answer_is_extracted_at_fetch(
    cli, groq_server, tmp_path, sleeps
):
    tpl = tmp_path / "conta.yaml"
    tpl.write_text('system: "Responda com Resposta: N."\nprompt: "Quanto é {{ a }} + {{ b }}?"\n'
                   'extract: "Resposta:"\n', encoding="utf-8")
    src = tmp_path / "contas.jsonl"
    src.write_text('{"id": "x", "a": 2, "b": 3}\n', encoding="utf-8")
    groq_server.reply_text = "Pensando… Resposta: 5"
    groq_server.batch_steps = ["completed"]
    res = cli("batch", str(src), *GROQ, "-t", str(tpl), "--provider-batch", "--wait", "--poll",
              "0")
    assert res.exit_code == 0, res.stderr
    body = uploaded_lines(groq_server)[0]["body"]
    assert body["messages"] == [
        {"role": "system", "content": "Responda com Resposta: N."},
        {"role": "user", "content": "Quanto é 2 + 3?"}]
    (rec,) = records(res.stdout)
    assert (rec["id"], rec["answer"], rec["reply"]) == ("x", "5", "Pensando… Resposta: 5")
    assert sleeps == []  # ended at the first poll


def test_an_output_file_that_cannot_be_used_is_refused_before_anything_is_sent(
    cli, openai_server, tmp_path
):
    res = cli("batch", str(three(tmp_path)), *OPENAI, "--provider-batch", "--wait", "-O",
              str(tmp_path / "out.csv"))
    assert res.exit_code == 2 and "batch fetch writes JSONL" in res.stderr
    assert openai_server.requests == []


def test_jobs_table_fits_80_columns_and_subcommand_help_names_itself(cli, openai_server,
                                                                     tmp_path):
    job = submit(cli, three(tmp_path))
    res = cli("batch", "jobs", stdout_tty=True, width=80)
    lines = [ln for ln in _plain(res.stdout).splitlines() if ln.strip()]
    assert all(len(ln) <= 80 for ln in lines) and any(ln.startswith(job) for ln in lines)
    assert "openai:gpt-4o-mi" in res.stdout and "validating" in res.stdout
    wide = _plain(cli("batch", "jobs", stdout_tty=True, width=200).stdout)
    assert "gpt-4o-mini" in wide and "cost (batch price)" in wide
    res = cli("batch", "fetch")
    assert res.exit_code == 2 and "(see 'llmcli batch fetch --help')" in res.stderr


def test_jobs_costs_by_the_shared_formatters_in_a_terminal_and_a_pipe(cli, openai_server,
                                                                      tmp_path):
    openai_server.echo = True
    job = submit(cli, three(tmp_path))
    head, row = [ln.split("\t") for ln in cli("batch", "jobs").stdout.splitlines()]
    assert head[-2:] == ["cost_usd", "cost_basis"] and row[-1] == "input-estimate"
    for width in (80, 200):  # the short table and the full one
        shown = _plain(cli("batch", "jobs", stdout_tty=True, width=width).stdout)
        assert f"~{usd(float(row[-2]))} in" in shown
    openai_server.finish("batch_0001")
    out = tmp_path / "out.jsonl"
    assert cli("batch", "fetch", job, "-O", str(out)).exit_code == 0
    cost = sum(r["cost"] for r in records(out.read_text(encoding="utf-8")))
    assert usd(cost) == "$0.0000021"  # 2.1e-06: two significant digits, as logs and compare
    for width in (80, 200):
        shown = _plain(cli("batch", "jobs", stdout_tty=True, width=width).stdout)
        line = next(ln for ln in shown.splitlines() if ln.startswith(job))
        assert line.rstrip().endswith(" $0.0000021"), line  # not $0.000002 (six decimals)
    head, row = [ln.split("\t") for ln in cli("batch", "jobs").stdout.splitlines()]
    assert dict(zip(head, row, strict=True)) | {"created": "", "expires": ""} == {
        "id": job, "provider": "openai", "model": "gpt-4o-mini", "status": "completed",
        "done": "3", "failed": "0", "requests": "3", "parts": "1", "created": "",
        "expires": "", "cost_usd": "0.0000021", "cost_basis": "results"}


def test_jobs_table_follows_the_terminals_own_width(cli, openai_server, tmp_path,
                                                    monkeypatch):
    """A real terminal's width comes from the terminal (Rich reads it), not from the
    environment object the tests fill in: 200 columns get the full table."""
    submit(cli, three(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    wide = _plain(cli("batch", "jobs", stdout_tty=True, width=None).stdout)
    assert "cost (batch price)" in wide and "gpt-4o-mini" in wide
    monkeypatch.setenv("COLUMNS", "80")
    narrow = _plain(cli("batch", "jobs", stdout_tty=True, width=None).stdout)
    assert "cost (batch price)" not in narrow and "openai:gpt-4o-mi" in narrow


def test_status_breaks_its_long_line_between_words_in_a_terminal(cli, openai_server, tmp_path):
    job = submit(cli, three(tmp_path))
    openai_server.advance("batch_0001", "in_progress", done=1)
    for width in (80, 100):  # at 100 the terminal cut `~$0.0000012` into `~$` and `0.0000012`
        shown = _plain(cli("batch", "status", job, stdout_tty=True, width=width).stdout)
        lines = shown.splitlines()
        assert all(len(ln) <= width for ln in lines), lines
        assert any("~$0.0000" in ln for ln in lines) and "(batch price)" in shown, lines
    piped = cli("batch", "status", job).stdout.splitlines()
    assert piped[1].startswith("requests: ") and piped[1].endswith("(batch price)")


def _plain(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_a_refused_key_is_one_line_without_the_key_and_records_no_job(
    cli, openai_server, tmp_path
):
    wrong = "sk-wrong-SECRET-0123456789"
    res = cli("batch", str(three(tmp_path)), *OPENAI, "--provider-batch",
              env={"OPENAI_API_KEY": wrong})
    assert res.exit_code == 4 and len(res.stderr.strip().splitlines()) == 1
    assert "SECRET" not in res.stderr + res.stdout
    assert openai_server.requests_for("batches.create") == []
    assert cli("batch", "jobs").stdout.count("\n") == 1  # the header: no empty job kept


def test_ctrl_c_while_waiting_leaves_the_job_to_fetch_later(cli, openai_server, tmp_path,
                                                            monkeypatch):
    import llmcli.cli.batch_jobs as mod

    def interrupt(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(mod, "sleep", interrupt)
    openai_server.batch_steps = ["in_progress"]
    res = cli("batch", str(three(tmp_path)), *OPENAI, "--provider-batch", "--wait", "--poll", "5")
    assert res.exit_code == 130
    job = res.stderr.split("batch job ", 1)[1].split(":", 1)[0]
    openai_server.echo = True
    openai_server.finish("batch_0001")
    res = cli("batch", "fetch", job)
    assert res.exit_code == 0 and len(records(res.stdout)) == 3


def test_malformed_lines_are_skipped_named_and_make_the_exit_status_2(
    cli, openai_server, tmp_path
):
    src = tmp_path / "in.jsonl"
    src.write_text('{"prompt": "um"}\n{"prompt": \n{"id": 7}\n{"prompt": "quatro"}\n',
                   encoding="utf-8")
    res = cli("batch", str(src), *OPENAI, "--provider-batch")
    assert res.exit_code == 2
    job = res.stdout.strip()
    assert "line 2 skipped: not valid JSON" in res.stderr and "line 3 skipped" in res.stderr
    assert f"2 malformed lines skipped (line 2, 3); the rest went to job {job}" in res.stderr
    assert [ln["custom_id"] for ln in uploaded_lines(openai_server)] == ["L1:1", "L4:4"]


def test_an_openai_compatible_endpoint_is_refused(cli, home, openai_server, tmp_path):
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(
        f'[endpoints.ollama]\nbase_url = "{openai_server.url}"\n', encoding="utf-8")
    res = cli("batch", str(three(tmp_path)), "-m", "ollama:stub-model", "--provider-batch")
    assert res.exit_code == 13 and "endpoint 'ollama' has no batch jobs" in res.stderr
    assert openai_server.requests_for("files.create") == []


def test_the_byte_limit_splits_too_and_one_request_over_it_is_refused(
    cli, home, openai_server, tmp_path
):
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text("[providers.openai]\nbatch_max_bytes = 400\n")
    res = cli("batch", str(three(tmp_path)), *OPENAI, "--provider-batch", "--dry-run")
    assert res.exit_code == 0, res.stderr
    rows = [ln.split("\t") for ln in res.stdout.splitlines()]
    assert [r[1] for r in rows] == ["2 requests", "1 request"]
    assert all(int(r[2].split()[0].replace(",", "")) <= 400 for r in rows)
    big = prompts_file(tmp_path, ["x" * 500], name="big.jsonl")
    res = cli("batch", str(big), *OPENAI, "--provider-batch", "--dry-run")
    assert res.exit_code == 2 and "over the provider's 400-byte file limit" in res.stderr
