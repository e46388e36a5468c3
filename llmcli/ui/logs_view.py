"""Rendering log rows: a compact list, and one exchange in full."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmcli.core.numbers import usd
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


# Lines of each fragment `logs show` prints (all of them are in `logs show ID --json`).
FRAGMENT_LINES = 12


def print_exchange(env: Environment, row: dict[str, Any],
                   fragments: list[dict[str, Any]] | None = None,
                   attachments: list[dict[str, Any]] | None = None) -> None:
    """One exchange; fragments appear as `[fragment N: source]` where they were sent and
    each once under "Fragments"."""
    fragments = fragments or []
    number = {}
    for i, f in enumerate(fragments, start=1):
        number.setdefault(f["sha256"], (i, f["source"]))
    row = {**row, "prompt": _labelled(row.get("prompt"), number),
           "system": _labelled(row.get("system"), number)}
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
        *([f"reasoning: {row['reasoning_tokens']}"] if row.get("reasoning_tokens") is not None
          else []),
        f"ttft: {row['ttft']:.3f} s" if row["ttft"] is not None else "ttft: -",
        f"total: {row['duration']:.3f} s" if row["duration"] is not None else "total: -",
        f"finish: {row['finish_reason'] or '-'}",
    ]
    if row.get("cost") is not None:
        meta.append(f"cost: {usd(row['cost'])}")
    if row.get("cached"):
        meta.append("cached (answered from the log)")
    out.write("  ".join(meta) + "\n")
    if row.get("options") and row["options"] != "{}":
        out.write(f"options: {row['options']}\n")
    if row.get("system"):
        out.write(f"\n## System\n{row['system']}\n")
    out.write(f"\n## Prompt\n{row['prompt']}\n")
    if attachments:
        out.write("\n## Attachments\n")
        for a in attachments:
            out.write(f"- {a['source']}  {a['mime']}  {a['size']:,} bytes  "
                      f"sha256 {a['sha256'][:12]}\n")
    if fragments:
        out.write("\n## Fragments\n")
        for i, f in enumerate(fragments, start=1):
            lines = f["content"].splitlines()
            role = "  (system)" if f["role"] == "system" else ""
            out.write(f"[{i}] {f['source']}{role}  {len(f['content']):,} chars  "
                      f"sha256 {f['sha256'][:12]}\n")
            for line in lines[:FRAGMENT_LINES]:
                out.write(f"    {line}\n")
            if len(lines) > FRAGMENT_LINES:
                out.write(f"    … {len(lines) - FRAGMENT_LINES:,} more lines "
                          f"(logs show {row['id']} --json has them all)\n")
    if row.get("reasoning"):
        out.write(f"\n## Reasoning\n{row['reasoning']}\n")
    if row.get("tool_calls"):
        out.write(tool_calls_text(row["tool_calls"], row.get("round_trips")))
    out.write(f"\n## Reply\n{row['reply']}\n")
    out.flush()


def _labelled(text: str | None, number: dict[str, tuple[int, str]]) -> str | None:
    """References to fragments shown as `[fragment N: source]`."""
    if not text or "{{llmcli:fragment:" not in text:
        return text
    import re

    def label(m: re.Match[str]) -> str:
        n, source = number.get(m.group(1), (0, "?"))
        return f"[fragment {n}: {source}]"

    return re.sub(r"\{\{llmcli:fragment:([0-9a-f]{64})\}\}", label, text)


def tool_calls_text(stored: str, round_trips: int | None) -> str:
    """The `## Tool calls` section of `logs show`: each call, its arguments and result."""
    import json

    try:
        runs = json.loads(stored)
    except ValueError:
        return f"\n## Tool calls\n{stored}\n"
    head = f"\n## Tool calls ({len(runs)}, {round_trips or '?'} requests)\n"
    lines = []
    for r in runs:
        args = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}"
                         for k, v in (r.get("arguments") or {}).items())
        result = r.get("result")
        shown = "(not run)" if result is None else result
        mark = " [error]" if r.get("is_error") else ""
        lines.append(f"[{r.get('round')}] {r.get('name')}({args}){mark}\n    -> {shown}")
    return head + "\n".join(lines) + "\n"
