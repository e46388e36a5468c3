"""One traced forward pass of the local numpy model, in the shape the views need.

Every array is for the whole prompt at once (one prefill from position 0), so attention maps
are square: query position i against key position j, zero where the mask forbids looking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmcli.core.errors import InvalidInput


@dataclass
class TraceData:
    ids: list[int]
    pieces: list[str]  # readable pieces, '▁' for spaces
    texts: list[str]  # the text each token contributes
    embedded: Any  # [n, d] scaled token embeddings: the residual stream before layer 0
    hidden: list[Any]  # per layer [n, d]: the residual stream after the block
    attn_out: list[Any]  # per layer [n, d]: what attention added (after its post-norm)
    ffn_out: list[Any]  # per layer [n, d]: what the feed-forward added
    attn: list[Any]  # per layer [H, n, n]
    is_global: list[bool]
    window: int | None  # sliding window of the local layers

    @property
    def n_layers(self) -> int:
        return len(self.hidden)

    @property
    def n_heads(self) -> int:
        return int(self.attn[0].shape[0])

    def masked(self, layer: int, q: int, k: int) -> bool:
        """True where position q cannot see position k in this layer."""
        if k > q:
            return True  # causal: no looking ahead
        return (not self.is_global[layer] and self.window is not None
                and q - k >= self.window)

    def layer_type(self, layer: int) -> str:
        return "global" if self.is_global[layer] else "local"


def trace_text(model: Any, tokenizer: Any, text: str, *, bos: bool = True) -> TraceData:
    """Tokenize `text` (with the model's BOS) and trace one forward pass."""
    ids = tokenizer.encode(text, add_bos=bos)
    if not ids:
        raise InvalidInput("nothing to trace: the text gives no tokens")
    return trace_ids(model, tokenizer, ids)


def trace_ids(model: Any, tokenizer: Any, ids: list[int]) -> TraceData:
    """Trace the pass with the engine's recorder (llmcli.local.trace)."""
    from llmcli.local.trace import trace

    t = trace(model, ids)
    return TraceData(
        ids=[int(i) for i in t.ids],
        pieces=[tokenizer.readable(int(i)) for i in t.ids],
        texts=tokenizer.token_texts([int(i) for i in t.ids]),
        embedded=t.hidden_states[0],
        hidden=list(t.hidden_states[1:]),
        attn_out=list(t.attn_out),
        ffn_out=list(t.ffn_out),
        attn=list(t.attention),
        is_global=list(t.layer_is_global),
        window=t.sliding_window,
    )


def without_first(trace: TraceData) -> TraceData:
    """The trace minus the first token (the <bos> "attention sink" that soaks up most of the
    weight): its column is dropped and every row is rescaled to sum to 1 over the remaining
    tokens, so the share among the real tokens shows."""
    import numpy as np

    if len(trace.ids) < 2:
        raise InvalidInput("nothing is left once the first token is removed")
    attn = []
    for w in trace.attn:
        rest = np.array(w[:, 1:, 1:], dtype=np.float64)
        total = rest.sum(axis=-1, keepdims=True)
        attn.append(np.divide(rest, total, out=np.zeros_like(rest), where=total > 0))
    return TraceData(
        ids=trace.ids[1:], pieces=trace.pieces[1:], texts=trace.texts[1:],
        embedded=trace.embedded[1:], hidden=[h[1:] for h in trace.hidden],
        attn_out=[a[1:] for a in trace.attn_out], ffn_out=[f[1:] for f in trace.ffn_out],
        attn=attn, is_global=trace.is_global, window=trace.window,
    )
