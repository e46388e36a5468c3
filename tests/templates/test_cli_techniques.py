"""`llmcli prompt -t tree-of-thoughts | self-refine | chain-of-draft`: the real CLI and openai
SDK against the loopback stub; the steps labelled on stderr (or dimmed on a terminal), the
answer on stdout, every call logged."""

from __future__ import annotations

import json
import re

import pytest

from tests.templates.helpers import queue, sent
from tests.templates.test_cli_prompt import M, log_rows

TOT = ["1. 4 x 5 = 20 reais\n2. 4 + 3 = 7", "Score: 9", "Score: 2",
       "1. 20 + 3 x 2 = 26. Answer: 26\n2. 20 - 6 = 14", "Score: 10", "Score: 1",
       "Answer: 26"]
PROBLEM = "Com 4 notas de 5 reais e 3 de 2 reais, quanto dinheiro há?"


def plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def status_lines(stderr: str) -> list[str]:
    """The dim status lines on stderr (the spinner's frames left out)."""
    return re.findall(r"\x1b\[2m([^\x1b\n]*)\x1b\[0m\n", stderr)


def test_tree_of_thoughts_in_a_pipe(cli, openai_server):
    """stdout piped, stderr a terminal: each call's label dimmed on stderr, the reply out."""
    queue(openai_server, *TOT)
    res = cli("prompt", "-t", "tree-of-thoughts", PROBLEM, *M, stderr_tty=True)
    assert res.exit_code == 0, res.stderr
    assert res.stdout == "Answer: 26\n"  # the final reply; --answer-only gives the answer alone
    assert len(sent(openai_server)) == 7 and len(log_rows()) == 7
    assert {r["template"] for r in log_rows()} == {"tree-of-thoughts"}
    lines = status_lines(res.stderr)
    assert "propose: Step 1 of 3: thoughts proposed" in lines[0]
    assert "evaluate: Step 1, thought 1: 4 x 5 = 20 reais · score 9" in lines[1]
    assert "conclude: Answer from the best path" in res.stderr
    assert "7 calls" in lines[-1]


def test_tree_of_thoughts_answer_only_and_json(cli, openai_server):
    queue(openai_server, *TOT)
    res = cli("prompt", "-t", "tree-of-thoughts", "--answer-only", PROBLEM, *M)
    assert res.exit_code == 0 and res.stdout == "26\n"
    queue(openai_server, *TOT)
    data = json.loads(cli("prompt", "-t", "tree-of-thoughts", "--json", PROBLEM, *M).stdout)
    assert data["answer"] == "26" and data["totals"]["calls"] == 7
    assert [t["chosen"] for t in data["tree"]] == [0, 0]
    assert data["tree"][0]["thoughts"] == [{"thought": "4 x 5 = 20 reais", "score": 9.0},
                                           {"thought": "4 + 3 = 7", "score": 2.0}]


def test_tree_of_thoughts_on_a_terminal_titles_each_step(cli, openai_server):
    queue(openai_server, *TOT)
    res = cli("prompt", "-t", "tree-of-thoughts", PROBLEM, *M, stdout_tty=True)
    assert res.exit_code == 0, res.stderr
    out = plain(res.stdout)
    assert "Step 1 of 3: thoughts proposed" in out
    assert "Step 1, thought 1: 4 x 5 = 20 reais · score 9" in out
    assert "Answer from the best path" in out
    # the conclusion is shown with the other steps, then the extracted answer, labelled
    assert out.rstrip().endswith("Answer: 26\n\nFinal answer: 26")


def test_self_refine_in_a_pipe(cli, openai_server):
    queue(openai_server, "2 + 2 = 4, 4 x 3 = 12\nAnswer: 12", "Multiply first.",
          "2 x 3 = 6; 2 + 6 = 8\nAnswer: 8", "NO CHANGES")
    res = cli("prompt", "-t", "self-refine", "--answer-only", "Quanto é 2 + 2 x 3?", *M,
              stderr_tty=True)
    assert res.exit_code == 0, res.stderr
    assert res.stdout == "8\n"
    labels = [line.split(": ", 1)[1] for line in status_lines(res.stderr)[:4]]
    assert labels == ["Draft", "Critique 1 of 2", "Revision 1 of 2", "Critique 2 of 2"]
    assert "Feedback on it:\nMultiply first." in sent(openai_server)[2][-1]["content"]
    res = cli("prompt", "-t", "self-refine", "--samples", "3", "x", *M)
    assert res.exit_code == 2 and "--samples does not apply to self-refine" in res.stderr


def test_show_prompt_says_what_the_chain_will_do(cli):
    res = cli("prompt", "-t", "tree-of-thoughts", "--show-prompt", "x", *M)
    assert res.exit_code == 0
    assert "at most 13 calls" in res.stdout and "Propose 3 different" in res.stdout


def test_chain_of_draft_streams_like_one_call(cli, openai_server):
    queue(openai_server, "84 / 12 = 7\n#### 7")
    res = cli("prompt", "-t", "chain-of-draft", "--answer-only", "12 páginas/dia; 84 páginas?",
              *M)
    assert res.exit_code == 0 and res.stdout == "7\n"
    assert len(log_rows()) == 1 and log_rows()[0]["template"] == "chain-of-draft"


@pytest.mark.slow
def test_tree_of_thoughts_on_the_local_model(cli, tmp_path):
    """The real local model through every call of a small tree (breadth 2, depth 1): what it
    says is up to a 270M model; the calls it was asked, their log rows and totals are not."""
    from llmcli.templates.loader import builtin_dir

    text = (builtin_dir() / "tree-of-thoughts.yaml").read_text(encoding="utf-8")
    small = text.replace("breadth: 3", "breadth: 2").replace("depth: 3", "depth: 1")
    path = tmp_path / "tot-small.yaml"
    path.write_text(small.replace("name: tree-of-thoughts", "name: tot-small"), encoding="utf-8")
    res = cli("prompt", "-t", str(path), "--json", "-m", "local", "-o", "max_tokens=24",
              "Ana tinha 15 reais, gastou 6 e ganhou 10. Com quantos reais ficou?")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    kinds = [s["kind"] for s in data["steps"]]
    thoughts = data["tree"][0]["thoughts"]
    assert 1 <= len(thoughts) <= 2 and len(data["tree"]) == 1
    assert kinds == ["propose"] + ["evaluate"] * len(thoughts) + ["conclude"]
    rows = log_rows()
    assert len(rows) == len(kinds) and {r["template"] for r in rows} == {"tot-small"}
    assert len({r["model"] for r in rows}) == 1
    assert data["totals"]["output_tokens"] == sum(r["output_tokens"] for r in rows)
    assert all(0 < r["output_tokens"] <= 24 for r in rows)
    assert "Propose 2 different possible next steps" in rows[0]["prompt"]
