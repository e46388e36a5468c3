"""`/rag NAME` in chat: each message asked with passages retrieved for it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmcli.app_context import AppContext


class ChatRag:
    """`/rag NAME` in chat: each message is sent with passages retrieved for it, through the
    rag template laid out as one user turn (like /template), and the sources follow the reply."""

    def __init__(self, app: AppContext, index: str, top: int = 4, mode: str = "hybrid"):
        from llmcli.rag import prompt as rp
        from llmcli.rag.access import check_mode, open_retriever

        check_mode(mode)
        self.template = rp.load(None, app.paths)
        self.retriever = open_retriever(app, index)
        self.top, self.mode = top, mode

    @property
    def name(self) -> str:
        return self.retriever.info.name

    def describe(self) -> str:
        info = self.retriever.info
        return (f"'{info.name}' ({info.embed_model}, {info.chunks} chunks): {self.top} passages "
                f"per message, {self.mode}")

    def send(self, session: Any, text: str, ui: Any) -> Any:
        from llmcli.chat.turns import SendOutcome
        from llmcli.core.errors import LlmcliError
        from llmcli.rag.prompt import Sources, render_prompt

        try:
            hits = self.retriever.search(text, self.top, self.mode)  # type: ignore[arg-type]
            rendered = render_prompt(self.template, text, hits, mode="completion")
        except LlmcliError as exc:
            ui.error(exc.one_line())
            return SendOutcome("error", error=exc)
        outcome = session._exchange(rendered.messages[0].content, ui, None,
                                    dict(rendered.options), asked=text)
        if outcome.response is not None:
            sources = Sources.of(hits, outcome.response.text)
            ui.note("sources: " + "; ".join(sources.lines()))
        return outcome

    def close(self) -> None:
        self.retriever.close()
