"""`compare --rag`: the rows of a comparison built from retrieved context."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmcli.app_context import AppContext


def rag_variants(app: AppContext, index: str, texts: list[str], templates: list[str], *,
                 system: str | None, top: int = 4,
                 mode: str = "hybrid") -> tuple[list[Any], list[str]]:
    """Rows of a comparison: each question with its retrieved context, through the rag
    template (or each -t given, which must take `chunks`). Every model sees the same context.
    Also one line per question saying what was retrieved, for the face to show."""
    from llmcli.compare.grid import PromptVariant, variant_labels
    from llmcli.core.messages import Message
    from llmcli.rag import prompt as rp
    from llmcli.rag.access import check_mode, open_retriever

    check_mode(mode)
    names = list(dict.fromkeys(templates)) or [rp.TEMPLATE]
    loaded = {n: rp.load(n, app.paths) for n in names}
    retriever = open_retriever(app, index)
    try:
        found = [retriever.search(t, top, mode) for t in texts]  # type: ignore[arg-type]
    finally:
        retriever.close()
    rows = []
    for i, name, label in variant_labels(texts, names if templates else []):
        template = loaded[name or rp.TEMPLATE]
        rendered = rp.render_prompt(template, texts[i], found[i])
        messages = list(rendered.messages)
        if system:
            messages = [m for m in messages if m.role != "system"]
            messages.insert(0, Message(role="system", content=system))
        rows.append(PromptVariant(label, texts[i], tuple(messages),
                                  template=template.name or rp.TEMPLATE,
                                  options=dict(rendered.options)))
    notes = []
    for text, hits in zip(texts, found, strict=True):
        where = ", ".join(f"[{h.rank}] {h.location}" for h in hits)
        notes.append(f"context for '{_short(text)}' from '{index}': {where}")
    return rows, notes


def _short(text: str, n: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
