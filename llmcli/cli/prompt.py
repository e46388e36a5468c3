"""`llmcli prompt`: one-shot prompts that fit shell pipelines."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from llmcli.cli import tool_flags as tf
from llmcli.cli.app import app
from llmcli.cli.context import KEY_HELP, TIMEOUT_HELP, app_context
from llmcli.cli.exchange_flags import cache_option, hide_reasoning_option
from llmcli.cli.flags import PROMPT_ARG_HELP, dry_run_option
from llmcli.cli.input_options import attach_option, fragment_option, system_fragment_option
from llmcli.cli.schema_input import SCHEMA_HELP, SCHEMA_MULTI_HELP

if TYPE_CHECKING:
    from llmcli.cli.context import AppContext
    from llmcli.cli.template_run import PromptArgs
    from llmcli.core.messages import ChatRequest
    from llmcli.core.registry import ModelRef
    from llmcli.exchange.tool_loop import ToolSession

MODEL_HELP = "Model as provider:model, a provider, an alias or a named endpoint."


@app.command()
def prompt(
    ctx: typer.Context,
    timeout: float | None = typer.Option(None, "--timeout", min=0.001, max=3600,
                                         help=TIMEOUT_HELP),
    text: str | None = typer.Argument(None, help=PROMPT_ARG_HELP),
    model: str | None = typer.Option(None, "-m", "--model", help=MODEL_HELP),
    system: str | None = typer.Option(None, "-s", "--system", help="System prompt."),
    option: list[str] | None = typer.Option(
        None,
        "-o",
        "--option",
        help="Option key=value: temperature, top_p, top_k, max_tokens, seed, stop; "
        "per provider: reasoning_effort, reasoning_format, thinking_budget, thinking_level, "
        "service_tier.",
    ),
    no_stream: bool = typer.Option(False, "--no-stream", help="Wait for the whole reply."),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON object with text, usage, timings."
    ),
    raw: bool = typer.Option(
        False, "--raw", help="Completion mode: send the text as is (local model)."
    ),
    plain: bool = typer.Option(False, "--plain", help="No Markdown rendering in a terminal."),
    no_log: bool = typer.Option(False, "--no-log", help="Do not record this exchange."),
    key: str | None = typer.Option(
        None, "--key", help=KEY_HELP
    ),
    template: str | None = typer.Option(
        None, "-t", "--template", help="Template name (see 'llmcli templates list') or ./file.yaml."
    ),
    var: list[str] | None = typer.Option(
        None, "-v", "--var", help="Template variable name=value (repeatable); @file reads a file."
    ),
    examples: str | None = typer.Option(
        None, "--examples", help="Few-shot examples file (JSONL, CSV, YAML: input, output)."
    ),
    show_prompt: bool = dry_run_option("--show-prompt"),
    answer_only: bool = typer.Option(
        False, "--answer-only", help="Print only the extracted final answer (hide the reasoning)."
    ),
    samples: int | None = typer.Option(
        None, "--samples", min=1, max=64, help="Sample N replies, vote on the answer."
    ),
    rag: str | None = typer.Option(
        None, "--rag", help="Answer from this index's passages, citing them (see 'llmcli rag')."
    ),
    rag_top: int = typer.Option(4, "--rag-top", min=1, max=50, help="Passages to retrieve."),
    rag_mode: str = typer.Option("hybrid", "--rag-mode", help="hybrid, vector or keyword."),
    show_context: bool = typer.Option(
        False, "--show-context", help="With --rag: print what was retrieved and sent (stderr)."
    ),
    schema: str | None = typer.Option(None, "--schema", help=SCHEMA_HELP),
    schema_multi: str | None = typer.Option(None, "--schema-multi", help=SCHEMA_MULTI_HELP),
    regex: str | None = typer.Option(
        None, "--regex", help="Local model: the whole reply matches this regular expression."
    ),
    choice: str | None = typer.Option(
        None, "--choice", help="Local model: the reply is one of these comma-separated options."
    ),
    fragment: list[str] | None = fragment_option(),
    system_fragment: list[str] | None = system_fragment_option(),
    attach: list[str] | None = attach_option(),
    extract: bool = typer.Option(
        False, "-x", "--extract", help="Print only the first fenced code block of the reply."
    ),
    extract_last: bool = typer.Option(
        False, "--extract-last", help="Print only the last fenced code block of the reply."
    ),
    hide_reasoning: bool = hide_reasoning_option(),
    cache: bool = cache_option(),
    tool: list[str] | None = tf.tool_option(),
    functions: list[Path] | None = tf.functions_option(),
    chain_limit: int = tf.chain_limit_option(),
    tools_approve: bool = tf.approve_option(),
    tools_debug: bool = tf.debug_option(),
    tools_timeout: float = tf.timeout_option(),
) -> None:
    """Send one prompt and print the reply.

    Example: echo "long text" | llmcli prompt "summarise" -m groq -o temperature=0.2

    With a template: llmcli prompt -t chain-of-thought "Quanto é 17 x 23?" --answer-only

    From your files: llmcli prompt --rag receitas "Monte um almoço com 40 g de proteína"

    With files and images: llmcli prompt -f notes.md -a photo.jpg "what is missing?" -m gemini

    In a pipeline: llmcli prompt -x "a bash one-liner that counts lines in *.py" | sh

    With tools: llmcli prompt "Que horas são em Lisboa?" -T now -m groq
    """
    from llmcli.cli.inputs import combine, read_stdin, require_text
    from llmcli.core.messages import build_messages
    from llmcli.core.options import parse_pairs
    from llmcli.exchange.request import resolve_request

    app_ctx = app_context(ctx, key, timeout=timeout)
    env = app_ctx.env
    wants_inputs = bool(fragment or system_fragment or attach)
    wants_extract = extract or extract_last
    from llmcli.cli.template_run import PromptArgs, run_prompt

    targs = PromptArgs(
        template,
        text,
        var,
        examples,
        model,
        system,
        option,
        no_stream,
        as_json,
        raw,
        plain,
        no_log,
        show_prompt,
        answer_only,
        samples,
        hide_reasoning,
        cache,
    )
    templating = bool(template or var or examples or answer_only or samples)
    if (wants_inputs or wants_extract) and (rag is not None or show_context or templating):
        from llmcli.core.errors import InvalidInput

        raise InvalidInput("-f, --sf, -a and -x do not combine with templates or --rag yet",
                           hint="put the text in the prompt, or drop -t/--rag")
    targs_tools = tf.ToolArgs(tool, functions, chain_limit, tools_approve, tools_debug,
                              tools_timeout)
    constrained = any(v is not None for v in (schema, schema_multi, regex, choice))
    if targs_tools.wanted and (wants_extract or targs.wants_template or rag is not None
                               or show_context or constrained):
        from llmcli.core.errors import InvalidInput

        raise InvalidInput("-T and --functions do not combine with templates, --rag, -x, --schema, "
                           "--regex or --choice yet", hint="put the instructions in the prompt")
    if rag is not None or show_context:
        from llmcli.cli.prompt_rag import RagArgs, run_rag_prompt

        if rag is None:
            from llmcli.core.errors import InvalidInput

            raise InvalidInput("--show-context needs --rag NAME", hint="see 'llmcli rag list'")
        return run_rag_prompt(app_ctx, targs, RagArgs(rag, rag_top, rag_mode, show_context))
    from llmcli.cli.input_options import read_inputs

    inputs = read_inputs(app_ctx, fragment, system_fragment, attach)
    if any(v is not None for v in (schema, schema_multi, regex, choice)):
        from llmcli.cli.structured import Constraint, run_structured

        if wants_extract:
            from llmcli.core.errors import InvalidInput

            raise InvalidInput("-x does not combine with --schema, --regex or --choice",
                               hint="the reply is already the document")
        if targs.wants_template:
            from llmcli.core.errors import InvalidInput

            raise InvalidInput("--schema, --regex and --choice do not combine with templates yet",
                               hint="put the instructions in the prompt")
        return run_structured(app_ctx, targs, Constraint(schema, schema_multi, regex, choice),
                              inputs)
    if targs.wants_template and not (wants_inputs and not templating):
        return run_prompt(app_ctx, targs)
    body = combine(None if inputs.stdin_used else read_stdin(env), text)
    if not inputs:
        body = require_text(body)
    if targs_tools.wanted:
        from llmcli.exchange.request import check_tools

        check_tools(app_ctx.registry.resolve(model))  # refused before any MCP server starts
    with tf.open_tools(app_ctx, targs_tools) or nullcontext() as tool_set:
        specs = tool_set.toolbox.specs if tool_set is not None else None
        ref, request = resolve_request(app_ctx.registry, model,
                                       build_messages(body, system=system), parse_pairs(option),
                                       raw=raw, fragments=inputs.fragments,
                                       attachments=inputs.attachments, tools=specs)
        if show_prompt:  # --dry-run: what -f and -a make of the prompt, nothing sent
            from llmcli.ui.templates_view import print_messages

            atts = [f"attachment: {a.source} ({a.mime}, {a.size:,} bytes)"
                    for m in request.messages for a in m.attachments]
            return print_messages(env, request.messages, [f"model: {ref}", *atts])
        if wants_extract:
            from llmcli.cli.extract import run_extract

            return run_extract(app_ctx, ref, request, last=extract_last, as_json=as_json,
                               log=not no_log)
        session = tf.session(app_ctx, targs_tools, tool_set) if tool_set is not None else None
        send_prompt(app_ctx, ref, request, targs, tools=session)


def send_prompt(app_ctx: AppContext, ref: ModelRef, request: ChatRequest,
                args: PromptArgs, tools: ToolSession | None = None) -> None:
    """One request, its reply streamed to stdout (or printed whole, or as JSON); `tools` runs
    the model's tool calls (-T, --functions)."""
    from llmcli.exchange.interactive import run_exchange
    from llmcli.ui.exchange_display import TerminalDisplay
    from llmcli.ui.stream import NullWriter, reply_writer
    from llmcli.ui.tables import print_json

    env = app_ctx.env
    quiet = args.as_json or args.no_stream
    writer, hooks = args.hooks(env, NullWriter() if quiet else reply_writer(
        env, markdown=not args.plain))
    response = run_exchange(app_ctx, ref, request, writer, TerminalDisplay(env, str(ref)),
                            stream=not args.no_stream, log=not args.no_log, tools=tools,
                            **hooks)
    if args.as_json:
        print_json(env, response.model_dump(mode="json"))
    elif args.no_stream:
        final = reply_writer(env, markdown=not args.plain)
        final.start()
        final.write(response.text)
        final.finish()
