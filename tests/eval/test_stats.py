"""Wilson's interval and McNemar's exact test against published worked examples."""

from __future__ import annotations

import pytest

from llmcli.eval.stats import mcnemar_exact, paired, wilson


@pytest.mark.parametrize(("passed", "total", "low", "high"), [
    # Newcombe RG (1998), "Two-sided confidence intervals for the single proportion:
    # comparison of seven methods", Statistics in Medicine 17:857-872, Table I, method 3
    # (the score interval without continuity correction), examples (a) to (d).
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_matches_newcombe_1998_table_1(passed, total, low, high):
    lo, hi = wilson(passed, total)
    assert (round(lo, 4), round(hi, 4)) == (low, high)


def test_wilson_is_exact_at_the_ends_and_symmetric():
    assert wilson(20, 20)[1] == 1.0 and wilson(0, 20)[0] == 0.0
    lo, hi = wilson(7, 10)
    lo2, hi2 = wilson(3, 10)
    assert lo == pytest.approx(1 - hi2) and hi == pytest.approx(1 - lo2)
    assert wilson(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson(11, 10)


def test_mcnemar_exact_matches_fagerland_2013():
    # Fagerland MW, Lydersen S, Laake P (2013), "The McNemar test for binary matched-pairs
    # data: mid-p and asymptotic are better than exact conditional", BMC Medical Research
    # Methodology 13:91. Their example (Bentur et al. 2009, airway hyper-responsiveness before
    # and after stem cell transplantation, n = 21): discordant pairs 1 and 7; the exact
    # conditional test gives p = 0.070.
    assert round(mcnemar_exact(1, 7), 3) == 0.070
    assert mcnemar_exact(7, 1) == mcnemar_exact(1, 7)
    # by hand: 2 * (C(8,0) + C(8,1)) / 2^8 = 18/256
    assert mcnemar_exact(1, 7) == 18 / 256


def test_mcnemar_edges():
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(5, 5) == 1.0  # the two-sided tail is capped at 1
    assert mcnemar_exact(0, 6) == pytest.approx(2 / 64)  # 0.03125: significant at 5%
    assert mcnemar_exact(0, 5) == pytest.approx(2 / 32)  # 0.0625: not
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 2)


def test_paired_counts_only_cases_both_arms_have():
    a = {("c1", 0): True, ("c2", 0): True, ("c3", 0): False, ("c4", 0): True}
    b = {("c1", 0): False, ("c2", 0): True, ("c3", 0): True}
    t = paired(a, b)
    assert (t.n, t.a_passed, t.b_passed, t.only_a, t.only_b) == (3, 2, 2, 1, 1)
    assert t.p_value == 1.0 and not t.significant
