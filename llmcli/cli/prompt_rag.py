"""`llmcli prompt --rag NAME "question"`: retrieve, ask with the context, list the sources.

The other commands' retrieval lives with them: compare/rag_rows.py, batch/rag_builder.py and
chat/rag_mode.py; opening an index is rag/access.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmcli.core.errors import InvalidInput

if TYPE_CHECKING:
    from llmcli.app_context import AppContext
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
    from llmcli.cli.template_inputs import parse_vars
    from llmcli.core.options import parse_pairs
    from llmcli.exchange.request import validate_options
    from llmcli.rag import prompt as rp
    from llmcli.rag.access import check_mode, open_retriever

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
    options = validate_options(ref, rendered.options)
    head = context_head(retriever, rag, ref)
    if args.show_prompt:
        _dry_run(app, args, rendered.messages, hits, head)
        return
    if rag.show_context and not args.as_json:
        from llmcli.ui.rag_view import print_context

        print_context(env, hits, head, rendered.messages)
    _ask(app, args, ref, rendered, options, hits, template.name or "rag", question)


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
         hits: list[Hit], template: str, question: str) -> None:
    from llmcli.exchange.interactive import run_exchange
    from llmcli.exchange.request import build_request
    from llmcli.rag.prompt import Sources
    from llmcli.ui.exchange_display import TerminalDisplay
    from llmcli.ui.rag_view import print_sources
    from llmcli.ui.stream import NullWriter, reply_writer

    env = app.env
    request = build_request(ref, rendered.messages, options, raw=rendered.raw)
    quiet = args.as_json or args.no_stream or args.answer_only
    writer = NullWriter() if quiet else reply_writer(env, markdown=not args.plain)
    writer, hooks = args.hooks(env, writer)
    response = run_exchange(app, ref, request, writer, TerminalDisplay(env, str(ref)),
                            stream=not args.no_stream, log=not args.no_log, template=template,
                            prompt=question, **hooks)  # the log shows the question
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
