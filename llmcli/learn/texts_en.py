"""The tour's explanations in English. Placeholders ({n}, {piece}, ...) are filled with the
numbers of the run; texts_pt.py holds the same keys and placeholders in Portuguese."""

from __future__ import annotations

STEPS: dict[str, dict[str, str]] = {
    "tokens": {
        "title": "1. Tokens and ids",
        "body": (
            "The model never sees letters. A tokenizer cuts \"{text}\" into {n} tokens "
            "({n_words} words) and replaces each by its number (id) in a vocabulary of {vocab} "
            "pieces. '▁' marks a space that belongs to the piece; short common words are one "
            "token, rarer ones are split into pieces. The first token, {bos}, is added by the "
            "model: it marks the beginning of a text."
        ),
    },
    "embedding": {
        "title": "2. Embeddings: one row per id",
        "body": (
            "Each id picks one row of a table of {vocab} rows x {d} numbers ({table_mb} MB as "
            "float32): that row is the token's embedding, a vector learned in training where "
            "tokens with related meanings end up close. The rows are small (norm ~1) because "
            "the same table is reused at the end to score the next token, so Gemma multiplies "
            "them by sqrt({d}) = {scale} to reach the size the rest of the network works at. "
            "The scaled rows are the residual stream that enters block 0."
        ),
    },
    "rope": {
        "title": "3. Positional encoding: rotating queries and keys (RoPE)",
        "body": (
            "Attention by itself ignores order: \"gato subiu\" and \"subiu gato\" would look "
            "the same. Gemma adds no position vector; inside every attention layer it rotates "
            "each query and key. The {hd} numbers of a head form {pairs} pairs, and pair i turns "
            "by position x {base}^(-2i/{hd}) radians: pair 0 turns fast (one radian per "
            "position), the last pairs barely move ({slowest_turns}° at position {qpos}), so "
            "fast pairs tell near positions apart and slow ones far positions. A rotation keeps "
            "the length (|q| {norm_q0} -> {norm_q1}). The dot product of two rotated vectors "
            "depends on the difference of their angles, so on their DISTANCE only. Real "
            "numbers of layer {layer}, head {head}: the query of '{qpiece}' (position {qpos}) "
            "and the key of '{kpiece}' (position {kpos}) give q·k = {dot_before} before the "
            "rotation and {dot_after} after it, the value attention uses. The second table "
            "moves both vectors along a text: the same distance ({dist}) always gives the same "
            "product, another distance changes it."
        ),
    },
    "attention": {
        "title": "4. One attention head: Q, K, V, scores, mask, softmax",
        "body": (
            "Layer {layer}, head {head}, seen from '{piece}' (position {qpos}). Each token "
            "makes three vectors of {hd} numbers from its stream: a query Q (what it is looking "
            "for), a key K (what it offers) and a value V (what it passes on). Q of '{piece}' "
            "starts {q_first}. Its score against every token is the dot product q·k, divided by "
            "sqrt(d_k) = sqrt({hd}) = {sqrt_dk} (the engine multiplies q by {scale} first) so "
            "that the sum over {hd} products does not saturate the softmax: "
            "softmax(QK^T/sqrt(d_k))V. The causal mask puts -inf on every later token "
            "({n_future} after this one): a decoder may not read the future. This is a {kind} "
            "layer; local layers also see only the last {window} positions (sliding window), "
            "which hides {hidden_by_window} of these {n} tokens. Softmax turns the scores into "
            "weights that sum to 1: '{top_piece}' gets {top_weight}. (<bos> often takes most "
            "of the weight: an \"attention sink\" where heads park attention when nothing else "
            "matters.) The output is the weighted mix of the V vectors: {mixed_first}. The "
            "matrix shows the whole head: rows are queries, '·' is masked."
        ),
    },
    "multihead": {
        "title": "5. Multi-head attention with shared keys and values",
        "body": (
            "Layer {layer} has {heads} heads, each with its own queries, so each can look for "
            "something else: here they spread the attention of '{piece}' differently "
            "({distinct_tops} different favourite tokens). Gemma 3 uses grouped-query attention: "
            "the {heads} query heads share {kv_heads} key/value head ({group} queries per K/V), "
            "which makes the KV cache {kv_saving}x smaller with little loss. The {heads} mixes "
            "of {hd} numbers are concatenated ({concat}) and projected back to {d} by the "
            "output matrix W_o (norm {mixed_norm} -> {proj_norm})."
        ),
    },
    "addnorm": {
        "title": "6. Add & Norm: the residual stream and RMSNorm",
        "body": (
            "Every block ADDS its result to the stream it received (a residual connection): "
            "information can pass through 18 blocks untouched, and training stays stable. The "
            "NORM here is RMSNorm: divide the vector by its root mean square ({rms} for '{piece}' "
            "entering layer {layer}, so multiply by {inv_rms}), then multiply each of the {d} "
            "features by a learned gain; unlike LayerNorm there is no mean and no bias. Gemma "
            "normalises twice: a pre-norm on what the sub-layer reads and a post-norm on what it "
            "returns, before the addition; the stream itself is never normalised: "
            "norm {x_norm} in, {added_norm} added, {mid_norm} after the sum."
        ),
    },
    "ffn": {
        "title": "7. The gated feed-forward (GeGLU)",
        "body": (
            "After attention mixes information between tokens, the feed-forward works on each "
            "token alone. Gemma's is gated: two projections take the normed stream ({d} -> "
            "{f}): a gate and an 'up' signal; GELU (a smooth ReLU) of the gate times the up "
            "signal decides how much of each of the {f} units passes, and a third projection "
            "brings the result back to {d}. For '{piece}' in layer {layer}, {closed} units "
            "({closed_pct}) have a negative gate, which GELU squeezes toward zero; the table shows "
            "the "
            "units that contributed most. The result is post-normed (norm {proj_norm} -> "
            "{added_norm}) and added: the stream leaves the block with norm {out_norm}."
        ),
    },
    "layers": {
        "title": "8. The residual stream through the {layers} layers (logit lens)",
        "body": (
            "The same block repeats {layers} times with different weights; blocks {globals} "
            "(counting from 0) are global (they see the whole text), the others local (sliding "
            "window). To peek at what the stream means midway, apply the model's final norm and "
            "output projection to it after each block (a \"logit lens\"): what the model would "
            "predict after '{piece}' if it stopped there. Early layers mostly echo the current "
            "token or noise; the final answer '{final_piece}' is on top after {first_layer} of "
            "the {layers} blocks. The stream's norm grows from {norm0} to {norm_last}."
        ),
    },
    "output": {
        "title": "9. Final norm and projection onto {vocab} tokens",
        "body": (
            "Only the last position predicts the next token. Its stream (norm {res_norm}) goes "
            "through a final RMSNorm (norm {final_norm}), then through a dot product with each "
            "of the {vocab} embedding rows, the same table as at the input (tied weights): "
            "{mults} million multiplications that give one score (logit) per token. Logits go "
            "from {min} to {max} (mean {mean}); the highest is '{top_piece}'."
        ),
    },
    "softmax": {
        "title": "10. Softmax: scores become probabilities",
        "body": (
            "Softmax turns the {vocab} logits into probabilities: p = exp(z - max) / sum of "
            "exp(z - max); subtracting the maximum changes nothing in the result and keeps exp "
            "from overflowing. '{top_piece}' gets {top_p}; the ten most likely tokens together "
            "{top10}. The entropy, {entropy} bits, says how undecided the model is: like "
            "choosing among {perplexity} equally likely tokens."
        ),
    },
    "sampling": {
        "title": "11. Temperature, top-k and top-p",
        "body": (
            "Before drawing, the distribution is reshaped. Temperature divides the logits: "
            "below 1 it sharpens (the favourite wins more often), above 1 it flattens, 0 means "
            "always the most likely (greedy). Top-k keeps the k most likely tokens ({kept_k} "
            "of {vocab}); top-p keeps the smallest set whose probability reaches p ({kept_p} "
            "tokens here); what is left is renormalised to sum 1. This tour uses temperature "
            "{temperature}, top_k {top_k}, top_p {top_p} (you set: {user_set}; change them "
            "with -o temperature=... -o top_k=... -o top_p=...). The probability of "
            "'{first}' goes {p_first} -> {p_first_t} -> {p_first_final}. The second table "
            "shows temperature alone."
        ),
    },
    "sampled": {
        "title": "12. The sampled token",
        "body": (
            "A random number (seed {seed}, so the tour repeats) falls in the final distribution "
            "on '{piece}' (id {id}): the model gave it {p_model}, the filters {p_final}. Greedy "
            "decoding would have picked '{greedy}' ('{greedy}' {same} '{piece}'). The text is "
            "now: {text}"
        ),
    },
    "loop": {
        "title": "13. The loop: the token goes back in",
        "body": (
            "Generation is this loop: append the token and run the model again. Only the new "
            "position goes through the 18 blocks; the keys and values of the {n} earlier "
            "positions wait in the KV cache (filled by the pass you just followed), so each new "
            "token costs one position, not the whole text. Here the loop ran {extra} times "
            "({positions} positions in the cache): {text}. It stops at an end token or a length "
            "limit. Beam search keeps several candidate continuations instead of one (llmcli "
            "next --beam)."
        ),
    },
}

