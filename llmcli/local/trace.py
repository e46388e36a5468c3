"""A recorded forward pass: what every layer did to every position, for inspection.

    t = trace(model, ids)
    t.attention[5][h]        # [n, n] weights of head h in block 5 (rows sum to 1, causal)
    t.residual_norms[:, -1]  # size of the last position's residual stream through the layers
    t.lens(model, layer=9)   # logit lens: what block 9's residual would predict next

The pass runs the same functions as generation (forward.py), on a fresh KV cache, with every
block recording its intermediate results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from llmcli.core.errors import InvalidInput
from llmcli.local import forward as fw
from llmcli.local.blas import blas_threads

if TYPE_CHECKING:
    from llmcli.local.model import LocalModel

# Attention weights take layers x heads x n x n floats: 1024 tokens is ~300 MB.
MAX_TRACE_TOKENS = 1024


@dataclass
class Trace:
    ids: np.ndarray  # [n] token ids
    layer_is_global: list[bool]  # which blocks attend globally (the rest use the window)
    sliding_window: int | None
    hidden_states: np.ndarray  # [layers+1, n, d]: residual after the embedding, then each block
    residual_norms: np.ndarray  # [layers+1, n]: L2 norm of hidden_states
    attention: list[np.ndarray]  # per block [heads, n, n], zero outside the causal/window mask
    attn_out: np.ndarray  # [layers, n, d]: what attention added to the residual (post-norm)
    ffn_out: np.ndarray  # [layers, n, d]: what the feed-forward added (post-norm)
    attn_out_norms: np.ndarray  # [layers, n]: L2 norm of attn_out
    ffn_out_norms: np.ndarray  # [layers, n]: L2 norm of ffn_out
    logits: np.ndarray  # [vocab] final logits of the last position

    @property
    def n_layers(self) -> int:
        return len(self.attention)

    def lens(self, model: LocalModel, layer: int, position: int = -1) -> np.ndarray:
        """Logit lens: final norm + output projection applied to the residual stream after
        `layer` blocks (0 = the embeddings, n_layers = the model's real output) -> [vocab]."""
        if not 0 <= layer <= self.n_layers:
            raise InvalidInput(f"layer must be in 0..{self.n_layers}, got {layer}")
        with blas_threads(1):
            return model.logits_from_hidden(self.hidden_states[layer, position])


def trace(model: LocalModel, ids: list[int] | np.ndarray) -> Trace:
    """Run one full forward pass over `ids` and record every block (at most 1024 tokens)."""
    array = model._check_ids(ids)
    if array.size == 0:
        raise InvalidInput("nothing to trace: the token list is empty")
    if array.size > MAX_TRACE_TOKENS:
        raise InvalidInput(
            f"trace takes at most {MAX_TRACE_TOKENS} tokens, got {array.size}",
            hint="shorten the text",
        )
    config, weights = model.config, model.weights
    cache = fw.KVCache(config, capacity=array.size)
    records: list[dict] = []
    with blas_threads(1):
        x0 = fw.embed(weights, array, config)
        x = fw.forward(weights, config, array, 0, cache, records)
        logits = model.logits_from_hidden(x[-1])
    hidden = np.stack([x0] + [r["hidden"] for r in records])
    attn_out = np.stack([r["attn_out"] for r in records])
    ffn_out = np.stack([r["ffn_out"] for r in records])
    return Trace(
        ids=array,
        layer_is_global=list(config.layer_is_global),
        sliding_window=config.sliding_window,
        hidden_states=hidden,
        residual_norms=np.linalg.norm(hidden, axis=-1),
        # One chunk from position 0: every block's keys start at 0, so weights are [H, n, n].
        attention=[r["attn_weights"] for r in records],
        attn_out=attn_out,
        ffn_out=ffn_out,
        attn_out_norms=np.linalg.norm(attn_out, axis=-1),
        ffn_out_norms=np.linalg.norm(ffn_out, axis=-1),
        logits=logits,
    )
