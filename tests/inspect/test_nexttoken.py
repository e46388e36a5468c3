"""Next-token helpers that need no model: stage selection, provider log-probabilities."""

from __future__ import annotations

import math

import pytest

from llmcli.core.errors import InvalidInput
from llmcli.core.events import TokenLogprobs
from llmcli.inspect import nexttoken as nt


def test_active_stages_follow_the_engine_order():
    assert nt.active_stages({}) == ["softmax"]
    assert nt.active_stages({"seed": 1, "temperature": 0.7}) == ["softmax", "temperature"]
    assert nt.active_stages({"min_p": 0.1, "top_k": 5, "repetition_penalty": 1.3,
                             "top_p": 0.9}) == ["softmax", "penalty", "top_k", "top_p", "min_p"]
    assert nt.active_stages({"repetition_penalty": 1.0}) == ["softmax"]  # 1 = off


def test_logprob_steps_from_provider_events():
    events = [
        TokenLogprobs(" Paris", math.log(0.6),
                      [(" Paris", math.log(0.6)), (" the", math.log(0.3))]),
        TokenLogprobs(".", math.log(0.01), [("!", math.log(0.5)), ("?", math.log(0.4))]),
    ]
    steps = nt.logprob_steps(events, top=5)
    assert [s.chosen_piece for s in steps] == [" Paris", "."]
    assert steps[0].top[0].probs == {"logprob": pytest.approx(0.6)}
    assert [r.piece for r in steps[0].top] == [" Paris", " the"]
    # A chosen token outside the provider's top list is still shown.
    assert steps[1].top[-1].piece == "." and steps[1].chosen_prob == pytest.approx(0.01)
    result = nt.NextResult("openai:x", "Capital:", {"top_logprobs": 5}, steps, " Paris.")
    data = result.to_json()
    assert data["steps"][0]["chosen"] == {"id": None, "piece": " Paris", "prob": 0.6}
    assert data["steps"][1]["top"][0] == {"id": None, "piece": "!", "probs": {"logprob": 0.5}}


def test_counts_are_checked():
    with pytest.raises(InvalidInput, match="--top"):
        nt.check_counts(0, 1)
    with pytest.raises(InvalidInput, match="--steps"):
        nt.check_counts(5, nt.MAX_STEPS + 1)
