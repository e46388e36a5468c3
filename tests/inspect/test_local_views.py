"""The inspection views over the real Gemma 3 270M: tokens, token embeddings, attention,
layers and the logit lens, next-token stages. Marked slow: they run the model."""

from __future__ import annotations

import numpy as np
import pytest

from llmcli.core.errors import InvalidInput
from llmcli.inspect import attention as at
from llmcli.inspect import tokens as tk
from llmcli.inspect.layers import layers_view, lens_logits
from llmcli.inspect.nexttoken import local_next
from llmcli.inspect.token_embedding import token_neighbours
from llmcli.inspect.trace_data import trace_ids, trace_text
from tests.inspect.test_tokens import CORPUS

pytestmark = pytest.mark.slow
SENTENCE = "O gato subiu no telhado porque viu um pássaro"


@pytest.fixture(scope="module")
def sentence_trace(gemma):
    model, tok = gemma
    return trace_text(model, tok, SENTENCE)


def test_local_known_ids_and_pieces(gemma):
    _, tok = gemma
    backend = tk.LocalBackend(tok)
    ids = [i for part in backend.encode_stream(["your cat is a lovely cat"]) for i in part]
    assert ids == [17993, 5866, 563, 496, 14954, 5866]
    assert backend.pieces(ids) == ["your", "▁cat", "▁is", "▁a", "▁lovely", "▁cat"]
    assert tok.encode("cat")[0] == 2  # <bos> leads what the model sees


@pytest.mark.parametrize("text", CORPUS)
def test_local_round_trip(gemma, text):
    backend = tk.LocalBackend(gemma[1])
    ids = [i for part in backend.encode_stream(tk.iter_string(text, 5)) for i in part]
    assert backend.decode(ids) == text
    assert "".join(backend.texts(ids)) == text


def test_local_streamed_equals_whole(gemma):
    _, tok = gemma
    text = "\n".join(CORPUS) * 300
    streamed = [i for part in tk.LocalBackend(tok).encode_stream(tk.iter_string(text, 777))
                for i in part]
    assert streamed == tok.encode(text, add_bos=False)


def test_token_neighbours(gemma):
    model, tok = gemma
    view = token_neighbours("local", model.embedding_matrix(), tok, ["cat", "dog", "car"], top=8)
    pieces = [e.piece for e in view.entries]
    assert pieces == ["▁cat", "▁dog", "▁car"]
    near_cat = [n.piece for n in view.entries[0].neighbours]
    assert "▁cats" in near_cat and "▁cat" not in near_cat
    sim = np.array(view.similarity)
    assert np.allclose(sim, sim.T) and np.allclose(np.diag(sim), 1.0)
    assert sim[0, 1] > sim[0, 2]  # cat is nearer dog than car
    scores = [n.score for n in view.entries[0].neighbours]
    assert scores == sorted(scores, reverse=True)
    data = view.to_json()
    assert data["dimension"] == 640 and data["vocab_size"] == 262144
    assert len(data["tokens"][0]["first_values"]) == 8


def test_attention_rows_sum_to_one_and_respect_the_causal_mask(sentence_trace):
    t = sentence_trace
    n = len(t.ids)
    for layer in range(t.n_layers):
        view = at.attention_map("local", t, layer)
        assert view.heads == [0, 1, 2, 3]
        for weights in view.weights:
            for q, row in enumerate(weights):
                assert all(v is None for v in row[q + 1 :])  # the future is masked
                assert all(v is not None for v in row[: q + 1])
                assert sum(row[: q + 1]) == pytest.approx(1.0, abs=1e-4)
        assert np.allclose(np.triu(t.attn[layer], k=1), 0.0)
    assert len(view.weights[0]) == n


def test_attention_respects_the_sliding_window(gemma):
    model, tok = gemma
    ids = [tok.bos_id, *tok.encode("one two three four " * 140, add_bos=False)[:529]]
    t = trace_ids(model, tok, ids)
    n, window = len(t.ids), t.window
    assert window == 512 and n == 530
    q = n - 1
    local = t.is_global.index(False)
    glob = t.is_global.index(True)
    view = at.attention_map("local", t, local, head=0)
    row = view.weights[0][q]
    assert all(v is None for v in row[: q - window + 1])  # too far back for a local layer
    assert row[q - window + 1] is not None
    assert sum(v for v in row if v is not None) == pytest.approx(1.0, abs=1e-4)
    assert np.allclose(t.attn[local][:, q, : q - window + 1], 0.0)
    # A global layer sees the whole prefix, <bos> included, and gives it weight.
    assert at.attention_map("local", t, glob, head=0).weights[0][q][0] is not None
    assert t.attn[glob][:, q, : q - window + 1].sum() > 0


