"""`llmcli explore` in a pipe (commands on stdin, plain text out), the explorer's numbers
against the engine, and its words in both languages. Real model, CLI in-process."""

from __future__ import annotations

import re
import string

import numpy as np
import pytest

import llmcli.cli.explore  # noqa: F401  (registers the command)
from llmcli.learn.explore_text import TEXT

PROMPT = "The capital of France is"


def blocks(stdout: str) -> list[str]:
    """The output cut at each echoed command ('> n'): block 0 is the start."""
    return re.split(r"\n> ", stdout)


def candidates(block: str) -> dict[int, str]:
    return {int(m[1]): m[2] for m in re.finditer(r"^\s*(\d+)\s{2}(\S+)\s", block, re.M)}


def test_every_phrase_exists_in_both_languages_with_the_same_blanks() -> None:
    fields = {lang: {k: {f[1] for f in string.Formatter().parse(v) if f[1]}
                     for k, v in TEXT[lang].items()} for lang in TEXT}
    assert fields["pt"] == fields["en"]
    assert all(TEXT["pt"][k] != TEXT["en"][k] for k in ("keys", "help", "candidates", "ended"))


@pytest.mark.slow
def test_scripted_session_next_pick_undo_branch_compare(cli) -> None:
    script = "n\np 4\nu\nb first\np 2\nn\nb second\nc\nfoo\np 99\no first\no nope\nq\nn\n"
    result = cli("explore", PROMPT, "--seed", "5", "-n", "6", input=script, width=80)
    assert result.exit_code == 0, result.stderr
    parts = blocks(result.stdout)
    (start, nxt, pick, undo, first, pick2, nxt2, second, compare, foo, bad, opened, nope,
     quit_) = parts
    assert start.startswith("local:gemma-3-270m · temperature 1, no filters · seed 5")
    assert "next token · entropy" in start and len(candidates(start)) == 6
    assert nxt.startswith("n\n+ ") and "(sampled" in nxt
    shown = candidates(nxt)
    assert pick.startswith(f"p 4\n+ {shown[4]} (picked") and "rank 4)" in pick
    assert undo.startswith(f"u\nundone: {shown[4]}\n")
    assert candidates(undo) == shown
    assert "saved branch 'first' (1 tokens)" in first
    assert pick2.startswith(f"p 2\n+ {candidates(undo)[2]} (picked") and "(sampled" in nxt2
    assert "saved branch 'second' (3 tokens)" in second
    rows = compare.splitlines()
    assert rows[1].startswith("first") and "│ second (current)" in rows[1]
    assert "differs from token 2" in compare
    assert "unknown command 'foo'" in foo
    assert "pick a number from 1 to 6" in bad
    assert opened.startswith("o first\nopened branch 'first'\n")
    assert candidates(opened) == candidates(undo)  # back where 'first' was saved
    assert "no branch named 'nope'; saved: first, second" in nope
    assert quit_ == "q\n"  # nothing runs after q
    assert all(len(line) <= 80 for line in result.stdout.splitlines())


@pytest.mark.slow
def test_same_seed_same_session_and_portuguese_from_lang(cli) -> None:
    script = "n\nn\nt  Paris 🗼 ação\n"
    one = cli("explore", "O gato subiu no", "--seed", "9", input=script,
              env={"LANG": "pt_BR.UTF-8"})
    two = cli("explore", "O gato subiu no", "--seed", "9", "--lang", "pt", input=script)
    assert one.exit_code == 0 and one.stdout == two.stdout
    assert "próximo token · entropia" in one.stdout and "(sorteado" in one.stdout
    assert "O gato subiu no" in one.stdout and "Paris 🗼 ação" in one.stdout
    assert "(digitado" in one.stdout
    english = cli("explore", "O gato subiu no", "--seed", "9", "--lang", "en", input="q\n",
                  env={"LANG": "pt_BR.UTF-8"})
    assert "next token · entropy" in english.stdout


@pytest.mark.slow
def test_sampling_options_show_a_second_column(cli) -> None:
    result = cli("explore", PROMPT, "-o", "temperature=0.5", "-o", "top_k=3", "--seed", "1",
                 input="q\n")
    assert result.exit_code == 0, result.stderr
    assert "temperature=0.5, top_k=3" in result.stdout
    assert "after sampling options" in result.stdout and "sample p" in result.stdout
    rows = [line for line in result.stdout.splitlines() if re.match(r"\s*[4-8]\s\s", line)]
    assert rows and all(line.split()[3] == "0" for line in rows)  # top-k 3 leaves them out


def test_bad_input_is_one_line(cli) -> None:
    for args, code, text in [
        (["--top", "0"], 2, "'--top': 0 is not in the range 1<=x<=50"),
        (["--lang", "fr"], 2, "use --lang pt or --lang en"),
        (["-m", "openai:gpt-4o-mini"], 13, "explore needs the local model"),
        (["-o", "max_tokens=3"], 2, "does not change next-token probabilities"),
    ]:
        result = cli("explore", PROMPT, *args, input="q\n")
        assert result.exit_code == code, (args, result.stderr)
        assert text in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_the_numbers_are_the_engines(local_explorer) -> None:
    from llmcli.local.sampling import log_softmax

    ex = local_explorer
    session = ex.model.new_session()
    probs = np.exp(log_softmax(session.feed(ex.prompt_ids)))
    step = ex.step
    assert [c.id for c in step.candidates] == list(np.argsort(-probs)[: ex.top])
    assert [c.prob for c in step.candidates] == pytest.approx(probs[[c.id for c in
                                                                    step.candidates]].tolist())
    assert step.entropy == pytest.approx(float(-(probs * np.log2(probs)).sum()), abs=1e-6)
    choice = ex.pick(3)
    expected = np.exp(log_softmax(session.feed([choice.id])))
    assert choice.prob == pytest.approx(float(probs[choice.id])) and choice.rank == 3
    assert [c.prob for c in ex.step.candidates][:3] == pytest.approx(
        np.sort(expected)[::-1][:3].tolist(), rel=1e-4)
    ex.undo()
    assert ex.session.tokens == ex.prompt_ids and not ex.path
    assert [c.id for c in ex.step.candidates] == [c.id for c in step.candidates]
    ex.next()
    ex.branch("a")
    ex.undo()
    ex.pick(2)
    ex.open("a")
    assert [c.id for c in ex.path] == [c.id for c in ex.branches["a"]]
    assert ex.session.tokens == [*ex.prompt_ids, ex.path[0].id]


@pytest.fixture
def local_explorer():
    from llmcli.learn.explore_session import Explorer
    from llmcli.local.files import ensure_default_model
    from llmcli.local.model import LocalModel
    from llmcli.local.sampling import SamplingParams
    from llmcli.local.tokenizer import Tokenizer
    from tests.conftest import shared_cache_dir

    cache = shared_cache_dir()
    path = ensure_default_model(cache)
    return Explorer(LocalModel.load(path, cache), Tokenizer.from_gguf(path), PROMPT,
                    SamplingParams(seed=2), top=5)
