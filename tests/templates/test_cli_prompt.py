"""`llmcli prompt -t`: the real CLI and openai SDK against the loopback stub, scripted replies."""

from __future__ import annotations

import json
import sqlite3

import pytest

from llmcli.config import Paths
from tests.templates.helpers import queue, sent

M = ["-m", "openai:gpt-4o-mini"]


def log_rows() -> list[dict]:
    conn = sqlite3.connect(Paths.from_env().logs_db)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("SELECT * FROM exchanges ORDER BY id")]
    conn.close()
    return rows


def test_chain_of_thought_in_a_pipe_prints_the_reply(cli, openai_server):
    queue(openai_server, "17 x 3 = 51.\nAnswer: 51")
    res = cli("prompt", "-t", "chain-of-thought", "Quanto é 17 x 3?", *M)
    assert res.exit_code == 0, res.stderr
    assert res.stdout == "17 x 3 = 51.\nAnswer: 51\n"
    messages = sent(openai_server)[-1]
    assert messages[0]["role"] == "system" and "Answer:" in messages[0]["content"]
    roles = ["system", "user", "assistant", "user", "assistant", "user"]
    assert [m["role"] for m in messages] == roles
    assert messages[-1] == {"role": "user", "content": "Quanto é 17 x 3?"}
    assert openai_server.requests_for("chat")[-1].body["temperature"] == 0
    assert log_rows()[-1]["template"] == "chain-of-thought"


def test_answer_only_hides_the_reasoning(cli, openai_server):
    queue(openai_server, "Primeiro... depois...\n**Resposta:** 2h35.")
    res = cli("prompt", "-t", "chain-of-thought", "--answer-only", "14h10 até 16h45?", *M)
    assert res.exit_code == 0 and res.stdout == "2h35\n"


def test_answer_only_without_an_answer_fails_clearly(cli, openai_server):
    queue(openai_server, "I could not decide.")
    res = cli("prompt", "-t", "zero-shot-cot", "--answer-only", "?", *M)
    assert res.exit_code == 10 and res.stdout == ""
    assert "no final answer found" in res.stderr and res.stderr.count("\n") == 1


def test_terminal_shows_reasoning_dimmed_then_the_answer(cli, openai_server):
    queue(openai_server, "reasoning here\nAnswer: 51")
    res = cli("prompt", "-t", "chain-of-thought", "x", *M, stdout_tty=True)
    assert res.exit_code == 0
    import re

    assert "\x1b[2mreasoning" in res.stdout  # dim
    plain = re.sub(r"\x1b\[[0-9;]*m", "", res.stdout)
    assert plain == "reasoning here\nAnswer: 51\n"  # the answer once, bold (#15)
    assert "\x1b[1mAnswer: \x1b[0m\x1b[1;32m51" in res.stdout  # the extracted answer, bold


def test_stdin_fills_input(cli, openai_server):
    res = cli("prompt", "-t", "role", "-v", "role=um pirata", *M, input="O que é um token?\n")
    assert res.exit_code == 0
    messages = sent(openai_server)[-1]
    assert messages[0]["content"].startswith("You are um pirata.")
    assert messages[1] == {"role": "user", "content": "O que é um token?"}


def test_cli_options_override_the_templates(cli, openai_server):
    cli("prompt", "-t", "chain-of-thought", "x", *M, "-o", "temperature=0.3", "-o", "max_tokens=50")
    body = openai_server.requests_for("chat")[-1].body
    assert body["temperature"] == 0.3 and body["max_tokens"] == 50


def test_examples_file_replaces_template_examples(cli, openai_server, tmp_path):
    ex = tmp_path / "ex.csv"
    ex.write_text("input,output\nbom,positive\nruim,negative\n", encoding="utf-8")
    cli("prompt", "-t", "few-shot", "--examples", str(ex), "ótimo", *M)
    assert sent(openai_server)[-1][1:] == [
        {"role": "user", "content": "bom"}, {"role": "assistant", "content": "positive"},
        {"role": "user", "content": "ruim"}, {"role": "assistant", "content": "negative"},
        {"role": "user", "content": "ótimo"},
    ]


def test_examples_without_a_template_make_it_few_shot(cli, openai_server, tmp_path):
    ex = tmp_path / "ex.jsonl"
    ex.write_text('{"input": "cat", "output": "gato"}\n', encoding="utf-8")
    cli("prompt", "--examples", str(ex), "dog", *M)
    assert sent(openai_server)[-1] == [
        {"role": "user", "content": "cat"}, {"role": "assistant", "content": "gato"},
        {"role": "user", "content": "dog"}]