def test_attention_from_a_word(sentence_trace):
    t = sentence_trace
    view = at.attention_from("local", t, "telhado")
    assert "".join(t.texts[: view.position + 1]).endswith("telhado")
    assert len(view.weights) == t.n_layers
    for row in view.weights:
        assert len(row) == view.position + 1
        assert sum(row) == pytest.approx(1.0, abs=1e-4)
    assert at.find_position(t, "-1") == len(t.ids) - 1
    assert at.find_position(t, "0") == 0
    with pytest.raises(InvalidInput, match="not in the text"):
        at.find_position(t, "cachorro")
    data = view.to_json()
    assert data["from"]["index"] == view.position and data["heads"] == "mean"


def test_bad_layer_and_head(sentence_trace):
    with pytest.raises(InvalidInput, match="layer 18 does not exist") as exc:
        at.attention_map("local", sentence_trace, 18)
    assert "layers 0..17" in exc.value.one_line()
    with pytest.raises(InvalidInput, match="head 4 does not exist") as exc:
        at.attention_map("local", sentence_trace, 0, head=4)
    assert "heads 0..3" in exc.value.one_line()


def test_logit_lens_last_layer_equals_model_logits(gemma, sentence_trace):
    model, _ = gemma
    lens = lens_logits(model, sentence_trace, -1)
    logits = model.new_session().feed(sentence_trace.ids)
    assert lens.shape == (18, 262144)
    assert np.abs(lens[-1] - logits).max() < 1e-3 * np.abs(logits).max()
    assert int(np.argmax(lens[-1])) == int(np.argmax(logits))


def test_layers_view(gemma):
    model, tok = gemma
    trace = trace_text(model, tok, "The capital of France is")
    view = layers_view("local", model, tok, trace)
    assert len(view.rows) == 18 and view.position == len(trace.ids) - 1
    assert view.rows[-1].lens == view.final
    assert view.final[0].piece in {"▁the", "▁Paris", "▁a"}
    # Paris shows up in the lens of some layer before the last.
    assert any(g.piece == "▁Paris" for r in view.rows[:-1] for g in r.lens)
    probs = [g.prob for g in view.final]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1
    assert all(r.residual_norm > 0 and r.attn_norm > 0 and r.ffn_norm > 0 for r in view.rows)
    data = view.to_json()
    assert {"layer", "layer_type", "residual_norm", "attn_norm", "ffn_norm", "lens",
            "final_top_prob"} == set(data["layers"][0])
    assert [row["layer_type"] for row in data["layers"]].count("global") == 3


def test_next_token_stages_sum_to_one_and_pick_like_generation(gemma):
    from llmcli.local.generate import generate
    from llmcli.local.sampling import Sampler, SamplingParams

    model, tok = gemma
    options = {"temperature": 0.7, "top_k": 5, "top_p": 0.9, "seed": 3}
    params = SamplingParams(temperature=0.7, top_k=5, top_p=0.9, seed=3)
    result = local_next(model, tok, "The capital of France is", params, model_name="local",
                        options=options, top=10, steps=4)
    assert len(result.steps) == 4
    first = result.steps[0]
    assert first.stages == ["softmax", "temperature", "top_k", "top_p"]
    top_k_mass = sum(r.probs["top_k"] for r in first.top)
    assert top_k_mass == pytest.approx(1.0, abs=1e-5)  # the 5 kept tokens are all shown
    assert sum(1 for r in first.top if r.probs["top_k"] > 0) == 5
    assert sum(r.probs["top_p"] for r in first.top) == pytest.approx(1.0, abs=1e-5)
    assert all(r.probs["temperature"] >= 0 for r in first.top)
    # Temperature below 1 sharpens: the favourite gains probability.
    best = max(first.top, key=lambda r: r.probs["softmax"])
    assert best.probs["temperature"] > best.probs["softmax"]
    # The picks are the tokens generation makes with the same options and seed.
    ids = tok.encode("The capital of France is", add_bos=True)
    generated = [g.id for g in generate(model.new_session(), ids, Sampler(params), 4)]
    assert [s.chosen_id for s in result.steps] == generated
    assert result.text == tok.decode(generated, special=False)
    # Every stage of the engine's sampler is a distribution.
    stages = Sampler(params).stages(model.new_session().feed(ids))
    for name, p in stages.items():
        assert p.sum() == pytest.approx(1.0, abs=1e-6), name


def test_next_token_greedy(gemma):
    from llmcli.local.sampling import SamplingParams

    model, tok = gemma
    result = local_next(model, tok, "The capital of France is", SamplingParams(temperature=0),
                        model_name="local", options={"temperature": 0}, top=5)
    step = result.steps[0]
    assert step.top[0].id == step.chosen_id and step.chosen_prob == 1.0
    assert step.top[0].probs["softmax"] == max(r.probs["softmax"] for r in step.top)
    data = result.to_json()
    assert data["steps"][0]["chosen"]["id"] == step.chosen_id
