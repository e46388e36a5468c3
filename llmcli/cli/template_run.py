"""`llmcli prompt -t NAME`: render a template, run its technique, show reasoning and answer.

Single-call templates stream like a plain prompt (reasoning dimmed in a terminal when the
template extracts an answer); least-to-most and self-consistency run a chain of calls through
`run_exchange`, so each call is measured and logged with the template's name. In a pipe only
the answer (or final reply) reaches stdout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmcli.core.errors import InvalidInput, ProviderError

if TYPE_CHECKING:
    from llmcli.app_context import AppContext
    from llmcli.core.messages import Message
    from llmcli.core.registry import ModelRef
    from llmcli.core.response import Response
    from llmcli.templates.model import Template
    from llmcli.templates.render import Rendered
    from llmcli.templates.techniques import Outcome, Step


@dataclass
class PromptArgs:
    """The `prompt` command's arguments that matter here."""

    template: str | None
    text: str | None
    variables: list[str] | None
    examples: str | None
    model: str | None
    system: str | None
    option: list[str] | None
    no_stream: bool = False
    as_json: bool = False
    raw: bool = False
    plain: bool = False
    no_log: bool = False
    show_prompt: bool = False
    answer_only: bool = False
    samples: int | None = None
    hide_reasoning: bool = False
    cache: bool = False

    def hooks(self, env: Any, writer: Any) -> tuple[Any, dict[str, Any]]:
        """The writer and `run_exchange` keywords for --hide-reasoning and --cache."""
        from llmcli.cli.exchange_flags import exchange_hooks

        return exchange_hooks(env, writer, hide_reasoning=self.hide_reasoning, cache=self.cache)

    @property
    def wants_template(self) -> bool:
        """True when this invocation is handled here rather than by the plain prompt path."""
        return bool(self.template or self.variables or self.examples or self.show_prompt
                    or self.answer_only or self.samples)


def run_prompt(app: AppContext, args: PromptArgs) -> None:
    """Entry point from `llmcli prompt` when a template flag is present."""
    if args.template is None:
        if args.variables:
            raise InvalidInput("-v needs a template",
                               hint="add -t NAME; see 'llmcli templates list'")
        if args.answer_only or args.samples:
            flag = "--answer-only" if args.answer_only else "--samples"
            raise InvalidInput(f"{flag} needs a template that extracts an answer",
                               hint="e.g. -t chain-of-thought or -t self-consistency")
        if not args.examples:
            return _show_plain(app, args)
    from llmcli.cli.template_inputs import header, load, render_from_args
    from llmcli.core.options import parse_pairs
    from llmcli.exchange.request import validate_options

    # --examples alone: few-shot on the fly around the bare input.
    template = load(app, args.template or "zero-shot")
    rendered = render_from_args(app, template, text=args.text, variables=args.variables,
                                examples_file=args.examples, raw=args.raw, system=args.system)
    rendered.options.update(parse_pairs(args.option))
    from llmcli.templates.techniques import CHAINS, multi_call

    if args.samples and template.technique in CHAINS:
        raise InvalidInput(f"--samples does not apply to {template.technique} templates",
                           hint="use -t self-consistency, or any template with an answer marker")
    samples = args.samples or template.default_samples
    ref = app.registry.resolve(args.model or template.model)
    validate_options(ref, rendered.options)  # a bad option fails before anything is sent
    if args.show_prompt:
        return _show(app, args, rendered, header(rendered, str(ref), samples))
    if multi_call(template, samples):
        if template.json_schema is not None:
            raise InvalidInput(f"template '{template.name}' declares a schema, which needs a "
                               "single call", hint="drop --samples, or the template's schema")
        return _chain(app, args, rendered, ref, samples)
    if template.json_schema is not None:
        return _structured(app, args, rendered, ref)
    return _single(app, args, rendered, ref)


