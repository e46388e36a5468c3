"""Per-model scripted replies on the loopback provider stubs: latency, pieces, token counts."""

from __future__ import annotations

import re
import sqlite3
import threading
from typing import Any

from llmcli.config import Paths

_lock = threading.Lock()
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def model_of(stub: Any, req: Any) -> str:
    if hasattr(stub, "model_of"):
        return stub.model_of(req)
    return str((req.body or {}).get("model", ""))


Table = dict[str, dict[str, Any]]


def per_model(stub: Any, table: Table, n: int = 60) -> Table:
    """Queue `n` streamed replies; each looks up its model in `table` for `delay` (before the
    first byte), `chunk_delay` (after every SSE event), `chunks`, `prompt_tokens`,
    `completion_tokens`; `first` is a list of stub replies (Hang(), stub.rate_limited()...)
    given to that model's first requests before the streams start. The table is read at each
    request, so a test may change it after a fixture set it up; it is returned for that."""

    def reply(req: Any) -> Any:
        spec = table.get(model_of(stub, req), {})
        with _lock:
            queued = spec.get("first")
            early = queued.pop(0) if queued else None
        if early is not None:
            return early
        return _stream(stub, req, spec)

    stub.script("chat", *([reply] * n))
    return table


def _stream(stub: Any, req: Any, spec: dict[str, Any]) -> Any:
    with _lock:
        saved = (stub.chunks, stub.prompt_tokens, stub.completion_tokens)
        stub.chunks = spec.get("chunks", stub.chunks)
        stub.prompt_tokens = spec.get("prompt_tokens", stub.prompt_tokens)
        stub.completion_tokens = spec.get("completion_tokens", stub.completion_tokens)
        try:
            sse = stub.stream(req)
        finally:
            stub.chunks, stub.prompt_tokens, stub.completion_tokens = saved
    sse.delay = spec.get("delay", 0.0)
    sse.chunk_delay = spec.get("chunk_delay", 0.0)
    return sse


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def final_screen(text: str) -> str:
    """What stays on a terminal after the live region is cleared: the text after the last
    erase-line code, without colour codes."""
    cut = max(text.rfind("\x1b[2K"), text.rfind("\x1b[?25h"))
    tail = text[cut:] if cut >= 0 else text
    return strip_ansi(tail)


def rows(table: str = "exchanges") -> list[dict]:
    conn = sqlite3.connect(Paths.from_env().logs_db)
    conn.row_factory = sqlite3.Row
    out = [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY id")]
    conn.close()
    return out
