"""The OpenAI stub's log-probabilities have the API's wire shape: the real SDK accepts them with
strict response validation, whole and streamed."""

from __future__ import annotations

import pytest


def test_openai_logprobs_pass_strict_validation(openai_server):
    import openai

    c = openai.OpenAI(
        api_key=openai_server.expected_key,
        base_url=openai_server.url,
        max_retries=0,
        _strict_response_validation=True,
    )
    openai_server.token_logprobs = [
        (" Paris", -0.02, [(" Paris", -0.02), (" the", -4.1), (" a", -5.0)]),
        ("é", -1.5, [(".", -0.4), ("é", -1.5)]),
    ]
    msgs = [{"role": "user", "content": "The capital of France is"}]
    r = c.chat.completions.create(
        model="gpt-4o-mini", messages=msgs, logprobs=True, top_logprobs=2
    )
    choice = r.choices[0]
    assert choice.message.content == " Parisé"
    first, second = choice.logprobs.content
    assert (first.token, first.logprob, first.bytes) == (" Paris", -0.02, list(b" Paris"))
    assert [(t.token, t.logprob) for t in first.top_logprobs] == [(" Paris", -0.02), (" the", -4.1)]
    assert second.bytes == [0xC3, 0xA9] and second.top_logprobs[0].bytes == [ord(".")]

    chunks = list(c.chat.completions.create(
        model="gpt-4o-mini", messages=msgs, logprobs=True, top_logprobs=1, stream=True))
    assert chunks[0].choices[0].logprobs.content == []  # the role chunk: an empty list
    per_chunk = [ch.choices[0].logprobs.content for ch in chunks[1:-1]]
    assert [[(t.token, len(t.top_logprobs)) for t in lp] for lp in per_chunk] == [
        [(" Paris", 1)], [("é", 1)]]
    assert chunks[-1].choices[0].logprobs is None and chunks[-1].choices[0].finish_reason

    plain = c.chat.completions.create(model="gpt-4o-mini", messages=msgs)
    assert plain.choices[0].logprobs is None  # not asked: null, as the API sends it
    with pytest.raises(openai.BadRequestError, match="logprobs"):
        c.chat.completions.create(model="gpt-4o-mini", messages=msgs, top_logprobs=2)
    c.close()
