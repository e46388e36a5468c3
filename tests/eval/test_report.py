"""eval/report.py: the diff of two runs, in the suite's order whatever order cells finished in."""

from __future__ import annotations

from llmcli.eval import report


def _rec(prompt: str, model: str, case: int, passed: bool) -> dict:
    return {"prompt": prompt, "model": model, "case_key": f"c{case}", "case_index": case,
            "repeat": 0, "passed": passed, "case_title": f"case {case}"}


def test_diff_follows_the_suite_order_not_the_finish_order():
    # stored as they finished: the second prompt's cell and the second model's came first
    a = [_rec("cot", "m2", 0, True), _rec("zero", "m1", 0, False), _rec("cot", "m1", 0, False),
         _rec("zero", "m2", 0, True)]
    b = [_rec("zero", "m1", 0, False), _rec("cot", "m1", 0, True), _rec("cot", "m2", 0, True),
         _rec("zero", "m2", 0, True)]
    arms = report.diff(a, b, prompts=["zero", "cot"], models=["m1", "m2"])
    assert [(d.prompt, d.model) for d in arms] == [
        ("zero", "m1"), ("zero", "m2"), ("cot", "m1"), ("cot", "m2")]
    assert [len(d.fixed) for d in arms] == [0, 0, 1, 0]
    unordered = report.diff(a, b)  # without the suite's order: first seen first
    assert (unordered[0].prompt, unordered[0].model) == ("cot", "m2")
