"""The input steps: tokens and ids, the embedding rows (and Gemma's sqrt(d) scale), and the
rotary positional encoding, all read from the traced run."""

from __future__ import annotations

import numpy as np

from llmcli.learn.run import TourRun
from llmcli.learn.step import Step, Table, fmt_vec, num, vec


def tokens(run: TourRun) -> Step:
    texts = run.tokenizer.token_texts(run.ids)
    rows = [[i, piece, token_id, len(text.encode("utf-8"))]
            for i, (piece, token_id, text) in enumerate(zip(run.pieces, run.ids, texts,
                                                              strict=True))]
    return Step("tokens", {
        "text": run.text, "n": run.n, "n_words": len(run.text.split()),
        "vocab": run.config.vocab_size, "bos": run.pieces[0],
    }, [Table("tokens", ["pos", "piece", "id", "bytes"], rows)],
        {"ids": run.ids, "pieces": run.pieces, "texts": texts,
         "vocab_size": run.config.vocab_size})


def embedding(run: TourRun) -> Step:
    c = run.config
    raw = run.model.embedding_rows(run.ids)  # the table's rows, as stored
    scaled = run.trace.hidden_states[0]  # what the engine fed block 0
    rows = [[i, run.pieces[i], fmt_vec(raw[i], 3), num(np.linalg.norm(raw[i]), 2),
             fmt_vec(scaled[i], 3), num(np.linalg.norm(scaled[i]), 2)] for i in range(run.n)]
    return Step("embedding", {
        "d": c.d_model, "scale": num(c.embed_scale, 2), "vocab": c.vocab_size,
        "table_mb": round(c.vocab_size * c.d_model * 4 / 2**20),
        "piece": run.pieces[run.pos],
    }, [Table("embedding_rows", ["pos", "piece", "row", "norm", "scaled_row", "norm"], rows)],
        {"d_model": c.d_model, "embed_scale": float(c.embed_scale),
         "raw_first": [vec(r, 8, 4) for r in raw], "scaled_first": [vec(r, 8, 4) for r in scaled],
         "raw_norms": [num(np.linalg.norm(r), 4) for r in raw],
         "scaled_norms": [num(np.linalg.norm(r), 4) for r in scaled]})


def rope(run: TourRun) -> Step:
    """The real query and key of this run, at the chosen position and an earlier one, before
    and after RoPE; then the same two vectors moved together along the text."""
    from llmcli.local import forward as fw

    c, b = run.config, run.block()
    qi = run.pos
    kj = max(0, qi - 3) if qi else 0
    kv = run.head // (c.n_heads // c.n_kv_heads)
    q0, k0 = b["q_normed"][qi, run.head], b["k_normed"][kj, kv]  # before the rotation
    q1, k1 = b["q_rope"][qi, run.head], b["k_rope"][kj, kv]  # after it (what attention uses)
    cos, sin = b["rope"]
    half = c.head_dim // 2
    base = c.rope_base_global if c.layer_is_global[run.layer] else c.rope_base_local
    pair_rows = []
    for p in (0, 1, half // 2, half - 1):  # a fast-turning pair, then slower ones
        angle_q = float(np.arctan2(sin[qi, p], cos[qi, p]))
        pair_rows.append([p, num(np.degrees(angle_q), 1), *(
            f"({v[p]:.2f}, {v[p + half]:.2f})" for v in (q0, q1, k0, k1))])
    dot_before = float(np.dot(q0, k0))
    dot_after = float(np.dot(q1, k1))
    # The same pair of vectors placed elsewhere in a text: equal distance gives an equal dot
    # product (RoPE encodes relative position); a different distance changes it.
    moves = []
    for shift_q, shift_k in ((0, 0), (10, 10), (100, 100), (0, -kj), (40, 0)):
        pos_q, pos_k = qi + shift_q, kj + shift_k
        tables = fw.rope_tables(np.array([pos_q, pos_k]), c.head_dim, base,
                                c.rope_scale_global if c.layer_is_global[run.layer] else 1.0)
        rot = fw.apply_rope(np.stack([q0, k0])[:, None, :], *tables)[:, 0]
        moves.append([pos_q, pos_k, pos_q - pos_k, num(np.dot(rot[0], rot[1]), 4)])
    return Step("rope", {
        "layer": run.layer, "head": run.head, "base": int(base),
        "qpos": qi, "kpos": kj, "qpiece": run.pieces[qi], "kpiece": run.pieces[kj],
        "dist": qi - kj, "pairs": half, "hd": c.head_dim,
        "dot_before": num(dot_before, 3), "dot_after": num(dot_after, 3),
        "norm_q0": num(np.linalg.norm(q0), 3), "norm_q1": num(np.linalg.norm(q1), 3),
        "slowest_turns": num(np.degrees(qi * base ** (-(half - 1) * 2 / c.head_dim)), 4),
    }, [Table("rope_pairs", ["pair", "angle_q", "q_before", "q_after", "k_before", "k_after"],
              pair_rows),
        Table("rope_moves", ["qpos", "kpos", "distance", "q_dot_k"], moves, highlight=0)],
        {"layer": run.layer, "head": run.head, "query_pos": qi, "key_pos": kj,
         "q_before": vec(q0, 8, 4), "q_after": vec(q1, 8, 4),
         "k_before": vec(k0, 8, 4), "k_after": vec(k1, 8, 4),
         "dot_before": dot_before, "dot_after": dot_after,
         "moves": [{"query_pos": m[0], "key_pos": m[1], "distance": m[2], "dot": m[3]}
                   for m in moves]})
