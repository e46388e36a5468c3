"""Fragments and attachments in the log: each text and each attachment's bytes kept once,
keyed by sha256, and each exchange naming the ones it sent.

In an exchange's row (prompt, system, messages) a fragment's block is replaced by a reference,
`{{llmcli:fragment:HASH}}`, and an attachment is kept without its bytes; `expand` puts them
back, so a row read with LogStore.get is the request as it was sent.
"""

from __future__ import annotations

import base64
import json
import re
import sqlite3
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmcli.core.fragments import Fragment
    from llmcli.core.messages import ChatRequest

REF = "{{{{llmcli:fragment:{}}}}}"
REF_PATTERN = re.compile(r"\{\{llmcli:fragment:([0-9a-f]{64})\}\}")


def compact_text(text: str | None, fragments: list[Fragment]) -> str | None:
    """`text` with each fragment's block replaced by its reference."""
    if not text or not fragments:
        return text
    for f in fragments:
        text = text.replace(f.block(), REF.format(f.sha256))
    return text


def compact_messages(request: ChatRequest) -> list[dict[str, Any]]:
    """The messages as stored: fragment blocks as references, attachments without bytes."""
    out = []
    for m in request.messages:
        d: dict[str, Any] = {"role": m.role,
                             "content": compact_text(m.content, request.fragments)}
        if m.attachments:
            d["attachments"] = [{"mime": a.mime, "source": a.source, "sha256": a.sha256,
                                 "size": a.size} for a in m.attachments]
        for key, value in m.model_dump(exclude={"role", "content", "attachments"}).items():
            d[key] = value  # fields other branches add (tool calls, ...) kept as they are
        out.append(d)
    return out


def write(conn: sqlite3.Connection, exchange_id: int, request: ChatRequest, now: str) -> None:
    """The exchange's fragments and attachments (inside the caller's transaction)."""
    for i, f in enumerate(request.fragments):
        conn.execute("INSERT OR IGNORE INTO fragments(hash, content, created) VALUES (?, ?, ?)",
                     (f.sha256, f.text, now))
        conn.execute("INSERT INTO exchange_fragments(exchange_id, position, hash, source, role) "
                     "VALUES (?, ?, ?, ?, ?)", (exchange_id, i, f.sha256, f.source, f.role))
    position = 0
    for m in request.messages:
        for a in m.attachments:
            conn.execute("INSERT OR IGNORE INTO attachments(hash, mime, size, data, created) "
                         "VALUES (?, ?, ?, ?, ?)", (a.sha256, a.mime, a.size, a.data, now))
            conn.execute("INSERT OR IGNORE INTO exchange_attachments(exchange_id, position, "
                         "hash, source) VALUES (?, ?, ?, ?)",
                         (exchange_id, position, a.sha256, a.source))
            position += 1


def forget(conn: sqlite3.Connection, exchange_id: int) -> None:
    """Delete the exchange's links, then the texts and bytes no other exchange names (inside
    the caller's transaction, before the exchange itself is deleted)."""
    for link, table in (("exchange_fragments", "fragments"),
                        ("exchange_attachments", "attachments")):
        hashes = [r[0] for r in conn.execute(
            f"SELECT DISTINCT hash FROM {link} WHERE exchange_id = ?", (exchange_id,))]
        conn.execute(f"DELETE FROM {link} WHERE exchange_id = ?", (exchange_id,))
        for h in hashes:
            conn.execute(f"DELETE FROM {table} WHERE hash = ? AND NOT EXISTS "
                         f"(SELECT 1 FROM {link} WHERE hash = ?)", (h, h))


def fragments_of(conn: sqlite3.Connection, exchange_id: int) -> list[dict[str, Any]]:
    """The exchange's fragments in order: source, role, sha256, content."""
    rows = conn.execute(
        "SELECT ef.source, ef.role, ef.hash, f.content FROM exchange_fragments ef "
        "JOIN fragments f ON f.hash = ef.hash WHERE ef.exchange_id = ? ORDER BY ef.position",
        (exchange_id,)).fetchall()
    return [{"source": r[0], "role": r[1], "sha256": r[2], "content": r[3]} for r in rows]


def attachments_of(conn: sqlite3.Connection, exchange_id: int) -> list[dict[str, Any]]:
    """The exchange's attachments in order, without their bytes."""
    rows = conn.execute(
        "SELECT ea.source, a.mime, a.size, ea.hash FROM exchange_attachments ea "
        "JOIN attachments a ON a.hash = ea.hash WHERE ea.exchange_id = ? ORDER BY ea.position",
        (exchange_id,)).fetchall()
    return [{"source": r[0], "mime": r[1], "size": r[2], "sha256": r[3]} for r in rows]


def expand(conn: sqlite3.Connection, row: dict[str, Any]) -> dict[str, Any]:
    """The row as sent: references replaced by the fragments' blocks, attachments with their
    bytes (base64, as `Attachment` reads them from JSON)."""
    from llmcli.core.fragments import Fragment

    texts = [row.get("prompt"), row.get("system"), row.get("messages")]
    if not any(t and "{{llmcli:fragment:" in t for t in texts) and '"attachments"' not in (
            row.get("messages") or ""):
        return row
    blocks = {f["sha256"]: Fragment(source=f["source"], text=f["content"], role=f["role"]).block()
              for f in fragments_of(conn, int(row["id"]))}

    def put_back(text: str | None) -> str | None:
        if not text:
            return text
        return REF_PATTERN.sub(lambda m: blocks.get(m.group(1), m.group(0)), text)

    out = dict(row)
    out["prompt"] = put_back(row.get("prompt"))
    out["system"] = put_back(row.get("system"))
    if row.get("messages"):
        messages = json.loads(row["messages"])
        for m in messages:
            m["content"] = put_back(m.get("content"))
            for a in m.get("attachments") or []:
                got = conn.execute("SELECT data FROM attachments WHERE hash = ?",
                                   (a.get("sha256"),)).fetchone()
                if got is not None:
                    a["data"] = base64.b64encode(got[0]).decode("ascii")
                a.pop("sha256", None)
                a.pop("size", None)
        out["messages"] = json.dumps(messages, ensure_ascii=False)
    return out
