"""Every assertion type against known replies, its `not-` form, weights and thresholds."""

from __future__ import annotations

import pytest

from llmcli.core.errors import InvalidInput
from llmcli.eval.assertions import Graders, Reply, check, check_static, grade
from llmcli.eval.suite import Assertion


def run(kind: str, text: str, value=None, **kw) -> tuple[bool, float, str]:
    reply = kw.pop("reply", None) or Reply(text)
    graders = kw.pop("graders", None)
    r = check(Assertion(type=kind, value=value, **kw), reply, value, graders)
    return r.passed, r.score, r.reason


@pytest.mark.parametrize(("kind", "text", "value", "expected"), [
    ("equals", "42", "42", True),
    ("equals", "  42\n", 42, True),
    ("equals", "42.", "42", False),
    ("equals", '{"a": 1}', {"a": 1}, True),
    ("contains", "Bonjour le monde", "le monde", True),
    ("contains", "Bonjour le monde", "Le Monde", False),
    ("icontains", "Dónde está la biblioteca", "DÓNDE ESTÁ", True),
    ("contains-any", "red car", ["blue", "red"], True),
    ("contains-any", "red car", "blue, green", False),
    ("contains-all", "red and blue", ["red", "blue"], True),
    ("contains-all", "red and blue", ["red", "green"], False),
    ("icontains-any", "RED car", ["red"], True),
    ("icontains-all", "Red and BLUE", ["red", "blue"], True),
    ("regex", "A resposta é 51.", r"\b51\b", True),
    ("regex", "São Paulo", r"^\w+ Paulo$", True),
    ("regex", "fifty-one", r"\d+", False),
    ("starts-with", "  Ahoy, world", "Ahoy", True),
    ("starts-with", "Hello, Ahoy", "Ahoy", False),
    ("is-json", '{"color": "yellow"}', None, True),
    ("is-json", "{'color': 'yellow'}", None, False),
])
def test_text_assertions(kind, text, value, expected):
    passed, score, reason = run(kind, text, value)
    assert passed is expected, reason
    assert score == (1.0 if expected else 0.0)
    negated, nscore, nreason = run(f"not-{kind}", text, value)
    assert negated is not expected and nreason.startswith("not: ")
    assert nscore == 1.0 - score


def test_is_json_with_a_schema():
    schema = {"type": "object", "required": ["color", "countries"],
              "properties": {"countries": {"type": "array", "items": {"type": "string"}}}}
    assert run("is-json", '{"color": "purple", "countries": ["Brazil"]}', schema)[0]
    ok, _, reason = run("is-json", '{"color": "purple", "countries": [1]}', schema)
    assert not ok and "countries/0" in reason
    ok, _, reason = run("is-json", '{"color": "purple"}', schema)
    assert not ok and "countries" in reason


def test_text_assertions_read_the_extracted_answer():
    reply = Reply("Let me think... 6 * 7 = 42.\nAnswer: 42", answer="42", extracts=True)
    assert run("equals", "", "42", reply=reply)[0]
    missing = Reply("no marker here", answer=None, extracts=True)
    ok, _, reason = run("contains", "", "here", reply=missing)
    assert not ok and "no answer could be extracted" in reason


def test_latency_and_cost():
    fast = Reply("x", latency=0.120, cost=0.0004)
    assert run("latency", "", threshold=200, reply=fast)[0]
    ok, _, reason = run("latency", "", threshold=100, reply=fast)
    assert not ok and reason == "120 ms > 100 ms"
    assert run("cost", "", threshold=0.001, reply=fast)[0]
    assert not run("cost", "", threshold=0.0001, reply=fast)[0]
    ok, _, reason = run("cost", "", threshold=1, reply=Reply("x", latency=0.1))
    assert not ok and "unknown" in reason
    with pytest.raises(InvalidInput, match="threshold in milliseconds"):
        check_static(Assertion(type="latency"))
    with pytest.raises(ValueError, match="not supported"):
        Assertion(type="not-latency", threshold=10)


def test_similar_uses_the_embedder_and_its_threshold():
    seen = []

    def similarity(text, expected, spec):
        seen.append((text, expected, spec))
        return [0.8, 0.5]

    g = Graders(similarity=similarity, embedder="local")
    ok, score, reason = run("similar", "Ahoy world", ["Ahoy, world", "Hi"], graders=g)
    assert ok and score == 0.8 and reason == "similarity 0.800 >= 0.75"
    assert seen == [("Ahoy world", ["Ahoy, world", "Hi"], "local")]
    assert not run("similar", "Ahoy", "x", threshold=0.9, graders=g)[0]
    assert run("not-similar", "Ahoy", "x", threshold=0.9, graders=g)[0]
    g2 = Graders(similarity=similarity, embedder="local", case_provider="openai:emb")
    run("similar", "a", "b", provider="gemini:text-embedding", graders=g2)
    run("similar", "a", "b", graders=g2)
    assert [s[2] for s in seen[-2:]] == ["gemini:text-embedding", "openai:emb"]


def test_llm_rubric_keeps_the_verdict_and_reason():
    def rubric(output, text, spec):
        assert (text, spec) == ("Is spoken like a pirate", "groq")
        return ("arr" in output.lower(), 0.9 if "arr" in output.lower() else 0.1,
                "it says arr" if "arr" in output.lower() else "no pirate talk")

    g = Graders(rubric=rubric, grader="groq")
    assert run("llm-rubric", "Arr, matey", "Is spoken like a pirate", graders=g) == (
        True, 0.9, "it says arr")
    assert run("llm-rubric", "Hello", "Is spoken like a pirate", graders=g)[:2] == (False, 0.1)
    # a score threshold on top of the verdict
    assert not run("llm-rubric", "Arr", "Is spoken like a pirate", threshold=0.95,
                   graders=g)[0]


def test_model_assertions_without_a_model_say_which_flag():
    with pytest.raises(InvalidInput) as exc:
        run("llm-rubric", "x", "rubric")
    assert "--grader MODEL" in exc.value.one_line()
    with pytest.raises(InvalidInput) as exc:
        run("similar", "x", "y")
    assert "--embedder MODEL" in exc.value.one_line()


def test_weights_and_threshold_follow_promptfoo():
    a = check(Assertion(type="contains", value="x", weight=3), Reply("x"), "x")
    b = check(Assertion(type="contains", value="y"), Reply("x"), "y")
    info = check(Assertion(type="contains", value="z", weight=0), Reply("x"), "z")
    # without a threshold every weighted assertion must pass; weight 0 is informational
    assert grade([a, info], None) == (True, 1.0)
    assert grade([a, b], None) == (False, 0.75)
    # with one, the weighted score decides
    assert grade([a, b], 0.7) == (True, 0.75)
    assert grade([a, b], 0.8) == (False, 0.75)
    assert grade([], None) == (True, 1.0)


def test_a_regex_that_cannot_compile_is_an_input_error():
    with pytest.raises(InvalidInput, match="does not compile"):
        run("regex", "x", "(unclosed")
