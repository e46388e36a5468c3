"""One decode step for several beams at once on the numpy engine.

Decoding one token is bound by memory bandwidth: every step reads all the weights (1 GB as
float32 for Gemma 3 270M, most of it the 262,144-row output projection). Running B beams as B
separate steps reads them B times; stacking the beams' B current tokens into one [B, d] batch
reads them once, so 4 beams cost little more than greedy decoding (see BENCHMARKS.md).

The beams share the prompt: its keys and values stay where the session put them (one copy),
and each beam keeps only the keys and values of the tokens it generated. Attention over the two
parts is one softmax over the concatenated scores, so no key is ever copied to join them.
When the search keeps some beams and drops others, `BeamCache.reorder` gathers the rows of
the generated part (a few MB at most), the prompt part is never touched.
"""

from __future__ import annotations

import numpy as np

from llmcli.local import forward as fw
from llmcli.local.blas import blocked_matmul, split_matvec
from llmcli.local.modelconfig import ModelConfig

F32 = np.float32


class BeamCache:
    """Keys and values of the generated positions, per layer [B, K, capacity, hd], after a
    shared prompt prefix held in a session's KV cache (read, never written)."""

    def __init__(self, config: ModelConfig, prefix: fw.KVCache, prefix_len: int, beams: int = 1,
                 capacity: int = 32):
        self.config = config
        self.prefix = prefix
        self.prefix_len = prefix_len
        self.length = 0  # generated positions held
        shape = (beams, config.n_kv_heads, capacity, config.head_dim)
        self.keys = [np.zeros(shape, F32) for _ in range(config.n_layers)]
        self.values = [np.zeros(shape, F32) for _ in range(config.n_layers)]

    @property
    def beams(self) -> int:
        return self.keys[0].shape[0]

    def reorder(self, parents: np.ndarray | list[int]) -> None:
        """Row i becomes a copy of the old row parents[i] (the beams that survive a step)."""
        index = np.asarray(parents, dtype=np.int64)
        if index.size == self.beams and np.array_equal(index, np.arange(self.beams)):
            return
        n = self.length
        for store in (self.keys, self.values):
            for i, old in enumerate(store):
                fresh = np.zeros((index.size, *old.shape[1:]), F32)
                fresh[:, :, :n] = old[index, :, :n]
                store[i] = fresh

    def _reserve(self, length: int) -> None:
        capacity = self.keys[0].shape[2]
        if length <= capacity:
            return
        grown_to = max(length, 2 * capacity)
        for store in (self.keys, self.values):
            for i, old in enumerate(store):
                grown = np.zeros((*old.shape[:2], grown_to, old.shape[3]), F32)
                grown[:, :, :capacity] = old
                store[i] = grown


def decode_step(model: object, cache: BeamCache, ids: np.ndarray | list[int]) -> np.ndarray:
    """Feed one token per beam (all at the same position) -> logits [B, vocab].

    Run it under `blas_threads(1)`: the blocks of `linear` are too small for BLAS threads."""
    weights, c = model.weights, model.config  # type: ignore[attr-defined]
    tokens = np.asarray(ids, dtype=np.int64)
    if tokens.size != cache.beams:
        raise ValueError(f"{tokens.size} tokens for {cache.beams} beams")
    pos = cache.prefix_len + cache.length
    cache._reserve(cache.length + 1)
    where = np.array([pos])
    rope_global = fw.rope_tables(where, c.head_dim, c.rope_base_global, c.rope_scale_global)
    rope_local = fw.rope_tables(where, c.head_dim, c.rope_base_local)
    x = fw.embed(weights, tokens, c)
    eps = c.rms_eps
    for i, layer in enumerate(weights.layers):
        rope = rope_global if c.layer_is_global[i] else rope_local
        attn = _attention(fw.rms_norm(x, layer.attn_norm, eps), layer, c, i, cache, pos, rope)
        x = x + fw.rms_norm(attn, layer.post_attn_norm, eps)
        ffn = feed_forward(fw.rms_norm(x, layer.ffn_norm, eps), layer)
        x = x + fw.rms_norm(ffn, layer.post_ffn_norm, eps)
    cache.length += 1
    return linear(fw.final_norm(weights, c, x), weights.output)


