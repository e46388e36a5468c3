"""Each step's numbers are the engine's: checked against the model itself (a fresh session, the
plain forward pass, the sampler) or against the values the trace recorded inside it."""

from __future__ import annotations

import numpy as np
import pytest

from llmcli.local import forward as fw
from tests.learn.conftest import SENTENCE


def test_detail_recording_changes_nothing(gemma):
    """The forward pass with every intermediate recorded gives the same residual stream as
    generation's pass (which records nothing)."""
    model, tok = gemma
    ids = np.array(tok.encode(SENTENCE, add_bos=True))
    plain = fw.forward(model.weights, model.config, ids, 0, fw.KVCache(model.config, 16))
    records: list[dict] = []
    traced = fw.forward(model.weights, model.config, ids, 0, fw.KVCache(model.config, 16),
                        records, detail=True)
    np.testing.assert_array_equal(plain, traced)
    assert {"q_rope", "k_rope", "v", "scores", "ffn_gate", "mixed"} <= set(records[0])


def test_tokens_are_the_tokenizers(tour, gemma):
    run, steps = tour
    _, tok = gemma
    assert steps["tokens"].data["ids"] == tok.encode(SENTENCE, add_bos=True)
    assert steps["tokens"].data["pieces"][0] == "<bos>"
    assert steps["tokens"].say["n"] == len(run.ids) == 8


def test_embedding_rows_are_scaled_by_sqrt_d(tour, gemma):
    run, steps = tour
    model, _ = gemma
    data = steps["embedding"].data
    rows = model.embedding_rows(run.ids)
    assert data["embed_scale"] == pytest.approx(np.sqrt(640))
    np.testing.assert_allclose(data["raw_first"], rows[:, :8], atol=1e-4)
    # What the tour calls the scaled rows is what block 0 received.
    np.testing.assert_allclose(data["scaled_first"], run.trace.hidden_states[0][:, :8],
                               atol=1e-4)
    np.testing.assert_allclose(run.trace.hidden_states[0], rows * np.float32(np.sqrt(640)),
                               rtol=1e-6)


def test_rope_dot_product_is_the_score_attention_used(tour):
    run, steps = tour
    data = steps["rope"].data
    block = run.block(0)
    qi, kj = data["query_pos"], data["key_pos"]
    used = block["scores"][run.head, qi, kj]  # the engine's score (q pre-scaled by 1/16)
    assert data["dot_after"] * run.config.attention_scale == pytest.approx(float(used), rel=1e-4)
    # The rotation is RoPE of the normed query, and keeps the length.
    assert np.linalg.norm(data["q_after"]) == pytest.approx(np.linalg.norm(data["q_before"]),
                                                            rel=0.2)
    moves = data["moves"]
    same_distance = [m["dot"] for m in moves if m["distance"] == qi - kj]
    assert len(same_distance) == 3 and max(same_distance) - min(same_distance) < 1e-2
    assert moves[0]["dot"] == pytest.approx(data["dot_after"], abs=1e-3)
    assert all(abs(m["dot"] - moves[0]["dot"]) > 0.1 for m in moves if m["distance"] != qi - kj)


