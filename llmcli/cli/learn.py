"""`llmcli learn`: a guided tour of what the local Gemma 3 does with a sentence."""

from __future__ import annotations

from pathlib import Path

import typer

from llmcli.cli.app import app
from llmcli.cli.context import app_context


@app.command()
def learn(
    ctx: typer.Context,
    text: str | None = typer.Argument(None, help="The sentence to follow through the model."),
    lang: str | None = typer.Option(
        None, "--lang", help="pt or en (default: from LC_ALL / LC_MESSAGES / LANG)."),
    glossary: bool = typer.Option(
        False, "--glossary", help="Print the glossary (Portuguese notes ↔ English) and exit."),
    step: str | None = typer.Option(
        None, "--step", help="Start at (or, in a pipe, print only) this step: tokens, "
        "embedding, rope, attention, multihead, addnorm, ffn, layers, output, softmax, "
        "sampling, sampled, loop."),
    as_json: bool = typer.Option(False, "--json", help="Print every step's numbers as JSON."),
    html: Path | None = typer.Option(
        None, "--html", help="Write the whole tour as one offline HTML page to this file."),
    no_fullscreen: bool = typer.Option(
        False, "--no-fullscreen", help="One step per Enter instead of the full-screen tour."),
    option: list[str] | None = typer.Option(
        None, "-o", "--option", help="Sampling option key=value: temperature, top_k, top_p, "
        "seed (the tour's defaults: temperature=0.8 top_k=40 top_p=0.9 seed=0)."),
    layer: int = typer.Option(0, "--layer", "-l", help="Layer shown inside (-1: the last)."),
    head: int | None = typer.Option(
        None, "--head", help="Attention head shown (default: the one that looks least at "
        "<bos>)."),
    pos: int = typer.Option(-1, "--pos", help="Token position followed (-1: the last)."),
    model: str | None = typer.Option(None, "-m", "--model", help="Local model (default: the "
                                     "built-in Gemma 3 270M)."),
) -> None:
    """A step-by-step tour of the transformer on your sentence, with the real numbers of the
    run: tokens, embeddings, RoPE, attention, feed-forward, layers, softmax, sampling.

    Example: llmcli learn "O gato subiu no telhado"
    """
    from llmcli.core.errors import InvalidInput
    from llmcli.learn.texts import pick_lang, texts
    from llmcli.learn.tour import STEP_NAMES, check_step

    app_ctx = app_context(ctx)
    env = app_ctx.env
    language = pick_lang(lang, env.environ)
    if glossary:
        _glossary(env, language, as_json)
        return
    if text is None:
        raise InvalidInput("no sentence to follow",
                           hint='e.g. llmcli learn "O gato subiu no telhado"')
    start = STEP_NAMES.index(check_step(step)) if step else 0
    run = _run(app_ctx, model, text, option, layer, head, pos)
    from llmcli.learn.tour import build_tour

    steps = build_tour(run)
    meta = {"model": run.model_name, "text": text, "layer": run.layer, "head": run.head,
            "piece": run.pieces[run.pos]}
    header = texts(language).UI["model_line"].format(**meta)
    if html is not None:
        _write_html(app_ctx, html, run, steps, meta, language)
    chosen = [steps[start]] if step else steps
    if as_json:
        from llmcli.ui.tables import print_json

        print_json(env, {"model": run.model_name, "text": text, "lang": language,
                         "ids": run.ids, "layer": run.layer, "head": run.head, "pos": run.pos,
                         "steps": [s.to_json() for s in chosen]})
    elif html is not None:
        return
    elif not env.stdout_isatty:
        from llmcli.ui.learn_view import render_steps

        render_steps(env, chosen, language, header)
    elif env.stdin_isatty and not no_fullscreen:
        from llmcli.ui.learn_screen import run_fullscreen

        run_fullscreen(steps, language, header, start)
    else:
        from llmcli.ui.learn_screen import run_enter_mode

        run_enter_mode(env, steps, language, header, start)


def _run(app_ctx, model: str | None, text: str, option: list[str] | None, layer: int,
         head: int | None, pos: int):
    from llmcli.core.options import parse_pairs
    from llmcli.inspect.local_access import (
        local_model,
        local_tokenizer,
        require_local,
        sampling_params,
    )
    from llmcli.learn.run import start_run

    registry = app_ctx.registry
    ref = registry.resolve(model or "local")
    require_local(ref, "the tour")
    values = parse_pairs(option)
    _, chosen = sampling_params(registry, ref, values)  # validates what the user typed
    return start_run(str(ref), local_model(registry, ref), local_tokenizer(registry, ref), text,
                     lambda merged: sampling_params(registry, ref, merged)[0], chosen,
                     layer=layer, head=head, pos=pos)


def _write_html(app_ctx, path: Path, run, steps, meta, language: str) -> None:
    from llmcli.core.errors import InvalidInput
    from llmcli.learn.page_data import page_data
    from llmcli.ui.console import warn_line
    from llmcli.ui.learn_html import tour_html

    page = tour_html(steps, page_data(run), meta, language)
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}",
                           hint="choose a writable path for --html") from None
    warn_line(app_ctx.env, f"saved {path} ({len(page.encode('utf-8')) // 1024} KB)")


def _glossary(env, language: str, as_json: bool) -> None:
    if as_json:
        from llmcli.learn.glossary import TERMS
        from llmcli.ui.tables import print_json

        print_json(env, {"lang": language, "terms": [
            {"pt": t.pt, "en": t.en, "definition_pt": t.def_pt, "definition_en": t.def_en,
             "step": t.step} for t in TERMS]})
        return
    from llmcli.ui.learn_view import render_glossary

    render_glossary(env, language)
