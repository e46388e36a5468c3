"""The eval runner on the test double: every cell once, concurrency, the reply cache, repeats,
templates with extract and multi-call techniques, the rubric grader, 429 back-off."""

from __future__ import annotations

import json

from llmcli.core.errors import RateLimited
from llmcli.core.runner import RetryPolicy
from llmcli.eval.assertions import Graders
from llmcli.eval.graders import ModelGraders
from llmcli.store.eval_runs import ReplyCache
from tests.doubles import FakeClock, FakeProvider
from tests.eval.helpers import fake_ref, make_runner

SUITE = """
prompts: ['Capital of {{country}}?', 'Say the capital of {{country}}.']
tests:
  - vars: {country: France}
    assert: [{type: icontains, value: paris}]
  - vars: {country: Brasil}
    assert: [{type: icontains, value: brasília}]
  - vars: {country: Japan}
    assert: [{type: equals, value: Tokyo}]
"""


def capitals(request) -> str:
    prompt = request.messages[-1].content
    if request.model == "weak" and "Japan" in prompt:
        return "Kyoto"
    return {"France": "Paris", "Brasil": "Brasília", "Japan": "Tokyo"}[
        next(c for c in ("France", "Brasil", "Japan") if c in prompt)]


def test_every_cell_is_graded_once(tmp_path):
    provider = FakeProvider(reply=capitals)
    runner, ex = make_runner(tmp_path, SUITE, provider, models=("strong", "weak"))
    got = runner.run()
    assert not got.interrupted and len(got.records) == 12 and ex.asked == 12
    by = {(r["prompt"], r["model"], r["case_title"]): r for r in got.records}
    assert not by[("Capital of {{country}}?", "fake:weak", "country=Japan")]["passed"]
    assert by[("Capital of {{country}}?", "fake:weak", "country=Japan")]["assertions"][0][
        "reason"] == "expected 'Tokyo', got 'Kyoto'"
    assert sum(r["passed"] for r in got.records) == 10
    prompts = sorted(p for p, _ in provider.calls)
    assert prompts.count("Capital of Brasil?") == 2  # once per model


def test_cells_run_concurrently_up_to_jobs(tmp_path):
    import time

    provider = FakeProvider(reply=capitals, delay=0.2)  # real sleep: threads must overlap
    runner, _ = make_runner(tmp_path, SUITE, provider, models=("a", "b"), jobs=4)
    runner.run()
    assert provider.peak == 4
    provider2 = FakeProvider(reply=capitals, delay=0.05, sleep=time.sleep)
    runner2, _ = make_runner(tmp_path, SUITE, provider2, models=("a", "b"), jobs=1)
    runner2.run()
    assert provider2.peak == 1


def test_the_reply_cache_answers_a_rerun_and_repeats_are_asked(tmp_path):
    cache = ReplyCache(tmp_path / "cache.db")
    provider = FakeProvider(reply=capitals)
    first, ex1 = make_runner(tmp_path, SUITE, provider, repeat=2, cache=cache)
    out1 = first.run()
    # --repeat 2: each repetition is its own exchange, not the cached first one
    assert ex1.asked == 12 and ex1.hits == 0 and len(provider.requests) == 12
    again, ex2 = make_runner(tmp_path, SUITE, provider, repeat=2, cache=cache)
    out2 = again.run()
    assert ex2.asked == 0 and ex2.hits == 12 and len(provider.requests) == 12
    assert all(r["cached"] for r in out2.records)
    key = lambda r: (r["prompt"], r["case_key"], r["repeat"])  # noqa: E731
    assert sorted(map(key, out1.records)) == sorted(map(key, out2.records))
    # a changed prompt is asked; the unchanged one still comes from the cache
    changed = SUITE.replace("'Say the capital of {{country}}.'", "'Name the capital: {{country}}'")
    third, ex3 = make_runner(tmp_path, changed, provider, repeat=2, cache=cache)
    third.run()
    assert (ex3.asked, ex3.hits) == (6, 6)
    cache.close()


def test_a_template_extracts_the_answer(tmp_path):
    suite = """
prompts: [{id: cot, template: chain-of-thought}, 'Q: {{input}}']
tests:
  - vars: {input: 'Quanto é 6 x 7?', expected: '42'}
    assert: [{type: equals, value: '{{expected}}'}]
"""
    provider = FakeProvider(reply="6 x 7 = 42.\nResposta: **42**")
    runner, _ = make_runner(tmp_path, suite, provider)
    recs = {r["prompt"]: r for r in runner.run().records}
    assert recs["cot"]["answer"] == "42" and recs["cot"]["passed"]
    # the plain prompt has no extract rule: the whole reply is compared, and fails
    assert recs["Q: {{input}}"]["answer"] is None and not recs["Q: {{input}}"]["passed"]
    cot_request = next(r for r in provider.requests if r.messages[0].role == "system")
    assert cot_request.options.temperature == 0  # the template's options were sent


