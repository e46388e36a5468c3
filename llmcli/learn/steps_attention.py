"""One attention head seen from one token (Q, K, V, scores, scale, mask, softmax, mix), then
all heads and their shared key/value head. Every number is one the engine recorded."""

from __future__ import annotations

import numpy as np

from llmcli.learn.run import TourRun
from llmcli.learn.step import Step, Table, fmt_vec, num, vec


def head_numbers(run: TourRun, layer: int | None = None, head: int | None = None,
                 pos: int | None = None) -> dict:
    """Q, K, V and the score pipeline for one head and query position, from the trace."""
    c = run.config
    layer = run.layer if layer is None else layer
    head = run.head if head is None else head
    qi = run.pos if pos is None else pos
    b = run.block(layer)
    kv = head // (c.n_heads // c.n_kv_heads)
    q = b["q_rope"][qi, head]
    keys, values = b["k_rope"][:, kv], b["v"][:, kv]
    raw = keys @ q  # q·k for every key: the dot products before the scale
    scores = b["scores"][head, qi]  # what the engine computed (q already scaled)
    mask = b["mask"]
    allowed = np.ones(run.n, bool) if mask is None else np.asarray(mask[qi], bool)
    weights = run.trace.attention[layer][head, qi]
    mixed = b["mixed"][qi, head * c.head_dim:(head + 1) * c.head_dim]
    return {"layer": layer, "head": head, "pos": qi, "kv": kv, "q": q, "keys": keys,
            "values": values, "raw": raw, "scores": scores, "allowed": allowed,
            "weights": weights, "mixed": mixed}


def attention(run: TourRun) -> Step:
    c = run.config
    h = head_numbers(run)
    qi = h["pos"]
    rows = []
    for j in range(run.n):
        ok = bool(h["allowed"][j])
        rows.append([j, run.pieces[j], fmt_vec(h["keys"][j], 3), num(h["raw"][j], 2),
                     num(h["scores"][j], 3), num(h["scores"][j], 3) if ok else "-inf",
                     f"{100 * h['weights'][j]:.2f}%" if ok else "0"])
    # The whole head as a matrix: who looks at whom (rows: queries), the mask visible.
    matrix = [[i, run.pieces[i]] + [
        f"{100 * run.trace.attention[run.layer][run.head, i, j]:.0f}" if j <= i else "·"
        for j in range(run.n)] for i in range(run.n)]
    is_global = c.layer_is_global[run.layer]
    window = c.sliding_window
    hidden_by_window = 0 if is_global or window is None else max(0, qi + 1 - window)
    top = int(np.argmax(h["weights"]))
    say = {
        "layer": run.layer, "head": run.head, "qpos": qi, "piece": run.pieces[qi],
        "hd": c.head_dim, "scale": num(c.attention_scale, 4),
        "sqrt_dk": num(1 / c.attention_scale, 1), "n_future": run.n - 1 - qi,
        "kind": "global" if is_global else "local", "window": window or 0,
        "n": run.n, "hidden_by_window": hidden_by_window,
        "top_piece": run.pieces[top], "top_weight": f"{100 * h['weights'][top]:.1f}%",
        "mix_norm": num(np.linalg.norm(h["mixed"]), 3),
        "q_first": fmt_vec(h["q"], 4), "v_first": fmt_vec(h["values"][qi], 4),
        "mixed_first": fmt_vec(h["mixed"], 4),
    }
    return Step("attention", say, [
        Table("head_scores", ["pos", "piece", "k", "q_dot_k", "scaled", "masked", "softmax"],
              rows, highlight=qi),
        Table("head_matrix", ["pos", "piece", *[f"={j}" for j in range(run.n)]], matrix,
              highlight=qi)],
        {"layer": run.layer, "head": run.head, "query_pos": qi, "kv_head": h["kv"],
         "layer_type": say["kind"], "sliding_window": window,
         "attention_scale": float(c.attention_scale),
         "q": vec(h["q"], 8, 4), "k": [vec(k, 8, 4) for k in h["keys"]],
         "v": [vec(v, 8, 4) for v in h["values"]],
         "q_dot_k": [float(x) for x in h["raw"]], "scores": [float(x) for x in h["scores"]],
         "mask": [bool(x) for x in h["allowed"]], "weights": [float(x) for x in h["weights"]],
         "mixed": vec(h["mixed"], 8, 4)})


def multihead(run: TourRun) -> Step:
    c, b = run.config, run.block()
    qi = run.pos
    group = c.n_heads // c.n_kv_heads
    rows, tops = [], []
    for head in range(c.n_heads):
        w = run.trace.attention[run.layer][head, qi]
        top = int(np.argmax(w))
        tops.append(run.pieces[top])
        rows.append([head, head // group, *[f"{100 * x:.1f}" for x in w[: qi + 1]],
                     run.pieces[top]])
    mixed = b["mixed"][qi]
    proj = b["attn_proj"][qi]
    return Step("multihead", {
        "heads": c.n_heads, "kv_heads": c.n_kv_heads, "group": group, "hd": c.head_dim,
        "concat": c.n_heads * c.head_dim, "d": c.d_model, "layer": run.layer,
        "piece": run.pieces[qi], "qpos": qi,
        "kv_saving": f"{c.n_heads // c.n_kv_heads}",
        "mixed_norm": num(np.linalg.norm(mixed), 3), "proj_norm": num(np.linalg.norm(proj), 3),
        "distinct_tops": len(set(tops)),
    }, [Table("heads_weights", ["head", "kv_head", *["=" + p for p in run.pieces[: qi + 1]], "top"],
           rows)],
        {"layer": run.layer, "query_pos": qi, "n_heads": c.n_heads, "n_kv_heads": c.n_kv_heads,
         "weights": [[float(x) for x in run.trace.attention[run.layer][h, qi]]
                     for h in range(c.n_heads)],
         "q_shape": list(b["q_rope"].shape), "k_shape": list(b["k_rope"].shape),
         "mixed_first": vec(mixed, 8, 4), "projected_first": vec(proj, 8, 4)})
