"""`llmcli prompt --rag NAME "question"`: retrieve, ask with the context, list the sources.

Also the pieces `compare --rag` and `batch --rag` use: the rows of a comparison built from
retrieved context, and a batch builder that retrieves for every input.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmcli.core.errors import InvalidInput

if TYPE_CHECKING:
    from llmcli.cli.context import AppContext
    from llmcli.cli.template_run import PromptArgs
    from llmcli.core.messages import Message
    from llmcli.rag.retrieve import Retriever
    from llmcli.rag.search import Hit


@dataclass
class RagArgs:
    index: str
    top: int = 4
    mode: str = "hybrid"
    show_context: bool = False


def run_rag_prompt(app: AppContext, args: PromptArgs, rag: RagArgs) -> None:
    """Entry point from `llmcli prompt --rag`."""
    from llmcli.cli.inputs import combine, read_stdin, require_text
    from llmcli.cli.rag import check_mode, open_retriever
    from llmcli.cli.template_inputs import parse_vars
    from llmcli.core.options import parse_pairs, validate_options
    from llmcli.core.registry import provider_class
    from llmcli.rag import prompt as rp

    if args.samples or args.examples:
        flag = "--samples" if args.samples else "--examples"
        raise InvalidInput(f"{flag} does not combine with --rag",
                           hint="the rag template asks once, with the retrieved passages")
    check_mode(rag.mode)
    env = app.env
    question = require_text(combine(read_stdin(env), args.text))
    template = rp.load(args.template, app.paths)
    extra = parse_vars(args.variables, template)
    for taken in ("chunks", "input"):
        if taken in extra:
            raise InvalidInput(f"-v {taken}=... cannot be used with --rag",
                               hint="the question fills 'input' and the index fills 'chunks'")
    ref = app.registry.resolve(args.model or template.model)
    retriever = open_retriever(app, rag.index)
    try:
        hits = retriever.search(question, rag.top, rag.mode)  # type: ignore[arg-type]
    finally:
        retriever.close()
    rendered = rp.render_prompt(template, question, hits, mode="completion" if args.raw else "chat",
                                system=args.system, variables=extra)
    rendered.options.update(parse_pairs(args.option))
    options = validate_options(rendered.options, provider_class(ref.adapter).options_model)
    head = context_head(retriever, rag, ref)
    if args.show_prompt:
        _dry_run(app, args, rendered.messages, hits, head)
        return
    if rag.show_context and not args.as_json:
        from llmcli.ui.rag_view import print_context

        print_context(env, hits, head, rendered.messages)
    _ask(app, args, ref, rendered, options, hits, template.name or "rag")


def context_head(retriever: Retriever, rag: RagArgs, ref: Any = None) -> str:
    info = retriever.info
    to = f" -> {ref}" if ref is not None else ""
    return (f"context: {rag.top} from index '{info.name}' ({info.embed_model}, {rag.mode}, "
            f"{info.chunks} chunks){to}")


def _dry_run(app: AppContext, args: PromptArgs, messages: list[Message], hits: list[Hit],
             head: str) -> None:
    if args.as_json:
        from llmcli.ui.tables import print_json

        print_json(app.env, {"template": "rag", "messages": [m.model_dump() for m in messages],
                             "context": [h.to_json() for h in hits], "notes": [head]})
        return
    from llmcli.ui.templates_view import print_messages

    print_messages(app.env, messages, [head, *(f"[{h.rank}] {h.location}" for h in hits)])


def _ask(app: AppContext, args: PromptArgs, ref: Any, rendered: Any, options: Any,
         hits: list[Hit], template: str) -> None:
    from llmcli.cli.exchange import run_exchange
    from llmcli.core.messages import ChatRequest
    from llmcli.rag.prompt import Sources
    from llmcli.ui.rag_view import print_sources
    from llmcli.ui.stream import NullWriter, reply_writer

    env = app.env
    request = ChatRequest(model=ref.model, messages=rendered.messages, options=options,
                          raw=rendered.raw)
    quiet = args.as_json or args.no_stream or args.answer_only
    writer = NullWriter() if quiet else reply_writer(env, markdown=not args.plain)
    response = run_exchange(app, ref, request, writer, stream=not args.no_stream,
                            log=not args.no_log, spinner=True, template=template)
    sources = Sources.of(hits, response.text)
    if args.as_json:
        from llmcli.ui.tables import print_json

        data = response.model_dump(mode="json")
        data.update(template=template, context=[h.to_json() for h in hits],
                    sources=sources.to_json(), cited=sources.cited,
                    uncited_numbers=sources.unknown)
        print_json(env, data)
        return
    if args.answer_only or args.no_stream:
        final = reply_writer(env, markdown=not args.plain and not args.answer_only)
        final.start()
        final.write(response.text)
        final.finish()
        if args.answer_only:
            return
    print_sources(env, sources.lines(), sources.cited)


# -- compare --rag -------------------------------------------------------------------------------
def rag_variants(app: AppContext, index: str, texts: list[str], templates: list[str], *,
                 system: str | None, top: int = 4, mode: str = "hybrid") -> list[Any]:
    """Rows of a comparison: each question with its retrieved context, through the rag
    template (or each -t given, which must take `chunks`). Every model sees the same context."""
    from llmcli.cli.rag import check_mode, open_retriever
    from llmcli.compare.grid import PromptVariant, variant_labels
    from llmcli.core.messages import Message
    from llmcli.rag import prompt as rp
    from llmcli.ui.console import warn_line

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
    for text, hits in zip(texts, found, strict=True):
        where = ", ".join(f"[{h.rank}] {h.location}" for h in hits)
        warn_line(app.env, f"context for '{_short(text)}' from '{index}': {where}")
    return rows


def _short(text: str, n: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


# -- batch --rag ---------------------------------------------------------------------------------
class RagBuilder:
    """Builds each batch input's messages with context retrieved for its prompt.

    The batch runner may call `build` from another thread than the one that made the builder,
    so the builder opens its own database connection and serialises retrieval."""

    extracts = False

    def __init__(self, app: AppContext, index: str, *, template: str | None = None,
                 system: str | None = None, top: int = 4, mode: str = "hybrid",
                 dry_run: bool = False):
        from llmcli.cli.rag import check_mode, open_retriever
        from llmcli.rag import prompt as rp

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


# -- chat /rag -----------------------------------------------------------------------------------
class ChatRag:
    """`/rag NAME` in chat: each message is sent with passages retrieved for it, through the
    rag template laid out as one user turn (like /template), and the sources follow the reply."""

    def __init__(self, app: AppContext, index: str, top: int = 4, mode: str = "hybrid"):
        from llmcli.cli.rag import check_mode, open_retriever
        from llmcli.rag import prompt as rp

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
        from llmcli.chat.session import Outcome
        from llmcli.core.errors import LlmcliError
        from llmcli.rag.prompt import Sources, render_prompt

        try:
            hits = self.retriever.search(text, self.top, self.mode)  # type: ignore[arg-type]
            rendered = render_prompt(self.template, text, hits, mode="completion")
        except LlmcliError as exc:
            ui.error(exc.one_line())
            return Outcome("error", error=exc)
        outcome = session._exchange(rendered.messages[0].content, ui, None,
                                    dict(rendered.options))
        if outcome.response is not None:
            sources = Sources.of(hits, outcome.response.text)
            ui.note("sources: " + "; ".join(sources.lines()))
        return outcome

    def close(self) -> None:
        self.retriever.close()
