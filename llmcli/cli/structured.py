"""`llmcli prompt --schema | --regex | --choice`: one exchange whose reply must be a JSON
document valid against a schema (stdout gets the document, one line, ready for jq), or text
matching a regular expression or one of a list of options (stdout gets the text). A reply that
does not validate gets one error line, its raw text on stderr, and exit code 15."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmcli.app_context import AppContext
    from llmcli.cli.input_options import Inputs
    from llmcli.cli.template_run import PromptArgs
    from llmcli.core.messages import ChatRequest
    from llmcli.core.registry import ModelRef


@dataclass(frozen=True)
class Constraint:
    schema: str | None = None
    schema_multi: str | None = None
    regex: str | None = None
    choice: str | None = None

    def regex_pattern(self) -> str | None:
        from llmcli.core.errors import InvalidInput
        from llmcli.exchange.schema import check_regex, choice_regex

        if self.regex is not None and self.choice is not None:
            raise InvalidInput("give --regex or --choice, not both")
        if (self.regex or self.choice) is not None and (self.schema or self.schema_multi):
            raise InvalidInput("--schema does not combine with --regex or --choice")
        if self.choice is not None:
            return check_regex(choice_regex(self.choice))
        return check_regex(self.regex) if self.regex is not None else None


def run_structured(app_ctx: AppContext, args: PromptArgs, constraint: Constraint,
                   inputs: Inputs | None = None) -> None:
    from llmcli.cli.inputs import combine, read_stdin, require_text
    from llmcli.cli.schema_input import load_schema, saved
    from llmcli.core.messages import build_messages
    from llmcli.core.options import parse_pairs
    from llmcli.exchange.request import resolve_request
    from llmcli.ui.console import warn_line

    env = app_ctx.env
    pattern = constraint.regex_pattern()
    json_schema = load_schema(constraint.schema, constraint.schema_multi, saved(app_ctx))
    stdin_used = inputs is not None and inputs.stdin_used
    body = combine(None if stdin_used else read_stdin(env), args.text)
    if not inputs:
        body = require_text(body)
    ref, request = resolve_request(
        app_ctx.registry, args.model, build_messages(body, system=args.system),
        parse_pairs(args.option), raw=args.raw, schema=json_schema,
        warn=lambda line: warn_line(env, line), regex=pattern,
        fragments=inputs.fragments if inputs else (),
        attachments=inputs.attachments if inputs else ())
    send_and_print(app_ctx, ref, request, args, as_text=pattern is not None)


def send_and_print(app_ctx: AppContext, ref: ModelRef, request: ChatRequest, args: PromptArgs,
                   *, as_text: bool = False, template: str | None = None) -> None:
    """Run a constrained request and print its document (or text with `as_text`); a reply
    that does not validate goes to stderr raw before the error line."""
    from llmcli.core.errors import SchemaMismatch
    from llmcli.exchange.interactive import run_exchange
    from llmcli.ui.exchange_display import TerminalDisplay
    from llmcli.ui.stream import NullWriter
    from llmcli.ui.tables import print_json

    env = app_ctx.env
    try:
        # Never streamed: the document is printed whole once it validates, and Groq's docs
        # have said structured outputs do not stream.
        writer, hooks = args.hooks(env, NullWriter())
        response = run_exchange(app_ctx, ref, request, writer,
                                TerminalDisplay(env, str(ref)), stream=False,
                                log=not args.no_log, template=template, **hooks)
    except SchemaMismatch as exc:
        reply = exc.response.text if exc.response is not None else ""
        env.stderr.write(reply + ("" if reply.endswith("\n") else "\n"))
        # here; batch and compare keep it in the record
        exc.hint = "; ".join(h for h in (exc.hint, "the raw reply is on stderr") if h)
        raise
    if args.as_json:
        extra = {"template": template} if template else {}
        print_json(env, {**response.model_dump(mode="json"), **extra, "data": response.data})
    else:
        text = response.text if as_text else json.dumps(response.data, ensure_ascii=False)
        env.stdout.write(text + "\n")
        env.stdout.flush()