def test_self_consistency_votes_over_scripted_samples(cli, openai_server):
    queue(openai_server, "Answer: 19", "hmm\nAnswer: 18", "Answer: **19**.", "nothing",
          "Resposta: 19")
    res = cli("prompt", "-t", "self-consistency", "12 + 7?", *M)
    assert res.exit_code == 0, res.stderr
    assert res.stdout == "19\n"
    reqs = openai_server.requests_for("chat")
    assert len(reqs) == 5 and {r.body["temperature"] for r in reqs} == {0.8}
    rows = log_rows()
    assert len(rows) == 5 and {r["template"] for r in rows} == {"self-consistency"}


def test_self_consistency_json_has_the_distribution(cli, openai_server):
    queue(openai_server, "Answer: A", "Answer: B", "Answer: a")
    res = cli("prompt", "-t", "chain-of-thought", "--samples", "3", "--json", "q", *M)
    data = json.loads(res.stdout)
    # The samples run at once, so which of "A" and "a" names the group depends on which
    # request reached the stub first: the vote is the same either way.
    assert data["answer"].casefold() == "a" and data["vote"]["votes"] == 2
    assert [(d["answer"].casefold(), d["count"]) for d in data["vote"]["distribution"]] == [
        ("a", 2), ("b", 1)]
    assert data["totals"]["calls"] == 3 and len(data["steps"]) == 3
    assert all(s["log_id"] for s in data["steps"])


def test_self_consistency_on_a_terminal_shows_the_bars(cli, openai_server):
    queue(openai_server, "Answer: 7", "Answer: 7", "Answer: 8")
    res = cli("prompt", "-t", "self-consistency", "--samples", "3", "q", *M, stdout_tty=True)
    assert res.exit_code == 0
    assert "Answers across samples" in res.stdout and "2/3" in res.stdout and "█" in res.stdout
    assert "2 of 3 samples agree (67%)" in res.stdout


def test_temperature_zero_with_samples_warns(cli, openai_server):
    queue(openai_server, "Answer: 1", "Answer: 1")
    res = cli("prompt", "-t", "self-consistency", "--samples", "2", "-o", "temperature=0", "q", *M)
    assert res.exit_code == 0 and "temperature 0 makes every sample alike" in res.stderr


def test_least_to_most_chains_the_calls(cli, openai_server):
    queue(openai_server, "1. Quantas maçãs Anna tem?\n2. Quantas juntas?", "Answer: 7",
          "Answer: 12", "Então 12.\nAnswer: 12")
    problem = "Elsa tem 5 maçãs e Anna 2 a mais. Quantas juntas?"
    res = cli("prompt", "-t", "least-to-most", problem, *M)
    assert res.exit_code == 0, res.stderr
    assert res.stdout == "Então 12.\nAnswer: 12\n"
    prompts = [m[-1]["content"] for m in sent(openai_server)]
    assert len(prompts) == 4
    assert "Quantas maçãs Anna tem?" in prompts[1] and "Answered so far" not in prompts[1]
    assert "Q: Quantas maçãs Anna tem?\nA: 7" in prompts[2]
    assert f"briefly: {problem}" in prompts[3] and "Q: Quantas juntas?\nA: 12" in prompts[3]
    assert len(log_rows()) == 4
    res = cli("prompt", "-t", "least-to-most", "--samples", "3", problem, *M)
    assert res.exit_code == 2 and "--samples does not apply" in res.stderr


def test_least_to_most_answer_only_and_json(cli, openai_server):
    queue(openai_server, "1. a?", "Answer: 1", "Answer: 2")
    res = cli("prompt", "-t", "least-to-most", "--answer-only", "p", *M)
    assert res.stdout == "2\n"
    queue(openai_server, "1. a?", "Answer: 1", "Answer: 2")
    data = json.loads(cli("prompt", "-t", "least-to-most", "--json", "p", *M).stdout)
    assert data["subquestions"] == ["a?", "p"] and [s["kind"] for s in data["steps"]] == [
        "decompose", "subquestion", "final"]


def test_json_template_validates_and_prints_the_object(cli, openai_server):
    queue(openai_server, 'Claro:\n```json\n{"nome": "Maria", "idade": 34, "cidade": "Recife"}\n```')
    res = cli("prompt", "-t", "json", "-v", "fields=nome, idade, cidade", "Maria, 34, Recife", *M)
    assert res.exit_code == 0
    assert json.loads(res.stdout) == {"nome": "Maria", "idade": 34, "cidade": "Recife"}


def test_json_template_refuses_a_reply_missing_keys(cli, openai_server):
    queue(openai_server, '{"nome": "Maria"}')
    res = cli("prompt", "-t", "json", "-v", "fields=nome, idade", "Maria, 34", *M)
    assert res.exit_code == 10 and res.stdout == ""
    raw, error = res.stderr.splitlines()  # the raw reply, then the one error line (#15)
    assert raw == '{"nome": "Maria"}'
    assert "lacks key: idade (the raw reply is on stderr)" in error


