"""#16 item 2: repeated input ids. Resume matches answers by id, so a repeated id used to be
taken for answered ('a,b,a,a,c' cut after the first record: '3 already done', two inputs
lost). A repeated id is now a malformed line (reported, exit 2) unless --dedupe answers each id
once; no input is ever counted as done without an answer."""

from __future__ import annotations

import json

M = ["-m", "openai:gpt-4o-mini"]
IDS = ["a", "b", "a", "a", "c"]


def src(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps({"id": i, "prompt": f"p{n}-{i}"}) + "\n"
                            for n, i in enumerate(IDS, 1)), encoding="utf-8")
    return path


def recs(path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def test_a_repeated_id_is_reported_not_lost(cli, openai_server, tmp_path):
    out = tmp_path / "out.jsonl"
    res = cli("batch", str(src(tmp_path)), *M, "-O", str(out))
    assert res.exit_code == 2, res.stderr
    assert "line 3: id 'a' was already used on line 1" in res.stderr
    assert "line 4: id 'a' was already used on line 1" in res.stderr
    assert "2 malformed lines skipped (line 3, 4)" in res.stderr
    assert sorted(r["id"] for r in recs(out)) == ["a", "b", "c"]


def test_resume_after_a_cut_never_counts_a_repeat_as_done(cli, openai_server, tmp_path):
    openai_server.echo = True
    out = tmp_path / "out.jsonl"
    path = src(tmp_path)
    assert cli("batch", str(path), *M, "-O", str(out), "-j", "1", "--ordered").exit_code == 2
    first = out.read_text(encoding="utf-8").splitlines()[0]
    out.write_text(first + "\n", encoding="utf-8")  # the run was cut after its first record
    res = cli("batch", str(path), *M, "-O", str(out), "--resume", "--summary")
    assert res.exit_code == 2, res.stderr  # the repeats are still reported, every time
    summary = res.stderr
    assert "3 already done" not in summary
    assert "already used on line 1" in summary
    assert "1 already done" in summary
    assert sorted((r["id"], r["reply"]) for r in recs(out)) == [
        ("a", "p1-a"), ("b", "p2-b"), ("c", "p5-c")]


def test_dedupe_answers_each_id_once_and_says_so(cli, openai_server, tmp_path):
    openai_server.echo = True
    out = tmp_path / "out.jsonl"
    path = src(tmp_path)
    res = cli("batch", str(path), *M, "-O", str(out), "--dedupe")
    assert res.exit_code == 0, res.stderr
    assert "2 repeated ids answered once (--dedupe)" in res.stderr
    assert sorted((r["id"], r["reply"]) for r in recs(out)) == [
        ("a", "p1-a"), ("b", "p2-b"), ("c", "p5-c")]
    assert len(openai_server.requests_for("chat")) == 3
    again = cli("batch", str(path), *M, "-O", str(out), "--dedupe", "--resume")
    assert again.exit_code == 0 and len(openai_server.requests_for("chat")) == 3
