"""The Gemma 3 forward pass in numpy, one function per step, in the order the data flows.

    token ids -> embed -> 18 x transformer_block -> rms_norm -> output_logits -> (softmax)

    transformer_block(x):
        h   = rms_norm(x)                       pre-norm: each sub-layer sees unit-scale input
        a   = self_attention(h)                 q/k/v projections, q/k RMSNorm, RoPE, softmax
        x   = x + rms_norm(a)                   Gemma also normalises what it adds back
        h   = rms_norm(x)
        x   = x + rms_norm(feed_forward(h))     gated GELU MLP

Shapes: n = positions in this call, T = positions in the KV cache, d = d_model (640),
H = query heads (4), K = key/value heads (1), hd = head_dim (256), f = ffn_dim (2048).
Everything is float32 (numpy accumulates float32 matmuls in float32 through BLAS).
The same code runs a prompt (n > 1, matrix-matrix products) and one decode step (n = 1).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from llmcli.local.blas import split_matmul, split_matvec
from llmcli.local.modelconfig import ModelConfig
from llmcli.local.weights import LayerWeights, Weights

F32 = np.float32
SPLIT_ROWS = 65536  # matrices with at least this many rows are split across cores


def linear(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """A projection x @ w.T for x [n, in] (or one vector [in]) and w [out, in] -> [n, out].

    One position (decoding) goes through a matrix-vector product (gemv, ~20 us for a
    [1024, 640] matrix). BLAS runs single-threaded (see blas.py); the cores share the work
    where there is enough of it: the rows of the tall output projection, or the positions of
    a prompt.
    """
    if x.ndim == 1:
        return split_matvec(w, x) if w.shape[0] >= SPLIT_ROWS else w @ x
    if x.shape[0] == 1:
        return linear(x[0], w)[None, :]
    return split_matmul(x, w)


def embed(weights: Weights, ids: np.ndarray, config: ModelConfig) -> np.ndarray:
    """Look up each token's row, scaled by sqrt(d_model) -> [n, d].

    The table is shared with the output projection, whose rows must stay small for sensible
    logits; scaling here lifts the input to the magnitude the residual stream works at.
    """
    return weights.token_embedding[ids] * F32(config.embed_scale)


def rms_norm(x: np.ndarray, weight: np.ndarray, eps: float) -> np.ndarray:
    """Divide each vector by its root-mean-square, then apply a learned per-feature gain.

    Cheaper than LayerNorm (no mean, no bias) and keeps activations at a stable scale
    whatever the depth. Works on the last axis, so it also normalises single heads.
    """
    # (x*x).sum()/d rather than np.mean: the same number, without np.mean's Python overhead
    # (this runs ~110 times per generated token).
    mean_square = (x * x).sum(axis=-1, keepdims=True) / F32(x.shape[-1])
    return x * (F32(1.0) / np.sqrt(mean_square + F32(eps))) * weight


def rope_tables(positions: np.ndarray, head_dim: int, base: float, scale: float = 1.0):
    """cos and sin of the rotary angles, [n, head_dim/2] each.

    Pair i of a head turns by position * base^(-2i/head_dim): fast-turning pairs resolve
    nearby positions, slow ones far positions. The dot product of a rotated query and key then
    depends only on their distance. Angles are computed in float64 for long positions.
    """
    inv_freq = base ** (-np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)
    angles = np.outer(positions.astype(np.float64) / scale, inv_freq)
    return np.cos(angles).astype(F32), np.sin(angles).astype(F32)


def apply_rope(x: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    """Rotate [n, heads, hd] vectors: feature i pairs with feature i + hd/2 ("NeoX" layout)."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    c, s = cos[:, None, :], sin[:, None, :]
    return np.concatenate([x1 * c - x2 * s, x2 * c + x1 * s], axis=-1)


