"""The one rule for a run of many exchanges (compare's cells, batch's records): if any failed,
the run failed, whatever the others did.

The exit code is the failures' error class's when they share one (6: all rate limited), and
`SOME_FAILED_MIXED` (16) when they differ; never 0. The
message says how many failed and why, grouped by kind: one line on stderr.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from llmcli.core.errors import LlmcliError

# Failures of different kinds in one compare or batch (documented in the README's exit codes).
SOME_FAILED_MIXED = 16


class SomeFailed(LlmcliError):
    """Some exchanges of a compare or batch failed; `exit_code` is set per run."""

    kind = "some_failed"

    def __init__(self, message: str, *, exit_code: int, hint: str | None = None):
        self.exit_code = exit_code
        super().__init__(message, hint=hint)


def failure_code(codes: Iterable[int]) -> int:
    """The exit code for failures with these codes: theirs when they agree, else 16 (15 is
    a schema mismatch)."""
    distinct = set(codes) - {0}
    return distinct.pop() if len(distinct) == 1 else SOME_FAILED_MIXED


def why(kinds: Counter[str]) -> str:
    """'2 unreachable, 1 timeout': the reasons, most frequent first."""
    return ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in kinds.most_common())


def some_failed(
    errors: list[LlmcliError], total: int, noun: str, *, first: str | None = None,
    hint: str | None = None,
) -> SomeFailed | None:
    """The error a run of `total` exchanges ends with when `errors` failed; None if none did.
    `first` names the first failure's detail (its model and message)."""
    if not errors:
        return None
    kinds = Counter(e.kind if e.kind != "error" else "internal error" for e in errors)
    message = f"{len(errors):,} of {total:,} {noun} failed ({why(kinds)})"
    if first:
        message += f"; first, {first}"
    return SomeFailed(message, exit_code=failure_code(e.exit_code for e in errors), hint=hint)
