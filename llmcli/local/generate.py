"""The decoding loop: feed the prompt once, then one token at a time through the KV cache."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from llmcli.local.model import Session
from llmcli.local.sampling import Sampler


@dataclass(frozen=True)
class GeneratedToken:
    id: int
    logprob: float  # under the model's raw distribution
    top: list[tuple[int, float]] = field(default_factory=list)  # (id, logprob), best first
    is_stop: bool = False  # the token is one of stop_ids: generation ends, do not print it


def generate(
    session: Session,
    prompt_ids: Iterable[int],
    sampler: Sampler,
    max_tokens: int,
    stop_ids: set[int] | frozenset[int] = frozenset(),
    top_logprobs: int = 0,
) -> Iterator[GeneratedToken]:
    """Yield up to `max_tokens` tokens continuing the session after `prompt_ids`.

    An empty prompt continues from what the session already holds. A stop token is yielded
    with `is_stop=True` (so its log-prob can be shown) and ends the loop. Each token is fed to
    the session only when the next one is needed, so after the loop the session holds the
    prompt and every yielded token except the last: feed that one before continuing.
    The repetition penalty looks at the session's tokens (prompt included).
    """
    prompt = list(prompt_ids)
    logits = session.feed(prompt) if prompt else session.last_logits()
    for i in range(max_tokens):
        token, logprob, top = sampler.sample(logits, session.tokens, top_n=top_logprobs)
        stop = token in stop_ids
        if not stop:
            sampler.accept(token)
        yield GeneratedToken(token, logprob, top, stop)
        if stop or i == max_tokens - 1:
            return
        logits = session.feed([token])
