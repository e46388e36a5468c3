"""The statistics of a pass rate: Wilson's score interval for one proportion and McNemar's
exact test for two prompts or models graded on the same cases.

Both are a few lines of exact arithmetic (`math.comb`): scipy or statsmodels would add a
heavy import for two formulas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal
ALPHA = 0.05


def wilson(passed: int, total: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval (without continuity correction) for `passed` of `total`;
    (0, 1) when nothing was measured."""
    if total <= 0:
        return (0.0, 1.0)
    if not 0 <= passed <= total:
        raise ValueError("passed must be between 0 and total")
    p = passed / total
    z2 = z * z
    centre = p + z2 / (2 * total)
    spread = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total))
    denom = 1 + z2 / total
    low = (centre - spread) / denom
    high = (centre + spread) / denom
    # The bounds are 0 and 1 exactly at the ends; floating point leaves 1e-17 crumbs.
    return (0.0 if passed == 0 else max(0.0, low), 1.0 if passed == total else min(1.0, high))


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided p-value of McNemar's exact (conditional binomial) test: `b` cases passed
    by the first and failed by the second, `c` the other way round."""
    if b < 0 or c < 0:
        raise ValueError("counts cannot be negative")
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1))
    return min(1.0, 2 * tail / 2**n)


@dataclass(frozen=True)
class Paired:
    """Two arms on the same cases: how often each passed where the other failed."""

    n: int  # cases both arms answered
    a_passed: int
    b_passed: int
    only_a: int  # passed by A, failed by B
    only_b: int

    @property
    def p_value(self) -> float:
        return mcnemar_exact(self.only_a, self.only_b)

    @property
    def significant(self) -> bool:
        return self.p_value < ALPHA


def paired(a: dict[object, bool], b: dict[object, bool]) -> Paired:
    """Compare two arms on the cases both have (keys: case and repetition)."""
    common = [k for k in a if k in b]
    only_a = sum(1 for k in common if a[k] and not b[k])
    only_b = sum(1 for k in common if b[k] and not a[k])
    return Paired(len(common), sum(a[k] for k in common), sum(b[k] for k in common),
                  only_a, only_b)
