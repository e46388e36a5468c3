"""`llmcli explore`: the interactive token explorer on the local model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from llmcli.cli.app import app
from llmcli.cli.context import app_context
from llmcli.cli.flags import top_option

if TYPE_CHECKING:
    from llmcli.environment import Environment

MAX_TOP = 50


@app.command()
def explore(
    ctx: typer.Context,
    prompt: str = typer.Argument(..., help="The text to continue (as is, no chat template)."),
    model: str | None = typer.Option(None, "-m", "--model", help="Local model (default: local)."),
    top: int = top_option(8, "candidate tokens", high=MAX_TOP),
    option: list[str] | None = typer.Option(
        None, "-o", "--option",
        help="Sampling option key=value: temperature, top_k, top_p, min_p, "
        "repetition_penalty, seed."),
    seed: int | None = typer.Option(None, "--seed", help="Seed of the sampler (repeatable)."),
    lang: str | None = typer.Option(None, "--lang", help="pt or en (default: from the locale)."),
) -> None:
    """Generate one token at a time: see the candidates, their probabilities and the entropy;
    take the sampled token or pick another, type text, undo, save branches, compare them.

    Keys: Enter/n next, 1-9 pick, p N pick, t type, u undo, b branch, o open, c compare, q quit.
    In a pipe it reads the same commands from stdin, one per line (n, p 3, t TEXT, u, b NAME,
    o NAME, c, q), and prints plain text.

    Example: llmcli explore "O gato subiu no" -o temperature=0.8 --seed 1
    """
    from llmcli.core.errors import InvalidInput
    from llmcli.core.options import parse_pairs
    from llmcli.inspect.local_access import (
        local_model,
        local_tokenizer,
        require_local,
        sampling_params,
    )
    from llmcli.learn.explore_session import Explorer
    from llmcli.learn.explore_text import LANGS, TEXT, choose_lang

    app_ctx = app_context(ctx)
    env = app_ctx.env
    if lang is not None and lang not in LANGS:
        raise InvalidInput(f"unknown language '{lang}'", hint="use --lang pt or --lang en")
    if not 1 <= top <= MAX_TOP:
        raise InvalidInput(f"--top must be between 1 and {MAX_TOP}")
    language = choose_lang(lang, env.environ)
    registry = app_ctx.registry
    ref = registry.resolve(model or "local")
    require_local(ref, "explore")
    values = parse_pairs(option)
    if seed is not None:
        values["seed"] = seed
    params, shown = sampling_params(registry, ref, values)
    explorer = Explorer(local_model(registry, ref), local_tokenizer(registry, ref), prompt,
                        params, top)
    if env.stdin_isatty and env.stdout_isatty:
        _full_screen(env, explorer, TEXT[language], language, str(ref), shown)
    else:
        _scripted(env, explorer, language, str(ref), shown)


def _full_screen(env: Environment, explorer: Any, words: Any, lang: str, model: str,
                 options: dict[str, Any]) -> None:
    import shutil

    from llmcli.learn.explore_commands import run_command
    from llmcli.ui.explore_screen import run_screen
    from llmcli.ui.explore_view import final_state

    run_screen(explorer, words, lambda line: run_command(explorer, line, lang), model=model,
               options=options)
    # q: the full screen is gone with the alternate screen; the text and candidates stay
    width = max(40, env.width or shutil.get_terminal_size().columns)
    env.stdout.write(final_state(explorer, words, width, model=model, options=options) + "\n")
    env.stdout.flush()


def _scripted(env: Environment, explorer: Any, lang: str, model: str,
              options: dict[str, Any]) -> None:
    """Commands from stdin, one per line; after each, what happened and the new state."""
    import codecs

    from llmcli.learn.explore_commands import run_command
    from llmcli.learn.explore_text import TEXT, tr
    from llmcli.ui import explore_view as view

    words = TEXT[lang]
    width = max(40, env.width or 80)
    out = env.stdout

    def show(text: str) -> None:
        out.write(text + "\n")
        out.flush()

    def say(message: str) -> None:  # wrapped at words, to the width
        import textwrap

        show("\n".join(textwrap.wrap(message, width, break_on_hyphens=False)))

    say(view.settings_line(explorer, words, model, options))
    say(tr(lang, "help"))
    show("")
    show(view.plain_step(explorer, words, width))
    reader = codecs.getreader("utf-8")(env.stdin, errors="replace")
    for raw in reader:
        line = raw.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        show(f"\n> {line}")
        outcome = run_command(explorer, line, lang)
        for message in outcome.lines:
            say(message)
        if outcome.quit:
            return
        if outcome.compare:
            show(view.plain(view.compare_lines(explorer.compare(), words, width)).rstrip())
        elif not outcome.error and line.split()[0].lower() not in ("h", "?", "help", "b"):
            show(view.plain_step(explorer, words, width))
