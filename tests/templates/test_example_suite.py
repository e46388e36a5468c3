"""examples/techniques.yaml, the shipped suite: it parses (YAML safe load), every problem has an
answer, and every answer is computed again here from the expression the suite keeps with it."""

from __future__ import annotations

import re
from collections import Counter
from itertools import combinations, permutations
from pathlib import Path

import pytest
import yaml

from llmcli.templates.loader import load_template

SUITE = Path(__file__).resolve().parents[2] / "examples" / "techniques.yaml"
NOWHERE = Path("/nonexistent-user-templates")
# What an answer's expression may use: arithmetic, and a few ways to enumerate cases.
ALLOWED = {"__builtins__": {}, "len": len, "list": list, "range": range, "sum": sum, "min": min,
           "max": max, "int": int, "str": str, "divmod": divmod, "combinations": combinations,
           "permutations": permutations, "True": True, "False": False}
YES_NO = {"en": ("yes", "no"), "pt": ("sim", "não")}


@pytest.fixture(scope="module")
def suite() -> dict:
    return yaml.safe_load(SUITE.read_text(encoding="utf-8"))


def computed(test: dict) -> str:
    """The answer the test's expression gives: a set must hold exactly one value (a puzzle
    with one solution), a truth value is yes/no in the test's language."""
    meta = test["metadata"]
    value = eval(meta["compute"], ALLOWED)  # our own file, and no builtins reachable
    if isinstance(value, set):
        assert len(value) == 1, f"{test['description']}: {len(value)} solutions"
        (value,) = value
    if isinstance(value, bool):
        return YES_NO[meta["lang"]][0 if value else 1]
    return str(value)


def test_about_sixty_problems_half_in_each_language(suite):
    tests = suite["tests"]
    assert 55 <= len(tests) <= 65
    langs = Counter(t["metadata"]["lang"] for t in tests)
    assert langs["en"] == langs["pt"] == len(tests) // 2
    ids = [t["description"] for t in tests]
    assert len(set(ids)) == len(ids)
    assert {t["metadata"]["kind"] for t in tests} == {"arithmetic", "logic"}


def test_every_problem_has_its_computed_answer(suite):
    for test in suite["tests"]:
        question, answer = test["vars"]["input"], test["vars"]["answer"]
        assert isinstance(question, str)
        assert question.endswith("?") or question.endswith("HH:MM."), test["description"]
        assert isinstance(answer, str) and answer.strip() == answer != ""
        assert computed(test) == answer, test["description"]


def test_the_assertion_finds_the_answer_and_only_as_a_whole(suite):
    (check,) = suite["defaultTest"]["assert"]
    assert check["type"] == "regex"
    for test in suite["tests"]:
        answer, question = test["vars"]["answer"], test["vars"]["input"]
        pattern = re.compile(check["value"].replace("{{ answer }}", answer))
        assert pattern.search(f"Answer: {answer}.") and pattern.search(f"**{answer}**")
        assert not pattern.search(f"1{answer}0") and not pattern.search(f"{answer}5")
        # Not already in the question: a reply that repeats it must not pass by that.
        assert not pattern.search(question), test["description"]


def test_every_prompt_is_a_built_in_template_reading_input(suite):
    names = [p["template"] for p in suite["prompts"]]
    assert [p["id"] for p in suite["prompts"]] == names
    assert {"tree-of-thoughts", "self-refine", "chain-of-draft", "least-to-most",
            "self-consistency", "zero-shot", "chain-of-thought"} <= set(names)
    for name in names:
        template = load_template(name, NOWHERE)
        assert template.builtin and template.variable("input") is not None
    assert suite["providers"] and set(suite["defaultTest"]["vars"]) == {"task"}