def _structured(app: AppContext, args: PromptArgs, rendered: Rendered, ref: ModelRef) -> None:
    """A template that declares a schema: one call, the reply validated, its document out."""
    from llmcli.cli.structured import send_and_print
    from llmcli.exchange.request import build_request
    from llmcli.exchange.schema import check_schema, parse_schema
    from llmcli.ui.console import warn_line

    t = rendered.template
    if isinstance(t.json_schema, str):
        schema = parse_schema(t.json_schema)
    else:
        schema = t.json_schema or {}
        check_schema(schema)
    request = build_request(ref, rendered.messages, rendered.options, raw=rendered.raw,
                            schema=schema, warn=lambda line: warn_line(app.env, line))
    send_and_print(app, ref, request, args, template=t.name)


# -- --show-prompt ------------------------------------------------------------------------------
def _show_plain(app: AppContext, args: PromptArgs) -> None:
    from llmcli.cli.inputs import combine, read_stdin, require_text
    from llmcli.core.messages import build_messages
    from llmcli.core.options import parse_pairs
    from llmcli.exchange.request import validate_options

    body = require_text(combine(read_stdin(app.env), args.text))
    ref = app.registry.resolve(args.model)
    options = validate_options(ref, parse_pairs(args.option)).set_values()
    messages = build_messages(body, system=args.system)
    opts = " ".join(f"{k}={v}" for k, v in options.items()) or "none"
    mode = "completion" if args.raw else "chat"
    head = [f"no template · mode: {mode} · model: {ref} · options: {opts}"]
    _print_messages(app, args, messages, head, options)


def _show(app: AppContext, args: PromptArgs, rendered: Rendered, head: list[str]) -> None:
    _print_messages(app, args, rendered.messages, head, rendered.options, rendered.template.name)


def _print_messages(app: AppContext, args: PromptArgs, messages: list[Message], head: list[str],
                    options: dict[str, Any], template: str | None = None) -> None:
    if args.as_json:
        from llmcli.ui.tables import print_json

        print_json(app.env, {"template": template, "mode": "completion" if args.raw else "chat",
                             "options": options, "messages": [m.model_dump() for m in messages],
                             "notes": head})
        return
    from llmcli.ui.templates_view import print_messages

    print_messages(app.env, messages, head)


# -- running -------------------------------------------------------------------------------------
def make_ask(app: AppContext, ref: ModelRef, *, raw: bool, log: bool, template: str):
    """`ask(messages, options) -> Response` for the techniques: one logged, measured call."""
    from llmcli.exchange.interactive import run_exchange
    from llmcli.exchange.request import build_request
    from llmcli.ui.exchange_display import TerminalDisplay
    from llmcli.ui.stream import NullWriter

    def ask(messages: list[Message], options: dict[str, Any]) -> Response:
        request = build_request(ref, messages, options, raw=raw)
        return run_exchange(app, ref, request, NullWriter(), TerminalDisplay(app.env, str(ref)),
                            log=log, template=template)

    return ask


def make_ask_all(app: AppContext, ref: ModelRef, *, raw: bool, log: bool, template: str):
    """`ask_all(calls, on_done) -> [Response]`: independent calls at once, within the
    provider's concurrency limit (exchange/concurrent.py), each logged as it ends."""
    from llmcli.exchange.concurrent import provider_jobs, run_concurrently
    from llmcli.exchange.request import build_request

    def ask_all(calls: list[tuple[list[Message], dict[str, Any]]], on_done: Any) -> list[Response]:
        requests = [build_request(ref, messages, options, raw=raw) for messages, options in calls]
        return run_concurrently(app, ref, requests, jobs=provider_jobs(app, ref.provider),
                                log=log, template=template, on_done=on_done)

    return ask_all


