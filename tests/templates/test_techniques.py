"""Self-consistency and least-to-most as chains of calls, through the real runner, with a
provider that returns scripted answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmcli.templates import techniques
from llmcli.templates.loader import load_template
from llmcli.templates.render import render
from tests.templates.helpers import ScriptedProvider, ask_with

NOWHERE = Path("/nonexistent-user-templates")


def rendered(name: str, text: str, mode: str = "chat"):
    return render(load_template(name, NOWHERE), {"input": text}, mode=mode)


def test_self_consistency_votes_on_extracted_answers():
    replies = ["12 + 7 = 19\nAnswer: 19", "Answer: **19**.", "I think 18.\nAnswer: 18",
               "no marker at all", "Resposta: 19"]
    provider = ScriptedProvider(list(replies))
    out = techniques.run(rendered("self-consistency", "12 + 7?"), ask_with(provider))
    assert out.calls == 5 and len(provider.requests) == 5
    assert out.answer == "19" and out.vote is not None
    assert out.vote.votes == 3 and out.vote.missing == 1 and out.vote.total == 5
    assert [s.answer for s in out.steps] == ["19", "19", "18", None, "19"]
    assert out.text == replies[0]  # the first reply that gave the winning answer
    # Every sample is the same prompt, sampled at the template's temperature.
    assert {r.options.temperature for r in provider.requests} == {0.8}
    assert len({tuple(r.messages) for r in provider.requests}) == 1
    totals = out.totals()
    assert totals["calls"] == 5 and totals["output_tokens"] == sum(len(r.split()) for r in replies)


def test_self_consistency_varies_a_fixed_seed_and_defaults_temperature():
    r = rendered("chain-of-thought", "x")
    r.options = {"seed": "7"}  # as -o seed=7 gives it
    provider = ScriptedProvider(["Answer: a"] * 3)
    out = techniques.run(r, ask_with(provider), samples=3)
    assert [q.options.seed for q in provider.requests] == [7, 8, 9]
    assert {q.options.temperature for q in provider.requests} == {techniques.SAMPLING_TEMPERATURE}
    assert out.vote.agreement == 1.0


def test_self_consistency_without_extract_votes_on_whole_replies():
    provider = ScriptedProvider(["Positive", "positive.", "negative"])
    out = techniques.run(rendered("few-shot", "ótimo"), ask_with(provider), samples=3)
    assert out.answer == "Positive" and out.vote.votes == 2


def test_single_call_extracts_the_answer():
    provider = ScriptedProvider(["passo 1...\nAnswer: 2h35"])
    out = techniques.run(rendered("chain-of-thought", "14h10 -> 16h45?"), ask_with(provider))
    assert out.calls == 1 and out.answer == "2h35" and out.vote is None


def test_least_to_most_chains_calls_in_order():
    problem = "Elsa tem 5 maçãs. Anna tem 2 a mais que Elsa. Quantas elas têm juntas?"
    replies = iter([
        "Sub-questions:\n1. Quantas maçãs Anna tem?\n2) **Quantas maçãs Elsa tem?**\n",
        "Anna tem 5 + 2 = 7.\nAnswer: 7",
        "Answer: 5",
        "7 + 5 = 12\nAnswer: 12",
    ])
    provider = ScriptedProvider(lambda req: next(replies))
    seen = []
    out = techniques.run(rendered("least-to-most", problem), ask_with(provider),
                         on_step=seen.append)
    assert [s.kind for s in out.steps] == ["decompose", "subquestion", "subquestion", "final"]
    assert seen == out.steps
    assert out.subquestions == ["Quantas maçãs Anna tem?", "Quantas maçãs Elsa tem?", problem]
    assert out.answer == "12" and out.text == "7 + 5 = 12\nAnswer: 12"
    prompts = [r.messages[-1].content for r in provider.requests]
    assert "Problem: " + problem in prompts[0] and "sub-questions" in prompts[0]
    assert "Answered so far" not in prompts[1]
    assert "Now answer this question, briefly: Quantas maçãs Anna tem?" in prompts[1]
    # Each later call carries every earlier question with its extracted answer, in order.
    assert ("Q: Quantas maçãs Anna tem?\nA: 7\n\n"
            "Now answer this question, briefly: Quantas maçãs Elsa tem?") in prompts[2]
    assert "Q: Quantas maçãs Anna tem?\nA: 7\nQ: Quantas maçãs Elsa tem?\nA: 5" in prompts[3]
    assert prompts[3].endswith(f"briefly: {problem}\nEnd with a line starting with \"Answer:\".")


def test_least_to_most_does_not_repeat_the_problem_when_it_is_the_last_subquestion():
    problem = "Quanto é 2 + 3?"
    replies = iter(["1. Quanto é 2 + 3?", "Answer: 5"])
    provider = ScriptedProvider(lambda req: next(replies))
    out = techniques.run(rendered("least-to-most", problem), ask_with(provider))
    assert out.calls == 2 and out.answer == "5"


def test_least_to_most_caps_subquestions_and_reads_question_lines():
    many = "\n".join(f"{i}. pergunta {i}?" for i in range(1, 20))
    assert len(techniques.parse_subquestions(many)) == techniques.MAX_SUBQUESTIONS
    lines = techniques.parse_subquestions("First, how many?\nThen: total?\nok")
    assert lines == ["First, how many?", "Then: total?"]
    assert techniques.parse_subquestions("- a\n* b\n• c\nQ3: d") == ["a", "b", "c", "d"]


def test_least_to_most_in_completion_mode_sends_raw_text():
    replies = iter(["1. a?", "Answer: 1", "Answer: 2"])
    provider = ScriptedProvider(lambda req: next(replies))
    r = rendered("least-to-most", "p", mode="completion")
    out = techniques.run(r, ask_with(provider, raw=True))
    assert all(r.raw and len(r.messages) == 1 for r in provider.requests)
    assert out.answer == "2"


def test_a_failing_call_stops_the_chain():
    from llmcli.core.errors import AuthError

    def boom(req):
        if len(provider.requests) == 2:
            raise AuthError("key refused")
        return "1. a?\n2. b?" if len(provider.requests) == 1 else "Answer: x"

    provider = ScriptedProvider(boom)
    with pytest.raises(AuthError):
        techniques.run(rendered("least-to-most", "p"), ask_with(provider))
    assert len(provider.requests) == 2
