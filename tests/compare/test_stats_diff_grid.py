"""Run statistics, agreement, word diffs and the grid's shape."""

import pytest

from llmcli.compare.comparison import CellState
from llmcli.compare.diff import similarity, tokens, word_diff
from llmcli.compare.grid import build_grid, column_labels, variant_labels
from llmcli.compare.report import diff_pairs
from llmcli.compare.stats import Spread, agreement, pair_stats
from llmcli.core.response import Response, Timings, UsageInfo
from llmcli.ui.compare_report import word_diff_marks
from tests.compare.scripted import ref, variant


def test_spread_median_range_and_stdev():
    s = Spread.of([1.0, 3.0, 2.0, 10.0])
    assert (s.n, s.median, s.low, s.high) == (4, 2.5, 1.0, 10.0)
    assert s.stdev == pytest.approx(4.0825, abs=1e-4)
    one = Spread.of([0.7])
    assert one.median == 0.7 and one.stdev is None
    assert Spread.of([]) is None


def test_agreement_counts_answers_ignoring_case_space_and_final_stop():
    a = agreement(["42", " 42.", "forty-two", None, "42\n", "Forty-Two"])
    assert a.counts == [("42", 3), ("forty-two", 2)]
    assert a.total == 5 and a.rate == pytest.approx(0.6) and a.top == "42"
    assert agreement([]).rate is None


def _state(cell, text, total, ttft, out, status="complete", answer=None):
    s = CellState(cell)
    s.response = Response(text=text, model=cell.ref.model, provider=cell.ref.provider,
                          usage=UsageInfo(input_tokens=3, output_tokens=out),
                          timings=Timings(ttft=ttft, total=total), status=status, cost=0.001)
    s.answer = answer
    return s


def test_pair_stats_over_runs_with_a_failed_run():
    cells = build_grid([variant("q", extract=lambda t: t)], [ref("a", "m")], runs=4)
    states = [
        _state(cells[0], "x", 1.0, 0.2, 10, answer="B"),
        _state(cells[1], "x", 2.0, 0.4, 20, answer="B"),
        _state(cells[2], "x", 1.5, 0.3, 12, answer="C"),
        _state(cells[3], "", 0.1, None, None, status="error"),
    ]
    (p,) = pair_stats(states)
    assert (p.runs, p.failed) == (4, 1)
    assert (p.total.median, p.total.low, p.total.high) == (1.5, 1.0, 2.0)
    assert p.ttft.median == 0.3
    # 10/0.8, 20/1.6 and 12/1.2 tokens per second of generation
    assert p.tokens_per_second.median == pytest.approx(12.5)
    assert p.cost == pytest.approx(0.003)
    assert p.agreement.counts == [("B", 2), ("C", 1)] and p.agreement.extracted


def test_word_diff_round_trips_and_marks_changes():
    a = "The cat sat on the mat."
    b = "The dog sat on the  mat!"
    chunks = word_diff(a, b)
    assert "".join(c.text for c in chunks if c.op != "delete") == b
    assert "".join(c.text for c in chunks if c.op != "insert").replace("  ", " ") == a
    assert word_diff_marks(chunks) == "The [-cat-]{+dog+} sat on the  mat[-.-]{+!+}"
    assert similarity(a, a) == 1.0 and similarity("", "") == 1.0
    assert similarity("a b c d", "a b x y") == pytest.approx(0.5)
    assert tokens("não é?") == ["não", " ", "é", "?"]


def test_grid_order_labels_and_diff_pairs():
    v = [variant("one", label="p1"), variant("two", label="p2")]
    refs = [ref("a", "m"), ref("b", "n"), ref("a", "m")]
    cells = build_grid(v, refs, runs=2)
    assert len(cells) == 12
    first = [(c.run, c.row, c.column) for c in cells[:4]]
    assert first == [(0, 0, 0), (0, 0, 1), (0, 0, 2), (0, 1, 0)]
    assert column_labels(refs) == ["a:m", "b:n", "a:m #2"]
    assert variant_labels(["x", "y"], ["zero-shot", "cot"]) == [
        (0, "zero-shot", "p1 · zero-shot"), (0, "cot", "p1 · cot"),
        (1, "zero-shot", "p2 · zero-shot"), (1, "cot", "p2 · cot")]
    assert variant_labels(["x"], []) == [(0, None, "prompt")]
    states = [CellState(c) for c in cells]
    pairs = diff_pairs(states)
    assert [(a.cell.row, a.cell.column, b.cell.column) for a, b in pairs] == [(0, 0, 1), (1, 0, 1)]
    single = [CellState(c) for c in build_grid([v[0]], [refs[0]], runs=3)]
    ((a, b),) = diff_pairs(single)
    assert (a.cell.run, b.cell.run) == (0, 1)
    with pytest.raises(ValueError):
        build_grid(v, refs, runs=0)


def test_tokens_per_second_only_for_a_stream_that_lasted():
    from llmcli.compare.comparison import tokens_per_second

    cell = build_grid([variant("q")], [ref("a", "m")])[0]
    burst = _state(cell, "x", 0.52, 0.50, 40).response  # everything within 20 ms
    assert burst.tokens_per_second == pytest.approx(2000) and tokens_per_second(burst) is None
    steady = _state(cell, "x", 1.5, 0.5, 40).response
    assert tokens_per_second(steady) == pytest.approx(40.0)
