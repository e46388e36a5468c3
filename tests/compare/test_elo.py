"""Elo arithmetic, blind labels and vote parsing."""

import pytest

from llmcli.compare.elo import Vote, blind_labels, parse_choice, ratings


def by_model(standings):
    return {s.model: s for s in standings}


def test_a_win_between_equals_moves_each_by_half_k():
    s = by_model(ratings([Vote(("a", "b"), "a")]))
    assert s["a"].rating == 1016 and s["b"].rating == 984
    assert (s["a"].wins, s["a"].losses, s["b"].losses, s["a"].votes) == (1, 0, 1, 1)


def test_a_draw_between_unequal_ratings_moves_them_together():
    s = by_model(ratings([Vote(("a", "b"), "a"), Vote(("b", "a"), None)]))
    # expected score of a at 1016 vs 984 is 1 / (1 + 10^(-32/400)) = 0.545922
    assert s["a"].rating == pytest.approx(1016 - 32 * 0.045922, abs=1e-3)  # 1014.5305
    assert s["b"].rating == pytest.approx(984 + 32 * 0.045922, abs=1e-3)
    assert s["a"].ties == s["b"].ties == 1 and s["a"].votes == 2


def test_a_winner_of_three_beats_both_and_the_losers_do_not_play_each_other():
    s = by_model(ratings([Vote(("a", "b", "c"), "a")]))
    assert s["a"].rating == 1032 and s["b"].rating == 984 and s["c"].rating == 984


def test_order_of_columns_does_not_matter_and_rating_is_conserved():
    votes = [Vote(("a", "b", "c"), "b"), Vote(("c", "a"), "c"), Vote(("b", "c", "a"), None)]
    flipped = [Vote(tuple(reversed(v.models)), v.winner) for v in votes]
    r1, r2 = by_model(ratings(votes)), by_model(ratings(flipped))
    for m in "abc":
        assert r1[m].rating == pytest.approx(r2[m].rating)
    assert sum(s.rating for s in r1.values()) == pytest.approx(3000)


def test_ranked_best_first_and_k_factor():
    standings = ratings([Vote(("a", "b"), "b")] * 3, k=10)
    assert [s.model for s in standings] == ["b", "a"]
    # +5, then +4.8561 (expected 0.51439 at 1005 vs 995), then +4.7166
    assert standings[0].rating == pytest.approx(1014.5727, abs=1e-3)
    assert standings[1].rating == pytest.approx(985.4273, abs=1e-3)


def test_bad_votes_are_refused():
    with pytest.raises(ValueError):
        Vote(("a", "a"), "a")
    with pytest.raises(ValueError):
        Vote(("a", "b"), "c")


def test_labels_and_choices():
    assert blind_labels(3) == ["A", "B", "C"]
    assert blind_labels(28)[25:] == ["Z", "AA", "AB"]
    labels = ["A", "B", "C"]
    assert parse_choice(" b\n", labels) == "B"
    assert parse_choice("TIE", labels) == "tie" and parse_choice("=", labels) == "tie"
    assert parse_choice("skip", labels) == "skip"
    assert parse_choice("d", labels) is None and parse_choice("", labels) is None
    assert parse_choice("t", [*blind_labels(20)]) == "T"  # a label wins over the 't' shortcut
