"""`batch --rag`: a builder that retrieves context for every input."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from llmcli.core.errors import InvalidInput

if TYPE_CHECKING:
    from llmcli.app_context import AppContext
    from llmcli.core.messages import Message


class RagBuilder:
    """Builds each batch input's messages with context retrieved for its prompt.

    The batch runner may call `build` from another thread than the one that made the builder,
    so the builder opens its own database connection and serialises retrieval."""

    extracts = False
    chained = False

    def __init__(self, app: AppContext, index: str, *, template: str | None = None,
                 system: str | None = None, top: int = 4, mode: str = "hybrid",
                 dry_run: bool = False):
        from llmcli.rag import prompt as rp
        from llmcli.rag.access import check_mode, open_retriever

        check_mode(mode)
        self.template = rp.load(template, app.paths)
        self.template_name = self.template.name or rp.TEMPLATE
        self.system, self.top, self.mode, self.dry_run = system, top, mode, dry_run
        self._lock = threading.Lock()
        self._conn = _thread_free_connection(app)
        self.retriever = open_retriever(app, index, conn=self._conn)
        self.retriever.close()  # no query cache: its connection is bound to this thread

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.template.options)

    def build(self, item: Any) -> list[Message]:
        from llmcli.rag.prompt import render_prompt

        variables = item.variables or {}
        question = item.prompt or variables.get("input") or variables.get("prompt")
        if not isinstance(question, str) or not question.strip():
            raise InvalidInput("empty 'prompt' (the question to retrieve context for)")
        extra = {k: v for k, v in variables.items()
                 if k not in ("prompt", "input", "chunks")}
        if self.dry_run:  # checks the records, embeds nothing (a paid model costs money)
            hits = []
        else:
            with self._lock:
                hits = self.retriever.search(question, self.top, self.mode)  # type: ignore[arg-type]
        return render_prompt(self.template, question, hits, system=item.system or self.system,
                             variables=extra).messages

    def extract(self, reply: str) -> str | None:
        return None

    def close(self) -> None:
        self.retriever.close()
        self._conn.close()


def _thread_free_connection(app: AppContext):
    from llmcli.store.db import connect

    return connect(app.paths.logs_db, any_thread=True)  # batch workers share it under a lock