def _single(app: AppContext, args: PromptArgs, rendered: Rendered, ref: ModelRef) -> None:
    from llmcli.exchange.interactive import run_exchange
    from llmcli.exchange.request import build_request
    from llmcli.templates.techniques import Step, finish
    from llmcli.ui.exchange_display import TerminalDisplay
    from llmcli.ui.stream import NullWriter, reply_writer
    from llmcli.ui.templates_view import DimWriter

    t = rendered.template
    env = app.env
    request = build_request(ref, rendered.messages, rendered.options, raw=rendered.raw)
    quiet = args.as_json or args.no_stream or args.answer_only or t.format == "json"
    if quiet:
        writer = NullWriter()
    elif t.extract is not None:
        writer = DimWriter(env, _markers(t))
    else:
        writer = reply_writer(env, markdown=not args.plain)
    dim = writer if isinstance(writer, DimWriter) else None  # before any wrapper below
    if rendered.completes_examples:
        from llmcli.ui.stream import TrimWriter

        writer = TrimWriter(writer)
    writer, hooks = args.hooks(env, writer)
    response = run_exchange(app, ref, request, writer, TerminalDisplay(env, str(ref)),
                            stream=not args.no_stream, log=not args.no_log, template=t.name,
                            **hooks)
    try:
        outcome = finish(rendered, [Step("call", "reply", rendered.messages, response)])
    except ProviderError as exc:  # a json template's reply that does not parse: show it
        env.stderr.write(response.text.rstrip("\n") + "\n")
        env.stderr.flush()
        raise ProviderError(f"{exc.message} (the raw reply is on stderr)",
                            hint="lower the temperature or try a larger model") from None
    if rendered.completes_examples:
        outcome.text = outcome.text.strip()
        if t.extract is None:  # the label is the answer
            outcome.answer = outcome.text
    if args.as_json:
        from llmcli.ui.tables import print_json

        data = response.model_dump(mode="json")
        data.update(template=t.name, answer=outcome.answer)
        if t.format == "json":
            data["data"] = outcome.data
        print_json(env, data)
        return
    held = dim.held if dim is not None else []
    _output(app, args, outcome, t, streamed=not quiet, held=held)


def _markers(template: Template) -> list[str]:
    """The answer markers of a template that extracts by marker (none for a regex)."""
    spec = template.extract
    return list(spec.marker or []) if spec is not None and spec.regex is None else []


def _output(app: AppContext, args: PromptArgs, outcome: Outcome, template: Template, *,
            streamed: bool, held: list[str] | None = None) -> None:
    """After the call(s): the JSON object, the bare answer, or the reply and its answer.
    In a terminal the answer is printed once: bold, not also inside the dimmed reasoning."""
    from llmcli.ui.templates_view import print_answer, print_dim, without_answer_lines

    env = app.env
    if outcome.data is not None:
        from llmcli.ui.tables import print_json

        print_json(env, outcome.data)
        return
    if args.answer_only:
        env.stdout.write(_answer_or_fail(outcome, template) + "\n")
        env.stdout.flush()
        return
    extracts = template.extract is not None
    if not streamed:
        if extracts:
            shown = outcome.text
            if outcome.answer and env.stdout_isatty:
                shown = without_answer_lines(shown, _markers(template))
            print_dim(env, shown)
        else:
            from llmcli.ui.stream import reply_writer

            writer = reply_writer(env, markdown=not args.plain)
            writer.start()
            writer.write(outcome.text)
            writer.finish()
    if extracts and env.stdout_isatty:
        if held and not outcome.answer:  # the held lines had no answer after all
            print_dim(env, "".join(held))
        if outcome.answer:
            print_answer(env, outcome.answer)
        else:
            from llmcli.ui.console import warn_line

            warn_line(env, "no final answer found in the reply (it has no answer marker)")


def _answer_or_fail(outcome: Outcome, template: Template) -> str:
    if outcome.answer:
        return outcome.answer
    if template.extract is None and outcome.vote is None:
        return outcome.text.strip()  # nothing to extract: the reply is the answer
    raise ProviderError("no final answer found in the reply (no answer marker)",
                        hint="the whole reply is in 'llmcli logs list'; try without --answer-only")


def step_title(step: Step) -> str:
    """How a step of a chain is titled on screen."""
    if step.kind == "decompose":
        return "Sub-questions"
    if step.kind in ("subquestion", "final"):
        return f"Q: {step.label}"
    if step.kind == "evaluate" and step.answer is not None:
        return f"{step.label} · score {step.answer}"
    return step.label


