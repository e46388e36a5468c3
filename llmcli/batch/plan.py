"""The decisions around a run that need no terminal: formats, what to skip, the exit status."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from llmcli.batch.resume import answer_key
from llmcli.batch.summary import plural
from llmcli.core.errors import InvalidInput, LlmcliError

if TYPE_CHECKING:
    from llmcli.batch.dispatch import SkipFn, Target
    from llmcli.batch.inputs import InputFormat, Item
    from llmcli.batch.outputs import OutputFormat
    from llmcli.batch.resume import Answered
    from llmcli.batch.summary import BatchStats


def formats(
    source: str, output: Path | None, *, lines: bool, fmt: str | None
) -> tuple[InputFormat, OutputFormat]:
    """Input and output formats: `--format` sets both; else each file's extension; else JSONL.

    With `--lines` the input is plain text and the output follows `--format` or `-O`'s name.
    """
    if fmt is not None and fmt not in ("jsonl", "csv"):
        raise InvalidInput(f"unknown format '{fmt}'", hint="use --format jsonl or --format csv")

    def by_name(name: str | None) -> str | None:
        if name and name.lower().endswith(".csv"):
            return "csv"
        if name and name.lower().endswith((".jsonl", ".ndjson", ".json")):
            return "jsonl"
        return None

    in_fmt = "lines" if lines else (fmt or by_name(source) or "jsonl")
    out_fmt = fmt or by_name(str(output) if output else None)
    if out_fmt is None:
        out_fmt = in_fmt if in_fmt == "csv" else "jsonl"
    return in_fmt, out_fmt  # type: ignore[return-value]


def skipper(answered: Answered | None, *, resume: bool, retry_failed: bool) -> SkipFn | None:
    """Which (input, model) pairs to leave alone, from what the output file already holds.

    --resume runs those with no record yet; --retry-failed runs those whose record is an
    error; both together run both.
    """
    if answered is None:
        return None
    ok, failed = answered.ok, answered.failed

    def skip(item: Item, target: Target) -> bool:
        key = answer_key(target.label, item.key)
        if key in ok:
            return True
        if key in failed:
            return not retry_failed
        return not resume

    return skip


class BatchIncomplete(LlmcliError):
    """Some inputs were not answered; the exit code is that of the failures' error class."""

    kind = "batch_incomplete"

    def __init__(self, message: str, *, exit_code: int, hint: str | None = None):
        self.exit_code = exit_code
        super().__init__(message, hint=hint)


def outcome_error(stats: BatchStats, *, output: Path | None) -> LlmcliError | None:
    """The error to end with when requests failed or lines were skipped; None when all went well.

    Requests failed: the one rule for many exchanges (exchange/outcome.py): their error class's
    code when they share one (6 for rate limits...), else 15. Only malformed lines: 2.
    """
    again = f" -O {output}" if output else ""
    if stats.failed:
        from collections import Counter

        from llmcli.exchange.outcome import failure_code, why

        code = failure_code(stats.fail_codes)
        kinds = Counter({k if k != "error" else "internal error": n
                         for k, n in stats.fail_kinds.items()})
        hint = (
            f"their records hold the error; rerun only them with --retry-failed{again}"
            if output
            else "their records hold the error; write to a file with -O to rerun only them"
        )
        return BatchIncomplete(
            f"{stats.failed:,} of {stats.done:,} requests failed ({why(kinds)})",
            exit_code=code, hint=hint
        )
    if stats.bad_lines:
        nums = ", ".join(str(n) for n in stats.bad_line_numbers)
        more = ", …" if stats.bad_lines > len(stats.bad_line_numbers) else ""
        return BatchIncomplete(
            f"{plural(stats.bad_lines, 'malformed line')} skipped (line {nums}{more})",
            exit_code=2,
            hint=f"fix them and run again with --resume{again}" if output else None,
        )
    return None
