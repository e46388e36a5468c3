"""`llmcli prompt`: one-shot prompts that fit shell pipelines."""

from __future__ import annotations

import typer

from llmcli.cli.app import app
from llmcli.cli.context import KEY_HELP, TIMEOUT_HELP, app_context
from llmcli.cli.schema_input import SCHEMA_HELP, SCHEMA_MULTI_HELP

MODEL_HELP = "Model as provider:model, a provider, an alias or a named endpoint."


@app.command()
def prompt(
    ctx: typer.Context,
    timeout: float | None = typer.Option(None, "--timeout", min=0.001, max=3600,
                                         help=TIMEOUT_HELP),
    text: str | None = typer.Argument(None, help="The prompt. Piped stdin comes first."),
    model: str | None = typer.Option(None, "-m", "--model", help=MODEL_HELP),
    system: str | None = typer.Option(None, "-s", "--system", help="System prompt."),
    option: list[str] | None = typer.Option(
        None,
        "-o",
        "--option",
        help="Option key=value: temperature, top_p, top_k, max_tokens, seed, stop.",
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
    show_prompt: bool = typer.Option(
        False, "--show-prompt", "--dry-run", help="Print the messages to be sent; send nothing."
    ),
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
) -> None:
    """Send one prompt and print the reply.

    Example: echo "long text" | llmcli prompt "summarise" -m groq -o temperature=0.2

    With a template: llmcli prompt -t chain-of-thought "Quanto é 17 x 23?" --answer-only

    From your files: llmcli prompt --rag receitas "Monte um almoço com 40 g de proteína"
    """
    from llmcli.cli.inputs import combine, read_stdin, require_text
    from llmcli.core.messages import build_messages
    from llmcli.core.options import parse_pairs
    from llmcli.exchange.interactive import run_exchange
    from llmcli.exchange.request import resolve_request
    from llmcli.ui.exchange_display import TerminalDisplay
    from llmcli.ui.stream import NullWriter, reply_writer
    from llmcli.ui.tables import print_json

    app_ctx = app_context(ctx, key, timeout=timeout)
    env = app_ctx.env
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
    )
    if rag is not None or show_context:
        from llmcli.cli.prompt_rag import RagArgs, run_rag_prompt

        if rag is None:
            from llmcli.core.errors import InvalidInput

            raise InvalidInput("--show-context needs --rag NAME", hint="see 'llmcli rag list'")
        return run_rag_prompt(app_ctx, targs, RagArgs(rag, rag_top, rag_mode, show_context))
    if any(v is not None for v in (schema, schema_multi, regex, choice)):
        from llmcli.cli.structured import Constraint, run_structured

        if targs.wants_template:
            from llmcli.core.errors import InvalidInput

            raise InvalidInput("--schema, --regex and --choice do not combine with templates yet",
                               hint="put the instructions in the prompt")
        return run_structured(app_ctx, targs, Constraint(schema, schema_multi, regex, choice))
    if targs.wants_template:
        return run_prompt(app_ctx, targs)
    body = require_text(combine(read_stdin(env), text))
    ref, request = resolve_request(app_ctx.registry, model, build_messages(body, system=system),
                                   parse_pairs(option), raw=raw)
    quiet = as_json or no_stream
    writer = NullWriter() if quiet else reply_writer(env, markdown=not plain)
    response = run_exchange(app_ctx, ref, request, writer, TerminalDisplay(env, str(ref)),
                            stream=not no_stream, log=not no_log)
    if as_json:
        print_json(env, response.model_dump(mode="json"))
    elif no_stream:
        final = reply_writer(env, markdown=not plain)
        final.start()
        final.write(response.text)
        final.finish()
