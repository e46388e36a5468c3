"""Answer extraction (markers, regexes), JSON replies, and self-consistency voting."""

from __future__ import annotations

import pytest

from llmcli.core.errors import ProviderError
from llmcli.templates.extract import extract_with
from llmcli.templates.model import Extract
from llmcli.templates.structured import parse_json_reply
from llmcli.templates.vote import normalize, parse_number, vote

MARKERS = Extract(marker=["Answer:", "Resposta:"])


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("3 x 4 = 12\nAnswer: 12", "12"),
        ("Answer: 10 (wrong)\nLet me redo it.\nAnswer: 12", "12"),  # the last one wins
        ("**Answer:** 12.", "12"),
        ("answer: `Lisboa`", "Lisboa"),
        ("Então...\nResposta: 19 maçãs", "19 maçãs"),
        ("Final answer:\n\n  **42**\n", "42"),  # marker alone on its line: the next line
        ("The answer: it is 51.", "it is 51."),
        ("no marker here", None),
        ("Answer:   \n", None),
    ],
)
def test_marker_extraction(text, answer):
    assert extract_with(MARKERS, text) == answer


def test_first_marker_when_asked():
    assert extract_with(Extract(marker="A:", which="first"), "A: 1\nA: 2") == "1"


def test_regex_extraction_groups():
    spec = Extract(regex=r"(\d+) maçãs")
    assert extract_with(spec, "Ana tem 3 maçãs, Rui tem 5 maçãs") == "5"
    assert extract_with(Extract(regex=r"\d+", which="first"), "a 7 b 9") == "7"
    assert extract_with(Extract(regex=r"(?P<n>\d+)%", group="n"), "cerca de 40% e 60%") == "60"
    assert extract_with(Extract(regex=r"\\boxed\{([^}]*)\}"), r"so \boxed{x^2}") == "x^2"
    assert extract_with(spec, "nada") is None


def test_json_reply_forms():
    assert parse_json_reply('{"a": 1}') == {"a": 1}
    assert parse_json_reply('Sure!\n```json\n{"a": [1, 2]}\n```\nDone.') == {"a": [1, 2]}
    assert parse_json_reply('Aqui está: {"nome": "Zé", "n": {"x": 1}} espero que ajude') == {
        "nome": "Zé", "n": {"x": 1}}
    assert parse_json_reply("[1, 2]") == [1, 2]


@pytest.mark.parametrize(
    ("text", "keys", "needle"),
    [
        ('{"a": 1,}', None, "not valid JSON: Expecting property name"),
        ("no json at all", None, "not valid JSON"),
        ("", None, "empty"),
        ('{"a": 1}', ["a", "b", "c"], "lacks keys: b, c"),
        ("[1]", ["a"], "not an object"),
    ],
)
def test_bad_json_replies(text, keys, needle):
    with pytest.raises(ProviderError) as err:
        parse_json_reply(text, keys)
    assert needle in err.value.one_line() and err.value.exit_code == 10


@pytest.mark.parametrize(
    ("a", "b"),
    [("42", "42.0"), ("**42**.", "42"), ("Sim.", "sim"), ("  Lisboa ", "lisboa!"),
     ("São Paulo", "SÃO PAULO"), ("1,000", "1000"), ("−7", "-7")],
)
def test_majority_normalisation_groups_equivalent_answers(a, b):
    assert normalize(a) == normalize(b)


def test_majority_keeps_different_answers_apart():
    assert normalize("42") != normalize("43")
    assert normalize("10 maçãs") != normalize("10 peras")


@pytest.mark.parametrize(
    ("text", "number"),
    [("R$ 1.234,56", "1234.56"), ("3,5 km", "3.5"), ("1,000 people", "1000"),
     ("1.234.567", "1234567"), ("cerca de -2.5 graus", "-2.5"), ("nenhum", None)],
)
def test_numbers_in_english_and_portuguese_styles(text, number):
    value = parse_number(text)
    assert (str(value) if value is not None else None) == number


def test_numeric_vote_ignores_the_words():
    result = vote(["São 19 maçãs", "19", "Resposta: 19.0", "20"], "numeric")
    assert result.winner == "São 19 maçãs" and result.votes == 3


def test_vote_distribution_missing_and_agreement():
    result = vote(["51", "**51**", "50", None, "51.0", ""], "majority")
    assert result.winner == "51" and result.votes == 3 and result.total == 6
    assert result.missing == 2 and not result.tie
    assert [(b.answer, b.count) for b in result.buckets] == [("51", 3), ("50", 1)]
    assert result.agreement == 0.5
    assert result.as_dict()["distribution"] == [
        {"answer": "51", "count": 3}, {"answer": "50", "count": 1}]


def test_tie_goes_to_the_answer_seen_first():
    result = vote(["b", "a", "a", "b"])
    assert result.winner == "b" and result.tie


def test_exact_vote_is_case_sensitive():
    assert vote(["Sim", "sim", "sim"], "exact").winner == "sim"


def test_no_answers_at_all():
    result = vote([None, None])
    assert result.winner is None and result.votes == 0 and result.missing == 2