LABELS: dict[str, str] = {
    "tokens": "Tokens", "pos": "pos", "piece": "piece", "id": "id", "bytes": "bytes",
    "embedding_rows": "Embedding rows (first numbers of 640)", "row": "row", "norm": "norm",
    "scaled_row": "x sqrt(d)", "rope_pairs": "Pairs of the query and key, before and after RoPE",
    "pair": "pair", "angle_q": "angle° (q)", "q_before": "q before", "q_after": "q after",
    "k_before": "k before", "k_after": "k after",
    "rope_moves": "The same q and k placed elsewhere", "qpos": "q pos", "kpos": "k pos",
    "distance": "distance", "q_dot_k": "q·k", "head_scores": "Scores of the chosen query",
    "k": "k (first numbers)", "scaled": "/ sqrt(d_k)", "masked": "masked", "softmax": "softmax",
    "head_matrix": "The whole head (% weight; rows: queries)",
    "heads_weights": "Weights of each head (%)", "head": "head", "kv_head": "K/V head",
    "top": "top", "rmsnorm_features": "RMSNorm on the first features", "feature": "feature",
    "x": "x", "x_over_rms": "x / rms", "gain": "gain", "result": "result",
    "residual_add": "Sizes along the block", "vector": "vector", "rms": "rms",
    "ffn_units": "The hidden units that contributed most", "unit": "unit", "gate": "gate",
    "gelu_gate": "GELU(gate)", "up": "up", "product": "product",
    "logit_lens": "Logit lens at the last position", "after_blocks": "blocks done",
    "kind": "kind", "lens_top": "lens top", "p": "p", "p_final": "p(final)",
    "top_logits": "The highest logits", "rank": "#", "logit": "logit",
    "top_probs": "The most likely tokens", "exp_shift": "exp(z - max)",
    "sampling_stages": "Probability after each stage", "temperature": "temperature",
    "top_k": "top-k", "top_p": "top-p", "temperature_sweep": "Temperature alone",
    "top10": "top 10", "loop_tokens": "Tokens of the loop", "step": "step",
    "so_far": "generated so far",
}

UI: dict[str, str] = {
    "step_of": "step {i} of {n}",
    "keys": "→/n next · ←/p back · ↑↓ scroll · g glossary · q quit",
    "enter": "Enter: next · b: back · q: quit",
    "glossary": "Glossary (Portuguese notes ↔ English)",
    "model_line": "{model} · \"{text}\" · layer {layer}, head {head}, token '{piece}'",
    "end": "End of the tour.",
}