def linear(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """x @ w.T for a few vectors x [B, in] (one per beam) -> [B, out], reading w once; the
    rows of a tall w (the output projection) are split across the cores."""
    if x.shape[0] == 1:
        return fw.linear(x[0], w)[None, :]
    xt = np.ascontiguousarray(x.T)
    if w.shape[0] >= fw.SPLIT_ROWS:
        return np.ascontiguousarray(split_matvec(w, xt).T)
    out = np.empty((w.shape[0], x.shape[0]), F32)
    blocked_matmul(w, xt, out)
    return np.ascontiguousarray(out.T)


def feed_forward(h: np.ndarray, layer: object) -> np.ndarray:
    """The gated feed-forward of forward.py, with the batched projections."""
    gate = linear(h, layer.w_gate)  # type: ignore[attr-defined]
    return linear(fw.gelu_tanh(gate) * linear(h, layer.w_up), layer.w_down)  # type: ignore[attr-defined]


def _attention(h: np.ndarray, layer: object, c: ModelConfig, index: int, cache: BeamCache,
               pos: int, rope: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Self-attention of B one-token queries over the shared prompt and each beam's own
    generated keys (a sliding window on local layers) -> [B, d]."""
    b = h.shape[0]
    heads, kv, hd = c.n_heads, c.n_kv_heads, c.head_dim
    group = heads // kv
    q = linear(h, layer.w_q).reshape(b, heads, hd)  # type: ignore[attr-defined]
    k = linear(h, layer.w_k).reshape(b, kv, hd)  # type: ignore[attr-defined]
    v = linear(h, layer.w_v).reshape(b, kv, hd)  # type: ignore[attr-defined]
    q = fw.apply_rope(fw.rms_norm(q, layer.q_norm, c.rms_eps), *rope) * F32(c.attention_scale)  # type: ignore[attr-defined]
    k = fw.apply_rope(fw.rms_norm(k, layer.k_norm, c.rms_eps), *rope)  # type: ignore[attr-defined]
    g = cache.length
    cache.keys[index][:, :, g] = k
    cache.values[index][:, :, g] = v

    window = None if c.layer_is_global[index] else c.sliding_window
    start = 0 if window is None else max(0, pos - window + 1)
    prompt_len = cache.prefix_len
    qg = q.reshape(b, kv, group, hd)
    gen_from = max(0, start - prompt_len)
    gen_k = cache.keys[index][:, :, gen_from : g + 1]  # [B, K, G, hd]
    gen_v = cache.values[index][:, :, gen_from : g + 1]
    scores = [qg @ gen_k.transpose(0, 1, 3, 2)]  # [B, K, group, G]
    if start < prompt_len:
        pk = cache.prefix.keys[index][:, start:prompt_len]  # [K, P, hd], shared by every beam
        stacked = qg.transpose(1, 0, 2, 3).reshape(kv, b * group, hd)
        sp = (stacked @ pk.transpose(0, 2, 1)).reshape(kv, b, group, -1).transpose(1, 0, 2, 3)
        scores.insert(0, sp)
    weights = fw.softmax(np.concatenate(scores, axis=-1))
    split = weights.shape[-1] - gen_k.shape[2]
    mixed = weights[..., split:] @ gen_v  # [B, K, group, hd]
    if split:
        pv = cache.prefix.values[index][:, start:prompt_len]  # [K, P, hd]
        wp = weights[..., :split].transpose(1, 0, 2, 3).reshape(kv, b * group, split)
        mixed = mixed + (wp @ pv).reshape(kv, b, group, hd).transpose(1, 0, 2, 3)
    return linear(mixed.reshape(b, heads * hd), layer.w_o)  # type: ignore[attr-defined]