def attention_mask(q_pos: np.ndarray, k_pos: np.ndarray, window: int | None) -> np.ndarray:
    """[n, T] True where a query may look at a key: not in the future (causal) and, on local
    layers, less than `window` positions back (the key at distance window-1 is the oldest)."""
    distance = q_pos[:, None] - k_pos[None, :]
    allowed = distance >= 0
    if window is not None:
        allowed &= distance < window
    return allowed


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(x) normalised to sum 1; subtracting the max first keeps exp from overflowing."""
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def attend(q: np.ndarray, keys: np.ndarray, values: np.ndarray, mask: np.ndarray | None,
           record: dict[str, Any] | None = None):
    """Scaled dot-product attention with grouped key/value heads.

    q: [n, H, hd] (already scaled), keys/values: [K, T, hd], mask: [n, T] or None (all keys
    visible).
    Returns the mixed values [n, H*hd] and the attention weights [H, n, T].
    Grouped-query attention: H/K query heads share each key/value head, so the queries of a
    group are stacked and multiplied against their shared keys in one matrix product.
    With `record`, the scores before the mask ([H, n, T]) and the mask are kept (traces).
    """
    n, n_heads, hd = q.shape
    n_kv, t = keys.shape[0], keys.shape[1]
    grouped = q.transpose(1, 0, 2).reshape(n_kv, (n_heads // n_kv) * n, hd)
    scores = (grouped @ keys.transpose(0, 2, 1)).reshape(n_heads, n, t)
    if record is not None:
        record.update(scores=scores, mask=mask)
    if mask is not None:
        scores = np.where(mask, scores, F32(-np.inf))
    weights = softmax(scores)
    mixed = weights.reshape(n_kv, (n_heads // n_kv) * n, t) @ values
    return mixed.reshape(n_heads, n, hd).transpose(1, 0, 2).reshape(n, n_heads * hd), weights


class KVCache:
    """Keys and values of every position seen so far, per layer: [K, capacity, hd].

    Decoding then costs one new position instead of recomputing the whole prefix. Capacity
    doubles as needed (up to the session's limit), so memory follows the text's length.
    """

    def __init__(self, config: ModelConfig, capacity: int = 256, limit: int | None = None):
        self.config = config
        self.limit = limit or config.context_length
        shape = (config.n_kv_heads, capacity, config.head_dim)
        self.keys = [np.zeros(shape, F32) for _ in range(config.n_layers)]
        self.values = [np.zeros(shape, F32) for _ in range(config.n_layers)]

    @property
    def capacity(self) -> int:
        return self.keys[0].shape[1]

    def reserve(self, length: int) -> None:
        if length <= self.capacity:
            return
        new = max(length, min(2 * self.capacity, self.limit))
        for store in (self.keys, self.values):
            for i, old in enumerate(store):
                grown = np.zeros((old.shape[0], new, old.shape[2]), F32)
                grown[:, : old.shape[1]] = old
                store[i] = grown


def self_attention(
    h: np.ndarray,
    layer: LayerWeights,
    config: ModelConfig,
    is_global: bool,
    cache: KVCache,
    index: int,
    positions: np.ndarray,
    rope: tuple[np.ndarray, np.ndarray],
    record: dict[str, Any] | None = None,
):
    """Attention sub-layer of block `index` for positions `positions` -> ([n, d], weights).

    The new keys/values are written into the cache first, then the queries attend over the
    cached range they may see (the last `window` positions on local layers).
    With `record`, every intermediate (q/k/v before and after RoPE, scores, mask, the mixed
    values) is kept for the guided tour; without it nothing extra is computed or stored.
    """
    c = config
    n = h.shape[0]
    q = linear(h, layer.w_q).reshape(n, c.n_heads, c.head_dim)
    k = linear(h, layer.w_k).reshape(n, c.n_kv_heads, c.head_dim)
    v = linear(h, layer.w_v).reshape(n, c.n_kv_heads, c.head_dim)
    # Gemma 3 normalises each query and key head (instead of Gemma 2's logit soft-capping),
    # which keeps attention logits bounded; RoPE comes after the norm.
    if record is not None:
        record.update(q_raw=q, k_raw=k, v=v)
        q_normed = rms_norm(q, layer.q_norm, c.rms_eps)
        k_normed = rms_norm(k, layer.k_norm, c.rms_eps)
        q_rot, k = apply_rope(q_normed, *rope), apply_rope(k_normed, *rope)
        q = q_rot * F32(c.attention_scale)
        record.update(q_normed=q_normed, k_normed=k_normed, q_rope=q_rot, k_rope=k)
    else:
        q = apply_rope(rms_norm(q, layer.q_norm, c.rms_eps), *rope) * F32(c.attention_scale)
        k = apply_rope(rms_norm(k, layer.k_norm, c.rms_eps), *rope)

    first, end = int(positions[0]), int(positions[-1]) + 1
    cache.keys[index][:, first:end] = k.transpose(1, 0, 2)
    cache.values[index][:, first:end] = v.transpose(1, 0, 2)

    window = None if is_global else c.sliding_window
    start = 0 if window is None else max(0, first - window + 1)
    # One query (decoding) sees every key in [start, end): no mask needed.
    mask = None if n == 1 else attention_mask(positions, np.arange(start, end), window)
    mixed, weights = attend(
        q, cache.keys[index][:, start:end], cache.values[index][:, start:end], mask, record
    )
    out = linear(mixed, layer.w_o)
    if record is not None:
        record.update(mixed=mixed, attn_proj=out)
    return out, weights, start


def gelu_tanh(x: np.ndarray) -> np.ndarray:
    """GELU, tanh approximation (what Gemma was trained with): a smooth ReLU.

    x * x * x rather than x**3: numpy's float32 power is ~300x slower than two multiplies.
    """
    inner = F32(0.7978845608) * (x + F32(0.044715) * (x * x * x))
    return F32(0.5) * x * (F32(1.0) + np.tanh(inner))


def feed_forward(h: np.ndarray, layer: LayerWeights,
                 record: dict[str, Any] | None = None) -> np.ndarray:
    """Gated MLP: GELU(h Wg) * (h Wu), projected back down -> [n, d].

    The gate decides per hidden unit how much of the linear "up" signal passes.
    With `record`, the gate, its GELU, the up projection and their product are kept.
    """
    if record is None:
        return linear(gelu_tanh(linear(h, layer.w_gate)) * linear(h, layer.w_up), layer.w_down)
    gate = linear(h, layer.w_gate)
    activated = gelu_tanh(gate)
    up = linear(h, layer.w_up)
    hidden = activated * up
    out = linear(hidden, layer.w_down)
    record.update(ffn_in=h, ffn_gate=gate, ffn_act=activated, ffn_up=up, ffn_hidden=hidden,
                  ffn_proj=out)
    return out


def transformer_block(
    x: np.ndarray,
    layer: LayerWeights,
    config: ModelConfig,
    index: int,
    cache: KVCache,
    positions: np.ndarray,
    rope: tuple[np.ndarray, np.ndarray],
    record: dict[str, Any] | None = None,
) -> np.ndarray:
    """One block: attention then feed-forward, each pre- and post-normed, added to x.

    `record` (traces) collects the block's results; with record["detail"] set it also gets
    every intermediate of attention and the feed-forward (the guided tour's numbers).
    """
    eps = config.rms_eps
    is_global = config.layer_is_global[index]
    detail = record if record is not None and record.get("detail") else None
    attn_in = rms_norm(x, layer.attn_norm, eps)
    attn, weights, key_start = self_attention(
        attn_in, layer, config, is_global, cache, index, positions, rope, detail
    )
    attn = rms_norm(attn, layer.post_attn_norm, eps)
    if detail is not None:
        detail.update(block_in=x, attn_in=attn_in)
    x = x + attn
    if detail is not None:
        detail.update(mid=x)
    ffn = rms_norm(feed_forward(rms_norm(x, layer.ffn_norm, eps), layer, detail),
                   layer.post_ffn_norm, eps)
    x = x + ffn
    if record is not None:
        record.update(
            attn_weights=weights, key_start=key_start, attn_out=attn, ffn_out=ffn, hidden=x
        )
    return x


def forward(
    weights: Weights,
    config: ModelConfig,
    ids: np.ndarray,
    start: int,
    cache: KVCache,
    records: list[dict[str, Any]] | None = None,
    detail: bool = False,
) -> np.ndarray:
    """Run ids (at positions start, start+1, ...) through every block -> residual [n, d].

    The caller applies `final_norm` and `output_logits` to the positions it needs.
    With `records`, each block appends a dict of its intermediate results (for traces);
    `detail` adds every intermediate inside attention and the feed-forward.
    """
    positions = np.arange(start, start + len(ids))
    cache.reserve(start + len(ids))
    c = config
    # Global layers see the whole context and use a slow rope (base 1e6); local layers see 512
    # tokens and use base 1e4. Tables are built once per call, not once per layer.
    rope_global = rope_tables(positions, c.head_dim, c.rope_base_global, c.rope_scale_global)
    rope_local = rope_tables(positions, c.head_dim, c.rope_base_local)
    x = embed(weights, ids, c)
    for i, layer in enumerate(weights.layers):
        rope = rope_global if c.layer_is_global[i] else rope_local
        record: dict[str, Any] | None = None
        if records is not None:
            record = {"detail": True, "rope": rope} if detail else {}
        x = transformer_block(x, layer, c, i, cache, positions, rope, record)
        if records is not None:
            records.append(record)
    return x


def final_norm(weights: Weights, config: ModelConfig, x: np.ndarray) -> np.ndarray:
    return rms_norm(x, weights.final_norm, config.rms_eps)


def output_logits(weights: Weights, h: np.ndarray) -> np.ndarray:
    """Scores over the vocabulary: dot product of the final hidden state with every token's
    embedding row (tied weights). [n, d] -> [n, vocab]; the largest single cost per token."""
    return linear(h, weights.output)