def test_a_multi_call_technique_runs_in_eval(tmp_path):
    suite = """
prompts: [{id: sc, template: self-consistency}]
tests: [{vars: {input: 'Quanto é 6 x 7?'}, assert: [{type: equals, value: '42'}]}]
"""
    replies = iter(["Answer: 42", "Answer: 41", "Answer: 42", "Answer: 42", "Answer: 40"])
    provider = FakeProvider(reply=lambda req: next(replies))
    runner, _ = make_runner(tmp_path, suite, provider)
    (rec,) = runner.run().records
    assert rec["calls"] == 5 and rec["answer"] == "42" and rec["passed"]
    assert [r.options.temperature for r in provider.requests] == [0.8] * 5


def test_llm_rubric_graded_by_a_model(tmp_path):
    suite = """
prompts: ['Talk like a pirate: {{text}}']
tests:
  - vars: {text: hello}
    assert: [{type: llm-rubric, value: Is spoken like a pirate}]
"""

    def reply(req):
        if req.messages[0].role == "system" and "grade" in req.messages[0].content:
            said = req.messages[-1].content
            ok = "Arr" in said
            return json.dumps({"reason": "pirate words" if ok else "plain English",
                               "pass": ok, "score": 1 if ok else 0})
        return "Arr, hello matey"

    provider = FakeProvider(reply=reply)
    runner, ex = make_runner(tmp_path, suite, provider)

    class Registry:
        def resolve(self, spec):
            return fake_ref("grader")

    graders = ModelGraders(Registry(), ex.ask)
    graders.prepare_grader("fake:grader")
    runner.graders = Graders(rubric=graders.rubric, grader="fake:grader")
    (rec,) = runner.run().records
    assert rec["passed"] and rec["assertions"][0]["reason"] == "pirate words"
    assert [r.model for r in provider.requests] == ["m", "grader"]
    grader_prompt = provider.requests[1].messages[-1].content
    assert "Arr, hello matey" in grader_prompt and "Is spoken like a pirate" in grader_prompt


def test_a_429_is_waited_out_by_the_retry_rule(tmp_path):
    clock = FakeClock()
    provider = FakeProvider(reply=capitals, clock=clock, sleep=clock.sleep,
                            fail={"m": [RateLimited("slow down", retry_after=2.5)]})
    runner, _ = make_runner(tmp_path, SUITE, provider, clock=clock, sleep=clock.sleep,
                            policy=RetryPolicy(max_retries=2), jobs=1)
    recs = runner.run().records
    assert all(r["passed"] or r["case_title"] == "country=Japan" for r in recs)
    assert len(recs) == 6 and not any(r["error"] for r in recs)
    assert 2.5 in clock.sleeps  # Retry-After honoured


def test_a_failed_exchange_is_the_cells_error(tmp_path):
    from llmcli.core.errors import AuthError

    provider = FakeProvider(script=[AuthError("bad key")], reply=capitals)
    runner, _ = make_runner(tmp_path, SUITE, provider, jobs=1)
    recs = runner.run().records
    errored = [r for r in recs if r["error"]]
    assert len(errored) == 1 and errored[0]["error_code"] == 4 and not errored[0]["passed"]


def test_a_providers_limit_caps_it_below_jobs(tmp_path):
    provider = FakeProvider(reply=capitals, delay=0.1)
    runner, _ = make_runner(tmp_path, SUITE, provider, models=("a", "b"), jobs=8)
    runner.per_provider = {"fake": 2}  # [providers.fake] concurrency = 2
    assert len(runner.run().records) == 12
    assert provider.peak == 2


def test_least_to_most_runs_every_call_in_its_cell(tmp_path):
    suite = """
prompts: [{id: ltm, template: least-to-most}]
tests: [{vars: {input: 'Ana tem 3 caixas de 12 ovos e quebra 5. Quantos sobram?'},
         assert: [{type: equals, value: '31'}]}]
"""

    def reply(req):
        text = req.messages[-1].content
        if text.startswith("Break the problem"):
            return "1. How many eggs are in 3 boxes of 12?\n2. How many are left after 5 break?"
        if "Answered so far" not in text:
            return "3 x 12 = 36.\nAnswer: 36"
        if "Quantos sobram?\n" in text.split("Now answer")[1]:
            return "Answer: 31"  # the original problem, asked last
        return "36 - 5 = 31.\nAnswer: 31"

    provider = FakeProvider(reply=reply)
    runner, _ = make_runner(tmp_path, suite, provider)
    (rec,) = runner.run().records
    assert rec["calls"] == 4  # decompose, two sub-questions, the problem itself
    assert rec["answer"] == "31" and rec["passed"], rec
