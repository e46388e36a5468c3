"""Model-inside commands: `next` (next-token probabilities) and the `inspect` group
(`embedding`, `attention`, `layers`) over the local numpy model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from llmcli.cli.app import app
from llmcli.cli.context import TIMEOUT_HELP, app_context
from llmcli.cli.flags import key_option, png_option, top_option

if TYPE_CHECKING:
    from llmcli.app_context import AppContext
    from llmcli.core.registry import ModelRef

inspect_app = typer.Typer(
    name="inspect",
    help="Look inside the local model: token embeddings, attention, every layer.\n\n"
    "Example: llmcli inspect layers 'The capital of France is'",
    no_args_is_help=True,
)
app.add_typer(inspect_app, name="inspect")

LOCAL_HELP = "Local model (default: the built-in Gemma 3 270M)."


def _local(app_ctx: AppContext, spec: str | None) -> tuple[ModelRef, Any, Any]:
    """(ref, LocalModel, Tokenizer) of a local model, or a clear error for a remote one."""
    from llmcli.inspect.local_access import local_model, local_tokenizer, require_local

    ref = app_ctx.registry.resolve(spec or "local")
    require_local(ref, "this view")
    return ref, local_model(app_ctx.registry, ref), local_tokenizer(app_ctx.registry, ref)


def _emit(app_ctx: AppContext, view: Any, as_json: bool, render: Any, png: Path | None,
          draw: Any) -> None:
    from llmcli.ui.tables import print_json

    if png is not None:
        draw(png)
    if as_json:
        print_json(app_ctx.env, view.to_json())
    else:
        render(app_ctx.env, view)
    if png is not None:
        from llmcli.ui.console import warn_line

        warn_line(app_ctx.env, f"saved {png}")


# -- next --------------------------------------------------------------------------------------
@app.command("next")
def next_token(
    ctx: typer.Context,
    timeout: float | None = typer.Option(None, "--timeout", min=0.001, max=3600,
                                         help=TIMEOUT_HELP),
    key: str | None = key_option(),
    text: str = typer.Argument(..., help="The text to continue (sent as is, no chat template)."),
    model: str | None = typer.Option(None, "-m", "--model", help="Model (default: local)."),
    top: int = top_option(10, "likeliest tokens per step"),
    option: list[str] | None = typer.Option(
        None, "-o", "--option",
        help="Sampling option key=value: temperature, top_k, top_p, min_p, "
        "repetition_penalty, seed."),
    steps: int | None = typer.Option(
        None, "--steps", help="Generate N tokens, showing each distribution (with --beam: "
        "the most tokens, default 10)."),
    beam: int | None = typer.Option(
        None, "--beam", help="Beam search with N beams (local): the beams kept and pruned at "
        "each step, beside greedy and sampled decoding; -o length_penalty=X (default 1)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    png: Path | None = png_option(),
    schema: str | None = typer.Option(
        None, "--schema", help="Local: constrain to this JSON Schema (a file, inline JSON or "
        "'name, age int'); a grammar stage shows what its mask removes."),
) -> None:
    """The most likely next tokens as bars, before and after temperature, top-k and top-p,
    and the token sampling picks.

    Example: llmcli next "The capital of France is" --top 10 -o temperature=0.7 --steps 3
    """
    from llmcli.core.options import parse_pairs
    from llmcli.inspect import nexttoken as nt
    from llmcli.inspect.local_access import is_local
    from llmcli.ui.model_view import render_next

    app_ctx = app_context(ctx, key, timeout=timeout)
    if beam is not None:
        if schema is not None:
            from llmcli.core.errors import InvalidInput

            raise InvalidInput("--beam does not combine with --schema")
        _beam_next(app_ctx, model, text, beam, steps, parse_pairs(option), as_json, png)
        return
    steps = 1 if steps is None else steps
    nt.check_counts(top, steps)
    ref = app_ctx.registry.resolve(model or "local")
    values = parse_pairs(option)
    if is_local(ref):
        from llmcli.inspect.local_access import sampling_params

        ref, lm, tok = _local(app_ctx, model)
        params, shown = sampling_params(app_ctx.registry, ref, values)
        grammar = None
        if schema is not None:
            from llmcli.cli.schema_input import load_schema, saved
            from llmcli.local.grammar import engine_for

            grammar = engine_for(tok).json_schema(load_schema(schema, None, saved(app_ctx)) or {})
        result = nt.local_next(lm, tok, text, params, model_name=str(ref), options=shown,
                               top=top, steps=steps, grammar=grammar)
    elif schema is not None:
        from llmcli.core.errors import Unsupported

        raise Unsupported("next --schema shows the grammar stage of the local model only",
                          hint="drop -m, or -m local")
    else:
        result = _remote_next(app_ctx, ref, text, values, top, steps)

    def draw(path: Path) -> None:
        from llmcli.ui.png import bars_png

        step = result.steps[0]
        groups = [(name, [r.piece for r in step.top], [r.probs.get(name, 0.0) for r in step.top])
                  for name in step.stages]
        bars_png(path, groups, title=f"{result.model}: next token after {text!r}",
                 highlight=[step.chosen_piece] * len(groups))

    _emit(app_ctx, result, as_json, render_next, png, draw)


def _beam_next(app_ctx: AppContext, model: str | None, text: str, width: int,
               steps: int | None, values: dict[str, Any], as_json: bool,
               png: Path | None) -> None:
    from llmcli.core.errors import InvalidInput
    from llmcli.inspect.local_access import sampling_params
    from llmcli.learn.explore_beam import DEFAULT_BEAM_STEPS, beam_view
    from llmcli.local.beam import check_width
    from llmcli.ui.explore_view import render_beam

    if png is not None:
        raise InvalidInput("--png does not draw beam search", hint="drop --png or --beam")
    check_width(width)
    max_tokens = DEFAULT_BEAM_STEPS if steps is None else steps
    if not 1 <= max_tokens <= 256:
        raise InvalidInput("--steps must be between 1 and 256")
    penalty = values.pop("length_penalty", None)
    ref, lm, tok = _local(app_ctx, model)
    params, shown = sampling_params(app_ctx.registry, ref, values)
    if penalty is not None:
        from llmcli.core.options import validate_options
        from llmcli.core.registry import provider_class

        options = validate_options({"length_penalty": penalty},
                                   provider_class(ref.adapter).options_model)
        penalty = options.set_values()["length_penalty"]
    view = beam_view(lm, tok, text, width, params, model_name=str(ref), options=shown,
                     max_tokens=max_tokens, length_penalty=penalty)
    _emit(app_ctx, view, as_json, render_beam, None, None)


def _remote_next(app_ctx: AppContext, ref: ModelRef, text: str, values: dict[str, Any],
                 top: int, steps: int) -> Any:
    """Next-token probabilities from a provider that returns log-probabilities."""
    from llmcli.core.errors import Unsupported
    from llmcli.core.events import TokenLogprobs
    from llmcli.core.messages import build_messages
    from llmcli.core.provider import Capability
    from llmcli.core.registry import provider_class, providers_with
    from llmcli.exchange.request import build_request, validate_options
    from llmcli.inspect import nexttoken as nt

    cls = provider_class(ref.adapter)
    if Capability.LOGPROBS not in cls.capabilities:
        raise Unsupported(
            f"provider '{ref.provider}' returns no token probabilities",
            hint="providers that do: " + (", ".join(providers_with(Capability.LOGPROBS))
                                          or "local"),
        )
    fields = cls.options_model.model_fields
    asked = {**values, "max_tokens": steps}
    if "top_logprobs" in fields:
        asked["top_logprobs"] = min(top, 20)
    options = validate_options(ref, asked)
    request = build_request(ref, build_messages(text), options)
    provider = app_ctx.registry.provider(ref)
    events = [e for e in provider.chat(request, stream=False) if isinstance(e, TokenLogprobs)]
    result = nt.NextResult(str(ref), text, options.set_values())
    result.steps = nt.logprob_steps(events[:steps], top=top)
    result.text = "".join(s.chosen_piece for s in result.steps)
    if not result.steps:
        raise Unsupported(f"{ref} sent no log-probabilities for this request",
                          hint="the server may not support them")
    return result


# -- inspect embedding ---------------------------------------------------------------------------
@inspect_app.command("embedding")
def embedding(
    ctx: typer.Context,
    words: list[str] = typer.Argument(..., help="Words (or any text) to look up."),
    model: str | None = typer.Option(None, "-m", "--model", help=LOCAL_HELP),
    top: int = top_option(8, "nearest tokens per word"),
    as_typed: bool = typer.Option(
        False, "--as-typed", help="Tokenize each word as typed ('cat'), not as inside a "
        "sentence (' cat', the default)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    png: Path | None = png_option(),
) -> None:
    """Each token's row of the embedding table and the vocabulary tokens nearest to it.

    Example: llmcli inspect embedding cat dog car gato
    """
    from llmcli.inspect.token_embedding import token_neighbours
    from llmcli.ui.inspect_view import render_token_neighbours

    app_ctx = app_context(ctx)
    ref, lm, tok = _local(app_ctx, model)
    view = token_neighbours(str(ref), lm.embedding_matrix(), tok, list(words), top=top,
                            space=not as_typed)

    def draw(path: Path) -> None:
        from llmcli.ui.png import heatmaps_png

        labels = [e.piece for e in view.entries]
        heatmaps_png(path, [{"values": view.similarity, "rows": labels, "cols": labels,
                             "title": "cosine similarity of embedding rows"}],
                     title=str(ref), cmap="RdBu_r", vmin=-1.0, vmax=1.0)

    _emit(app_ctx, view, as_json, render_token_neighbours, png, draw)


# -- inspect attention ---------------------------------------------------------------------------
@inspect_app.command("attention")
def attention(
    ctx: typer.Context,
    text: str = typer.Argument(..., help="The text to run through the model."),
    layer: int = typer.Option(0, "--layer", "-l", help="Layer (block) index; -1 is the last."),
    head: int | None = typer.Option(None, "--head", help="One head; default: every head."),
    from_token: str | None = typer.Option(
        None, "--from", help="A word of the text or a token index: where it attends in every "
        "layer."),
    skip_bos: bool = typer.Option(
        False, "--skip-bos", help="Leave out <bos>, which soaks up most attention, and rescale "
        "each row over the other tokens."),
    model: str | None = typer.Option(None, "-m", "--model", help=LOCAL_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    png: Path | None = png_option(),
) -> None:
    """Attention weights as a heatmap: who looks at whom, with the causal mask visible.

    Example: llmcli inspect attention "O gato subiu no telhado porque viu um pássaro" --layer 5
    """
    from llmcli.inspect import attention as at
    from llmcli.inspect.trace_data import trace_text
    from llmcli.ui import model_view

    app_ctx = app_context(ctx)
    ref, lm, tok = _local(app_ctx, model)
    trace = trace_text(lm, tok, text)
    if skip_bos:
        from llmcli.inspect.trace_data import without_first

        trace = without_first(trace)
    if from_token is not None:
        view: Any = at.attention_from(str(ref), trace, from_token, head)
        render = model_view.render_attention_from
    else:
        view = at.attention_map(str(ref), trace, layer, head)
        render = model_view.render_attention
    if skip_bos:
        view.note = (f"without the first token ({tok.readable(tok.bos_id)}): each row rescaled "
                     "to sum to 1 over the other tokens")

    def draw(path: Path) -> None:
        from llmcli.ui.png import heatmaps_png

        if from_token is not None:
            q = view.position
            values = [[view.weights[i][k] for i in range(len(view.weights))] for k in range(q + 1)]
            panels = [{"values": values, "rows": view.pieces[: q + 1],
                       "cols": [str(i) for i in range(len(view.weights))],
                       "title": f"attention from {view.pieces[q]!r} (columns: layers)"}]
        else:
            panels = [{"values": w, "rows": view.pieces, "cols": view.pieces,
                       "title": f"layer {view.layer} head {h}"}
                      for h, w in zip(view.heads, view.weights, strict=True)]
        heatmaps_png(path, panels, title=str(ref))

    _emit(app_ctx, view, as_json, render, png, draw)


# -- inspect layers ------------------------------------------------------------------------------
@inspect_app.command("layers")
def layers(
    ctx: typer.Context,
    text: str = typer.Argument(..., help="The text to run through the model."),
    position: int = typer.Option(-1, "--pos", help="Token position to look at (-1: the last)."),
    top: int = top_option(5, "logit-lens guesses per layer"),
    model: str | None = typer.Option(None, "-m", "--model", help=LOCAL_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    png: Path | None = png_option(),
) -> None:
    """Per layer: residual-stream norm, what attention and the feed-forward added, and what the
    model would predict if it stopped there (logit lens).

    Example: llmcli inspect layers "The capital of France is"
    """
    from llmcli.core.errors import InvalidInput
    from llmcli.inspect.layers import layers_view
    from llmcli.inspect.trace_data import trace_text
    from llmcli.ui.model_view import render_layers

    app_ctx = app_context(ctx)
    if top < 1:
        raise InvalidInput("--top must be at least 1")
    ref, lm, tok = _local(app_ctx, model)
    trace = trace_text(lm, tok, text)
    n = len(trace.ids)
    if not -n <= position < n:
        raise InvalidInput(f"position {position} is outside 0..{n - 1}")
    view = layers_view(str(ref), lm, tok, trace, position, top)

    def draw(path: Path) -> None:
        from llmcli.ui.png import lines_png

        x = [r.layer for r in view.rows]
        top = view.final[0].piece if view.final else "?"
        lines_png(path, x, [
            {"series": {"residual norm": [r.residual_norm for r in view.rows],
                        "attention added": [r.attn_norm for r in view.rows],
                        "feed-forward added": [r.ffn_norm for r in view.rows]},
             "ylabel": "L2 norm"},
            {"series": {f"p({top}) in the logit lens": [r.final_prob for r in view.rows]},
             "ylabel": "probability", "ylim": (0, 1.1),
             "notes": [r.lens[0].piece if r.lens else "" for r in view.rows]},
        ], title=f"{ref}: position {view.position} {view.pieces[view.position]!r}",
            xlabel="layer")

    _emit(app_ctx, view, as_json, render_layers, png, draw)