def test_show_prompt_sends_nothing(cli, openai_server):
    res = cli("prompt", "-t", "few-shot", "--show-prompt", "Adorei!", *M)
    assert res.exit_code == 0 and openai_server.requests == []
    assert "--- system ---" in res.stdout and "--- assistant ---\npositive" in res.stdout
    assert res.stdout.rstrip().endswith("--- user ---\nAdorei!")
    res = cli("prompt", "-t", "self-consistency", "--dry-run", "--json", "q", *M)
    data = json.loads(res.stdout)
    assert data["template"] == "self-consistency" and data["messages"][-1]["content"] == "q"
    assert any("5 samples at temperature 0.8" in n for n in data["notes"])
    res = cli("prompt", "--show-prompt", "-s", "sys", "olá", *M)
    assert "--- system ---\nsys" in res.stdout and "--- user ---\nolá" in res.stdout
    assert openai_server.requests == []


BAD_TEMPLATES = {
    "malformed.yaml": ("prompt: x\n  bad: indent\n", "line 2: malformed YAML"),
    "unknown.yaml": ("prompt: x\nsytem: hi\n", "line 2: unknown key 'sytem'"),
    "regex.yaml": ("prompt: x\nextract:\n  regex: '(unclosed'\n", "does not compile"),
    "escape.yaml": ("prompt: \"{{ cycler.__init__.__globals__.os.popen('id').read() }}\"\n",
                    "refused by the sandbox"),
}


@pytest.mark.parametrize("name", sorted(BAD_TEMPLATES))
def test_bad_template_files_send_nothing(cli, openai_server, tmp_path, name):
    text, needle = BAD_TEMPLATES[name]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    res = cli("prompt", "-t", str(path), "hi", *M)
    assert res.exit_code == 2 and needle in res.stderr and str(path) in res.stderr
    assert res.stderr.count("\n") == 1 and res.stdout == ""
    assert openai_server.requests == []


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["-t", "rag", "q"], "needs variable: chunks (pass it with -v chunks=VALUE)"),
        (["-t", "role", "-v", "rol=x", "q"], "has no variable 'rol'"),
        (["-t", "role", "-v", "role", "q"], "'role' is not name=value"),
        (["-v", "input=x"], "-v needs a template"),
        (["--answer-only", "x"], "--answer-only needs a template"),
        (["-t", "nao-existe", "x"], "unknown template 'nao-existe'"),
        (["-t", "zero-shot", "-v", "input=a", "b"], "'input' given twice"),
        (["-t", "rag", "-v", "chunks=@/nonexistent/file.txt", "q"], "not found"),
        (["-t", "json", "q", "-o", "temprature=1"], "unknown option 'temprature'"),
    ],
)
def test_bad_input_sends_nothing(cli, openai_server, args, needle):
    res = cli("prompt", *args, *M)
    assert res.exit_code == 2, res.stderr
    assert needle in res.stderr and res.stderr.count("\n") == 1
    assert openai_server.requests == []


def test_examples_file_with_wrong_columns_sends_nothing(cli, openai_server, tmp_path):
    ex = tmp_path / "ex.csv"
    ex.write_text("pergunta,resposta\na,b\n", encoding="utf-8")
    res = cli("prompt", "-t", "few-shot", "--examples", str(ex), "x", *M)
    assert res.exit_code == 2
    assert "columns are pergunta, resposta; expected input, output" in res.stderr
    assert openai_server.requests == []


def test_template_without_input_refuses_prompt_text(cli, openai_server, tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("prompt: 'Traduza: {{ texto }}'\n", encoding="utf-8")
    res = cli("prompt", "-t", str(path), "bom dia", *M)
    assert res.exit_code == 2 and "has no 'input' variable" in res.stderr and "texto" in res.stderr
    res = cli("prompt", "-t", str(path), "-v", "texto=bom dia", *M)
    assert res.exit_code == 0
    assert sent(openai_server)[-1] == [{"role": "user", "content": "Traduza: bom dia"}]


def test_var_from_file_and_list_variables(cli, openai_server, tmp_path):
    notes = tmp_path / "notas.txt"
    notes.write_text("Primeiro trecho.\n\nSegundo trecho.\n", encoding="utf-8")
    cli("prompt", "-t", "rag", "-v", f"chunks=@{notes}", "-v", "chunks=Terceiro.", "Pergunta?", *M)
    content = sent(openai_server)[-1][-1]["content"]
    expected = "[1] Primeiro trecho.\n\n[2] Segundo trecho.\n\n[3] Terceiro.\n\nQuestion: Pergunta?"
    assert expected in content