def _step_titles(step: Step, asked: int) -> tuple[str, str, str]:
    """Least-to-most in a terminal: (title, label of the reply, reply) for one step."""
    if step.kind == "decompose":
        return "Sub-questions", "", step.response.text
    if step.kind == "final":
        return f"Original question: {step.label}", "Reply", step.response.text
    return f"Sub-question {asked}: {step.label}", "Sub-answer", step.response.text


def _no_answer_in_samples(app: AppContext, outcome: Outcome) -> None:
    """No sample had an answer to vote on: their text on stderr, then a failure."""
    err = app.env.stderr
    for step in outcome.steps:
        err.write(f"--- {step.label} ---\n{step.response.text.strip()}\n")
    err.flush()
    raise ProviderError(f"no answer could be read from any of the {len(outcome.steps)} samples",
                        hint="their replies are above; the template's answer marker or regex "
                             "did not match them")


def _chain(app: AppContext, args: PromptArgs, rendered: Rendered, ref: ModelRef,
           samples: int) -> None:
    from llmcli.templates import techniques
    from llmcli.ui.templates_view import (
        print_answer,
        print_distribution,
        print_status,
        print_step,
        totals_line,
    )

    env = app.env
    t = rendered.template
    if samples > 1 and float(rendered.options.get("temperature", 1)) == 0:
        from llmcli.ui.console import warn_line

        warn_line(env, "temperature 0 makes every sample alike, so the vote means little; "
                       "try -o temperature=0.8")
    show_steps = env.stdout_isatty and not (args.as_json or args.answer_only)

    asked = 0

    def on_step(step: Step) -> None:
        nonlocal asked
        if step.kind == "sample":
            print_status(env, f"{step.label}: {step.answer or '(no answer)'}")
            return
        if step.kind == "subquestion":
            asked += 1
        if show_steps and step.kind in ("decompose", "subquestion", "final"):
            print_step(env, *_step_titles(step, asked))
        elif show_steps:
            print_step(env, step_title(step), "", step.response.text)
        else:
            label = step_title(step) if step.kind == "evaluate" else step.label
            print_status(env, f"{step.kind}: {label}")

    ask = make_ask(app, ref, raw=rendered.raw, log=not args.no_log, template=t.name)
    ask_all = make_ask_all(app, ref, raw=rendered.raw, log=not args.no_log, template=t.name)
    outcome = techniques.run(rendered, ask, samples=samples, on_step=on_step, ask_all=ask_all)
    if outcome.vote is not None and outcome.answer is None and not args.as_json:
        _no_answer_in_samples(app, outcome)
    if args.as_json:
        from llmcli.ui.tables import print_json

        print_json(env, {"template": t.name, "model": str(ref), **outcome.as_dict()})
        return
    if outcome.vote is not None:
        vote = outcome.vote.as_dict()
        if args.answer_only or not env.stdout_isatty:
            if not args.answer_only and env.stderr_isatty:
                print_distribution(env, vote, to_stderr=True)
            env.stdout.write(_answer_or_fail(outcome, t) + "\n")
            env.stdout.flush()
        else:
            print_distribution(env, vote)
            if outcome.answer:
                share = f"{vote['agreement']:.0%}"
                note = f"{vote['votes']} of {vote['samples']} samples agree ({share})"
                print_answer(env, outcome.answer, note + (", tied" if vote["tie"] else ""))
    elif show_steps and outcome.data is None:
        if outcome.answer:
            # the steps, final reply included, are shown
            print_answer(env, outcome.answer, label="Final answer")
    elif args.answer_only or outcome.data is not None:
        _output(app, args, outcome, t, streamed=True)
    else:
        env.stdout.write(outcome.text.strip() + "\n")  # a pipe gets the final reply
        env.stdout.flush()
    print_status(env, totals_line(outcome.totals()))
