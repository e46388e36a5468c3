"""`llmcli eval` end to end: the real OpenAI SDK over HTTP to the loopback stub, a real SQLite
file; a real promptfoo example config run unchanged; outputs, stored runs, diff, the cache,
--filter-failing, exit codes, and resume after the process was killed."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from llmcli.config import Paths
from tests.conftest import ROOT
from tests.eval.test_suite import FIXTURES

GETTING_STARTED = str(FIXTURES / "getting-started" / "promptfooconfig.yaml")


def answer(stub, fn, n: int = 200) -> None:
    """The next `n` chat requests are answered with fn(model, last user message)."""

    def reply(req):
        body = req.body or {}
        text = fn(body.get("model"), body["messages"][-1]["content"])
        old = stub.chunks
        stub.chunks = [text]
        try:
            return stub.stream(req) if body.get("stream") else stub.completion(req)
        finally:
            stub.chunks = old

    stub.script("chat", *([reply] * n))


def translator(weak: str | None = "o4-mini"):
    def fn(model, prompt):
        if "French" in prompt:
            return "Bonjour le monde"
        return "No sé" if model == weak else "¿Dónde está la biblioteca?"
    return fn


@pytest.fixture
def server(openai_server, pinned_today):
    # The example names o4-mini, which the catalog retires on 2026-10-23: run it before then.
    pinned_today("2026-06-01")
    openai_server.models += ["o4-mini"]
    answer(openai_server, translator())
    return openai_server


def chats(stub) -> int:
    return len(stub.requests_for("chat"))


def test_a_real_promptfoo_config_runs_unchanged(cli, server):
    res = cli("eval", GETTING_STARTED)
    assert res.exit_code == 17, res.stderr
    out = res.stdout
    assert "openai:gpt-4.1" in out and "openai:o4-mini" in out
    assert "Convert this English to {{language}}: {…" in out  # labels: 40 characters
    assert "Translate to {{language}}: {{input}}" in out
    assert "100% [34–100%] 2/2" in out  # Wilson interval of 2 of 2
    assert "50% [9–91%] 1/2" in out
    assert "Dónde está la biblioteca" in out  # the failure says what was expected
    assert res.stderr.count("\n") == 1 and "llmcli: error: 2 of 4 prompt x model passed " \
        "less than 100%" in res.stderr
    assert chats(server) == 8
    assert cli("eval", GETTING_STARTED, "--pass-rate", "0.5").exit_code == 0


def test_machine_outputs(cli, server, tmp_path):
    doc = json.loads(cli("eval", GETTING_STARTED, "--json").stdout)
    arms = {(a["prompt"][:7], a["model"]): a for a in doc["matrix"]}
    assert arms[("Convert", "openai:o4-mini")] == {
        "prompt": "Convert this English to {{language}}: {…", "model": "openai:o4-mini",
        "passed": 1, "total": 2, "errors": 0, "rate": 0.5, "ci95": [0.0945, 0.9055]}
    assert len(doc["cells"]) == 8 and doc["alpha"] == 0.05
    pair = next(c for c in doc["comparisons"] if c["over"].startswith("prompt Convert"))
    assert (pair["only_a"], pair["only_b"], pair["p_value"], pair["significant"]) == (
        1, 0, 1.0, False)
    lines = cli("eval", GETTING_STARTED, "--jsonl").stdout.splitlines()
    assert len(lines) == 8 and {json.loads(x)["run_id"] for x in lines} != {doc["run_id"]}
    md = cli("eval", GETTING_STARTED, "--markdown").stdout
    assert "| prompt | openai:gpt-4.1 | openai:o4-mini |" in md
    junit = tmp_path / "junit.xml"
    res = cli("eval", GETTING_STARTED, "--junit", str(junit))
    assert res.exit_code == 17
    root = ET.parse(junit).getroot()
    assert root.get("tests") == "8" and root.get("failures") == "2"
    failures = root.findall(".//failure")
    assert len(failures) == 2 and "Dónde está la biblioteca" in failures[0].get("message")
    assert cli("eval", GETTING_STARTED, "--json", "--markdown").exit_code == 2


def test_in_a_pipe_each_comparison_and_failure_stays_one_line(cli, server):
    # Rich would wrap them at the pipe's 80 columns, leaving a space at each break (issue #15)
    lines = cli("eval", GETTING_STARTED, width=80).stdout.splitlines()
    comparisons = [line for line in lines if "discordant" in line]
    failures = [line for line in lines if line.startswith("  ") and " · openai:" in line]
    assert len(comparisons) == 4 and len(failures) == 2
    assert all(line.endswith(("could be noise", "significant")) for line in comparisons)
    assert all(line.endswith("in 'No sé'") for line in failures)
    assert "pass rate [Wilson 95% interval] passed/total" in lines
    assert [line for line in lines if line != line.rstrip()] == []  # no padding left behind
    tty = cli("eval", GETTING_STARTED, width=80, stdout_tty=True).stdout
    below = re.sub(r"\x1b\[[0-9;]*m", "", tty).split("Paired differences")[1]
    assert max(map(len, below.splitlines())) <= 80  # a terminal wraps them, between words


def test_the_cache_and_no_cache(cli, server):
    cli("eval", GETTING_STARTED)
    assert chats(server) == 8
    res = cli("eval", GETTING_STARTED)
    assert chats(server) == 8  # nothing asked again
    assert "8 replies from the cache, 0 asked" in res.stdout
    cli("eval", GETTING_STARTED, "--no-cache")
    assert chats(server) == 16
    cli("eval", GETTING_STARTED, "--repeat", "2")
    assert chats(server) == 24  # repetition 1 cached, repetition 2 asked


def test_runs_show_diff_and_filter_failing(cli, server):
    first = json.loads(cli("eval", GETTING_STARTED, "--json").stdout)["run_id"]
    server.reset()
    answer(server, translator(weak=None))  # the weak model got better
    # --no-cache: the cache would answer with the replies the model gave before
    res = cli("eval", GETTING_STARTED, "--filter-failing", first, "--json", "--no-cache")
    assert res.exit_code == 0, res.stderr
    second = json.loads(res.stdout)
    assert chats(server) == 2 and len(second["cells"]) == 2  # only the two failures
    listing = cli("eval", "runs").stdout.splitlines()
    assert listing[0].split("\t") == ["run", "created (UTC)", "suite", "passed", "status"]
    assert listing[1].startswith(second["run_id"]) and listing[1].endswith("2/2\tcomplete")
    assert listing[2].startswith(first) and "6/8" in listing[2]
    shown = cli("eval", "show", first[:6])
    assert shown.exit_code == 0 and "50% [9–91%] 1/2" in shown.stdout
    diff = cli("eval", "diff", first, second["run_id"])
    assert diff.exit_code == 0
    assert "Translate to {{language}}: {{input}} · openai:o4-mini: 0/1 → 1/1 (1 fixed, " \
        "0 broken, p = 1)" in diff.stdout
    assert "+ language=Spanish, input=Where is the library?" in diff.stdout
    piped = cli("eval", "diff", first, second["run_id"], width=80).stdout.splitlines()
    assert piped[0].endswith("p < 0.05)")  # one line in a pipe, not wrapped at 80
    doc = json.loads(cli("eval", "diff", first, second["run_id"], "--json").stdout)
    assert sum(a["fixed"] for a in doc["arms"]) == 2
    bad = cli("eval", "show", "nope")
    assert bad.exit_code == 2 and "no eval run 'nope'" in bad.stderr


def test_bad_input_is_one_line(cli, server, tmp_path):
    missing = cli("eval", str(tmp_path / "none.yaml"))
    assert missing.exit_code == 2 and "cannot be read" in missing.stderr
    suite = tmp_path / "s.yaml"
    suite.write_text("prompts: ['x']\ntests: [{assert: [{type: javascript, value: 'x'}]}]\n")
    res = cli("eval", str(suite), "-m", "openai:gpt-4.1")
    assert res.exit_code == 2 and "'javascript' is not supported" in res.stderr
    assert "Traceback" not in res.stderr and res.stderr.count("\n") == 1
    suite.write_text("prompts: ['x']\ntests: [{assert: [{type: llm-rubric, value: ok}]}]\n")
    res = cli("eval", str(suite), "-m", "openai:gpt-4.1")
    assert res.exit_code == 2 and "--grader MODEL" in res.stderr
    assert cli("eval", str(suite), "-m", "nosuch:model").exit_code == 5
    assert chats(server) == 0


def test_a_failing_provider_fails_the_run_with_its_code(cli, server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-0000000000000000")
    server.reset()  # scripted replies skip the stub's key check
    res = cli("eval", GETTING_STARTED, "--jsonl")
    assert res.exit_code == 4, res.stderr
    assert "8 of 8 cells failed (8 auth)" in res.stderr
    assert "sk-wrong-0000000000000000" not in res.stderr + res.stdout


def test_llm_rubric_and_similar_through_the_stub(cli, openai_server, tmp_path):
    suite = tmp_path / "s.yaml"
    suite.write_text("""
