"""The one traced forward pass a tour is built from, and the choices it is seen through.

Everything the steps show is read from this run: the engine's detail trace (every
intermediate of every block, recorded inside llmcli.local.forward), its final logits, and the
KV cache it filled (the loop step decodes on from it). Nothing is recomputed in parallel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llmcli.core.errors import InvalidInput

MAX_TOUR_TOKENS = 64  # a tour reads token by token; longer texts belong in `inspect`
LOOP_TOKENS = 4  # tokens the loop step generates after the sampled one


@dataclass
class TourRun:
    model_name: str
    text: str
    model: Any  # llmcli.local.model.LocalModel
    tokenizer: Any
    trace: Any  # llmcli.local.trace.Trace with detail
    params: Any  # llmcli.local.sampling.SamplingParams
    options: dict[str, Any]  # the sampling options the user set
    layer: int
    head: int
    pos: int
    ids: list[int] = field(default_factory=list)
    pieces: list[str] = field(default_factory=list)
    sampler: Any = None  # one seeded sampler for the sampled token and the loop after it
    drawn: tuple[int, float] | None = None  # the sampled token and its log-prob, drawn once

    @property
    def config(self) -> Any:
        return self.model.config

    @property
    def n(self) -> int:
        return len(self.ids)

    def block(self, layer: int | None = None) -> dict[str, Any]:
        return self.trace.blocks[self.layer if layer is None else layer]

    def piece(self, token_id: int) -> str:
        return self.tokenizer.readable(int(token_id))


# What the tour samples with when the user sets nothing: enough randomness to show every filter.
TOUR_SAMPLING = {"temperature": 0.8, "top_k": 40, "top_p": 0.9, "seed": 0}


def start_run(model_name: str, model: Any, tokenizer: Any, text: str, params_for: Any,
              options: dict[str, Any], layer: int = 0, head: int | None = None,
              pos: int = -1) -> TourRun:
    """Tokenize `text` (with <bos>), trace it once with every intermediate kept, and check the
    chosen layer, head and position. `params_for(values)` turns sampling options into the
    engine's SamplingParams (the local provider's validation). Without a head, the tour
    follows the head of that layer that gives <bos> (the "attention sink") the least weight
    from the chosen token: the one with the most to show."""
    from llmcli.local.trace import trace

    if not text.strip():
        raise InvalidInput("nothing to explain: the text is empty",
                           hint='give a sentence, e.g. llmcli learn "O gato subiu no telhado"')
    ids = tokenizer.encode(text, add_bos=True)
    if len(ids) > MAX_TOUR_TOKENS:
        raise InvalidInput(f"the tour takes at most {MAX_TOUR_TOKENS} tokens, got {len(ids)}",
                           hint="use a shorter sentence (llmcli inspect takes long texts)")
    c = model.config
    if not -c.n_layers <= layer < c.n_layers:
        raise InvalidInput(f"--layer must be in 0..{c.n_layers - 1}, got {layer}")
    if head is not None and not 0 <= head < c.n_heads:
        raise InvalidInput(f"--head must be in 0..{c.n_heads - 1}, got {head}")
    if not -len(ids) <= pos < len(ids):
        raise InvalidInput(f"--pos must be in 0..{len(ids) - 1} (the text has {len(ids)} tokens "
                           f"with <bos>), got {pos}")
    values = {**TOUR_SAMPLING, **options}
    params = params_for(values)
    t = trace(model, ids, detail=True)
    from llmcli.local.sampling import Sampler

    layer, pos = layer % c.n_layers, pos % len(ids)
    if head is None:
        head = int(t.attention[layer][:, pos, 0].argmin()) if pos > 0 else 0
    return TourRun(model_name, text, model, tokenizer, t, params, options, layer,
                   head, pos, [int(i) for i in ids],
                   [tokenizer.readable(int(i)) for i in ids], Sampler(params))
