"""Tree-of-thoughts, self-refine and chain-of-draft: each call sent, in order, through the
exchange driver to the FakeProvider double with scripted replies, and the answer read."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmcli.core.errors import InvalidInput, ProviderError
from llmcli.templates import techniques
from llmcli.templates.loader import load_template, parse_template
from llmcli.templates.render import render
from llmcli.templates.tree_of_thoughts import parse_score, parse_thoughts
from tests.templates.helpers import ScriptedProvider, ask_with

NOWHERE = Path("/nonexistent-user-templates")
PROBLEM = "Com 4 notas de 5 reais e 3 de 2 reais, quanto dinheiro há?"


def rendered(name: str, text: str = PROBLEM):
    return render(load_template(name, NOWHERE), {"input": text})


def prompts(provider) -> list[str]:
    return [r.messages[-1].content for r in provider.requests]


# -- tree-of-thoughts ----------------------------------------------------------------------------
def test_tree_of_thoughts_proposes_scores_expands_the_best_then_concludes():
    replies = [
        # step 1: three thoughts proposed, each scored; the second scores best
        "1. 4 + 3 = 7 notas\n2. 4 x 5 = 20 reais\n3. 5 + 2 = 7 reais",
        "Correct count but useless.\nScore: 3",
        "Right and needed. Score: 9",
        "Wrong operation. Score: 1",
        # step 2, from the path [4 x 5 = 20 reais]: two thoughts, the first wins a tie
        "1. 3 x 2 = 6 reais\n2. **6 reais das notas de 2**",
        "Score: 8",
        "8/10",
        # step 3: the chosen thought states the answer, so the tree stops there
        "1. 20 + 6 = 26 reais. Answer: 26 reais\n2. 20 - 6 = 14",
        "Score: 10",
        "Score: 2",
        # conclude
        "20 + 6 = 26.\nAnswer: 26 reais",
    ]
    provider = ScriptedProvider(list(replies))
    seen = []
    out = techniques.run(rendered("tree-of-thoughts"), ask_with(provider), on_step=seen.append)
    assert out.answer == "26 reais" and out.text == "20 + 6 = 26.\nAnswer: 26 reais"
    kinds = [s.kind for s in out.steps]
    assert kinds == ["propose", "evaluate", "evaluate", "evaluate", "propose", "evaluate",
                     "evaluate", "propose", "evaluate", "evaluate", "conclude"]
    assert seen == out.steps and out.calls == len(replies) == len(provider.requests)
    assert [s.answer for s in out.steps if s.kind == "evaluate"] == ["3", "9", "1", "8", "8",
                                                                    "10", "2"]
    assert [level["chosen"] for level in out.tree] == [1, 0, 0]
    assert out.tree[1]["thoughts"][1]["thought"] == "6 reais das notas de 2"  # ** stripped
    sent = prompts(provider)
    assert "Propose 3 different possible next steps" in sent[0] and "step 1 of at most 3" in sent[0]
    assert "Steps taken so far" not in sent[0]
    assert "Proposed next step: 4 x 5 = 20 reais" in sent[2] and "Score: N" in sent[2]
    # Step 2 proposes and evaluates from the chosen path only.
    assert "Steps taken so far:\n1. 4 x 5 = 20 reais\n\nPropose" in sent[4]
    assert "4 + 3 = 7 notas" not in sent[4]
    assert "1. 4 x 5 = 20 reais\n\nProposed next step: 3 x 2 = 6 reais" in sent[5]
    assert sent[-1].endswith('starting with "Answer:". Keep it short: a number, a word or '
                             "a short phrase.")
    assert ("Reasoning steps:\n1. 4 x 5 = 20 reais\n2. 3 x 2 = 6 reais\n"
            "3. 20 + 6 = 26 reais. Answer: 26 reais") in sent[-1]
    assert {r.options.temperature for r in provider.requests} == {0}
    assert out.as_dict()["tree"] == out.tree and out.totals()["calls"] == 11


def test_tree_of_thoughts_breadth_and_depth_bound_the_calls():
    text = ("name: tot\ntechnique: tree-of-thoughts\nbreadth: 2\ndepth: 1\n"
            "prompt: 'Next {{ breadth }} steps for {{ input }} after {{ thoughts|length }}'\n"
            "evaluate: 'Rate {{ thought }}'\nconclude: 'Answer {{ input }} via {{ thoughts[0] }}'\n"
            "extract: 'Answer:'\n")
    template = parse_template(text, "tot.yaml")
    provider = ScriptedProvider(["1. a\n2. b\n3. c\n4. d", "no number here", "Score: 4",
                                 "Answer: x"])
    out = techniques.run(render(template, {"input": "q"}), ask_with(provider))
    # breadth 2 keeps two of the four proposed; depth 1 is one round; an unreadable score
    # counts as the lowest, so 'b' wins.
    assert prompts(provider) == ["Next 2 steps for q after 0", "Rate a", "Rate b",
                                 "Answer q via b"]
    assert out.tree == [{"step": 1, "chosen": 1, "thoughts": [
        {"thought": "a", "score": None}, {"thought": "b", "score": 4.0}]}]
    assert out.answer == "x"


def test_an_empty_proposal_concludes_from_the_path_so_far():
    provider = ScriptedProvider(["1. 4 x 5 = 20", "Score: 7", "   ", "Answer: 26"])
    out = techniques.run(rendered("tree-of-thoughts"), ask_with(provider))
    assert [s.kind for s in out.steps] == ["propose", "evaluate", "propose", "conclude"]
    assert out.answer == "26" and len(out.tree) == 1
    assert "Reasoning steps:\n1. 4 x 5 = 20\n" in prompts(provider)[-1]


def test_thoughts_and_scores_are_read_from_loose_replies():
    assert parse_thoughts("Here:\n1) um\n- dois\n* um\nThought 3: três", 5) == ["um", "dois",
                                                                              "três"]
    assert parse_thoughts("just one idea", 3) == ["just one idea"]
    assert parse_thoughts("", 3) == []
    assert parse_score("Nota: 7") == 7.0
    assert parse_score("step 2 looks fine, 9/10") == 9.0
    assert parse_score("Score: 6\nlater Score: 8,5") == 8.5
    assert parse_score("Score: 75") is None and parse_score("no") is None


# -- self-refine -----------------------------------------------------------------------------------
def test_self_refine_drafts_critiques_and_revises_until_satisfied():
    replies = [
        "2 + 2 = 4, 4 x 3 = 12\nAnswer: 12",
        "The multiplication comes first: 2 x 3 = 6.",
        "2 x 3 = 6, 2 + 6 = 8\nAnswer: 8",
        "NO CHANGES",
    ]
    provider = ScriptedProvider(list(replies))
    out = techniques.run(rendered("self-refine", "Quanto é 2 + 2 x 3?"), ask_with(provider))
    assert [s.kind for s in out.steps] == ["draft", "critique", "revise", "critique"]
    assert out.answer == "8" and out.text == replies[2]
    assert [s.answer for s in out.steps] == ["12", None, "8", None]
    sent = prompts(provider)
    assert sent[0].startswith("Quanto é 2 + 2 x 3?\n\nSolve it carefully")
    assert "Proposed solution:\n2 + 2 = 4, 4 x 3 = 12\nAnswer: 12" in sent[1]
    assert "reply only with: NO CHANGES" in sent[1]
    assert ("Previous solution:\n2 + 2 = 4, 4 x 3 = 12\nAnswer: 12\n\nFeedback on it:\n"
            "The multiplication comes first: 2 x 3 = 6.") in sent[2]
    assert "Proposed solution:\n2 x 3 = 6, 2 + 6 = 8" in sent[3]


def test_self_refine_stops_after_its_rounds():
    template = load_template("self-refine", NOWHERE).model_copy(update={"rounds": 1})
    provider = ScriptedProvider(["Answer: 12", "wrong", "Answer: 8", "never asked"])
    out = techniques.run(render(template, {"input": "2 + 2 x 3"}), ask_with(provider))
    assert out.calls == 3 and out.answer == "8" and len(provider.requests) == 3


def test_a_failed_call_ends_the_technique_with_its_error():
    provider = ScriptedProvider(["Answer: 12", ProviderError("server error", status=500)])
    with pytest.raises(ProviderError):
        techniques.run(rendered("self-refine", "x"), ask_with(provider))
    assert len(provider.requests) == 2


# -- chain-of-draft -------------------------------------------------------------------------------
def test_chain_of_draft_is_one_call_answer_after_the_marker():
    provider = ScriptedProvider(["84 / 12 = 7\n#### 7 dias"])
    r = rendered("chain-of-draft", "João lê 12 páginas por dia. Em quantos dias lê 84?")
    out = techniques.run(r, ask_with(provider))
    assert out.calls == 1 and out.answer == "7 dias"
    messages = provider.requests[0].messages
    assert "five words at most" in messages[0].content and "####" in messages[0].content
    assert [m.role for m in messages] == ["system", "user", "assistant", "user", "assistant",
                                          "user"]
    assert messages[2].content.endswith("#### $8")


# -- the template format --------------------------------------------------------------------------
@pytest.mark.parametrize(("yaml", "message"), [
    ("technique: tree-of-thoughts\nconclude: c\n", "needs 'evaluate'"),
    ("technique: self-refine\ncritique: c\n", "needs 'revise'"),
    ("technique: chain-of-thought\nbreadth: 2\n", "'breadth' is only used by technique: "
                                                  "tree-of-thoughts"),
    ("technique: zero-shot\nrounds: 2\n", "'rounds' is only used by technique: self-refine"),
    ("technique: tree-of-thoughts\nevaluate: e\nconclude: c\ndepth: 9\n", "depth"),
])
def test_technique_fields_are_checked(yaml, message):
    with pytest.raises(InvalidInput) as err:
        parse_template("prompt: p\n" + yaml, "t.yaml")
    assert message in err.value.one_line()


def test_multi_call_covers_every_chain():
    for name, multi in [("least-to-most", True), ("self-consistency", True),
                        ("tree-of-thoughts", True), ("self-refine", True),
                        ("chain-of-draft", False), ("chain-of-thought", False)]:
        assert techniques.multi_call(load_template(name, NOWHERE)) is multi, name


def test_rag_refuses_a_multi_call_template(tmp_path):
    from llmcli.rag import prompt as rp

    path = tmp_path / "rag-vote.yaml"
    path.write_text("technique: self-consistency\nprompt: '{{ chunks }} {{ input }}'\n"
                    "extract: 'Answer:'\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        rp.load(str(path))
    assert "makes several calls; --rag asks one call per question" in err.value.one_line()
    assert rp.load("rag").name == "rag"