prompts: ['Talk like a pirate: {{text}}']
tests:
  - vars: {text: olá 🏴‍☠️}
    assert:
      - {type: llm-rubric, value: É dito como um pirata}
      - {type: similar, value: 'Arr, olá', threshold: 0.5}
""", encoding="utf-8")

    def fn(model, prompt):
        if "<rubric>" in prompt:
            return '```json\n{"reason": "diz arr", "pass": true, "score": 0.9}\n```'
        return "Arr, olá 🏴‍☠️"

    answer(openai_server, fn)
    res = cli("eval", str(suite), "-m", "openai:gpt-4o-mini", "--grader", "openai:gpt-4.1",
              "--embedder", "openai:text-embedding-3-small", "--json")
    assert res.exit_code == 0, res.stderr
    (cell,) = json.loads(res.stdout)["cells"]
    rubric, similar = cell["assertions"]
    assert (rubric["pass"], rubric["score"], rubric["reason"]) == (True, 0.9, "diz arr")
    assert similar["pass"] and similar["reason"].startswith("similarity ")
    models = [r.body["model"] for r in openai_server.requests_for("chat")]
    assert models == ["gpt-4o-mini", "gpt-4.1"]
    assert openai_server.requests_for("embeddings")
    assert cell["reply"] == "Arr, olá 🏴‍☠️"


def _stored(home: Path) -> int:
    db = Paths.from_env({"LLMCLI_HOME": str(home)}).logs_db
    if not db.exists():
        return 0
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT COUNT(*) FROM eval_results").fetchone()[0]
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


def test_resume_after_the_process_was_killed(cli, openai_server, isolated, tmp_path):
    from tests.compare.stubtools import per_model

    suite = tmp_path / "s.yaml"
    suite.write_text("prompts: ['Say {{n}}']\nproviders: [openai:gpt-4o-mini]\n"
                     "tests:\n  - vars: {n: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}\n"
                     "    assert: [{type: icontains, value: hello}]\n")
    per_model(openai_server, {"gpt-4o-mini": {"delay": 0.4, "chunks": ["hello"]}}, n=100)
    env = dict(os.environ)
    proc = subprocess.Popen([sys.executable, "-m", "llmcli", "eval", str(suite), "-j", "1"],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while _stored(isolated) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    kept = _stored(isolated)
    assert 3 <= kept < 10
    asked_before = chats(openai_server)
    listing = cli("eval", "runs").stdout.splitlines()[1].split("\t")
    run_id = listing[0]
    assert listing[3] == f"{kept}/{kept} of 10" and listing[4] == "incomplete"
    res = cli("eval", str(suite), "--resume", run_id, "--json")
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["run_id"] == run_id and len(doc["cells"]) == 10
    assert doc["matrix"][0]["passed"] == 10
    # only what was not stored was asked again (the one in flight at the kill at most twice)
    assert chats(openai_server) - asked_before <= 10 - kept
    assert cli("eval", str(suite), "--resume", run_id, "-m", "x").exit_code == 2
    suite.write_text(suite.read_text() + "# edited\n")
    changed = cli("eval", str(suite), "--resume", run_id)
    assert changed.exit_code == 2 and "changed since run" in changed.stderr


def test_ctrl_c_keeps_finished_cells_and_says_how_to_resume(cli, openai_server, isolated,
                                                              tmp_path):
    from tests.compare.stubtools import per_model

    suite = tmp_path / "s.yaml"
    suite.write_text("prompts: ['Say {{n}}']\nproviders: [openai:gpt-4o-mini]\n"
                     "tests:\n  - vars: {n: [1, 2, 3, 4, 5, 6, 7, 8]}\n")
    per_model(openai_server, {"gpt-4o-mini": {"delay": 0.4, "chunks": ["hi"]}}, n=100)
    proc = subprocess.Popen([sys.executable, "-m", "llmcli", "eval", str(suite), "-j", "2"],
                            env=dict(os.environ), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while _stored(isolated) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    run_id = json.loads(cli("eval", "runs", "--json").stdout)[0]["id"]
    assert f"--resume {run_id}" in err.decode() and "Traceback" not in err.decode()
    kept = _stored(isolated)
    assert 2 <= kept < 8
    listing = cli("eval", "runs").stdout.splitlines()[1].split("\t")
    assert listing[4] == "interrupted"
    assert "Say {{n}}" in out.decode()  # the matrix of what finished was still printed
    res = cli("eval", str(suite), "--resume", run_id, "--jsonl")
    assert res.exit_code == 0 and len(res.stdout.splitlines()) == 8


def test_a_429_is_waited_out_and_the_cell_passes(cli, server):
    server.reset()
    server.script("chat", server.rate_limited(retry_after=0.3))
    answer(server, translator(weak=None))
    res = cli("eval", GETTING_STARTED, "-j", "1", "--json")
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert all(c["passed"] for c in doc["cells"])
    assert chats(server) == 9  # the refused request, then all eight
    assert max(c["latency"] for c in doc["cells"]) >= 0.3  # Retry-After was honoured


def test_many_pairs_show_only_the_significant_ones(cli, openai_server, tmp_path):
    # five prompts x two models: 10 prompt pairs + 5 model pairs; 'good' passes all 8 cases,
    # the others none, so good vs each other prompt is 8:0 discordant (p = 0.0078)
    suite = tmp_path / "s.yaml"
    suite.write_text("prompts:\n" + "".join(f"  - {{id: {n}, raw: '{n} {{{{n}}}}'}}\n"
                                             for n in ("good", "b1", "b2", "b3", "b4"))
                     + "tests:\n  - vars: {n: [1, 2, 3, 4, 5, 6, 7, 8]}\n"
                     "    assert: [{type: starts-with, value: good}]\n")
    openai_server.echo = True
    res = cli("eval", str(suite), "-m", "openai:gpt-4o-mini", "-m", "openai:gpt-4.1-mini")
    assert res.exit_code == 17
    out = res.stdout
    assert out.count("p = 0.0078, significant") == 8  # good vs b1..b4 on each model
    assert "7 other pairs could be noise (each in --json or --markdown)" in out
    assert "100% [68–100%] 8/8" in out and "0% [0–32%] 0/8" in out


@pytest.mark.parametrize(("suite_text", "message"), [
    ("prompts: ['Hi {{name}}']\ntests: [{vars: {nome: Ana}}]\n",
     "prompt 'Hi {{name}}' needs {{name}}, which test 'nome=Ana' does not set"),
    ("prompts: [{id: cot, template: chain-of-thought}]\ntests: [{vars: {question: x}}]\n",
     "prompt 'cot' needs {{input}}, which test 'question=x' does not set"),
    ("prompts: ['{{input}}']\ntests: [{vars: {input: x}, assert: [{type: equals, "
     "value: '{{answer}}'}]}]\n", "a 'equals' value needs {{answer}}"),
    ("prompts: ['{{input']\n", "prompt '{{input': "),
])
def test_variables_are_checked_before_any_request(cli, openai_server, tmp_path, suite_text,
                                                  message):
    suite = tmp_path / "s.yaml"
    suite.write_text(suite_text)
    res = cli("eval", str(suite), "-m", "openai:gpt-4o-mini")
    assert res.exit_code == 2 and message in res.stderr, res.stderr
    assert chats(openai_server) == 0


@pytest.mark.slow
def test_similar_with_the_local_embedder_by_default(cli, openai_server, tmp_path):
    pytest.importorskip("llmcli.providers.local")
    suite = tmp_path / "s.yaml"
    suite.write_text("""
