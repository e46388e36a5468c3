"""The forward pass: KV cache, sliding window, attention, sessions, and the real model."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import write_tiny_gguf

from llmcli.core.errors import ContextTooLong, InvalidInput
from llmcli.local import model as model_module
from llmcli.local.model import LocalModel
from llmcli.local.trace import trace

IDS = [2, 17, 250, 31, 99, 5, 5, 77, 140, 12, 8, 260]


def test_kv_cache_decoding_equals_full_recompute(tiny_model):
    full = tiny_model.new_session().feed_all(IDS)
    session = tiny_model.new_session()
    stepwise = np.stack([session.feed([t]) for t in IDS])
    np.testing.assert_allclose(stepwise, full, rtol=1e-4, atol=1e-4)
    assert session.pos == len(IDS) and session.tokens == IDS


def test_prompt_chunks_equal_one_pass(tiny_model, monkeypatch):
    whole = tiny_model.new_session().feed(IDS)
    monkeypatch.setattr(model_module, "PREFILL_CHUNK", 5)
    chunked = tiny_model.new_session().feed(IDS)
    np.testing.assert_allclose(chunked, whole, rtol=1e-4, atol=1e-4)


def test_sliding_window_limits_what_local_layers_see(tmp_path):
    # Every layer local (pattern 0), window 4: information travels at most 3 positions per
    # layer, so with 3 layers the last position cannot depend on anything 10+ positions back.
    path = write_tiny_gguf(tmp_path / "local.gguf", pattern=0, window=4)
    model = LocalModel.load(path, tmp_path / "cache")
    assert model.config.layer_is_global == [False, False, False]
    ids = list(range(10, 30))
    base = model.new_session().feed(ids)
    far = list(ids)
    far[len(ids) - 11] = 200  # 10 positions before the last: outside the receptive field
    np.testing.assert_array_equal(model.new_session().feed(far), base)
    near = list(ids)
    near[len(ids) - 10] = 200  # 9 positions back: just inside it
    assert not np.allclose(model.new_session().feed(near), base)


def test_global_layer_sees_everything(tiny_model):
    ids = list(range(10, 30))
    base = tiny_model.new_session().feed(ids)
    changed = [200, *ids[1:]]
    assert not np.allclose(tiny_model.new_session().feed(changed), base)


def test_trace_attention_is_causal_windowed_and_normalised(tiny_model):
    t = trace(tiny_model, IDS)
    n = len(IDS)
    window = tiny_model.config.sliding_window
    distance = np.arange(n)[:, None] - np.arange(n)[None, :]
    for layer, weights in enumerate(t.attention):
        assert weights.shape == (4, n, n)
        np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)
        assert np.all(weights[:, distance < 0] == 0)  # no looking ahead
        if t.layer_is_global[layer]:
            assert np.all(weights[:, distance >= 0] > 0)
        else:
            assert np.all(weights[:, distance >= window] == 0)
            assert np.all(weights[:, (distance >= 0) & (distance < window)] > 0)
    assert t.hidden_states.shape == (4, n, 32)
    np.testing.assert_allclose(t.residual_norms, np.linalg.norm(t.hidden_states, axis=-1))
    # The residual stream is the embedding plus everything the blocks added.
    added = t.attn_out.sum(0) + t.ffn_out.sum(0)
    np.testing.assert_allclose(t.hidden_states[-1], t.hidden_states[0] + added, atol=1e-4)
    # The logit lens at the last layer is the model's own prediction.
    np.testing.assert_allclose(t.lens(tiny_model, t.n_layers), t.logits, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(t.logits, tiny_model.new_session().feed(IDS), atol=1e-4)


def test_rewind_reuses_the_prefix(tiny_model):
    session = tiny_model.new_session()
    session.feed(IDS)
    session.rewind(5)
    assert session.pos == 5
    np.testing.assert_allclose(
        session.last_logits(), tiny_model.new_session().feed(IDS[:5]), atol=1e-5
    )
    after = session.feed([40, 41])
    np.testing.assert_allclose(after, tiny_model.new_session().feed([*IDS[:5], 40, 41]), atol=1e-4)
    with pytest.raises(InvalidInput):
        session.rewind(99)


def test_context_limit_and_bad_ids(tiny_model):
    session = tiny_model.new_session(max_context=10)
    session.feed(IDS[:8])
    with pytest.raises(ContextTooLong, match="by 2"):
        session.feed([5, 6, 7, 8])
    assert session.pos == 8  # a refused feed changes nothing
    with pytest.raises(InvalidInput, match="outside the vocabulary"):
        session.feed([300])
    with pytest.raises(InvalidInput, match="empty"):
        session.feed([])
    with pytest.raises(InvalidInput):
        tiny_model.new_session().hidden()
    assert tiny_model.new_session().max_context == 64  # the model's own context


def test_embeddings_and_hidden_state(tiny_model):
    rows = tiny_model.embedding_rows([5, 7])
    np.testing.assert_array_equal(rows, tiny_model.embedding_matrix()[[5, 7]])
    session = tiny_model.new_session()
    session.feed(IDS)
    h = session.hidden()
    assert h.shape == (32,)
    # The logits are the final hidden state scored against every embedding row (tied).
    np.testing.assert_allclose(
        tiny_model.embedding_matrix() @ h, session.last_logits(), rtol=1e-4, atol=1e-4
    )


# ---------------------------------------------------------------- the real Gemma 3 270M


def greedy(model, ids, n):
    session = model.new_session()
    logits = session.feed(ids)
    out = []
    for _ in range(n):
        out.append(int(np.argmax(logits)))
        logits = session.feed([out[-1]])
    return out


@pytest.mark.slow
def test_greedy_answer_mentions_paris(local_model):
    # "Question: What is the capital of France?\nAnswer:" as llama.cpp tokenizes it.
    ids = [2, 14977, 236787, 2900, 563, 506, 5279, 529, 7001, 236881, 107, 7925, 236787]
    out = greedy(local_model, ids, 4)
    tokens = local_model.metadata["tokenizer.ggml.tokens"]
    assert "Paris" in "".join(tokens[i] for i in out)


@pytest.mark.slow
def test_real_model_kv_cache_matches_full_pass(local_model):
    ids = [2, 818, 5279, 529, 7001, 563, 506, 5279, 529]
    full = local_model.new_session().feed_all(ids)
    session = local_model.new_session()
    session.feed(ids[:4])
    steps = [session.feed([t]) for t in ids[4:]]
    np.testing.assert_allclose(np.stack(steps), full[4:], rtol=1e-3, atol=2e-3)
    assert int(np.argmax(full[5])) == 506  # "The capital of France is" -> " the"


@pytest.mark.slow
def test_real_model_sliding_window_is_visible_in_the_trace(local_model):
    rng = np.random.default_rng(0)
    ids = [2, *rng.integers(1000, 50000, 599).tolist()]
    t = trace(local_model, ids)
    last = t.attention
    for layer, weights in enumerate(last):
        row = weights[:, -1]  # what the last position (599) attends to
        if t.layer_is_global[layer]:
            assert row[:, :88].sum() > 0  # 512+ positions back is still visible
        else:
            assert np.all(row[:, : 599 - 511] == 0)  # outside the window: exactly zero
            assert np.all(row[:, 599 - 511 :] > 0)
        np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-4)


def test_split_products_equal_plain_ones_and_thread_count_is_restored():
    from llmcli.local.blas import blas_threads, get_threads, split_matmul, split_matvec

    rng = np.random.default_rng(1)
    w = rng.normal(size=(1001, 64)).astype(np.float32)
    x = rng.normal(size=(70, 64)).astype(np.float32)
    before = get_threads()
    with blas_threads(1):
        if before is not None:
            assert get_threads() == 1
        np.testing.assert_allclose(split_matvec(w, x[0]), w @ x[0], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(split_matmul(x, w), x @ w.T, rtol=1e-5, atol=1e-5)
    assert get_threads() == before


def test_kv_cache_grows_past_its_first_capacity(tmp_path):
    model = LocalModel.load(write_tiny_gguf(tmp_path / "long.gguf", context=400), tmp_path / "c")
    ids = np.random.default_rng(2).integers(4, 300, 270).tolist()
    session = model.new_session()
    assert session.cache.capacity == 256
    session.feed(ids[:250])
    stepwise = [session.feed([t]) for t in ids[250:]]
    assert session.cache.capacity == 400  # doubled, but never past the session's limit
    full = model.new_session().feed_all(ids)[250:]
    np.testing.assert_allclose(np.stack(stepwise), full, rtol=1e-4, atol=1e-4)


def test_decode_thread_policy_keeps_the_faster_mode_and_probes_the_other():
    from llmcli.local.blas import DecodeThreads

    policy = DecodeThreads(probe_every=4)
    policy.cost = {2: None, 1: None}
    first, second = policy.pick(), None
    policy.record(first, 0.030)
    second = policy.pick()
    assert {first, second} == {1, 2}
    policy.record(second, 0.090)  # the second mode is slower
    picks = [policy.pick() for _ in range(8)]
    assert picks.count(first) == 6 and picks.count(second) == 2  # probed every 4th step
    for _ in range(10):
        policy.record(first, 0.300)  # the machine got busy: the first mode slows down
    assert policy.pick() == second
    while policy.steps % 4 != 3:
        policy.record(policy.pick(), 0.090)
    probe = policy.pick()
    assert probe == first
    policy.record(probe, 0.030)  # idle again: one fast probe is enough to switch back
    assert policy.pick() == first
