"""Rendering log rows: a compact list, and one exchange in full."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmcli.ui.tables import print_json, print_table

if TYPE_CHECKING:
    from llmcli.environment import Environment


def _short(text: str | None, n: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def print_rows(env: Environment, rows: list[dict[str, Any]], *, as_json: bool) -> None:
    """In a pipe the texts are cut at 40 characters; in a terminal once, to the width left."""
    if as_json:
        print_json(env, rows)
        return
    # A terminal cuts the texts itself, to fit; a bound keeps a huge reply cheap to measure.
    n = 200 if env.stdout_isatty else 40
    when = (lambda c: c[5:16]) if env.stdout_isatty else (lambda c: c[:19])  # MM-DD HH:MM
    print_table(
        env,
        ["id", "when", "model", "status", "prompt", "reply", "tokens", "s"],
        [
            (
                r["id"],
                when(r["created"] or "").replace("T", " "),
                f"{r['provider']}:{r['model']}",
                r["status"],
                _short(r["prompt"], n),
                _short(r["reply"], n),
                f"{r['input_tokens'] or '-'}/{r['output_tokens'] or '-'}",
                round(r["duration"], 2) if r["duration"] is not None else None,
            )
            for r in rows
        ],
        cut=("prompt", "reply"),
    )


def print_exchange(env: Environment, row: dict[str, Any]) -> None:
    out = env.stdout
    out.write(
        f"# {row['id']}  {row['created']}  {row['provider']}:{row['model']}  [{row['status']}]\n"
    )
    if row.get("conversation_id"):
        out.write(f"conversation: {row['conversation_id']}\n")
    if row.get("error"):
        out.write(f"error: {row['error']}\n")
    meta = [
        f"tokens in/out: {row['input_tokens']}/{row['output_tokens']}",
        f"ttft: {row['ttft']:.3f} s" if row["ttft"] is not None else "ttft: -",
        f"total: {row['duration']:.3f} s" if row["duration"] is not None else "total: -",
        f"finish: {row['finish_reason'] or '-'}",
    ]
    if row.get("cost") is not None:
        meta.append(f"cost: ${row['cost']:.6f}")
    out.write("  ".join(meta) + "\n")
    if row.get("options") and row["options"] != "{}":
        out.write(f"options: {row['options']}\n")
    if row.get("system"):
        out.write(f"\n## System\n{row['system']}\n")
    out.write(f"\n## Prompt\n{row['prompt']}\n\n## Reply\n{row['reply']}\n")
    out.flush()