prompts: ['Say {{text}}']
tests:
  - vars: {text: 'Arr, olá marujo'}
    assert:
      - {type: similar, value: 'Say Arr, olá marujo', threshold: 0.999}
      - {type: not-similar, value: 'Quarterly revenue grew in the bond market', threshold: 0.999}
""", encoding="utf-8")
    openai_server.echo = True
    res = cli("eval", str(suite), "-m", "openai:gpt-4o-mini", "--json")
    assert res.exit_code == 0, res.stderr
    same, other = json.loads(res.stdout)["cells"][0]["assertions"]
    assert same["pass"] and same["score"] >= 0.999  # the reply's own text
    assert other["pass"] and other["score"] > 0  # not-similar: 1 - cosine
    assert not openai_server.requests_for("embeddings")  # embedded locally


def test_live_progress_on_a_terminal_only(cli, server):
    from tests.compare.stubtools import strip_ansi

    res = cli("eval", GETTING_STARTED, "--pass-rate", "0.5", stderr_tty=True)
    assert res.exit_code == 0
    shown = strip_ansi(res.stderr)
    # the live line (its last frame: how many frames before it depends on the machine's speed)
    assert re.search(r"━ 8/8 · 6 passed · 2 failed · \d+s", shown), shown
    piped = cli("eval", GETTING_STARTED, "--pass-rate", "0.5")
    assert piped.stderr == ""  # nothing on a pipe but errors


def _long_suite(tmp_path):
    long = "Onde fica a biblioteca municipal mais próxima da estação de comboios? 📚 " * 2
    suite = tmp_path / "s.yaml"
    suite.write_text(f"""