def test_attention_softmax_equals_the_trace(tour, mid_tour):
    for run, steps in (tour, mid_tour):
        data = steps["attention"].data
        block = run.block()
        weights = run.trace.attention[run.layer][run.head, run.pos]
        np.testing.assert_allclose(data["weights"], weights, rtol=1e-6)
        assert sum(data["weights"]) == pytest.approx(1.0, abs=1e-5)
        # raw q·k times 1/sqrt(d_k) is the score the engine computed...
        np.testing.assert_allclose(np.array(data["q_dot_k"]) * run.config.attention_scale,
                                   data["scores"], rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(data["scores"], block["scores"][run.head, run.pos],
                                   rtol=1e-6)
        # ...and softmax over the unmasked scores gives the weights.
        allowed = np.array(data["mask"])
        s = np.where(allowed, data["scores"], -np.inf)
        np.testing.assert_allclose(np.exp(s - s.max()) / np.exp(s - s.max()).sum(), weights,
                                   rtol=1e-4, atol=1e-7)
        # The mixed value is the weighted sum of the values (first numbers shown).
        values = block["v"][:, 0]
        np.testing.assert_allclose(data["mixed"], (weights @ values)[:8], rtol=1e-3, atol=1e-3)


def test_causal_mask_hides_the_future(mid_tour):
    run, steps = mid_tour
    data = steps["attention"].data
    assert data["layer_type"] == "global" and run.pos == 3
    assert data["mask"] == [True] * 4 + [False] * (run.n - 4)
    assert all(w == 0 for w in data["weights"][4:])
    assert steps["attention"].tables[0].rows[5][5] == "-inf"


def test_multihead_rows_are_every_heads_weights(tour):
    run, steps = tour
    data = steps["multihead"].data
    assert (data["n_heads"], data["n_kv_heads"]) == (4, 1)
    for head in range(4):
        np.testing.assert_allclose(data["weights"][head],
                                   run.trace.attention[run.layer][head, run.pos], rtol=1e-6)
    assert data["q_shape"] == [run.n, 4, 256] and data["k_shape"] == [run.n, 1, 256]


def test_add_and_norm_is_the_blocks(tour, gemma):
    run, steps = tour
    model, _ = gemma
    data, block = steps["addnorm"].data, run.block()
    layer = model.weights.layers[run.layer]
    x = block["block_in"][run.pos]
    np.testing.assert_allclose(x, run.trace.hidden_states[run.layer][run.pos])
    np.testing.assert_allclose(fw.rms_norm(x, layer.attn_norm, 1e-6)[:8], data["normed_first"],
                               rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(np.array(data["x_first"]) + data["added_first"],
                               data["after_first"], atol=2e-3)
    assert data["rms"] == pytest.approx(float(np.sqrt(np.mean(x.astype(float) ** 2))))


def test_feed_forward_is_gated_gelu(tour):
    run, steps = tour
    data, block = steps["ffn"].data, run.block()
    gate, up = block["ffn_gate"][run.pos], block["ffn_up"][run.pos]
    np.testing.assert_allclose(fw.gelu_tanh(gate) * up, block["ffn_hidden"][run.pos],
                               rtol=1e-6)
    assert data["closed_units"] == int((gate < 0).sum())
    nxt = run.trace.hidden_states[run.layer + 1][run.pos]
    np.testing.assert_allclose(block["mid"][run.pos] + run.trace.ffn_out[run.layer][run.pos],
                               nxt, rtol=1e-5)


def test_logit_lens_ends_at_the_models_answer(tour, gemma):
    run, steps = tour
    model, _ = gemma
    rows = steps["layers"].data["layers"]
    assert len(rows) == 19
    assert rows[-1]["top_id"] == int(np.argmax(run.trace.logits))
    mid = run.trace.lens(model, 9)
    assert rows[9]["top_id"] == int(np.argmax(mid))


def test_final_logits_equal_a_fresh_session(tour, gemma):
    run, steps = tour
    model, _ = gemma
    session = model.new_session()
    logits = session.feed(run.ids)
    np.testing.assert_allclose(run.trace.logits, logits, rtol=1e-4, atol=1e-3)
    data = steps["output"].data
    assert data["vocab_size"] == 262_144 == logits.size
    assert [t["id"] for t in data["top"]] == list(np.argsort(-logits)[:10])


def test_softmax_and_sampling_stages_are_the_samplers(tour):
    from llmcli.local.sampling import Sampler, log_softmax

    run, steps = tour
    probs = np.exp(log_softmax(run.trace.logits))
    for item in steps["softmax"].data["top"]:
        assert item["prob"] == pytest.approx(float(probs[item["id"]]))
    stages = Sampler(run.params).stages(run.trace.logits, run.ids)
    for item in steps["sampling"].data["tokens"]:
        for name in ("softmax", "temperature", "top_k", "top_p"):
            assert item[name] == pytest.approx(float(stages[name][item["id"]]))
    kept = steps["sampling"].data["kept"]
    assert kept["top_k"] == 40 and 1 <= kept["top_p"] <= 40


def test_sampled_token_and_loop_match_plain_generation(tour, gemma):
    """The tour's draw and its loop (decoding on from the traced KV cache) give what a fresh
    session with the same seeded sampler generates."""
    from llmcli.local.sampling import Sampler

    run, steps = tour
    model, _ = gemma
    sampler = Sampler(run.params)
    session = model.new_session()
    logits = session.feed(run.ids)
    history = list(run.ids)
    expected = []
    for _ in range(5):
        token, _, _ = sampler.sample(logits, history)
        expected.append(token)
        history.append(token)
        logits = session.feed([token])
    assert steps["sampled"].data["id"] == expected[0]
    assert [g["id"] for g in steps["loop"].data["generated"]] == expected
