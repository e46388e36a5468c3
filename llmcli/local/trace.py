"""A recorded forward pass: what every layer did to every position, for inspection.

    t = trace(model, ids)
    t.attention[5][h]        # [n, n] weights of head h in block 5 (rows sum to 1, causal)
    t.residual_norms[:, -1]  # size of the last position's residual stream through the layers
    t.lens(model, layer=9)   # logit lens: what block 9's residual would predict next

    t = trace(model, ids, detail=True)
    t.blocks[0]["q_rope"]    # [n, H, hd] block 0's queries after RoPE (every intermediate kept)
    t.continue_with(model, [next_id])   # decode on from the traced KV cache

The pass runs the same functions as generation (forward.py), on a fresh KV cache, with every
block recording its intermediate results; `detail` also keeps what happens inside attention and
the feed-forward (the guided tour's numbers). Generation never passes a recorder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from llmcli.core.errors import InvalidInput
from llmcli.local import forward as fw
from llmcli.local.blas import blas_threads

if TYPE_CHECKING:
    from llmcli.local.model import LocalModel

# Attention weights take layers x heads x n x n floats: 1024 tokens is ~300 MB.
MAX_TRACE_TOKENS = 1024
# A detail trace keeps every block's q/k/v, scores and feed-forward activations.
MAX_DETAIL_TOKENS = 256


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
    # With detail=True: per block, every intermediate (see forward.transformer_block), the
    # final-norm'd last hidden state, and the KV cache the pass filled (to decode on from it).
    blocks: list[dict[str, Any]] | None = None
    final_hidden: np.ndarray | None = None
    cache: fw.KVCache | None = field(default=None, repr=False)
    _fed: int = field(default=0, repr=False)  # positions fed after the trace (continue_with)

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

    def continue_with(self, model: LocalModel, ids: list[int]) -> np.ndarray:
        """Feed `ids` after the traced ones, reusing the pass's KV cache (no recomputation of
        the prefix) -> logits [vocab] of the last one. Needs a detail trace."""
        if self.cache is None:
            raise InvalidInput("this trace kept no KV cache (trace with detail=True)")
        start = int(self.ids.size) + self._fed
        with blas_threads(1):
            x = fw.forward(model.weights, model.config, np.asarray(ids, np.int64), start,
                           self.cache)
            self._fed += len(ids)
            return model.logits_from_hidden(x[-1])


def trace(model: LocalModel, ids: list[int] | np.ndarray, detail: bool = False) -> Trace:
    """Run one full forward pass over `ids` and record every block (at most 1024 tokens);
    `detail` keeps every intermediate of every block (~3 MB per token: short texts only)."""
    array = model._check_ids(ids)
    if array.size == 0:
        raise InvalidInput("nothing to trace: the token list is empty")
    limit = MAX_DETAIL_TOKENS if detail else MAX_TRACE_TOKENS
    if array.size > limit:
        raise InvalidInput(
            f"trace takes at most {limit} tokens, got {array.size}",
            hint="shorten the text",
        )
    config, weights = model.config, model.weights
    cache = fw.KVCache(config, capacity=array.size)
    records: list[dict] = []
    with blas_threads(1):
        x0 = fw.embed(weights, array, config)
        x = fw.forward(weights, config, array, 0, cache, records, detail=detail)
        final_hidden = fw.final_norm(weights, config, x[-1])
        logits = fw.output_logits(weights, final_hidden)
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
        blocks=records if detail else None,
        final_hidden=final_hidden if detail else None,
        cache=cache if detail else None,
    )