prompts: ['Traduz para {{{{language}}}}: {{{{input}}}}']
tests:
  - description: uma pergunta longa que nenhum modelo traduz como a suite espera, de propósito
    vars: {{language: inglês, input: '{long.strip()}'}}
    assert:
      - {{type: contains, value: "Where is the nearest\\nmunicipal library? {'x' * 40}"}}
  - description: a segunda
    vars: {{language: francês, input: olá}}
    assert:
      - {{type: icontains, value: 'bonjour tout le monde, comment allez-vous aujourd hui'}}
""", encoding="utf-8")
    return suite


def test_failures_in_a_pipe_one_per_line_never_wrapped(cli, openai_server, tmp_path):
    suite = _long_suite(tmp_path)
    answer(openai_server, lambda model, prompt: "não sei")
    for width in (None, 80, 60):  # a pipe has no width: Rich would assume 80 and wrap
        res = cli("eval", str(suite), "-m", "openai:gpt-4o-mini", "-m", "openai:gpt-4.1",
                  width=width)
        assert res.exit_code == 17, res.stderr
        tail = res.stdout.split("\nFailures (4):\n")[1].splitlines()
        assert len(tail) == 4, res.stdout  # one line per failure, nothing after
        first = tail[0]
        assert first.startswith("  Traduz para {{language}}: {{input}} · openai:gpt-4o-mini · "
                                "uma pergunta longa que nenhum modelo traduz como a suite")
        assert first.endswith(r"contains: none of ['Where is the nearest\nmunicipal library? "
                              + "x" * 40 + "'] in 'não sei'")
        assert tail[1].endswith(
            "['bonjour tout le monde, comment allez-vous aujourd hui'] in 'não sei'")


def test_failures_in_a_terminal_wrap_under_their_own_text(cli, openai_server, tmp_path):
    suite = _long_suite(tmp_path)
    answer(openai_server, lambda model, prompt: "não sei")
    res = cli("eval", str(suite), "-m", "openai:gpt-4o-mini", "-m", "openai:gpt-4.1",
              stdout_tty=True, width=80, env={"NO_COLOR": "1"})
    assert res.exit_code == 17, res.stderr
    lines = res.stdout.split("\nFailures (4):\n")[1].splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("  Traduz para")]
    assert len(starts) == 4 and len(lines) > 4  # each failure wrapped over several lines
    for i, line in enumerate(lines):
        assert len(line) <= 80
        # a continuation hangs two columns further in than its item: never at column 0
        assert line.startswith("  " if i in starts else "    ") and line.strip(), line
    joined = " ".join(line.strip() for line in lines[starts[1]:starts[2]])
    assert "Where is the nearest" in joined or "bonjour" in joined
