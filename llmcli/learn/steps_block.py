"""Inside and across the blocks: add & norm (RMSNorm, pre- and post-norms), the gated
feed-forward (GeGLU), and the residual stream through every layer (logit lens)."""

from __future__ import annotations

import numpy as np

from llmcli.learn.run import TourRun
from llmcli.learn.step import Step, Table, num, vec


def _rms(v: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.asarray(v, np.float64) ** 2)))


def addnorm(run: TourRun) -> Step:
    c, b, qi = run.config, run.block(), run.pos
    layer = run.model.weights.layers[run.layer]
    x = b["block_in"][qi]  # the residual stream entering the block
    normed = b["attn_in"][qi]  # pre-norm: what attention read
    proj = b["attn_proj"][qi]  # attention's raw output
    added = run.trace.attn_out[run.layer][qi]  # after the post-norm: what was added
    mid = b["mid"][qi]  # x + added
    rms_x = _rms(x)
    rows = [[i, num(x[i], 3), num(x[i] / rms_x, 3), num(layer.attn_norm[i], 3), num(normed[i], 3)]
            for i in range(4)]
    stream = [["x", num(np.linalg.norm(x), 2), num(rms_x, 3)],
              ["rmsnorm(x)", num(np.linalg.norm(normed), 2), num(_rms(normed), 3)],
              ["attention(…)", num(np.linalg.norm(proj), 2), num(_rms(proj), 3)],
              ["post_norm(…)", num(np.linalg.norm(added), 2), num(_rms(added), 3)],
              ["x + post_norm(…)", num(np.linalg.norm(mid), 2), num(_rms(mid), 3)]]
    return Step("addnorm", {
        "layer": run.layer, "piece": run.pieces[qi], "rms": num(rms_x, 3),
        "inv_rms": num(1 / rms_x, 4), "eps": c.rms_eps, "d": c.d_model,
        "x_norm": num(np.linalg.norm(x), 2), "mid_norm": num(np.linalg.norm(mid), 2),
        "added_norm": num(np.linalg.norm(added), 2),
    }, [Table("rmsnorm_features", ["feature", "x", "x_over_rms", "gain", "result"], rows),
        Table("residual_add", ["vector", "norm", "rms"], stream)],
        {"layer": run.layer, "pos": qi, "rms": rms_x, "x_first": vec(x, 8, 4),
         "normed_first": vec(normed, 8, 4), "gain_first": vec(layer.attn_norm, 8, 4),
         "attention_first": vec(proj, 8, 4), "added_first": vec(added, 8, 4),
         "after_first": vec(mid, 8, 4)})


def ffn(run: TourRun) -> Step:
    c, b, qi = run.config, run.block(), run.pos
    gate, act, up = b["ffn_gate"][qi], b["ffn_act"][qi], b["ffn_up"][qi]
    hidden, proj = b["ffn_hidden"][qi], b["ffn_proj"][qi]
    added = run.trace.ffn_out[run.layer][qi]
    strongest = np.argsort(-np.abs(hidden))[:6]
    rows = [[int(u), num(gate[u], 3), num(act[u], 3), num(up[u], 3), num(hidden[u], 3)]
            for u in strongest]
    closed = int(np.sum(gate < 0))
    return Step("ffn", {
        "layer": run.layer, "piece": run.pieces[qi], "d": c.d_model, "f": c.ffn_dim,
        "closed": closed, "closed_pct": f"{100 * closed / c.ffn_dim:.0f}%",
        "in_norm": num(np.linalg.norm(b["ffn_in"][qi]), 2),
        "proj_norm": num(np.linalg.norm(proj), 2), "added_norm": num(np.linalg.norm(added), 2),
        "out_norm": num(np.linalg.norm(run.trace.hidden_states[run.layer + 1][qi]), 2),
    }, [Table("ffn_units", ["unit", "gate", "gelu_gate", "up", "product"], rows)],
        {"layer": run.layer, "pos": qi, "gate_first": vec(gate, 8, 4),
         "gelu_first": vec(act, 8, 4), "up_first": vec(up, 8, 4),
         "hidden_first": vec(hidden, 8, 4), "down_first": vec(proj, 8, 4),
         "added_first": vec(added, 8, 4), "closed_units": closed,
         "strongest_units": [int(u) for u in strongest]})


def lens_probs(run: TourRun, pos: int) -> np.ndarray:
    """softmax(final_norm + projection) of each layer's residual at `pos` -> [layers+1, vocab]
    (row 0: the embeddings; the last row: the model's own output)."""
    from llmcli.local.blas import blas_threads

    with blas_threads(1):
        logits = run.model.logits_from_hidden(run.trace.hidden_states[:, pos])
    z = logits.astype(np.float64)
    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def layers(run: TourRun) -> Step:
    c, qi = run.config, run.n - 1
    probs = lens_probs(run, qi)
    final_top = int(np.argmax(probs[-1]))
    rows, data = [], []
    for layer in range(c.n_layers + 1):
        top = int(np.argmax(probs[layer]))
        kind = "emb" if layer == 0 else ("global" if c.layer_is_global[layer - 1] else "local")
        norm = float(np.linalg.norm(run.trace.hidden_states[layer, qi]))
        rows.append([layer, kind, num(norm, 1), run.piece(top), f"{100 * probs[layer, top]:.1f}%",
                     f"{100 * probs[layer, final_top]:.2f}%"])
        data.append({"after_blocks": layer, "kind": kind, "residual_norm": norm,
                     "top_id": top, "top_piece": run.piece(top),
                     "top_prob": float(probs[layer, top]),
                     "final_top_prob": float(probs[layer, final_top])})
    first = next(r["after_blocks"] for r in data if r["top_id"] == final_top)
    return Step("layers", {
        "layers": c.n_layers, "piece": run.pieces[qi], "final_piece": run.piece(final_top),
        "first_layer": first, "globals": ", ".join(
            str(i) for i, g in enumerate(c.layer_is_global) if g),
        "norm0": num(data[0]["residual_norm"], 1), "norm_last": num(data[-1]["residual_norm"], 1),
    }, [Table("logit_lens", ["after_blocks", "kind", "norm", "lens_top", "p", "p_final"], rows,
              highlight=first)],
        {"pos": qi, "final_top_id": final_top, "layers": data})
