"""Sampling transforms, seeded determinism, and the generate loop."""

from __future__ import annotations

import numpy as np
import pytest

from llmcli.core.errors import InvalidInput
from llmcli.local.generate import generate
from llmcli.local.sampling import Sampler, SamplingParams, log_softmax, top_entries

RNG = np.random.default_rng(42)
LOGITS = (RNG.normal(0, 3, 1000)).astype(np.float32)


def test_every_stage_is_a_distribution():
    params = SamplingParams(
        temperature=0.7, top_k=50, top_p=0.8, min_p=0.05, repetition_penalty=1.3
    )
    stages = Sampler(params).stages(LOGITS, history=[1, 2, 3])
    assert list(stages) == ["softmax", "penalty", "temperature", "top_k", "top_p", "min_p"]
    for name, probs in stages.items():
        assert probs.shape == (1000,), name
        assert probs.sum() == pytest.approx(1.0, abs=1e-6), name
        assert np.all(probs >= 0), name
    assert np.count_nonzero(stages["top_k"]) == 50
    kept = np.count_nonzero(stages["top_p"])
    assert kept < 50
    # top-p keeps the smallest most-likely set reaching 0.8 of the top-k distribution.
    top_k_sorted = np.sort(stages["top_k"])[::-1]
    assert top_k_sorted[: kept - 1].sum() < 0.8 <= top_k_sorted[:kept].sum() + 1e-9
    min_p = stages["min_p"]
    assert min_p[min_p > 0].min() >= 0.05 * stages["top_p"].max()
    # Lower temperature sharpens: the favourite gains probability.
    best = int(np.argmax(stages["penalty"]))
    assert stages["temperature"][best] > stages["penalty"][best]


def test_repetition_penalty_makes_seen_tokens_less_likely():
    history = [int(np.argmax(LOGITS)), int(np.argmin(LOGITS))]
    stages = Sampler(SamplingParams(repetition_penalty=1.5)).stages(LOGITS, history)
    for token in history:
        assert stages["penalty"][token] < stages["softmax"][token]
    # llama.cpp's window: only the last `penalty_last_n` tokens count.
    sampler = Sampler(SamplingParams(repetition_penalty=1.5, penalty_last_n=1))
    penalized = sampler.penalize(LOGITS, history)
    assert penalized[history[0]] == LOGITS[history[0]]
    assert penalized[history[1]] < LOGITS[history[1]]


def test_greedy_picks_the_top_logit_and_reports_raw_logprobs():
    sampler = Sampler(SamplingParams(temperature=0))
    token, logprob, top = sampler.sample(LOGITS, [], top_n=5)
    assert token == int(np.argmax(LOGITS))
    expected = log_softmax(LOGITS)
    assert logprob == pytest.approx(expected[token])
    assert [t for t, _ in top] == list(np.argsort(-LOGITS)[:5])
    assert [lp for _, lp in top] == sorted((lp for _, lp in top), reverse=True)


def test_same_seed_same_tokens_and_different_seeds_differ():
    def draws(seed):
        sampler = Sampler(SamplingParams(temperature=1.5, seed=seed))
        return [sampler.sample(LOGITS)[0] for _ in range(30)]

    assert draws(7) == draws(7)
    assert draws(7) != draws(8)


def test_draws_follow_the_distribution():
    logits = np.log(np.array([0.5, 0.3, 0.15, 0.05], dtype=np.float32))
    sampler = Sampler(SamplingParams(temperature=1.0, seed=0))
    counts = np.bincount([sampler.sample(logits)[0] for _ in range(4000)], minlength=4)
    np.testing.assert_allclose(counts / 4000, [0.5, 0.3, 0.15, 0.05], atol=0.03)
    top1 = Sampler(SamplingParams(top_k=1, seed=0))
    assert {top1.sample(logits)[0] for _ in range(50)} == {0}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"temperature": -1},
        {"top_k": -3},
        {"top_p": 0},
        {"top_p": 1.5},
        {"min_p": 2},
        {"repetition_penalty": 0},
    ],
)
def test_invalid_values_are_refused(kwargs):
    with pytest.raises(InvalidInput):
        SamplingParams(**kwargs)


def test_top_entries_orders_and_clips():
    assert top_entries(np.array([0.1, 0.5, 0.2]), 2) == [(1, 0.5), (2, 0.2)]
    assert len(top_entries(np.array([0.1, 0.5]), 10)) == 2
    assert top_entries(np.array([0.1]), 0) == []


def test_generate_stops_and_is_deterministic(tiny_model):
    prompt = [2, 10, 11, 12]

    def run(seed, **kw):
        sampler = Sampler(SamplingParams(temperature=1.0, seed=seed))
        session = tiny_model.new_session()
        return list(generate(session, prompt, sampler, **kw)), session

    tokens, session = run(3, max_tokens=12, top_logprobs=3)
    assert len(tokens) == 12
    assert all(len(t.top) == 3 for t in tokens)
    assert session.pos == len(prompt) + 11  # the last token is not fed yet
    assert [t.id for t in run(3, max_tokens=12)[0]] == [t.id for t in tokens]

    stop = tokens[4].id
    stopped, _ = run(3, max_tokens=12, stop_ids={stop})
    first = next(i for i, t in enumerate(tokens) if t.id == stop)
    assert [t.id for t in stopped] == [t.id for t in tokens[: first + 1]]
    assert stopped[-1].is_stop and not any(t.is_stop for t in stopped[:-1])


def test_generate_continues_a_session(tiny_model):
    session = tiny_model.new_session()
    session.feed([2, 10, 11])
    greedy = Sampler(SamplingParams(temperature=0))
    cont = [t.id for t in generate(session, [], greedy, max_tokens=3)]
    fresh = [t.id for t in generate(tiny_model.new_session(), [2, 10, 11], greedy, max_tokens=3)]
    assert cont == fresh
